#pragma once

// GitHub's webhook signature: X-Hub-Signature-256 is "sha256=" + hex HMAC-SHA256 of the raw
// request body keyed with the app's webhook secret.

#include <optional>
#include <string>
#include <string_view>

#include "odmd/base/status.h"

namespace odmd::github {

inline constexpr std::string_view kSignatureHeader = "X-Hub-Signature-256";

// "sha256=<64 lowercase hex>" of `body` (what GitHub sends; the tests' deliveries use it).
std::string WebhookSignature(std::string_view secret, std::string_view body);

// OK when `signature` (the header's value; nullopt when the header is missing) is the
// signature of `body`, compared in constant time. UNAUTHENTICATED otherwise, saying whether
// the header is missing, malformed or does not match; FAILED_PRECONDITION when `secret` is
// empty (no webhook secret configured: every delivery is refused).
Status VerifyWebhookSignature(std::string_view secret, std::string_view body,
                              std::optional<std::string_view> signature);

}  // namespace odmd::github
