#include "odmd/github/app_jwt.h"

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <nlohmann/json.hpp>

#include "odmd/base/base64.h"

namespace odmd::github {

struct AppJwtSigner::Key {
  struct Deleter {
    void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
  };
  std::unique_ptr<EVP_PKEY, Deleter> pkey;
};

namespace {

struct BioDeleter {
  void operator()(BIO* b) const { BIO_free(b); }
};
struct MdCtxDeleter {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};

long long Seconds(std::chrono::system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

}  // namespace

AppJwtSigner::AppJwtSigner(std::string app_id, std::unique_ptr<Key> key)
    : app_id_(std::move(app_id)), key_(std::move(key)) {}

AppJwtSigner::~AppJwtSigner() = default;

Result<std::unique_ptr<AppJwtSigner>> AppJwtSigner::Create(std::string app_id,
                                                           std::string_view private_key_pem) {
  if (app_id.empty()) return InvalidArgumentError("github app: the app id is empty");
  std::unique_ptr<BIO, BioDeleter> bio(
      BIO_new_mem_buf(private_key_pem.data(), static_cast<int>(private_key_pem.size())));
  auto key = std::make_unique<Key>();
  // A null passphrase callback: an encrypted key fails instead of prompting on a terminal.
  key->pkey.reset(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, const_cast<char*>("")));
  if (!key->pkey) {
    return InvalidArgumentError("github app " + app_id +
                                ": the private key is not a PEM private key without a passphrase");
  }
  if (EVP_PKEY_get_base_id(key->pkey.get()) != EVP_PKEY_RSA) {
    return InvalidArgumentError("github app " + app_id +
                                ": the private key is not an RSA key (GitHub Apps sign RS256)");
  }
  return std::unique_ptr<AppJwtSigner>(new AppJwtSigner(std::move(app_id), std::move(key)));
}

Result<std::string> AppJwtSigner::Sign(std::chrono::system_clock::time_point now) const {
  const nlohmann::json header = {{"alg", "RS256"}, {"typ", "JWT"}};
  const nlohmann::json payload = {
      {"iat", Seconds(now - kJwtBackdate)}, {"exp", Seconds(now + kJwtLifetime)}, {"iss", app_id_}};
  const std::string input = Base64Url(header.dump()) + "." + Base64Url(payload.dump());
  std::unique_ptr<EVP_MD_CTX, MdCtxDeleter> ctx(EVP_MD_CTX_new());
  size_t len = 0;
  if (!ctx ||
      EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key_->pkey.get()) != 1 ||
      EVP_DigestSign(ctx.get(), nullptr, &len, reinterpret_cast<const unsigned char*>(input.data()),
                     input.size()) != 1) {
    return InternalError("github app " + app_id_ + ": cannot sign the JWT");
  }
  std::string signature(len, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(signature.data()), &len,
                     reinterpret_cast<const unsigned char*>(input.data()), input.size()) != 1) {
    return InternalError("github app " + app_id_ + ": cannot sign the JWT");
  }
  signature.resize(len);
  return input + "." + Base64Url(signature);
}

}  // namespace odmd::github
