#pragma once

// Bearer tokens: random, shown once, stored only as their SHA-256 under
// /odmd/tokens/<sha256 hex> (value: JSON {"principal": "...", "issued_at": "..."}).
// Neither the token nor its full hash ever appears in a message or a listing.

#include <string>
#include <string_view>
#include <vector>

#include "odmd/access/principal.h"
#include "odmd/base/clock.h"
#include "odmd/base/status.h"
#include "odmd/store/config_store.h"

namespace odmd::access {

// The store prefix of token records.
inline constexpr std::string_view kTokensPrefix = "/odmd/tokens/";

// What listings show: never the token, never the full hash.
struct TokenInfo {
  Principal principal;
  // The first 12 hex characters of the token's SHA-256 (enough to tell tokens apart).
  std::string id;
  // ISO-8601 UTC, e.g. "2026-01-01T00:00:00Z".
  std::string issued_at;

  friend bool operator==(const TokenInfo&, const TokenInfo&) = default;
};

// The short id listings show for `token` (TokenInfo::id): the first 12 hex characters of its
// SHA-256.
std::string TokenId(std::string_view token);

// Issues, checks and revokes tokens kept in a ConfigStore. Holds no state of its own: every
// call reads or writes the store, so several registries (and processes) on one store agree.
// Thread-safe. `store` and `clock` must outlive the registry.
class TokenRegistry {
 public:
  TokenRegistry(store::ConfigStore& store, Clock& clock);

  // A new random token for `principal`: "odmd_" followed by 64 lowercase hex characters
  // (32 bytes from libsodium's randombytes). Only its SHA-256 is stored; the returned
  // string is the only copy.
  // kInvalidArgument if `principal` is an enver whose id is not "<build>/<rev>"; store
  // errors (kUnavailable, ...) as they come, with nothing written.
  Result<std::string> Issue(const Principal& principal);

  // The principal `token` was issued to.
  // kUnauthenticated ("unknown or revoked token") for anything that is not a live issued
  // token; kFailedPrecondition if its stored record is malformed; the store's code if the
  // store cannot be read. No message ever contains the token or its full hash.
  Result<Principal> Authenticate(std::string_view token);

  // Revokes every token of `principal`; returns how many (0 if it had none).
  Result<int> Revoke(const Principal& principal);
  // Revokes every token of `principal` but `keep` (a token of any principal, or ""); returns
  // how many. A workflow token's rotation keeps the previous one this way.
  Result<int> RevokeAllBut(const Principal& principal, std::string_view keep);

  // Every live token, sorted by principal text, then issue time, then id.
  // kFailedPrecondition naming the record id if a stored record is malformed.
  Result<std::vector<TokenInfo>> List();

 private:
  store::ConfigStore& store_;
  Clock& clock_;
};

}  // namespace odmd::access
