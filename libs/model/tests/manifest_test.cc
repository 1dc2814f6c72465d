// Writing manifests, digests, round trips and IsSemVer. Reading errors (M1-M6) are in
// manifest_read_test.cc.

#include "odmd/model/manifest.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "odmd/base/sha256.h"
#include "odmd/testing/status_matchers.h"
#include "validate_test_util.h"

namespace odmd::model {
namespace {

using fixtures::MakeBuild;
using fixtures::MakeConsumer;
using fixtures::MakeEnver;
using fixtures::ValidOrg;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::MatchesRegex;
using ::testing::Not;

// A small org that uses every field, including non-default flags.
Org TinyOrg() {
  Org org;
  org.name = "tiny";
  org.version = "2.1.0-rc.1+build.5";
  org.central_account = "hub";
  org.accounts = {{"hub", "111111111111"}};
  Build b = MakeBuild("svc", BuildKind::kCmd);
  Enver e = MakeEnver(RevRef::Tag("v1"), "hub", "eu-west-1");
  e.build_script = "ci/deploy.sh";
  e.work_dir = "app";
  e.ephemeral = false;
  e.clone_limit = 3;
  e.overwrite_workflow = false;
  e.products = {{"url"}};
  e.consumers = {MakeConsumer("db", "data/t..v2", "endpoint")};
  e.consumers[0].placeholder = "none";
  e.consumers[0].reaction = Reaction::kNotify;
  b.envers = {e};
  org.builds = {b};
  return org;
}

Org RoundTrip(const Org& org) {
  std::vector<Violation> violations;
  Result<Org> read =
      ReadManifest(WriteManifest(org), &violations, ManifestReadOptions{.validate_rules = false});
  EXPECT_TRUE(read.ok()) << read.status();
  EXPECT_THAT(violations, IsEmpty());
  return read.ok() ? *read : Org{};
}

TEST(ManifestWriteTest, WritesTheDocumentedLayout) {
  std::string text = WriteManifest(TinyOrg());
  std::string digest = ManifestDigest(TinyOrg());
  EXPECT_EQ(text, R"({
  "schema": "odmd.manifest/v1",
  "org": "tiny",
  "version": "2.1.0-rc.1+build.5",
  "digest": ")" + digest +
                      R"(",
  "centralAccount": "hub",
  "accounts": [
    {
      "name": "hub",
      "id": "111111111111"
    }
  ],
  "builds": [
    {
      "id": "svc",
      "kind": "cmd",
      "repo": {
        "owner": "acme",
        "name": "svc-repo",
        "installationId": 42
      },
      "envers": [
        {
          "rev": "t..v1",
          "account": "hub",
          "region": "eu-west-1",
          "buildScript": "ci/deploy.sh",
          "workDir": "app",
          "ephemeral": false,
          "cloneLimit": 3,
          "overwriteWorkflow": false,
          "products": [
            {
              "name": "url"
            }
          ],
          "consumers": [
            {
              "name": "db",
              "producer": "data/t..v2",
              "product": "endpoint",
              "placeholder": "none",
              "reaction": "notify"
            }
          ]
        }
      ]
    }
  ]
}
)");
}

TEST(ManifestWriteTest, OmitsAbsentPlaceholderAndWritesEmptyArrays) {
  Org org = TinyOrg();
  org.builds[0].envers[0].consumers[0].placeholder.reset();
  org.builds[0].envers[0].products.clear();
  std::string text = WriteManifest(org);
  EXPECT_THAT(text, Not(HasSubstr("placeholder")));
  EXPECT_THAT(text, HasSubstr("\"products\": [],\n"));
}

TEST(ManifestWriteTest, LayoutIsWhatAJsonToolWouldWrite) {
  // Reformatting with nlohmann (insertion order, indent 2) changes nothing, escapes
  // included.
  Org org = ValidOrg();
  org.name = "tab\there \"quoted\" back\\slash \x01 caf\xc3\xa9 \xe2\x82\xac";
  org.builds[2].envers[0].consumers[0].placeholder = "line\nbreak";
  std::string text = WriteManifest(org);
  EXPECT_EQ(nlohmann::ordered_json::parse(text).dump(2) + "\n", text);
  EXPECT_THAT(text, HasSubstr(R"("org": "tab\there \"quoted\" back\\slash \u0001 café €",)"));
}

TEST(ManifestWriteTest, BytesThatAreNotUtf8AreReplacedSoTheTextStaysJson) {
  Org org = ValidOrg();
  org.name = "bad\xff\xc3(end";
  std::string text = WriteManifest(org);
  EXPECT_THAT(text, HasSubstr("\"org\": \"bad\xef\xbf\xbd\xef\xbf\xbd(end\""));
  EXPECT_TRUE(nlohmann::json::accept(text));
}

TEST(ManifestWriteTest, DeclarationOrderDoesNotMatter) {
  Org org = ValidOrg();
  Org shuffled = org;
  std::reverse(shuffled.accounts.begin(), shuffled.accounts.end());
  std::reverse(shuffled.builds.begin(), shuffled.builds.end());
  for (Build& b : shuffled.builds) {
    std::reverse(b.envers.begin(), b.envers.end());
    for (Enver& e : b.envers) std::reverse(e.products.begin(), e.products.end());
  }
  shuffled.builds[0].envers[0].consumers.push_back(MakeConsumer("a", "foundation/b..main", "vpc"));
  org.builds[2].envers[0].consumers.insert(org.builds[2].envers[0].consumers.begin(),
                                           MakeConsumer("a", "foundation/b..main", "vpc"));
  ASSERT_NE(org, shuffled);

  EXPECT_EQ(WriteManifest(shuffled), WriteManifest(org));
  EXPECT_EQ(ManifestDigest(shuffled), ManifestDigest(org));
}

TEST(ManifestWriteTest, RoundTripIsExact) {
  Org empty;
  empty.version = "0.0.1";
  for (const Org& org : {ValidOrg(), TinyOrg(), empty}) {
    std::string text = WriteManifest(org);
    EXPECT_EQ(WriteManifest(RoundTrip(org)), text);
  }
}

TEST(ManifestWriteTest, RoundTripKeepsEveryField) {
  Org org = TinyOrg();
  Canonicalize(org);
  EXPECT_EQ(RoundTrip(org), org);

  Org clones = ValidOrg();
  clones.builds[2].envers.push_back(
      MakeEnver(RevRef::CloneOf(RevRef::Branch("main"), RevType::kTag, "v9"), "workspace1"));
  clones.builds[2].repo.installation_id = -7;   // any int64 reads back
  clones.builds[2].envers[0].clone_limit = -1;  // R9, still a well-formed document
  Canonicalize(clones);
  EXPECT_EQ(RoundTrip(clones), clones);
}

TEST(ManifestDigestTest, IsSha256OfTheTextWithoutTheDigestLine) {
  Org org = ValidOrg();
  std::string text = WriteManifest(org);
  std::string digest = ManifestDigest(org);
  ASSERT_THAT(digest, MatchesRegex("sha256:[0-9a-f]{64}"));

  std::string line = "  \"digest\": \"" + digest + "\",\n";
  size_t at = text.find(line);
  ASSERT_NE(at, std::string::npos);
  std::string without = text;
  without.erase(at, line.size());
  EXPECT_EQ(digest, "sha256:" + Sha256Hex(without));
}

TEST(ManifestDigestTest, ChangesWithAnyContent) {
  std::string base = ManifestDigest(ValidOrg());
  std::vector<void (*)(Org&)> edits = {
      [](Org& o) { o.version = "1.0.1"; },
      [](Org& o) { o.name = "other"; },
      [](Org& o) { o.accounts[1].id = "333333333334"; },
      [](Org& o) { o.builds[2].repo.installation_id = 43; },
      [](Org& o) { o.builds[2].envers[0].ephemeral = false; },
      [](Org& o) { o.builds[2].envers[0].clone_limit = 19; },
      [](Org& o) { o.builds[2].envers[0].consumers[0].placeholder = ""; },
      [](Org& o) { o.builds[2].envers[0].consumers[0].reaction = Reaction::kIgnore; },
      [](Org& o) { o.builds[1].envers[0].products[1].name = "vpc2"; },
  };
  for (size_t i = 0; i < edits.size(); ++i) {
    Org org = ValidOrg();
    edits[i](org);
    EXPECT_NE(ManifestDigest(org), base) << "edit " << i;
  }
}

TEST(ManifestReadTest, DigestIsOptional) {
  std::string text = WriteManifest(TinyOrg());
  size_t at = text.find("  \"digest\"");
  text.erase(at, text.find('\n', at) + 1 - at);
  ODMD_EXPECT_OK(ReadManifest(text, nullptr, {.validate_rules = false}));
}

TEST(ManifestReadTest, MatchingDigestIsAcceptedWhateverTheDocumentOrder) {
  // The digest is over the canonical text, so a reordered document with the same content
  // keeps its digest.
  nlohmann::ordered_json doc = nlohmann::ordered_json::parse(WriteManifest(ValidOrg()));
  std::reverse(doc["builds"].begin(), doc["builds"].end());
  ODMD_EXPECT_OK(ReadManifest(doc.dump(), nullptr));
}

TEST(ManifestReadTest, ReadsInDocumentOrder) {
  nlohmann::ordered_json doc = nlohmann::ordered_json::parse(WriteManifest(ValidOrg()));
  std::reverse(doc["builds"].begin(), doc["builds"].end());
  Result<Org> org = ReadManifest(doc.dump(), nullptr);
  ASSERT_TRUE(org.ok()) << org.status();
  EXPECT_EQ(org->builds[0].id, "orderSvc");
  EXPECT_EQ(org->builds[2].id, "contracts");
}

TEST(ManifestReadTest, MissingOptionalFieldsTakeTheirDefaults) {
  std::string text = R"({
    "schema": "odmd.manifest/v1", "org": "o", "version": "1.0.0",
    "accounts": [{"name": "central", "id": "111111111111"}],
    "builds": [
      {"id": "contracts", "kind": "contracts", "repo": {"owner": "o", "name": "c"},
       "envers": [{"rev": "b..main", "account": "central", "region": "r"}]},
      {"id": "svc", "kind": "cdk", "repo": {"owner": "o", "name": "s"},
       "envers": [{"rev": "b..main", "account": "central", "region": "r",
                   "consumers": [{"name": "c", "producer": "contracts/b..main",
                                  "product": "p"}]}]}]})";
  Result<Org> org = ReadManifest(text, nullptr, {.validate_rules = false});
  ASSERT_TRUE(org.ok()) << org.status();
  EXPECT_EQ(org->central_account, "central");
  EXPECT_EQ(org->builds[0].repo.installation_id, 0);
  const Enver& contracts = org->builds[0].envers[0];
  EXPECT_FALSE(contracts.ephemeral);  // DefaultEphemeral(kContracts)
  const Enver& svc = org->builds[1].envers[0];
  EXPECT_TRUE(svc.ephemeral);  // DefaultEphemeral(kCdk)
  EXPECT_EQ(svc.build_script, ".scripts/build.sh");
  EXPECT_EQ(svc.work_dir, "");
  EXPECT_EQ(svc.clone_limit, 20);
  EXPECT_FALSE(svc.overwrite_workflow);  // the original's overwriteGhWf default
  EXPECT_THAT(svc.products, IsEmpty());
  ASSERT_EQ(svc.consumers.size(), 1u);
  EXPECT_FALSE(svc.consumers[0].placeholder.has_value());
  EXPECT_EQ(svc.consumers[0].reaction, Reaction::kRedeploy);
}

struct SemVerCase {
  std::string version;
  bool valid;
};

class SemVerTest : public ::testing::TestWithParam<SemVerCase> {};

TEST_P(SemVerTest, FollowsSemverOrg) {
  EXPECT_EQ(IsSemVer(GetParam().version), GetParam().valid) << GetParam().version;
}

INSTANTIATE_TEST_SUITE_P(
    IsSemVer, SemVerTest,
    ::testing::Values(
        SemVerCase{"0.0.0", true}, SemVerCase{"1.2.3", true}, SemVerCase{"10.20.30", true},
        SemVerCase{"1.0.0-alpha", true}, SemVerCase{"1.0.0-alpha.1", true},
        SemVerCase{"1.0.0-0.3.7", true}, SemVerCase{"1.0.0-x.7.z.92", true},
        SemVerCase{"1.0.0-x-y--z", true}, SemVerCase{"1.0.0+20130313144700", true},
        SemVerCase{"1.0.0-beta+exp.sha.5114f85", true}, SemVerCase{"1.0.0+build.007", true},
        SemVerCase{"1.0.0-0a", true}, SemVerCase{"", false}, SemVerCase{"1", false},
        SemVerCase{"1.2", false}, SemVerCase{"1.2.3.4", false}, SemVerCase{"v1.2.3", false},
        SemVerCase{"01.2.3", false}, SemVerCase{"1.02.3", false}, SemVerCase{"1.2.03", false},
        SemVerCase{"1.2.3-", false}, SemVerCase{"1.2.3+", false},
        SemVerCase{"1.2.3-alpha..1", false}, SemVerCase{"1.2.3-01", false},
        SemVerCase{"1.2.3-a_b", false}, SemVerCase{"1.2.3+a+b", false}, SemVerCase{"1.2.x", false},
        SemVerCase{" 1.2.3", false}, SemVerCase{"1.2.3 ", false}, SemVerCase{"-1.2.3", false},
        SemVerCase{"1..3", false}));

}  // namespace
}  // namespace odmd::model
