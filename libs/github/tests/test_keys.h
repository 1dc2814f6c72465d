#pragma once

// RSA key pairs for the tests, generated once per process (2048 bits, as GitHub's).

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include <string>

namespace odmd::github::testing {

struct KeyPair {
  std::string private_pem;  // PKCS#1 "BEGIN RSA PRIVATE KEY", as GitHub hands it out
  std::string public_pem;   // SPKI "BEGIN PUBLIC KEY"
};

inline std::string BioText(BIO* bio) {
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio, &data);
  std::string out(data, static_cast<size_t>(len));
  BIO_free(bio);
  return out;
}

inline KeyPair NewKeyPair() {
  EVP_PKEY* key = EVP_RSA_gen(2048);
  BIO* priv = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey_traditional(priv, key, nullptr, nullptr, 0, nullptr, nullptr);
  BIO* pub = BIO_new(BIO_s_mem());
  PEM_write_bio_PUBKEY(pub, key);
  EVP_PKEY_free(key);
  return {BioText(priv), BioText(pub)};
}

// The app's key and a second one (a "revoked" key: GitHub no longer knows its public half).
inline const KeyPair& AppKey() {
  static const KeyPair k = NewKeyPair();
  return k;
}
inline const KeyPair& OtherKey() {
  static const KeyPair k = NewKeyPair();
  return k;
}

}  // namespace odmd::github::testing
