#pragma once

// Per-enver secrets, encrypted at rest with libsodium (DESIGN.md §7). A secret lives at
// /odmd/secrets/<build>/<rev>/<name> as nonce || ciphertext (crypto_secretbox,
// XSalsa20-Poly1305, a random nonce per seal); the sealed text also binds the key path, so
// a record copied to another secret's key does not open. Values are decrypted only for
// the owning enver and never appear in messages, listings or change events.

#include <array>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "odmd/access/policy.h"
#include "odmd/access/principal.h"
#include "odmd/base/status.h"
#include "odmd/store/config_store.h"

namespace odmd::access {

// Where the secret key comes from.
struct SecretKeyOptions {
  // Environment variable holding the key as 64 hex characters (32 bytes); wins when set
  // and non-empty.
  std::string env_var = "ODMD_SECRET_KEY";
  // Key file of exactly 32 raw bytes, mode 0600 or narrower. Created with 32 random bytes
  // and mode 0600 (its parent directory too, mode 0700) when missing.
  std::string key_file = "./.odmd/secret.key";
};

// Seals and opens values with one 32-byte key. Thread-safe; copyable (copies hold the
// key too); the key is wiped from memory when the object is destroyed.
class SecretBox {
 public:
  // The key from `options`: the environment variable if set, else the key file.
  // kInvalidArgument for a malformed environment key (naming the variable, never the
  // value); kFailedPrecondition naming the path for a key file that is not a regular
  // file, has the wrong size or permissions wider than 0600; kUnavailable naming the path
  // if the file cannot be read or created.
  static Result<SecretBox> Load(const SecretKeyOptions& options);
  // For tests and tools that hold the key already.
  static SecretBox FromKey(std::span<const unsigned char, 32> key);

  SecretBox(const SecretBox&) = default;
  SecretBox& operator=(const SecretBox&) = default;
  ~SecretBox();

  // nonce || ciphertext of `plaintext`; two seals of the same text differ.
  std::string Seal(std::string_view plaintext) const;
  // The plaintext of `sealed`.
  // kFailedPrecondition when `sealed` is too short, was tampered with or was sealed with
  // another key; the message never contains the plaintext.
  Result<std::string> Open(std::string_view sealed) const;

 private:
  explicit SecretBox(std::span<const unsigned char, 32> key);
  std::array<unsigned char, 32> key_;
};

// What listings show: never the value.
struct SecretInfo {
  std::string name;
  store::Version version = 0;
  store::Revision revision = 0;

  friend bool operator==(const SecretInfo&, const SecretInfo&) = default;
};

// OK, or kInvalidArgument naming the name: 1..128 characters of [A-Za-z0-9._-].
Status ValidateSecretName(std::string_view name);

// "/odmd/secrets/<enver_id>/<name>".
std::string SecretPath(std::string_view enver_id, std::string_view name);

// Per-enver secrets in a ConfigStore. Who may do what:
//   Put, Delete, List  admin and the owning enver;
//   Get                the owning enver only (admin and viewer too get kPermissionDenied).
// Every call checks, in this order: the name (kInvalidArgument), the principal
// (kPermissionDenied naming the principal, the access and the key), the enver
// (kNotFound unless it is declared or a live clone in `policy`). Nothing is written on any
// error. Thread-safe; `store`, `box` and `policy` must outlive it.
class SecretStore {
 public:
  SecretStore(store::ConfigStore& store, const SecretBox& box, const AccessPolicy& policy);

  // Seals and writes `value` as the secret's next version. Store errors as they come
  // (kInvalidArgument if the sealed value is too large for the store).
  Result<store::WriteResult> Put(const Principal& who, std::string_view enver_id,
                                 std::string_view name, std::string_view value);
  // The decrypted latest value. kNotFound if the secret does not exist or is deleted;
  // kFailedPrecondition if it cannot be decrypted (tampered, or another key).
  Result<std::string> Get(const Principal& who, std::string_view enver_id, std::string_view name);
  // The enver's live secrets sorted by name: names and versions, never values.
  Result<std::vector<SecretInfo>> List(const Principal& who, std::string_view enver_id);
  // Deletes the secret (a tombstone; the sealed history stays). kNotFound if absent.
  Result<store::WriteResult> Delete(const Principal& who, std::string_view enver_id,
                                    std::string_view name);

 private:
  Status Authorize(const Principal& who, Access access, std::string_view enver_id,
                   std::string_view key, bool admin_allowed) const;

  store::ConfigStore& store_;
  const SecretBox& box_;
  const AccessPolicy& policy_;
};

}  // namespace odmd::access
