#pragma once

// Base64 (RFC 4648) through libsodium: GitHub's contents, blobs and secrets, JSON Web
// Tokens, repository mirrors' basic auth, and store values that are not UTF-8.

#include <optional>
#include <string>
#include <string_view>

namespace odmd {

// Standard base64 with padding.
std::string Base64(std::string_view bytes);
// base64url without padding (JSON Web Tokens).
std::string Base64Url(std::string_view bytes);
// The bytes of standard base64 `text`; newlines and spaces are ignored (the contents API
// wraps its base64 at 60 columns). nullopt when `text` is not base64.
std::optional<std::string> FromBase64(std::string_view text);

}  // namespace odmd
