#include "odmd/github/app_jwt.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <nlohmann/json.hpp>

#include "odmd/base/base64.h"
#include "odmd/base/strings.h"
#include "odmd/testing/fake_clock.h"
#include "test_keys.h"

namespace odmd::github {
namespace {

using ::odmd::github::testing::AppKey;
using ::odmd::github::testing::OtherKey;
using ::testing::HasSubstr;
using ::testing::Not;

std::string FromBase64Url(std::string_view s) {
  std::string b(s);
  for (char& c : b) c = c == '-' ? '+' : c == '_' ? '/' : c;
  while (b.size() % 4 != 0) b += '=';
  return FromBase64(b).value_or("");
}

// True when `jwt`'s signature verifies with `public_pem` (RS256).
bool Verifies(const std::string& jwt, const std::string& public_pem) {
  const size_t dot = jwt.rfind('.');
  const std::string input = jwt.substr(0, dot);
  const std::string sig = FromBase64Url(jwt.substr(dot + 1));
  BIO* bio = BIO_new_mem_buf(public_pem.data(), static_cast<int>(public_pem.size()));
  EVP_PKEY* key = PEM_read_bio_PUBKEY(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  const bool ok =
      EVP_DigestVerifyInit(ctx, nullptr, EVP_sha256(), nullptr, key) == 1 &&
      EVP_DigestVerify(ctx, reinterpret_cast<const unsigned char*>(sig.data()), sig.size(),
                       reinterpret_cast<const unsigned char*>(input.data()), input.size()) == 1;
  EVP_MD_CTX_free(ctx);
  EVP_PKEY_free(key);
  return ok;
}

TEST(AppJwtTest, SignsRs256WithBackdatedIatAndExpWithinTenMinutes) {
  odmd::testing::FakeClock clock;
  auto signer = AppJwtSigner::Create("12345", AppKey().private_pem);
  ASSERT_TRUE(signer.ok()) << signer.status();
  auto jwt = (*signer)->Sign(clock.WallNow());
  ASSERT_TRUE(jwt.ok()) << jwt.status();
  const auto parts = StrSplit(*jwt, '.');
  ASSERT_EQ(parts.size(), 3u);
  const auto header = nlohmann::json::parse(FromBase64Url(parts[0]));
  const auto payload = nlohmann::json::parse(FromBase64Url(parts[1]));
  EXPECT_EQ(header["alg"], "RS256");
  EXPECT_EQ(header["typ"], "JWT");
  const long long now =
      std::chrono::duration_cast<std::chrono::seconds>(clock.WallNow().time_since_epoch()).count();
  EXPECT_EQ(payload["iat"].get<long long>(), now - 60);
  EXPECT_EQ(payload["exp"].get<long long>(), now + 540);
  EXPECT_LE(payload["exp"].get<long long>() - now, 600);
  EXPECT_EQ(payload["iss"], "12345");
  EXPECT_TRUE(Verifies(*jwt, AppKey().public_pem));
  EXPECT_FALSE(Verifies(*jwt, OtherKey().public_pem));
}

TEST(AppJwtTest, ANewTokenFollowsTheClock) {
  odmd::testing::FakeClock clock;
  auto signer = AppJwtSigner::Create("7", AppKey().private_pem);
  ASSERT_TRUE(signer.ok());
  const auto first = (*signer)->Sign(clock.WallNow());
  clock.Advance(std::chrono::minutes(20));
  const auto second = (*signer)->Sign(clock.WallNow());
  ASSERT_TRUE(first.ok() && second.ok());
  const auto p1 = nlohmann::json::parse(FromBase64Url(StrSplit(*first, '.')[1]));
  const auto p2 = nlohmann::json::parse(FromBase64Url(StrSplit(*second, '.')[1]));
  EXPECT_EQ(p2["iat"].get<long long>() - p1["iat"].get<long long>(), 20 * 60);
}

TEST(AppJwtTest, NotAKeyIsNamedWithoutPrintingTheText) {
  const std::string garbage = "-----BEGIN RSA PRIVATE KEY-----\nc2VjcmV0LXRleHQ=\n-----END";
  auto signer = AppJwtSigner::Create("7", garbage);
  ASSERT_FALSE(signer.ok());
  EXPECT_EQ(signer.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(signer.status().message(), HasSubstr("not a PEM private key"));
  EXPECT_THAT(signer.status().message(), Not(HasSubstr("c2VjcmV0")));
}

TEST(AppJwtTest, AnEcKeyIsRefused) {
  char curve[] = "P-256";  // EVP_EC_gen casts away const: clang's -Wcast-qual refuses it
  EVP_PKEY* ec = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", curve);
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(bio, ec, nullptr, nullptr, 0, nullptr, nullptr);
  EVP_PKEY_free(ec);
  auto signer = AppJwtSigner::Create("7", testing::BioText(bio));
  ASSERT_FALSE(signer.ok());
  EXPECT_THAT(signer.status().message(), HasSubstr("not an RSA key"));
}

TEST(AppJwtTest, AnEncryptedKeyFailsWithoutPrompting) {
  BIO* in =
      BIO_new_mem_buf(AppKey().private_pem.data(), static_cast<int>(AppKey().private_pem.size()));
  EVP_PKEY* key = PEM_read_bio_PrivateKey(in, nullptr, nullptr, nullptr);
  BIO_free(in);
  ASSERT_NE(key, nullptr);
  BIO* out = BIO_new(BIO_s_mem());
  static unsigned char pass[] = "passphrase";
  PEM_write_bio_PrivateKey(out, key, EVP_aes_256_cbc(), pass, sizeof pass - 1, nullptr, nullptr);
  EVP_PKEY_free(key);
  const std::string encrypted = testing::BioText(out);
  ASSERT_THAT(encrypted, HasSubstr("ENCRYPTED"));
  auto signer = AppJwtSigner::Create("7", encrypted);
  ASSERT_FALSE(signer.ok());
  EXPECT_THAT(signer.status().message(), HasSubstr("not a PEM private key"));
}

TEST(AppJwtTest, AnEmptyAppIdIsRefused) {
  auto signer = AppJwtSigner::Create("", AppKey().private_pem);
  ASSERT_FALSE(signer.ok());
  EXPECT_THAT(signer.status().message(), HasSubstr("app id is empty"));
}

}  // namespace
}  // namespace odmd::github
