#pragma once

// The GitHub App's JSON Web Token (RS256), the credential of the /app/... calls (installation
// access tokens above all). GitHub refuses a token whose `exp` is more than 10 minutes
// ahead; `iat` is backdated 60 s against clock drift, as GitHub's documentation advises.

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include "odmd/base/status.h"

namespace odmd::github {

inline constexpr std::chrono::seconds kJwtBackdate{60};
inline constexpr std::chrono::seconds kJwtLifetime{9 * 60};  // exp = now + 9 min (< 10)

// Holds the app's private key. Thread-safe; the key never appears in a message.
class AppJwtSigner {
 public:
  // INVALID_ARGUMENT when `app_id` is empty or `private_key_pem` is not an RSA private key
  // in PEM (PKCS#1 "BEGIN RSA PRIVATE KEY", as GitHub hands it out, or PKCS#8).
  static Result<std::unique_ptr<AppJwtSigner>> Create(std::string app_id,
                                                      std::string_view private_key_pem);
  ~AppJwtSigner();
  AppJwtSigner(const AppJwtSigner&) = delete;
  AppJwtSigner& operator=(const AppJwtSigner&) = delete;

  // "<header>.<payload>.<signature>", base64url, with {"iat": now - 60 s, "exp": now + 9 min,
  // "iss": app id}. INTERNAL only when OpenSSL fails to sign.
  Result<std::string> Sign(std::chrono::system_clock::time_point now) const;

  const std::string& app_id() const { return app_id_; }

 private:
  struct Key;
  AppJwtSigner(std::string app_id, std::unique_ptr<Key> key);

  std::string app_id_;
  std::unique_ptr<Key> key_;
};

}  // namespace odmd::github
