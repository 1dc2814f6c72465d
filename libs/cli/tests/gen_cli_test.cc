// odmd gen workflows|roles|diff, in process through odmd::cli::Main.

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "odmd/cli/main.h"
#include "odmd/gen/generated_file.h"
#include "odmd/gen/roles.h"
#include "odmd/gen/workflows.h"
#include "odmd/model/contracts.h"
#include "odmd/model/manifest.h"
#include "odmd/testing/fake_clock.h"
#include "odmd/testing/testdata.h"

namespace odmd::cli {
namespace {

namespace fs = std::filesystem;

using ::testing::AllOf;
using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

constexpr char kSample[] = "examples/sandbox/manifest.golden.json";
constexpr char kUserAuthWorkflow[] =
    "userAuth/.github/workflows/ODMD_userAuth-CdkGithubWFus-west-1-workspace0.yaml";
constexpr char kFoundationWorkflow[] =
    "coffeeShopFoundation/.github/workflows/"
    "ODMD_coffeeShopFoundation-CdkGithubWFus-west-1-workspace1.yaml";

model::Contracts SmallContracts(std::string region = "us-west-1") {
  model::Contracts c("demo", "1.0.0");
  c.AddAccount("central", "111111111111");
  auto ws0 = c.AddAccount("workspace0", "222222222222");
  auto ws1 = c.AddAccount("workspace1", "333333333333");
  auto repo = c.AddRepo("acme", "repo", 7);
  c.AddBuild("contracts", model::BuildKind::kContracts, repo).Branch("main", ws0, region);
  c.AddBuild("svc", model::BuildKind::kCdk, repo).Branch("main", ws1, region);
  return c;
}

class GenCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("odmd_gen_cli_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    out_dir_ = (dir_ / "out").string();
    sample_ = odmd::testing::SourcePath(kSample);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string Write(const std::string& name, const std::string& text) {
    std::string path = (dir_ / name).string();
    std::ofstream(path, std::ios::binary) << text;
    return path;
  }

  static std::string Read(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }

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

  // Every regular file under the output directory, relative to it.
  std::vector<std::string> FilesOut() const {
    std::vector<std::string> files;
    if (!fs::exists(out_dir_)) return files;
    for (const auto& e : fs::recursive_directory_iterator(out_dir_)) {
      if (e.is_regular_file()) files.push_back(fs::relative(e.path(), out_dir_).generic_string());
    }
    std::sort(files.begin(), files.end());
    return files;
  }

  std::vector<gen::GeneratedFile> SampleWorkflows() {
    Result<model::Org> org = model::ReadManifest(Read(sample_), nullptr);
    EXPECT_TRUE(org.ok());
    Result<std::vector<gen::GeneratedFile>> files = gen::GenerateWorkflows(*org);
    EXPECT_TRUE(files.ok());
    return *files;
  }

  fs::path dir_;
  std::string out_dir_;
  std::string sample_;
  std::string out_, err_;
};

TEST_F(GenCliTest, WorkflowsAreWrittenUnderTheirBuildEvenTheUserOwnedOnesWhenAbsent) {
  ASSERT_EQ(Run({"gen", "workflows", sample_, "--out", out_dir_}), 0) << err_;
  std::vector<gen::GeneratedFile> expected = SampleWorkflows();
  EXPECT_EQ(FilesOut().size(), expected.size());
  for (const gen::GeneratedFile& f : expected) {
    EXPECT_EQ(Read(fs::path(out_dir_) / f.build_id / f.path), f.content) << f.path;
  }
  EXPECT_THAT(out_, HasSubstr(std::string("written  ") + kUserAuthWorkflow));
  EXPECT_THAT(out_, HasSubstr(std::string("written  ") + kFoundationWorkflow));
  EXPECT_THAT(out_, HasSubstr("13 file(s) in " + out_dir_ + ": 13 written, 0 unchanged, 0 kept"));
}

// overwriteWorkflow false (userAuth): absent -> written (above); unedited but outdated ->
// updated; edited -> kept and reported. overwriteWorkflow true (foundation): edits replaced.
TEST_F(GenCliTest, JsonListsPathBuildAndStatusAndKeepsOnlyTheEditsOfUserOwnedFiles) {
  ASSERT_EQ(Run({"gen", "workflows", sample_, "--out", out_dir_, "--json"}), 0) << err_;
  nlohmann::json first = Json();
  ASSERT_EQ(first["files"].size(), 13u);
  EXPECT_THAT(first["files"],
              Contains(nlohmann::json{{"path",
                                       ".github/workflows/"
                                       "ODMD_userAuth-CdkGithubWFus-west-1-workspace0.yaml"},
                                      {"build", "userAuth"},
                                      {"file", kUserAuthWorkflow},
                                      {"status", "written"}}));
  for (const nlohmann::json& f : first["files"]) EXPECT_EQ(f["status"], "written") << f.dump();

  // Edited by hand: the user-owned file is kept, the other one replaced.
  const fs::path foundation = fs::path(out_dir_) / kFoundationWorkflow;
  const fs::path user_auth = fs::path(out_dir_) / kUserAuthWorkflow;
  std::ofstream(foundation, std::ios::binary) << "edited by hand\n";
  std::ofstream(user_auth, std::ios::binary) << "# mine\nedited by hand\n";
  ASSERT_EQ(Run({"gen", "workflows", sample_, "--out", out_dir_, "--json"}), 0) << err_;
  nlohmann::json second = Json();
  for (const nlohmann::json& f : second["files"]) {
    std::string want = f["file"] == kUserAuthWorkflow     ? "kept"
                       : f["file"] == kFoundationWorkflow ? "written"
                                                          : "unchanged";
    EXPECT_EQ(f["status"], want) << f.dump();
  }
  EXPECT_THAT(Read(foundation), HasSubstr("# Generated by odmd"));
  EXPECT_EQ(Read(user_auth), "# mine\nedited by hand\n");

  // What an older odmd generated, never edited: updated.
  std::ofstream(user_auth, std::ios::binary) << gen::Sealed("# Generated by odmd\nname: old\n");
  ASSERT_EQ(Run({"gen", "workflows", sample_, "--out", out_dir_}), 0) << err_;
  EXPECT_THAT(out_, HasSubstr(std::string("written  ") + kUserAuthWorkflow));
  EXPECT_THAT(out_, HasSubstr(": 1 written, 12 unchanged, 0 kept"));
  EXPECT_THAT(Read(user_auth), HasSubstr("name: 'ODMD_userAuth"));
}

TEST_F(GenCliTest, InvalidManifestWritesNothingAndNamesTheRule) {
  model::Org org = SmallContracts().Finish();
  org.builds[1].envers[0].consumers.push_back({"x", "nobody/b..main", "p", std::nullopt, {}});
  std::string manifest = Write("bad.json", model::WriteManifest(org));
  EXPECT_EQ(Run({"gen", "workflows", manifest, "--out", out_dir_}), 1);
  EXPECT_THAT(err_, HasSubstr("R4"));
  EXPECT_THAT(FilesOut(), IsEmpty());
  EXPECT_FALSE(fs::exists(out_dir_));
}

TEST_F(GenCliTest, MissingManifestFileIsReported) {
  EXPECT_EQ(Run({"gen", "workflows", (dir_ / "nope.json").string(), "--out", out_dir_}), 1);
  EXPECT_THAT(err_, HasSubstr("nope.json"));
  EXPECT_FALSE(fs::exists(out_dir_));
}

TEST_F(GenCliTest, RegionAWorkflowCannotCarryIsReportedAndNothingIsWritten) {
  std::string manifest =
      Write("upper.json", model::WriteManifest(SmallContracts("US-WEST-1").Finish()));
  EXPECT_EQ(Run({"gen", "workflows", manifest, "--out", out_dir_, "--json"}), 1);
  EXPECT_EQ(Json()["ok"], false);
  EXPECT_THAT(Json()["error"].dump(),
              AllOf(HasSubstr("US-WEST-1"), HasSubstr("region"), HasSubstr("contracts/b..main")));
  EXPECT_FALSE(fs::exists(out_dir_));
}

TEST_F(GenCliTest, OutIsRequired) {
  EXPECT_EQ(Run({"gen", "workflows", sample_}), 2);
  EXPECT_THAT(err_, HasSubstr("--out"));
}

TEST_F(GenCliTest, GenWithoutASubcommandIsAUsageError) {
  EXPECT_EQ(Run({"gen"}), 2);
  EXPECT_EQ(Run({"gen", "bogus", sample_}), 2);
}

TEST_F(GenCliTest, OutputDirectoryThatIsAFileIsReportedWithItsPath) {
  std::string file = Write("plain-file", "x");
  EXPECT_EQ(Run({"gen", "workflows", sample_, "--out", file}), 1);
  EXPECT_THAT(err_, HasSubstr(file));
}

TEST_F(GenCliTest, RolesAreWrittenAtTheirOwnPaths) {
  Result<model::Org> org = model::ReadManifest(Read(sample_), nullptr);
  ASSERT_TRUE(org.ok());
  Result<std::vector<gen::GeneratedFile>> roles = gen::GenerateRoles(*org);
  ASSERT_TRUE(roles.ok()) << roles.status().ToString();
  ASSERT_EQ(Run({"gen", "roles", sample_, "--out", out_dir_, "--json"}), 0) << err_;
  ASSERT_EQ(Json()["files"].size(), roles->size());
  for (const gen::GeneratedFile& f : *roles) {
    EXPECT_EQ(Read(fs::path(out_dir_) / f.build_id / f.path), f.content) << f.path;
    EXPECT_THAT(Json()["files"],
                Contains(nlohmann::json{{"path", f.path},
                                        {"build", f.build_id},
                                        {"file", (fs::path(f.build_id) / f.path).generic_string()},
                                        {"status", "written"}}));
  }
}

TEST_F(GenCliTest, DiffListsTheWorkflowFilesAContractsChangeAddsChangesAndRemoves) {
  std::string before = Write("before.json", model::WriteManifest(SmallContracts().Finish()));
  model::Contracts c = SmallContracts();
  auto ws2 = c.AddAccount("workspace2", "444444444444");
  auto repo = c.AddRepo("acme", "other", 8);
  c.AddBuild("tool", model::BuildKind::kCmd, repo).Branch("main", ws2, "us-west-1");
  model::Org org = c.Finish();
  org.version = "1.1.0";
  for (model::Account& a : org.accounts) {
    if (a.name == "workspace0") a.id = "555555555555";  // the contracts role ARN changes
  }
  org.builds.erase(std::remove_if(org.builds.begin(), org.builds.end(),
                                  [](const model::Build& b) { return b.id == "svc"; }),
                   org.builds.end());
  std::string after = Write("after.json", model::WriteManifest(org));

  ASSERT_EQ(Run({"gen", "diff", before, after, "--json"}), 0) << err_;
  nlohmann::json files = Json()["files"];
  EXPECT_EQ(Json()["from"], "1.0.0");
  EXPECT_EQ(Json()["to"], "1.1.0");
  EXPECT_THAT(files, Contains(nlohmann::json{
                         {"change", "added"},
                         {"path", ".github/workflows/ODMD_tool-CmdsGHus-west-1-workspace2.yaml"},
                         {"build", "tool"}}));
  EXPECT_THAT(files,
              Contains(nlohmann::json{
                  {"change", "removed"},
                  {"path", ".github/workflows/ODMD_svc-CdkGithubWFus-west-1-workspace1.yaml"},
                  {"build", "svc"}}));
  EXPECT_THAT(files,
              Contains(nlohmann::json{
                  {"change", "changed"},
                  {"path", ".github/workflows/ODMD_contracts-CmdsGHus-west-1-workspace0.yaml"},
                  {"build", "contracts"}}));

  ASSERT_EQ(Run({"gen", "diff", before, after}), 0) << err_;
  EXPECT_THAT(out_, AllOf(HasSubstr("1.0.0 -> 1.1.0"),
                          HasSubstr("+ added tool/.github/workflows/"
                                    "ODMD_tool-CmdsGHus-west-1-workspace2.yaml"),
                          HasSubstr("- removed svc/.github/workflows/"),
                          HasSubstr("~ changed contracts/.github/workflows/")));
}

TEST_F(GenCliTest, DiffOfAManifestWithItselfIsEmpty) {
  ASSERT_EQ(Run({"gen", "diff", sample_, sample_, "--json"}), 0) << err_;
  EXPECT_THAT(Json()["files"], IsEmpty());
}

TEST_F(GenCliTest, DiffWithAnInvalidManifestFails) {
  model::Org org = SmallContracts().Finish();
  org.builds[1].envers.clear();  // R12
  std::string bad = Write("bad.json", model::WriteManifest(org));
  EXPECT_EQ(Run({"gen", "diff", sample_, bad}), 1);
  EXPECT_THAT(err_, AllOf(HasSubstr("R12"), Not(HasSubstr("added"))));
}

}  // namespace
}  // namespace odmd::cli
