#include "odmd/github/webhook.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <cctype>

namespace odmd::github {
namespace {

constexpr std::string_view kPrefix = "sha256=";

std::string HmacSha256(std::string_view key, std::string_view data) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac, &len);
  return std::string(reinterpret_cast<const char*>(mac), len);
}

std::string Hex(std::string_view bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (const unsigned char c : bytes) {
    out += kHex[c >> 4];
    out += kHex[c & 15];
  }
  return out;
}

}  // namespace

std::string WebhookSignature(std::string_view secret, std::string_view body) {
  return std::string(kPrefix) + Hex(HmacSha256(secret, body));
}

Status VerifyWebhookSignature(std::string_view secret, std::string_view body,
                              std::optional<std::string_view> signature) {
  if (secret.empty()) {
    return InvalidArgumentError(
        "github webhook: no webhook secret configured (--github-webhook-secret-file)");
  }
  if (!signature) return UnauthenticatedError("github webhook: X-Hub-Signature-256 is missing");
  if (!signature->starts_with(kPrefix) || signature->size() != kPrefix.size() + 64) {
    return InvalidArgumentError("github webhook: X-Hub-Signature-256 is not sha256=<64 hex>");
  }
  const std::string expected = WebhookSignature(secret, body);
  // Lowercase hex either way; CRYPTO_memcmp takes the same time wherever they differ.
  std::string given(*signature);
  for (size_t i = kPrefix.size(); i < given.size(); ++i) {
    const auto c = static_cast<unsigned char>(given[i]);
    if (!std::isxdigit(c)) {
      return InvalidArgumentError("github webhook: X-Hub-Signature-256 is not sha256=<64 hex>");
    }
    given[i] = static_cast<char>(std::tolower(c));
  }
  if (CRYPTO_memcmp(expected.data(), given.data(), expected.size()) != 0) {
    return UnauthenticatedError(
        "github webhook: X-Hub-Signature-256 does not match the body (wrong secret or the "
        "body was changed)");
  }
  return OkStatus();
}

}  // namespace odmd::github
