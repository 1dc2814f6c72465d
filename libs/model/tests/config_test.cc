// Per-enver configuration (config.h): manifest round trip and canonical layout, the digest,
// rule R14 on every bad shape, the ODMD_config merge, clones and the contracts diff.

#include "odmd/model/config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "odmd/model/clone.h"
#include "odmd/model/diff.h"
#include "odmd/model/manifest.h"
#include "odmd/model/validate.h"
#include "odmd/testing/status_matchers.h"
#include "validate_test_util.h"

namespace odmd::model {
namespace {

using fixtures::OfRule;
using fixtures::ValidOrg;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

// ValidOrg with a config on the orderSvc build and on its b..main enver.
Org ConfiguredOrg() {
  Org org = ValidOrg();
  org.builds[2].config = R"({"cluster":"blue","domains":["a.example.com"]})";
  org.builds[2].envers[0].config = R"({"cidr":"10.1.0.0/16","cluster":"green"})";
  return org;
}

Result<Org> Read(const std::string& text, std::vector<Violation>* violations) {
  return ReadManifest(text, violations);
}

// The manifest of ValidOrg with `config` as the orderSvc b..main enver's config member:
// spliced into the text, so that any JSON (not only what an Org can hold) is tried.
std::string ManifestWithEnverConfig(const std::string& config) {
  nlohmann::ordered_json doc = nlohmann::ordered_json::parse(WriteManifest(ValidOrg()));
  doc.erase("digest");
  doc["builds"][2]["envers"][0]["config"] = nlohmann::ordered_json::parse(config);
  return doc.dump(2);
}

TEST(ConfigManifestTest, RoundTripKeepsBuildAndEnverConfig) {
  Org org = ConfiguredOrg();
  std::vector<Violation> violations;
  Result<Org> read = Read(WriteManifest(org), &violations);
  ODMD_ASSERT_OK(read);
  EXPECT_THAT(violations, IsEmpty());
  Canonicalize(org);
  EXPECT_EQ(*read, org);
  EXPECT_EQ(read->FindBuild("orderSvc")->config,
            R"({"cluster":"blue","domains":["a.example.com"]})");
  EXPECT_EQ(WriteManifest(*read), WriteManifest(org));
}

TEST(ConfigManifestTest, WritesTheCanonicalLayoutThatAJsonToolWouldWrite) {
  Org org = ConfiguredOrg();
  org.builds[2].envers[0].config = R"({ "z": {"b": [1, 2.5, null], "a": true}, "cidr": "x" })";
  org.builds[2].envers[0].overwrite_workflow = true;  // whatever the default is
  std::string text = WriteManifest(org);
  EXPECT_EQ(nlohmann::ordered_json::parse(text).dump(2) + "\n", text);
  EXPECT_THAT(text, HasSubstr(R"(        "installationId": 42
      },
      "config": {
        "cluster": "blue",
        "domains": [
          "a.example.com"
        ]
      },
      "envers": [)"));
  EXPECT_THAT(text, HasSubstr(R"(          "overwriteWorkflow": true,
          "config": {
            "cidr": "x",
            "z": {
              "a": true,
              "b": [
                1,
                2.5,
                null
              ]
            }
          },
          "products": [)"));
}

TEST(ConfigManifestTest, NoConfigAndAnEmptyObjectAreOmitted) {
  EXPECT_THAT(WriteManifest(ValidOrg()), ::testing::Not(HasSubstr("config\"")));
  std::vector<Violation> violations;
  Result<Org> read = Read(ManifestWithEnverConfig("{}"), &violations);
  ODMD_ASSERT_OK(read);
  EXPECT_EQ(read->builds[2].envers[0].config, "");
  Org org = ValidOrg();
  org.builds[2].envers[0].config = "{ }";
  EXPECT_EQ(WriteManifest(org), WriteManifest(ValidOrg()));
}

TEST(ConfigManifestTest, TheDigestCoversTheConfig) {
  Org org = ConfiguredOrg();
  std::string digest = ManifestDigest(org);
  Org changed = org;
  changed.builds[2].envers[0].config = R"({"cidr":"10.2.0.0/16","cluster":"green"})";
  EXPECT_NE(ManifestDigest(changed), digest);
  Org build_changed = org;
  build_changed.builds[2].config = R"({"cluster":"red"})";
  EXPECT_NE(ManifestDigest(build_changed), digest);
  // Key order and spacing are not content.
  Org reordered = org;
  reordered.builds[2].envers[0].config = R"({ "cluster": "green", "cidr": "10.1.0.0/16" })";
  EXPECT_EQ(ManifestDigest(reordered), digest);

  // A hand edit of the config under the old digest is M5.
  std::string text = WriteManifest(org);
  size_t at = text.find("10.1.0.0/16");
  ASSERT_NE(at, std::string::npos);
  text.replace(at, 4, "10.9");
  std::vector<Violation> violations;
  EXPECT_FALSE(Read(text, &violations).ok());
  EXPECT_THAT(violations, ElementsAre(::testing::Field(&Violation::rule, "M5")));
}

// Every bad shape is an error at its JSON Pointer, and the manifest is not read.
struct BadShape {
  const char* config;
  const char* rule;
  const char* path;
  const char* message;
};

class ConfigShapeTest : public ::testing::TestWithParam<BadShape> {};

TEST_P(ConfigShapeTest, IsAnErrorNamingThePath) {
  const BadShape& bad = GetParam();
  std::vector<Violation> violations;
  Result<Org> read = Read(ManifestWithEnverConfig(bad.config), &violations);
  ASSERT_FALSE(read.ok());
  ASSERT_THAT(violations, SizeIs(1)) << read.status();
  EXPECT_EQ(violations[0].rule, bad.rule);
  EXPECT_EQ(violations[0].path, bad.path);
  EXPECT_THAT(violations[0].message, HasSubstr(bad.message));
  EXPECT_THAT(violations[0].ToString(), HasSubstr(bad.path));
  EXPECT_THAT(read.status().message(), HasSubstr(bad.path));
}

std::string Deep(int levels) {
  std::string open, close;
  for (int i = 0; i < levels - 1; ++i) {
    open += R"({"k":)";
    close += "}";
  }
  return open + "{}" + close;
}

std::string Big() { return R"({"blob":")" + std::string(kMaxConfigBytes, 'x') + R"("})"; }

const std::string kDeep9 = Deep(9);
const std::string kDeep8 = Deep(8);
const std::string kBig = Big();

INSTANTIATE_TEST_SUITE_P(
    Shapes, ConfigShapeTest,
    ::testing::Values(
        BadShape{R"(["a"])", "M3", "/builds/2/envers/0/config", "must be an object, got array"},
        BadShape{R"("text")", "M3", "/builds/2/envers/0/config", "must be an object, got string"},
        BadShape{R"({"bad key": 1})", "R14", "/builds/2/envers/0/config/bad key",
                 R"(config key "bad key" must be 1 to 64 characters of [A-Za-z0-9_.-])"},
        BadShape{R"({"ok": {"a/b": 1}})", "R14", "/builds/2/envers/0/config/ok/a~1b",
                 R"(config key "a/b")"},
        BadShape{R"({"ok": [{"": 1}]})", "R14", "/builds/2/envers/0/config/ok/0/",
                 R"(config key "")"},
        BadShape{kDeep9.c_str(), "R14", "/builds/2/envers/0/config/k/k/k/k/k/k/k/k",
                 "config nests deeper than 8 levels here"},
        BadShape{kBig.c_str(), "R14", "/builds/2/envers/0/config",
                 "config is 16395 bytes serialized; the limit is 16384"}));

TEST(ConfigRuleTest, AHostileNestingIsReportedWithoutSerializingIt) {
  // nlohmann's dump() recurses per level: 100000 levels would overflow the stack.
  std::string text = WriteManifest(ValidOrg());
  size_t at = text.find("\"rev\": \"b..main\",", text.find("\"id\": \"orderSvc\""));
  ASSERT_NE(at, std::string::npos);
  text.insert(at, "\"config\": " + Deep(100000) + ",");
  std::vector<Violation> violations;
  EXPECT_FALSE(Read(text, &violations).ok());
  ASSERT_THAT(violations, SizeIs(1));
  EXPECT_EQ(violations[0].rule, "R14");
  EXPECT_EQ(violations[0].path, "/builds/2/envers/0/config/k/k/k/k/k/k/k/k");

  Org org = ValidOrg();  // the same in code: checked, written as a string, never dumped
  org.builds[2].envers[0].config = Deep(100000);
  EXPECT_THAT(OfRule(Validate(org), "R14"), SizeIs(1));
  EXPECT_TRUE(nlohmann::json::accept(WriteManifest(org)));
  EXPECT_EQ(EffectiveConfig(org.builds[2], org.builds[2].envers[0]), "{}");
}

TEST(ConfigRuleTest, TheLimitsThemselvesAreAccepted) {
  for (const std::string& config : std::vector<std::string>{
           kDeep8, R"({"aZ0_.-":1})", R"({")" + std::string(64, 'k') + R"(":1})",
           R"({"b":")" + std::string(kMaxConfigBytes - 8, 'x') + R"("})"}) {
    std::vector<Violation> violations;
    EXPECT_TRUE(Read(ManifestWithEnverConfig(config), &violations).ok()) << config;
    EXPECT_THAT(violations, IsEmpty());
  }
  EXPECT_THAT(CheckConfigShape(R"({")" + std::string(65, 'k') + R"(":1})"), SizeIs(1));
}

TEST(ConfigRuleTest, AnOrgBuiltInCodeIsCheckedToo) {
  Org org = ValidOrg();
  org.builds[1].config = "[1]";
  org.builds[2].envers[0].config = "{not json";
  std::vector<Violation> r14 = OfRule(Validate(org), "R14");
  ASSERT_THAT(r14, SizeIs(2));
  EXPECT_EQ(r14[0].path, "/builds/1/config");
  EXPECT_EQ(r14[0].subject, "build \"foundation\"");
  EXPECT_EQ(r14[0].message, "config must be an object, got array");
  EXPECT_EQ(r14[1].path, "/builds/2/envers/0/config");
  EXPECT_THAT(r14[1].message, HasSubstr("config is not valid JSON"));
  // Written anyway as valid JSON (a string), which reading reports.
  EXPECT_TRUE(nlohmann::json::accept(WriteManifest(org)));
}

TEST(ConfigRuleTest, ManyBadKeysAreCapped) {
  std::string config = "{";
  for (int i = 0; i < 30; ++i)
    config += (i ? "," : "") + std::string("\"k ") + std::to_string(i) + "\":1";
  config += "}";
  std::vector<ConfigProblem> problems = CheckConfigShape(config);
  ASSERT_THAT(problems, SizeIs(21));
  EXPECT_EQ(problems.back().message, "and 10 more problems");
}

TEST(EffectiveConfigTest, TheEnversTopLevelKeysWinOverTheBuilds) {
  Org org = ConfiguredOrg();
  const Build& b = org.builds[2];
  EXPECT_EQ(EffectiveConfig(b, b.envers[0]),
            R"({"cidr":"10.1.0.0/16","cluster":"green","domains":["a.example.com"]})");
  Enver bare = b.envers[0];
  bare.config = "";
  EXPECT_EQ(EffectiveConfig(b, bare), b.config);
  EXPECT_EQ(EffectiveConfig(org.builds[1], org.builds[1].envers[0]), "{}");
  // Not merged deeper than the top level.
  Build nested = b;
  nested.config = R"({"net":{"a":1,"b":2}})";
  bare.config = R"({"net":{"b":3}})";
  EXPECT_EQ(EffectiveConfig(nested, bare), R"({"net":{"b":3}})");
}

TEST(ConfigCloneTest, ACloneInheritsItsOriginsConfig) {
  Org org = ConfiguredOrg();
  Result<DerivedClone> clone =
      DeriveClone(org, CloneRequest{"orderSvc/b..main", "feat1", RevType::kBranch, 0});
  ODMD_ASSERT_OK(clone);
  EXPECT_EQ(clone->enver.config, org.builds[2].envers[0].config);
  EXPECT_EQ(EffectiveConfig(org.builds[2], clone->enver),
            EffectiveConfig(org.builds[2], org.builds[2].envers[0]));
}

TEST(ConfigDiffTest, AConfigChangeIsAChangeOfTheEnverOrBuild) {
  Org before = ConfiguredOrg();
  Org after = before;
  after.builds[2].envers[0].config = R"({"cidr":"10.2.0.0/16","cluster":"green"})";
  ManifestDiff diff = DiffOrgs(before, after);
  ASSERT_THAT(diff.changes, SizeIs(1));
  EXPECT_EQ(diff.changes[0].object, "enver");
  EXPECT_EQ(diff.changes[0].id, "orderSvc/b..main");
  EXPECT_EQ(
      diff.changes[0].detail,
      R"(config {"cidr":"10.1.0.0/16","cluster":"green"} -> {"cidr":"10.2.0.0/16","cluster":"green"})");
  std::vector<ImpactedEnver> impact = DiffImpact(before, after, diff);
  ASSERT_THAT(impact, SizeIs(1));
  EXPECT_EQ(impact[0].enver_id, "orderSvc/b..main");

  // The build's config: the build changed, and so did its enver's ODMD_config.
  Org build_after = before;
  build_after.builds[2].config = R"({"cluster":"blue"})";
  diff = DiffOrgs(before, build_after);
  ASSERT_THAT(diff.changes, SizeIs(2));
  EXPECT_EQ(diff.changes[0].object, "build");
  EXPECT_THAT(diff.changes[0].detail, HasSubstr("config {\"cluster\":\"blue\",\"domains\""));
  EXPECT_EQ(diff.changes[1].object, "enver");
  EXPECT_THAT(diff.changes[1].detail, HasSubstr("ODMD_config "));

  // A build key every enver overrides changes no enver.
  Org overridden = before;
  overridden.builds[2].config = R"({"cluster":"red","domains":["a.example.com"]})";
  diff = DiffOrgs(before, overridden);
  ASSERT_THAT(diff.changes, SizeIs(1));
  EXPECT_EQ(diff.changes[0].object, "build");

  // Long configs are abbreviated in the detail.
  Org big = before;
  big.builds[2].envers[0].config = R"({"k":")" + std::string(200, 'v') + R"("})";
  diff = DiffOrgs(before, big);
  ASSERT_THAT(diff.changes, SizeIs(1));
  EXPECT_LT(diff.changes[0].detail.size(), 200u);
  EXPECT_THAT(diff.changes[0].detail, HasSubstr("..."));
}

}  // namespace
}  // namespace odmd::model
