// odmd contracts publish|show: the manifest in the store.
#include "odmd/model/manifest.h"
#include "store_cli_fixture.h"

namespace odmd::cli {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;

class ContractsCliTest : public StoreCliFixture {
 protected:
  // The sample org with one harmless change (a build script), at `version`.
  std::string ChangedSample(const std::string& version) {
    Result<model::Org> org =
        model::ReadManifest(testing::ReadFileOrFail(SampleManifest()), nullptr);
    EXPECT_TRUE(org.ok()) << org.status();
    if (!org.ok()) return "";
    org->version = version;
    org->builds[0].envers[0].build_script = ".scripts/other.sh";
    return Write("changed-" + version + ".json", model::WriteManifest(*org));
  }

  std::string Digest(const std::string& path) {
    Result<model::Org> org = model::ReadManifest(testing::ReadFileOrFail(path), nullptr);
    EXPECT_TRUE(org.ok()) << org.status();
    return org.ok() ? model::ManifestDigest(*org) : "";
  }
};

TEST_F(ContractsCliTest, PublishThenShow) {
  const std::string digest = Digest(SampleManifest());
  ASSERT_EQ(Run({"contracts", "publish", SampleManifest()}), 0) << err_;
  EXPECT_EQ(out_, "published sandbox 1.0.0 (" + digest + ") at revision 2\n");
  ASSERT_EQ(Run({"contracts", "show"}), 0) << err_;
  // The golden manifest is canonical, so the stored text is the file's.
  EXPECT_EQ(out_, testing::ReadFileOrFail(SampleManifest()));
  ASSERT_EQ(Run({"contracts", "show", "--version", "1.0.0"}), 0) << err_;
  EXPECT_EQ(out_, testing::ReadFileOrFail(SampleManifest()));
  ASSERT_EQ(Run({"contracts", "show", "--json"}), 0) << err_;
  nlohmann::json j = Json();
  EXPECT_EQ(j["key"], "/odmd/contracts/manifest");
  EXPECT_EQ(j["revision"], 2);
  EXPECT_EQ(j["version"], "1.0.0");
  EXPECT_EQ(j["digest"], digest);
  EXPECT_EQ(j["manifest"]["org"], "sandbox");
}

TEST_F(ContractsCliTest, PublishingTheSameManifestAgainChangesNothing) {
  ASSERT_EQ(Run({"contracts", "publish", SampleManifest()}), 0) << err_;
  ASSERT_EQ(Run({"contracts", "publish", SampleManifest()}), 0) << err_;
  EXPECT_THAT(out_, HasSubstr("nothing written"));
  ASSERT_EQ(Run({"contracts", "publish", SampleManifest(), "--json"}), 0) << err_;
  EXPECT_EQ(Json()["changed"], false);
  EXPECT_EQ(Json()["revision"], 2);
  EXPECT_EQ(Latest(), 2);
}

TEST_F(ContractsCliTest, OtherContentUnderAPublishedVersionIsRefused) {
  ASSERT_EQ(Run({"contracts", "publish", SampleManifest()}), 0) << err_;
  const std::string changed = ChangedSample("1.0.0");
  EXPECT_EQ(Run({"contracts", "publish", changed}), 1);
  EXPECT_THAT(err_, AllOf(HasSubstr("\"1.0.0\""), HasSubstr(Digest(SampleManifest())),
                          HasSubstr(Digest(changed)), HasSubstr("new version")));
  EXPECT_EQ(Run({"contracts", "publish", changed, "--json"}), 1);
  EXPECT_EQ(JsonErrorCode(), "FAILED_PRECONDITION");
  EXPECT_EQ(Latest(), 2);
}

TEST_F(ContractsCliTest, ANewVersionIsPublishedAndOldVersionsStayImmutable) {
  ASSERT_EQ(Run({"contracts", "publish", SampleManifest()}), 0) << err_;
  const std::string v110 = ChangedSample("1.1.0");
  ASSERT_EQ(Run({"contracts", "publish", v110, "--json"}), 0) << err_;
  EXPECT_EQ(Json()["changed"], true);
  EXPECT_EQ(Json()["version"], "1.1.0");
  ASSERT_EQ(Run({"contracts", "show", "--json"}), 0);
  EXPECT_EQ(Json()["version"], "1.1.0");
  ASSERT_EQ(Run({"contracts", "show", "--version", "1.0.0", "--json"}), 0);
  EXPECT_EQ(Json()["digest"], Digest(SampleManifest()));
  // Going back to 1.0.0 is allowed, with 1.0.0's own content only.
  const std::string changed_100 = ChangedSample("1.0.0");
  const store::Revision before = Latest();
  EXPECT_EQ(Run({"contracts", "publish", changed_100}), 1);
  EXPECT_THAT(err_, HasSubstr("/odmd/contracts/versions/1.0.0"));
  EXPECT_EQ(Latest(), before);
  ASSERT_EQ(Run({"contracts", "publish", SampleManifest()}), 0) << err_;
  EXPECT_EQ(Latest(), before + 1);  // only the current manifest
  ASSERT_EQ(Run({"contracts", "show", "--json"}), 0);
  EXPECT_EQ(Json()["version"], "1.0.0");
}

TEST_F(ContractsCliTest, AnInvalidManifestIsNotPublished) {
  const std::string bad = Write("bad.json", "{\"schema\": \"odmd.manifest/v1\", \"oops\": 1}");
  EXPECT_EQ(Run({"contracts", "publish", bad}), 1);
  EXPECT_THAT(err_, HasSubstr("M2"));
  EXPECT_EQ(Run({"contracts", "publish", bad, "--json"}), 1);
  EXPECT_EQ(JsonErrorCode(), "INVALID_ARGUMENT");
  EXPECT_FALSE(Json()["violations"].empty());
  EXPECT_EQ(Run({"contracts", "publish", (dir_ / "absent.json").string()}), 1);
  EXPECT_THAT(err_, HasSubstr("absent.json"));
  EXPECT_EQ(Latest(), 0);
}

TEST_F(ContractsCliTest, OnlyAdminPublishes) {
  const std::string viewer = Issue("viewer");
  const store::Revision before = Latest();
  EXPECT_EQ(Run({"contracts", "publish", SampleManifest(), "--token", viewer}), 1);
  EXPECT_THAT(err_, AllOf(HasSubstr("contracts publish"), HasSubstr("not viewer")));
  EXPECT_EQ(Latest(), before);
}

TEST_F(ContractsCliTest, ShowNeedsAPublishedManifestAndReadAccess) {
  EXPECT_EQ(Run({"contracts", "show"}), 1);
  EXPECT_THAT(err_, HasSubstr("no manifest is published"));
  ASSERT_EQ(Run({"contracts", "publish", SampleManifest()}), 0) << err_;
  EXPECT_EQ(Run({"contracts", "show", "--version", "9.9.9", "--json"}), 1);
  EXPECT_EQ(JsonErrorCode(), "NOT_FOUND");
  EXPECT_THAT(Json()["error"]["message"].get<std::string>(), HasSubstr("\"9.9.9\""));
  const std::string viewer = Issue("viewer");
  EXPECT_EQ(Run({"contracts", "show", "--token", viewer}), 0) << err_;
  const std::string enver = Issue("enver:coffeeShopOrderManager/b..main");
  EXPECT_EQ(Run({"contracts", "show", "--token", enver, "--json"}), 1);
  EXPECT_EQ(JsonErrorCode(), "PERMISSION_DENIED");
}

// A malformed manifest record must not lock the operator out: admin goes on (with a
// warning) and publishing repairs it; a token's principal needs the rules, so it fails.
TEST_F(ContractsCliTest, PublishRepairsAMalformedStoredManifest) {
  const std::string viewer = Issue("viewer");
  ASSERT_EQ(Run({"store", "put", "/odmd/contracts/manifest", "garbage"}), 0) << err_;
  ASSERT_EQ(Run({"store", "ls", "/odmd/contracts/"}), 0) << err_;
  EXPECT_THAT(err_, AllOf(HasSubstr("warning"), HasSubstr("/odmd/contracts/manifest")));
  EXPECT_EQ(Run({"store", "ls", "--token", viewer, "--json"}), 1);
  EXPECT_EQ(JsonErrorCode(), "FAILED_PRECONDITION");
  ASSERT_EQ(Run({"contracts", "publish", SampleManifest()}), 0) << err_;
  EXPECT_THAT(out_, HasSubstr("published sandbox 1.0.0"));
  ASSERT_EQ(Run({"store", "ls", "--token", viewer}), 0) << err_;
  EXPECT_EQ(err_, "");
}

}  // namespace
}  // namespace odmd::cli
