#include "odmd/access/tokens.h"

#include <sodium.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <ctime>
#include <nlohmann/json.hpp>
#include <tuple>
#include <utility>

#include "odmd/base/sha256.h"
#include "odmd/base/strings.h"
#include "sodium_init.h"

namespace odmd::access {
namespace {

constexpr std::string_view kTokenPrefix = "odmd_";
constexpr size_t kTokenBytes = 32;
constexpr size_t kIdChars = 12;

std::string HexOf(const unsigned char* data, size_t size) {
  std::string hex(size * 2 + 1, '\0');
  sodium_bin2hex(hex.data(), hex.size(), data, size);
  hex.pop_back();  // the terminating NUL
  return hex;
}

std::string IsoUtc(std::chrono::system_clock::time_point t) {
  std::time_t seconds = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  std::array<char, 32> buf{};
  size_t n = std::strftime(buf.data(), buf.size(), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return std::string(buf.data(), n);
}

std::string RecordKey(std::string_view hash) {
  return std::string(kTokensPrefix) + std::string(hash);
}

// Store messages may name the key, and the key holds the token's full hash: keep the code
// and the message, with the hash cut down to its short id.
Status StoreError(const Status& s, std::string_view what, std::string_view hash = {}) {
  std::string message = s.message();
  if (!hash.empty()) {
    for (size_t at = message.find(hash); at != std::string::npos; at = message.find(hash, at)) {
      message.replace(at, hash.size(), hash.substr(0, kIdChars));
    }
  }
  return Status(s.code(), "token registry: cannot " + std::string(what) + ": " + message);
}

Status MalformedToken(std::string_view hash, std::string_view why) {
  return FailedPreconditionError("token record " + std::string(hash.substr(0, kIdChars)) +
                                 " is malformed: " + std::string(why));
}

Result<TokenInfo> ParseRecord(std::string_view hash, std::string_view value) {
  nlohmann::json j = nlohmann::json::parse(value, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return MalformedToken(hash, "not a JSON object");
  auto principal = j.find("principal");
  auto issued_at = j.find("issued_at");
  if (principal == j.end() || !principal->is_string() || issued_at == j.end() ||
      !issued_at->is_string()) {
    return MalformedToken(hash, "\"principal\" or \"issued_at\" is missing or not a string");
  }
  Result<Principal> parsed = Principal::Parse(principal->get<std::string>());
  if (!parsed.ok()) return MalformedToken(hash, parsed.status().message());
  return TokenInfo{std::move(parsed).value(), std::string(hash.substr(0, kIdChars)),
                   issued_at->get<std::string>()};
}

// Every record as (hash, info).
Result<std::vector<std::pair<std::string, TokenInfo>>> ReadAll(store::ConfigStore& store) {
  Result<std::vector<store::Entry>> entries = store.List(kTokensPrefix);
  if (!entries.ok()) return StoreError(entries.status(), "list tokens");
  std::vector<std::pair<std::string, TokenInfo>> out;
  out.reserve(entries->size());
  for (const store::Entry& e : *entries) {
    std::string hash = e.key.substr(kTokensPrefix.size());
    ODMD_ASSIGN_OR_RETURN(TokenInfo info, ParseRecord(hash, e.value));
    out.emplace_back(std::move(hash), std::move(info));
  }
  return out;
}

}  // namespace

std::string TokenId(std::string_view token) { return Sha256Hex(token).substr(0, kIdChars); }

TokenRegistry::TokenRegistry(store::ConfigStore& store, Clock& clock)
    : store_(store), clock_(clock) {}

Result<std::string> TokenRegistry::Issue(const Principal& principal) {
  // Round-trip through the text form: it validates an enver id like Parse does.
  ODMD_ASSIGN_OR_RETURN(Principal checked, Principal::Parse(principal.ToString()));
  EnsureSodium();
  std::array<unsigned char, kTokenBytes> raw{};
  randombytes_buf(raw.data(), raw.size());
  std::string token = std::string(kTokenPrefix) + HexOf(raw.data(), raw.size());
  sodium_memzero(raw.data(), raw.size());
  std::string hash = Sha256Hex(token);
  nlohmann::json record = {{"principal", checked.ToString()},
                           {"issued_at", IsoUtc(clock_.WallNow())}};
  // Only if absent: a collision of 256 random bits would be a broken generator.
  Result<store::WriteResult> put = store_.Put(RecordKey(hash), record.dump(), 0);
  if (!put.ok()) return StoreError(put.status(), "store a token", hash);
  return token;
}

Result<Principal> TokenRegistry::Authenticate(std::string_view token) {
  const Status unknown = UnauthenticatedError("unknown or revoked token");
  if (!token.starts_with(kTokenPrefix) || token.size() != kTokenPrefix.size() + 2 * kTokenBytes) {
    return unknown;
  }
  std::string hash = Sha256Hex(token);
  Result<store::Entry> entry = store_.Get(RecordKey(hash));
  if (IsNotFound(entry.status())) return unknown;
  if (!entry.ok()) return StoreError(entry.status(), "look up a token", hash);
  ODMD_ASSIGN_OR_RETURN(TokenInfo info, ParseRecord(hash, entry->value));
  return info.principal;
}

Result<int> TokenRegistry::Revoke(const Principal& principal) {
  return RevokeAllBut(principal, "");
}

Result<int> TokenRegistry::RevokeAllBut(const Principal& principal, std::string_view keep) {
  ODMD_ASSIGN_OR_RETURN(auto records, ReadAll(store_));
  const std::string kept = keep.empty() ? "" : Sha256Hex(keep);
  int revoked = 0;
  for (const auto& [hash, info] : records) {
    if (info.principal != principal || hash == kept) continue;
    Result<store::WriteResult> deleted = store_.Delete(RecordKey(hash), std::nullopt);
    // Revoked meanwhile by someone else: still gone, which is what was asked.
    if (IsNotFound(deleted.status())) continue;
    if (!deleted.ok()) return StoreError(deleted.status(), "revoke a token", hash);
    ++revoked;
  }
  return revoked;
}

Result<std::vector<TokenInfo>> TokenRegistry::List() {
  ODMD_ASSIGN_OR_RETURN(auto records, ReadAll(store_));
  std::vector<TokenInfo> out;
  out.reserve(records.size());
  for (auto& record : records) out.push_back(std::move(record.second));
  std::sort(out.begin(), out.end(), [](const TokenInfo& a, const TokenInfo& b) {
    return std::make_tuple(a.principal.ToString(), a.issued_at, a.id) <
           std::make_tuple(b.principal.ToString(), b.issued_at, b.id);
  });
  return out;
}

}  // namespace odmd::access
