#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "odmd/cli/main.h"
#include "odmd/model/contracts.h"
#include "odmd/model/manifest.h"
#include "odmd/testing/fake_clock.h"

namespace odmd::cli {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;

// A small org: contracts, svcA (producer) and svcB (consumer), and the brief's
// networking <-> logging cycle broken by a placeholder.
model::Org SmallOrg(std::string version = "1.0.0") {
  model::Contracts c("demo", std::move(version));
  c.AddAccount("central", "111111111111");
  auto ws0 = c.AddAccount("workspace0", "222222222222");
  auto ws1 = c.AddAccount("workspace1", "333333333333");
  auto repo = c.AddRepo("acme", "repo", 7);
  c.AddBuild("contracts", model::BuildKind::kContracts, repo).Branch("main", ws0, "us-west-1");
  auto a = c.AddBuild("svcA", model::BuildKind::kCdk, repo).Branch("master", ws1, "us-west-1");
  auto api = a.Produces("apiUrl");
  auto b = c.AddBuild("svcB", model::BuildKind::kCdk, repo).Branch("master", ws1, "us-west-1");
  b.Consumes("api", api);
  auto net_acct = c.AddAccount("networking", "444444444444");  // R13: with the networking build
  auto net = c.AddBuild("networking", model::BuildKind::kNetworking, repo)
                 .Branch("main", net_acct, "us-west-1")
                 .Stacks({"networking", "networking-share-nat"});
  auto log = c.AddBuild("logging", model::BuildKind::kCdk, repo).Branch("main", ws0, "us-west-1");
  auto zone = net.Produces("hostedZoneId");
  auto bucket = log.Produces("logBucketArn");
  net.Consumes("logBucket", bucket).Placeholder("none");
  log.Consumes("zone", zone);
  return c.Finish();
}

class CliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("odmd_cli_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
    manifest_ = Write("manifest.json", model::WriteManifest(SmallOrg()));
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string Write(const std::string& name, const std::string& text) {
    std::string path = (dir_ / name).string();
    std::ofstream(path, std::ios::binary) << text;
    return path;
  }

  // Runs odmd with `args`; returns the exit code and fills out_/err_.
  int Run(std::vector<std::string> args) {
    args.insert(args.begin(), "odmd");
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    std::ostringstream out, err;
    testing::FakeClock clock;
    int code = Main(static_cast<int>(argv.size()), argv.data(), out, err, clock);
    out_ = out.str();
    err_ = err.str();
    return code;
  }

  nlohmann::json Json() const { return nlohmann::json::parse(out_); }

  std::filesystem::path dir_;
  std::string manifest_;
  std::string out_, err_;
};

TEST_F(CliTest, NoCommandIsUsageError) {
  EXPECT_EQ(Run({}), 2);
  EXPECT_THAT(err_, HasSubstr("subcommand"));
}

TEST_F(CliTest, HelpListsEveryCommandAndExitsZero) {
  EXPECT_EQ(Run({"--help"}), 0);
  for (const char* cmd :
       {"validate", "graph", "show", "plan", "impact", "diff", "clone-preview", "parse-commit"}) {
    EXPECT_THAT(out_, HasSubstr(cmd));
  }
}

TEST_F(CliTest, UnknownCommandIsUsageError) { EXPECT_EQ(Run({"frobnicate"}), 2); }

TEST_F(CliTest, ValidateAcceptsValidManifest) {
  EXPECT_EQ(Run({"validate", manifest_}), 0) << err_;
  EXPECT_THAT(out_, HasSubstr("ok: demo 1.0.0 (5 builds, 5 envers"));
  EXPECT_THAT(out_, HasSubstr("digest: sha256:"));
}

TEST_F(CliTest, ValidateWritesTheCanonicalTextOnceAndPrintsItsDigest) {
  // Reading checks the manifest's digest over its canonical text; the command prints that
  // digest rather than writing the text a second time (issue 17).
  const std::uint64_t before = model::CanonicalTextsWritten();
  ASSERT_EQ(Run({"validate", manifest_, "--json"}), 0) << err_;
  EXPECT_EQ(model::CanonicalTextsWritten() - before, 1u);
  EXPECT_EQ(nlohmann::json::parse(out_)["digest"], model::ManifestDigest(SmallOrg()));
  // Without a digest field there is nothing to check: the command computes it, once.
  nlohmann::json doc = nlohmann::json::parse(model::WriteManifest(SmallOrg()));
  doc.erase("digest");
  const std::string bare = Write("bare.json", doc.dump(2));
  const std::uint64_t bare_before = model::CanonicalTextsWritten();
  ASSERT_EQ(Run({"validate", bare, "--json"}), 0) << err_;
  EXPECT_EQ(model::CanonicalTextsWritten() - bare_before, 1u);
  EXPECT_EQ(nlohmann::json::parse(out_)["digest"], model::ManifestDigest(SmallOrg()));
}

TEST_F(CliTest, ValidateJson) {
  ASSERT_EQ(Run({"validate", manifest_, "--json"}), 0) << err_;
  nlohmann::json j = Json();
  EXPECT_EQ(j["ok"], true);
  EXPECT_EQ(j["envers"], 5);
  EXPECT_EQ(j["digest"], model::ManifestDigest(SmallOrg()));
}

TEST_F(CliTest, ValidateReportsEveryViolationWithRuleAndPath) {
  model::Org org = SmallOrg();
  org.FindBuild("svcB")->envers[0].consumers[0].product = "nope";
  org.FindBuild("svcA")->id = "config";  // R1 reserved id (and svcB's producer vanishes)
  std::string bad = Write("bad.json", model::WriteManifest(org));
  EXPECT_EQ(Run({"validate", bad}), 1);
  EXPECT_THAT(err_, HasSubstr("R1 "));
  EXPECT_THAT(err_, HasSubstr("R4 "));
  EXPECT_THAT(err_, HasSubstr("/builds/"));
  ASSERT_EQ(Run({"validate", bad, "--json"}), 1);
  nlohmann::json j = Json();
  EXPECT_EQ(j["ok"], false);
  EXPECT_EQ(j["error"]["code"], "INVALID_ARGUMENT");
  std::vector<std::string> rules;
  for (const auto& v : j["violations"]) rules.push_back(v["rule"]);
  EXPECT_THAT(rules, ::testing::IsSupersetOf({"R1", "R4"}));
}

TEST_F(CliTest, ValidateReportsSyntaxErrorPosition) {
  std::string bad = Write("syntax.json", "{\n  \"schema\": \"odmd.manifest/v1\",\n  oops\n}\n");
  EXPECT_EQ(Run({"validate", bad}), 1);
  EXPECT_THAT(err_, HasSubstr("M1"));
  EXPECT_THAT(err_, HasSubstr("line 3"));
}

// A hand-edited manifest (reordered keys, other indentation, a stale digest) becomes the
// canonical text with the right digest; a canonical one is left alone; --check changes nothing.
TEST_F(CliTest, FmtRewritesAHandEditedManifestWithItsDigest) {
  const std::string canonical = model::WriteManifest(SmallOrg());
  nlohmann::json edited = nlohmann::json::parse(canonical);
  edited["digest"] = "sha256:" + std::string(64, '0');
  const std::string path = Write("edited.json", edited.dump(4));  // other indent and key order
  ASSERT_EQ(Run({"validate", path}), 1);
  EXPECT_THAT(err_, HasSubstr("M5"));

  EXPECT_EQ(Run({"fmt", path, "--check"}), 1) << err_;
  EXPECT_THAT(out_, HasSubstr("not canonical"));
  std::ifstream unchanged(path);
  EXPECT_EQ(std::string(std::istreambuf_iterator<char>(unchanged), {}), edited.dump(4));

  ASSERT_EQ(Run({"fmt", path}), 0) << err_;
  EXPECT_EQ(out_, path + ": rewritten in canonical form, digest " +
                      model::ManifestDigest(SmallOrg()) + "\n");
  std::ifstream rewritten(path);
  EXPECT_EQ(std::string(std::istreambuf_iterator<char>(rewritten), {}), canonical);
  EXPECT_EQ(Run({"validate", path}), 0) << err_;
  EXPECT_FALSE(std::filesystem::exists(path + ".odmd-fmt-tmp"));

  ASSERT_EQ(Run({"fmt", path, "--check", "--json"}), 0) << err_;
  EXPECT_EQ(Json()["canonical"], true);
  EXPECT_EQ(Json()["written"], false);
  ASSERT_EQ(Run({"fmt", path, "--stdout"}), 0) << err_;
  EXPECT_EQ(out_, canonical);
}

// A manifest named by a relative path in the working directory (no directory part) is
// rewritten in place; this used to fail with `cannot create directory ""`.
TEST_F(CliTest, FmtRewritesAManifestNamedRelativeToTheWorkingDirectory) {
  nlohmann::json edited = nlohmann::json::parse(model::WriteManifest(SmallOrg()));
  edited["digest"] = "sha256:" + std::string(64, '0');
  const std::filesystem::path path = Write("relative.json", edited.dump(4));
  const std::filesystem::path before = std::filesystem::current_path();
  std::filesystem::current_path(path.parent_path());
  const int code = Run({"fmt", "relative.json"});
  std::filesystem::current_path(before);
  ASSERT_EQ(code, 0) << err_;
  std::ifstream rewritten(path);
  EXPECT_EQ(std::string(std::istreambuf_iterator<char>(rewritten), {}),
            model::WriteManifest(SmallOrg()));
}

// Formatting needs a well-formed manifest but not a valid org: a syntax error or an unknown
// field is refused naming it and the file stays; a broken rule is formatted with a note.
TEST_F(CliTest, FmtRefusesAMalformedManifestAndNotesBrokenRules) {
  const std::string syntax =
      Write("syntax.json", "{\n  \"schema\": \"odmd.manifest/v1\",\n  oops\n}\n");
  EXPECT_EQ(Run({"fmt", syntax}), 1);
  EXPECT_THAT(err_, AllOf(HasSubstr("M1"), HasSubstr("line 3")));
  std::ifstream same(syntax);
  EXPECT_EQ(std::string(std::istreambuf_iterator<char>(same), {}),
            "{\n  \"schema\": \"odmd.manifest/v1\",\n  oops\n}\n");
  nlohmann::json unknown = nlohmann::json::parse(model::WriteManifest(SmallOrg()));
  unknown["colour"] = "blue";
  EXPECT_EQ(Run({"fmt", Write("unknown.json", unknown.dump())}), 1);
  EXPECT_THAT(err_, AllOf(HasSubstr("M2"), HasSubstr("/colour")));

  model::Org org = SmallOrg();
  org.FindBuild("svcB")->envers[0].consumers[0].product = "nope";  // R4
  nlohmann::json broken = nlohmann::json::parse(model::WriteManifest(org));
  const std::string path = Write("broken.json", broken.dump(1));
  ASSERT_EQ(Run({"fmt", path}), 0) << err_;
  EXPECT_THAT(err_, HasSubstr("breaks 1 rule(s); odmd validate lists them"));
  std::ifstream formatted(path);
  EXPECT_EQ(std::string(std::istreambuf_iterator<char>(formatted), {}), model::WriteManifest(org));
}

TEST_F(CliTest, ValidateMissingFileFails) {
  EXPECT_EQ(Run({"validate", (dir_ / "absent.json").string()}), 1);
  EXPECT_THAT(err_, HasSubstr("cannot open"));
}

TEST_F(CliTest, GraphFormats) {
  ASSERT_EQ(Run({"graph", manifest_, "--format", "dot"}), 0) << err_;
  EXPECT_THAT(out_, HasSubstr("digraph odmd"));
  EXPECT_THAT(out_, HasSubstr("\"svcA/b..master\" -> \"svcB/b..master\""));
  EXPECT_THAT(out_, HasSubstr("style=dashed"));  // the placeholder edge
  ASSERT_EQ(Run({"graph", manifest_, "--format", "mermaid"}), 0) << err_;
  EXPECT_THAT(out_, HasSubstr("flowchart LR"));
  ASSERT_EQ(Run({"graph", manifest_, "--format", "json"}), 0) << err_;
  nlohmann::json j = Json();
  EXPECT_EQ(j["nodes"].size(), 5u);
  EXPECT_EQ(j["edges"].size(), 3u);
  ASSERT_EQ(Run({"graph", manifest_, "--json"}), 0) << err_;
  EXPECT_EQ(Json()["nodes"].size(), 5u);
}

TEST_F(CliTest, GraphRejectsUnknownFormat) {
  EXPECT_EQ(Run({"graph", manifest_, "--format", "png"}), 2);
}

// Porting an ondemandenv org: a cycle without a placeholder names the consumer and the member
// to add (R8); a networking build without the networking account is refused (R13).
TEST_F(CliTest, ValidateSaysWhichPlaceholderToAddAndWhichAccountIsMissing) {
  model::Org org = SmallOrg();
  org.FindBuild("networking")->envers[0].consumers[0].placeholder.reset();
  org.accounts.erase(org.accounts.begin() + 1);  // central, networking, workspace0, ...
  std::string bad = Write("ported.json", model::WriteManifest(org));
  EXPECT_EQ(Run({"validate", bad}), 1);
  // The cycle starts at its smallest enver id: logging's consumer "zone" takes its first step.
  EXPECT_THAT(err_, HasSubstr("give consumer \"zone\" of enver \"logging/b..main\" a placeholder"));
  EXPECT_THAT(err_, HasSubstr("add \"placeholder\": \"\" to /builds/"));
  EXPECT_THAT(err_, HasSubstr("R13 /builds/"));
  EXPECT_THAT(err_, HasSubstr("needs the account \"networking\", which is not declared"));
}

TEST_F(CliTest, ShowPrintsDerivedNames) {
  ASSERT_EQ(Run({"show", manifest_, "svcA/b..master"}), 0) << err_;
  EXPECT_THAT(out_, HasSubstr("svcA--master"));
  EXPECT_THAT(
      out_, HasSubstr("arn:aws:iam::333333333333:role/svcA/svcA-us-west-1333333333333-buildRole"));
  EXPECT_THAT(
      out_, HasSubstr("arn:aws:iam::111111111111:role/svcA/svcA-us-west-1333333333333-centerRole"));
  EXPECT_THAT(out_, HasSubstr(".github/workflows/ODMD_svcA-CdkGithubWFus-west-1-workspace1.yaml"));
  EXPECT_THAT(out_, HasSubstr("/odmd-share/svcA/b..master/apiUrl"));
  ASSERT_EQ(Run({"show", manifest_, "svcA/b..master", "--json"}), 0);
  EXPECT_EQ(Json()["stackName"], "svcA--master");
  EXPECT_EQ(Json()["stackNames"], nlohmann::json::array({"svcA--master"}));
}

TEST_F(CliTest, ShowPrintsEveryStackInOrder) {
  ASSERT_EQ(Run({"show", manifest_, "networking/b..main"}), 0) << err_;
  EXPECT_THAT(out_, HasSubstr("stacks:                networking--main "
                              "networking-share-nat--main\n"));
  ASSERT_EQ(Run({"show", manifest_, "networking/b..main", "--json"}), 0) << err_;
  EXPECT_EQ(Json()["stackName"], "networking--main");
  EXPECT_EQ(Json()["stackNames"],
            nlohmann::json::array({"networking--main", "networking-share-nat--main"}));
}

TEST_F(CliTest, ShowUnknownEnverFails) {
  EXPECT_EQ(Run({"show", manifest_, "svcA/b..nope"}), 1);
  EXPECT_THAT(err_, HasSubstr("enver \"svcA/b..nope\" not found"));
}

TEST_F(CliTest, PlanDeploysCycleWithPlaceholderThenRedeploys) {
  ASSERT_EQ(Run({"plan", manifest_, "--json"}), 0) << err_;
  nlohmann::json j = Json();
  EXPECT_TRUE(j["converged"]);
  std::vector<std::string> net_kinds;
  for (const auto& s : j["steps"]) {
    if (s["enver"] == "networking/b..main") net_kinds.push_back(s["kind"]);
  }
  EXPECT_EQ(net_kinds, (std::vector<std::string>{"deploy-with-placeholders", "redeploy"}));
  ASSERT_EQ(Run({"plan", manifest_}), 0);
  EXPECT_THAT(out_, HasSubstr("wave 1:"));
  EXPECT_THAT(out_, HasSubstr("why: "));
}

TEST_F(CliTest, ImpactOfProductListsConsumers) {
  ASSERT_EQ(Run({"impact", manifest_, "svcA/b..master/apiUrl"}), 0) << err_;
  EXPECT_THAT(out_, HasSubstr("svcB/b..master"));
  ASSERT_EQ(Run({"impact", manifest_, "/odmd-share/svcA/b..master/apiUrl", "--json"}), 0);
  EXPECT_EQ(Json()["impacted"][0]["enver"], "svcB/b..master");
  EXPECT_EQ(Run({"impact", manifest_, "svcA/b..master/none"}), 1);
}

TEST_F(CliTest, DiffListsChangesAndImpact) {
  model::Org org = SmallOrg("1.1.0");
  org.FindBuild("svcA")->envers[0].products.push_back({"healthUrl"});
  std::string after = Write("after.json", model::WriteManifest(org));
  ASSERT_EQ(Run({"diff", manifest_, after, "--json"}), 0) << err_;
  nlohmann::json j = Json();
  EXPECT_EQ(j["from"], "1.0.0");
  EXPECT_EQ(j["to"], "1.1.0");
  bool found = false;
  for (const auto& c : j["changes"]) {
    found |=
        c["kind"] == "added" && c["object"] == "product" && c["id"] == "svcA/b..master/healthUrl";
  }
  EXPECT_TRUE(found) << out_;
}

TEST_F(CliTest, ClonePreviewDerivesCloneNames) {
  ASSERT_EQ(Run({"clone-preview", manifest_, "svcA/b..master", "feat1"}), 0) << err_;
  EXPECT_THAT(out_, HasSubstr("b..master-_b..feat1"));
  EXPECT_THAT(out_, HasSubstr("svcA--feat1"));
  ASSERT_EQ(Run({"clone-preview", manifest_, "svcA/b..master", "feature/login", "--json"}), 0);
  EXPECT_EQ(Json()["rev"], "b..master-_b..feature-login");
  EXPECT_EQ(Run({"clone-preview", manifest_, "contracts/b..main", "x"}), 1);
  EXPECT_THAT(err_, HasSubstr("R7"));
}

TEST_F(CliTest, ParseCommitAcceptsAndRejectsWithSuggestion) {
  ASSERT_EQ(Run({"parse-commit", "fix\n\nodmd: create@master"}), 0) << err_;
  EXPECT_THAT(out_, HasSubstr("accepted create"));
  EXPECT_EQ(Run({"parse-commit", "--manifest", manifest_, "odmd: create@mastre", "--json"}), 1);
  nlohmann::json j = Json();
  ASSERT_EQ(j["rejections"].size(), 1u);
  EXPECT_EQ(j["rejections"][0]["suggestion"], "odmd: create@master");
}

TEST_F(CliTest, ParseCommitJsonSurvivesInvalidUtf8) {
  EXPECT_EQ(Run({"parse-commit", "odmd: create@ma\xff\xfein", "--json"}), 1);
  nlohmann::json j = Json();
  EXPECT_EQ(j["rejections"].size(), 1u);
}

TEST_F(CliTest, CommandsRefuseInvalidManifest) {
  std::string bad = Write("bad.json", "[]");
  for (const char* cmd : {"graph", "plan"}) {
    EXPECT_EQ(Run({cmd, bad}), 1) << cmd;
    EXPECT_THAT(err_, HasSubstr("M3")) << cmd;
    EXPECT_THAT(out_, Not(HasSubstr("digraph")));
  }
}

}  // namespace
}  // namespace odmd::cli
