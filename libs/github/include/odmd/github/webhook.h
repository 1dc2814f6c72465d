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
// signature of `body`, compared in constant time. The codes are those of
// odmd::reconcile::VerifyGitHubSignature (the push intake's check, libs/reconcile), so the
// two can become one: UNAUTHENTICATED when the header is missing or does not match;
// INVALID_ARGUMENT when it is malformed, or when `secret` is empty (no webhook secret
// configured: every delivery is refused). Messages never contain the secret or a digest.
Status VerifyWebhookSignature(std::string_view secret, std::string_view body,
                              std::optional<std::string_view> signature);

}  // namespace odmd::github
