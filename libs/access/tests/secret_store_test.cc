#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <array>
#include <filesystem>
#include <string>

#include "access_test_util.h"
#include "odmd/access/guarded_config_store.h"
#include "odmd/access/secrets.h"
#include "odmd/testing/status_matchers.h"

namespace odmd::access {
namespace {

using ::odmd::testing::IsOk;
using ::odmd::testing::StatusIs;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

constexpr char kOrigin[] = "svcA/b..main";
constexpr char kFeat1[] = "svcA/b..main-_b..feat1";
constexpr char kFeat2[] = "svcA/b..main-_b..feat2";
constexpr char kPlain[] = "pa55-plaintext-value";

std::array<unsigned char, 32> FixedKey(unsigned char fill) {
  std::array<unsigned char, 32> key;
  key.fill(fill);
  return key;
}

class SecretStoreTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_NE(base_, nullptr); }

  void MustPut(const Principal& who, const std::string& enver, const std::string& name,
               const std::string& value) {
    ODMD_ASSERT_OK(secrets_.Put(who, enver, name, value));
  }

  // Denied with a message naming principal, access and key; nothing written.
  template <typename T>
  void ExpectDenied(const Result<T>& result, const Principal& who, Access access,
                    const std::string& key) {
    store::Revision before = *base_->LatestRevision();
    EXPECT_THAT(result, StatusIs(StatusCode::kPermissionDenied,
                                 HasSubstr("principal " + who.ToString() + " may not " +
                                           std::string(AccessName(access)) + " " + key)));
    EXPECT_EQ(*base_->LatestRevision(), before);
  }

  store::ConfigStorePtr base_ = test::OpenStore();
  AccessPolicy policy_ = AccessPolicy::FromOrg(test::SmallOrg(), test::SmallOrgClones());
  SecretBox box_ = SecretBox::FromKey(FixedKey(7));
  SecretStore secrets_{*base_, box_, policy_};
};

TEST_F(SecretStoreTest, OwnerAndAdminPutOnlyTheOwnerGets) {
  MustPut(Principal::Enver(kFeat1), kFeat1, "db-password", kPlain);
  Result<std::string> got = secrets_.Get(Principal::Enver(kFeat1), kFeat1, "db-password");
  ASSERT_THAT(got, IsOk());
  EXPECT_EQ(*got, kPlain);
  MustPut(Principal::Admin(), kFeat1, "db-password", "rotated");
  EXPECT_EQ(*secrets_.Get(Principal::Enver(kFeat1), kFeat1, "db-password"), "rotated");

  std::string key = "/odmd/secrets/svcA/b..main-_b..feat1/db-password";
  for (const Principal& who : {Principal::Admin(), Principal::Viewer(), Principal::Enver(kFeat2),
                               Principal::Enver(kOrigin), Principal::Enver("svcB/b..main"),
                               Principal::Enver("ghost/b..main")}) {
    ExpectDenied(secrets_.Get(who, kFeat1, "db-password"), who, Access::kRead, key);
  }
}

TEST_F(SecretStoreTest, OnlyOwnerAndAdminWriteListAndDelete) {
  std::string key = "/odmd/secrets/svcA/b..main/token";
  for (const Principal& who : {Principal::Viewer(), Principal::Enver(kFeat1),
                               Principal::Enver("svcA/b..dev"), Principal::Enver("svcB/b..main")}) {
    ExpectDenied(secrets_.Put(who, kOrigin, "token", kPlain), who, Access::kWrite, key);
    ExpectDenied(secrets_.Delete(who, kOrigin, "token"), who, Access::kWrite, key);
    ExpectDenied(secrets_.List(who, kOrigin), who, Access::kRead, "/odmd/secrets/svcA/b..main/");
  }
}

TEST_F(SecretStoreTest, ListShowsNamesAndVersionsOnly) {
  MustPut(Principal::Enver(kOrigin), kOrigin, "b-key", kPlain);
  MustPut(Principal::Enver(kOrigin), kOrigin, "a-key", kPlain);
  MustPut(Principal::Admin(), kOrigin, "a-key", "v2");
  // A clone's secrets are not its origin's, though the origin's id is a prefix of its own.
  MustPut(Principal::Enver(kFeat1), kFeat1, "c-key", kPlain);
  for (const Principal& who : {Principal::Admin(), Principal::Enver(kOrigin)}) {
    Result<std::vector<SecretInfo>> list = secrets_.List(who, kOrigin);
    ASSERT_THAT(list, IsOk());
    EXPECT_THAT(*list, ElementsAre(SecretInfo{"a-key", 2, 3}, SecretInfo{"b-key", 1, 1}));
  }
  Result<std::vector<SecretInfo>> none = secrets_.List(Principal::Enver(kFeat2), kFeat2);
  ASSERT_THAT(none, IsOk());
  EXPECT_THAT(*none, IsEmpty());
}

TEST_F(SecretStoreTest, DeleteLeavesATombstoneAndAbsentSecretsAreNotFound) {
  MustPut(Principal::Enver(kOrigin), kOrigin, "token", kPlain);
  ODMD_EXPECT_OK(secrets_.Delete(Principal::Admin(), kOrigin, "token"));
  EXPECT_THAT(
      secrets_.Get(Principal::Enver(kOrigin), kOrigin, "token"),
      StatusIs(StatusCode::kNotFound, "secret \"token\" of enver \"svcA/b..main\" not found"));
  EXPECT_THAT(secrets_.Delete(Principal::Enver(kOrigin), kOrigin, "token"),
              StatusIs(StatusCode::kNotFound, HasSubstr("\"token\"")));
  EXPECT_THAT(*secrets_.List(Principal::Admin(), kOrigin), IsEmpty());
}

TEST_F(SecretStoreTest, UnknownEnverIsNotFoundAndNothingIsWritten) {
  EXPECT_THAT(secrets_.Put(Principal::Admin(), "ghost/b..main", "x", kPlain),
              StatusIs(StatusCode::kNotFound, HasSubstr("\"ghost/b..main\"")));
  EXPECT_THAT(secrets_.Put(Principal::Enver("svcA/b..main-_b..feat3"), "svcA/b..main-_b..feat3",
                           "x", kPlain),
              StatusIs(StatusCode::kNotFound));
  EXPECT_THAT(secrets_.List(Principal::Admin(), "ghost/b..main"), StatusIs(StatusCode::kNotFound));
  EXPECT_EQ(*base_->LatestRevision(), 0);
}

TEST_F(SecretStoreTest, InvalidNamesAreRejectedNamingThemAndNothingIsWritten) {
  for (const std::string& name :
       {std::string(), std::string("a/b"), std::string(".."), std::string("../x"),
        std::string("has space"), std::string("caf\xc3\xa9"), std::string(129, 'n'),
        std::string("nul\0x", 5)}) {
    if (name == "..") continue;  // dots are legal name characters
    EXPECT_THAT(secrets_.Put(Principal::Admin(), kOrigin, name, kPlain),
                StatusIs(StatusCode::kInvalidArgument, HasSubstr("secret name")))
        << name;
    EXPECT_THAT(secrets_.Get(Principal::Enver(kOrigin), kOrigin, name),
                StatusIs(StatusCode::kInvalidArgument));
    EXPECT_THAT(secrets_.Delete(Principal::Admin(), kOrigin, name),
                StatusIs(StatusCode::kInvalidArgument));
  }
  EXPECT_THAT(secrets_.Put(Principal::Admin(), kOrigin, "has space", kPlain),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("\"has space\"")));
  EXPECT_EQ(*base_->LatestRevision(), 0);
  MustPut(Principal::Admin(), kOrigin, std::string(128, 'n'), kPlain);
  MustPut(Principal::Admin(), kOrigin, "A.z_0-9", kPlain);
}

TEST_F(SecretStoreTest, ValuesRoundTripExactly) {
  for (const std::string& value : {std::string(), std::string("a\0b", 3), std::string(4096, 'x')}) {
    MustPut(Principal::Enver(kOrigin), kOrigin, "v", value);
    EXPECT_EQ(*secrets_.Get(Principal::Enver(kOrigin), kOrigin, "v"), value);
  }
}

TEST_F(SecretStoreTest, PlaintextNeverReachesTheRawStoreOrItsEvents) {
  MustPut(Principal::Enver(kOrigin), kOrigin, "a", kPlain);
  MustPut(Principal::Admin(), kFeat1, "b", kPlain);
  MustPut(Principal::Admin(), kOrigin, "a", std::string(kPlain) + "-v2");
  ODMD_ASSERT_OK(secrets_.Delete(Principal::Admin(), kOrigin, "a"));
  std::string everything = test::ScanEverything(*base_);
  EXPECT_THAT(everything, HasSubstr("/odmd/secrets/svcA/b..main/a"));
  EXPECT_THAT(everything, Not(HasSubstr(kPlain)));
  std::vector<store::ChangeEvent> log = test::WholeLog(*base_);
  ASSERT_EQ(log.size(), 4u);
  for (const store::ChangeEvent& e : log) EXPECT_THAT(e.value, Not(HasSubstr(kPlain)));
}

TEST_F(SecretStoreTest, PlaintextIsNotInTheDatabaseFile) {
  test::TempDir dir;
  {
    store::ConfigStorePtr file = test::OpenStore("sqlite:" + dir.path() + "/state.db");
    ASSERT_NE(file, nullptr);
    SecretStore secrets(*file, box_, policy_);
    for (int i = 0; i < 50; ++i) {
      ODMD_ASSERT_OK(secrets.Put(Principal::Enver(kOrigin), kOrigin, "s" + std::to_string(i),
                                 std::string(kPlain) + std::to_string(i)));
    }
    ASSERT_EQ(*secrets.Get(Principal::Enver(kOrigin), kOrigin, "s7"), std::string(kPlain) + "7");
  }  // closing the store checkpoints the WAL into the database file
  size_t files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir.path())) {
    std::string bytes = ::odmd::testing::ReadFileOrFail(entry.path().string());
    EXPECT_THAT(bytes, Not(HasSubstr(kPlain))) << entry.path();
    if (entry.path().filename() == "state.db") {
      EXPECT_THAT(bytes, HasSubstr("/odmd/secrets/svcA/b..main/s7"));
    }
    ++files;
  }
  EXPECT_GE(files, 1u);
}

TEST_F(SecretStoreTest, TamperedOrForeignCiphertextFailsCleanly) {
  MustPut(Principal::Enver(kFeat1), kFeat1, "k", kPlain);
  std::string key = "/odmd/secrets/svcA/b..main-_b..feat1/k";
  Result<store::Entry> raw = base_->Get(key);
  ASSERT_THAT(raw, IsOk());

  // Another key cannot open it.
  SecretBox other = SecretBox::FromKey(FixedKey(8));
  SecretStore wrong_key(*base_, other, policy_);
  EXPECT_THAT(wrong_key.Get(Principal::Enver(kFeat1), kFeat1, "k"),
              StatusIs(StatusCode::kFailedPrecondition,
                       AllOf(HasSubstr("secret \"k\" of enver \"svcA/b..main-_b..feat1\""),
                             HasSubstr("cannot be decrypted"), Not(HasSubstr(kPlain)))));

  // The same record copied under the sibling clone's key does not open there.
  ODMD_ASSERT_OK(base_->Put("/odmd/secrets/svcA/b..main-_b..feat2/k", raw->value, std::nullopt));
  EXPECT_THAT(secrets_.Get(Principal::Enver(kFeat2), kFeat2, "k"),
              StatusIs(StatusCode::kFailedPrecondition,
                       AllOf(HasSubstr("sealed for another key"), Not(HasSubstr(kPlain)))));

  // A flipped bit.
  std::string tampered = raw->value;
  tampered[tampered.size() / 2] = static_cast<char>(tampered[tampered.size() / 2] ^ 0x10);
  ODMD_ASSERT_OK(base_->Put(key, tampered, std::nullopt));
  EXPECT_THAT(secrets_.Get(Principal::Enver(kFeat1), kFeat1, "k"),
              StatusIs(StatusCode::kFailedPrecondition,
                       AllOf(HasSubstr("cannot be decrypted"), Not(HasSubstr(kPlain)))));
}

TEST_F(SecretStoreTest, GuardedViewsShowSecretKeysButNoValue) {
  MustPut(Principal::Enver(kOrigin), kOrigin, "k", kPlain);
  GuardedConfigStore admin(*base_, policy_, Principal::Admin());
  Result<store::Entry> got = admin.Get("/odmd/secrets/svcA/b..main/k");
  ASSERT_THAT(got, IsOk());
  EXPECT_EQ(got->value, "");
  GuardedConfigStore owner(*base_, policy_, Principal::Enver(kOrigin));
  EXPECT_THAT(owner.Get("/odmd/secrets/svcA/b..main/k"), StatusIs(StatusCode::kPermissionDenied));
}

}  // namespace
}  // namespace odmd::access
