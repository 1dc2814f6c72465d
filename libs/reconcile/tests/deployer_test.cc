// Tests of the Deployer on real git repositories (the `git` binary), real processes
// (ProcessRunner) and a SQLite store file.

#include "odmd/reconcile/deployer.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>

#include <array>
#include <cerrno>
#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "nlohmann/json.hpp"
#include "odmd/model/naming.h"
#include "odmd/store/open_config_store.h"
#include "odmd/testing/fake_clock.h"
#include "odmd/testing/faulty_config_store.h"
#include "odmd/testing/recording_runner.h"
#include "odmd/testing/shell.h"
#include "odmd/testing/status_matchers.h"

namespace odmd::reconcile {
namespace {

namespace fs = std::filesystem;
using ::odmd::testing::FakeClock;
using ::odmd::testing::IsOk;
using ::odmd::testing::Q;
using ::odmd::testing::Sh;
using ::odmd::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::StartsWith;
using Files = std::map<std::string, std::string>;

constexpr char kApi[] = "http://127.0.0.1:4321";
constexpr char kToken[] = "odmd_t_secret";

std::string ReadAll(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// "NAME=value" lines (as `env` prints them) to a map.
std::map<std::string, std::string> ParseEnv(const std::string& text) {
  std::map<std::string, std::string> env;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    const auto eq = line.find('=');
    if (eq != std::string::npos) env[line.substr(0, eq)] = line.substr(eq + 1);
  }
  return env;
}

// Writes the script's whole environment (one variable a line) into its stack directory.
constexpr char kEnvScript[] =
    "#!/bin/sh\n"
    "set -e\n"
    "mkdir -p \"$ODMD_account_dir/$ODMD_stack_names\"\n"
    "env > \"$ODMD_account_dir/$ODMD_stack_names/env.txt\"\n"
    "pwd > \"$ODMD_account_dir/$ODMD_stack_names/pwd.txt\"\n";

// Publishes products from files: url from the vpc consumer, db/host fixed.
constexpr char kProductScript[] =
    "#!/bin/sh\n"
    "set -e\n"
    "printf 'https://%s' \"$ODMD_consumer_vpc\" > \"$ODMD_PRODUCTS_DIR/url\"\n"
    "mkdir -p \"$ODMD_PRODUCTS_DIR/db\"\n"
    "printf 'db.local' > \"$ODMD_PRODUCTS_DIR/db/host\"\n";

class DeployerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::random_device rd;
    root_ = fs::temp_directory_path() /
            ("odmd-deployer-test-" + std::to_string(rd()) + "-" + std::to_string(rd()));
    fs::create_directories(root_);
    ::setenv("GIT_CONFIG_NOSYSTEM", "1", 1);
    ::setenv("HOME", root_.c_str(), 1);
    ::setenv("GIT_AUTHOR_NAME", "Test Author", 1);
    ::setenv("GIT_AUTHOR_EMAIL", "author@example.com", 1);
    ::setenv("GIT_COMMITTER_NAME", "Test Committer", 1);
    ::setenv("GIT_COMMITTER_EMAIL", "committer@example.com", 1);
    repo_ = (root_ / "repo").string();
    Sh("git -c init.defaultBranch=main init -q " + Q(repo_));
    state_dir_ = (root_ / "state").string();

    store::StoreOptions so;
    so.url = "sqlite:" + (root_ / "s.db").string();
    auto store = store::OpenConfigStore(so);
    ASSERT_THAT(store, IsOk());
    store_ = std::move(store).value();
    git_ = NewCliGit();
    runner_ = NewProcessRunner(system_clock_, std::chrono::milliseconds(200));

    org_.name = "t";
    org_.central_account = "central";
    org_.accounts = {{"central", "000000000000"}, {"ws1", "111111111111"}};
    model::Build net;
    net.id = "net";
    net.kind = model::BuildKind::kNetworking;
    model::Enver net_main;
    net_main.rev = model::RevRef::Branch("main");
    net_main.account = "ws1";
    net_main.region = "us-west-1";
    net_main.products = {{"vpcId"}, {"logBucket"}};
    net.envers = {net_main};
    model::Build svc;
    svc.id = "svc";
    svc.kind = model::BuildKind::kCmd;
    model::Enver svc_main;
    svc_main.rev = model::RevRef::Branch("main");
    svc_main.account = "ws1";
    svc_main.region = "us-west-1";
    svc_main.products = {{"url"}, {"db/host"}};
    model::Consumer vpc;
    vpc.name = "vpc";
    vpc.producer = "net/b..main";
    vpc.product = "vpcId";
    model::Consumer logs;
    logs.name = "log-bucket";
    logs.producer = "net/b..main";
    logs.product = "logBucket";
    logs.placeholder = "none-yet";
    svc_main.consumers = {vpc, logs};
    model::Enver svc_feat = svc_main;
    svc_feat.rev = model::RevRef::Branch("feat");
    svc.envers = {svc_main, svc_feat};
    model::Build contracts;
    contracts.id = "contracts";
    contracts.kind = model::BuildKind::kContracts;
    model::Enver c_main;
    c_main.rev = model::RevRef::Branch("main");
    c_main.account = "central";
    c_main.region = "us-east-1";
    contracts.envers = {c_main};
    org_.builds = {net, svc, contracts};
  }

  void TearDown() override {
    std::error_code ec;
    fs::remove_all(root_, ec);
  }

  // Commits exactly `files` on the repo's main branch and returns the commit.
  std::string Commit(const Files& files) {
    const std::string w = "git -C " + Q(repo_) + " ";
    Sh(w + "rm -rq --ignore-unmatch .");
    for (const auto& [path, content] : files) {
      const fs::path file = fs::path(repo_) / path;
      fs::create_directories(file.parent_path());
      std::ofstream(file, std::ios::binary) << content;
    }
    Sh(w + "add -A");
    Sh(w + "commit -q --allow-empty -m test");
    return Sh(w + "rev-parse HEAD");
  }

  DeployerOptions Options() {
    DeployerOptions o;
    o.state_dir = state_dir_;
    o.api_url = kApi;
    o.odmd_binary = (root_ / "bin" / "odmd").string();
    o.time_limit = std::chrono::seconds(60);
    return o;
  }

  std::unique_ptr<Deployer> NewDeployer(DeployerOptions o) {
    return std::make_unique<Deployer>(*store_, *git_, *runner_, fake_clock_, std::move(o));
  }
  std::unique_ptr<Deployer> NewDeployer() { return NewDeployer(Options()); }

  DeployTarget Target(const std::string& build, const std::string& rev = "b..main") {
    DeployTarget t;
    t.org = &org_;
    t.build = org_.FindBuild(build);
    for (const model::Enver& e : t.build->envers) {
      if (e.rev.str() == rev) t.enver = &e;
    }
    t.repo_path = repo_;
    t.token = kToken;
    return t;
  }

  static Deployment NewDeployment(const std::string& id, const std::string& sha,
                                  const std::string& enver = "svc/b..main") {
    Deployment d;
    d.id = id;
    d.enver_id = enver;
    d.sha = sha;
    return d;
  }

  DeployOutcome DeployOk(Deployer& deployer, const Deployment& d, const DeployTarget& t,
                         const CancelFlag* cancel = nullptr) {
    Result<DeployOutcome> out = deployer.Deploy(d, t, cancel);
    EXPECT_THAT(out, IsOk());
    return out.ok() ? *out : DeployOutcome{};
  }

  void Put(const std::string& key, const std::string& value) {
    ASSERT_THAT(store_->Put(key, value, std::nullopt), IsOk());
  }
  // The value at `key`, or "<absent>".
  std::string Value(const std::string& key) {
    Result<store::Entry> e = store_->Get(key);
    return e.ok() ? e->value : "<absent>";
  }
  store::Version Version(const std::string& key) {
    Result<store::Entry> e = store_->Get(key);
    return e.ok() ? e->version : 0;
  }

  std::string AccountDir() const { return state_dir_ + "/accounts/ws1/us-west-1"; }

  // Commits a build script for svc that touches "started" in its stack directory and then
  // sleeps until stopped; returns the commit.
  std::string CommitScriptThatWaits() {
    Put("/odmd-share/net/b..main/vpcId", "vpc-1");
    return Commit({{".scripts/build.sh",
                    "#!/bin/sh\n"
                    "mkdir -p \"$ODMD_account_dir/$ODMD_stack_names\"\n"
                    "touch \"$ODMD_account_dir/$ODMD_stack_names/started\"\n"
                    "sleep 1000\n"}});
  }

  // Nothing of any run is left under <state_dir>/work or <state_dir>/running.
  void ExpectNoLeftovers() {
    for (const char* sub : {"work", "running"}) {
      const fs::path dir = fs::path(state_dir_) / sub;
      if (!fs::exists(dir)) continue;
      std::vector<std::string> left;
      for (const auto& e : fs::directory_iterator(dir)) left.push_back(e.path().string());
      EXPECT_THAT(left, IsEmpty()) << sub;
    }
  }

  fs::path root_;
  std::string repo_;
  std::string state_dir_;
  SystemClock system_clock_;
  FakeClock fake_clock_;
  store::ConfigStorePtr store_;
  std::unique_ptr<Git> git_;
  std::unique_ptr<Runner> runner_;
  model::Org org_;
};

TEST_F(DeployerTest, ScriptSeesTheEnversContextAndConsumerValues) {
  const std::string sha = Commit({{".scripts/build.sh", kEnvScript}});
  org_.FindBuild("svc")->config = R"({"cluster":"blue","domain":"a.example.com"})";
  org_.FindBuild("svc")->envers[0].config = R"({"cidr":"10.1.0.0/16","cluster":"green"})";
  Put("/odmd-share/net/b..main/vpcId", "vpc-1");
  Put("/odmd-share/net/b..main/vpcId", "vpc-2");
  auto deployer = NewDeployer();
  DeployOutcome out = DeployOk(*deployer, NewDeployment("d0000000001", sha), Target("svc"));
  ASSERT_TRUE(out.succeeded) << out.reason;
  EXPECT_EQ(out.exit_code, 0);
  EXPECT_EQ(out.reason, "");
  EXPECT_FALSE(out.manifest.has_value());

  const auto env = ParseEnv(ReadAll(AccountDir() + "/svc--main/env.txt"));
  const std::string work = state_dir_ + "/work/d0000000001";
  EXPECT_EQ(env.at("ODMD_build_id"), "svc");
  EXPECT_EQ(env.at("ODMD_rev_ref"), "b..main");
  EXPECT_EQ(env.at("ODMD_awsRegion"), "us-west-1");
  EXPECT_EQ(env.at("ODMD_awsAccount"), "111111111111");
  EXPECT_EQ(env.at("ODMD_work_dir"), "");
  EXPECT_EQ(env.at("ODMD_build_script"), ".scripts/build.sh");
  EXPECT_EQ(env.at("ODMD_products"), "url db/host");
  EXPECT_EQ(env.at("ODMD_stack_names"), "svc--main");
  // The build's config under the enver's top-level keys (model::EffectiveConfig).
  EXPECT_EQ(env.at("ODMD_config"),
            R"({"cidr":"10.1.0.0/16","cluster":"green","domain":"a.example.com"})");
  EXPECT_EQ(env.at("ODMD_consumer_vpc"), "vpc-2");
  EXPECT_EQ(env.at("ODMD_consumer_log_bucket"), "none-yet");
  EXPECT_EQ(env.at("ODMD_enver_id"), "svc/b..main");
  EXPECT_EQ(env.at("ODMD_deployment_id"), "d0000000001");
  EXPECT_EQ(env.at("ODMD_account_name"), "ws1");
  EXPECT_EQ(env.at("ODMD_account_dir"), AccountDir());
  EXPECT_EQ(env.at("ODMD_PRODUCTS_DIR"), work + ".products");
  EXPECT_EQ(env.count("ODMD_MANIFEST_FILE"), 0u);
  EXPECT_EQ(env.at("ODMD_API"), kApi);
  EXPECT_EQ(env.at("ODMD_STORE"), kApi);
  EXPECT_EQ(env.at("ODMD_TOKEN"), kToken);
  EXPECT_EQ(env.at("HOME"), work);
  EXPECT_THAT(env.at("PATH"), StartsWith((root_ / "bin").string() + ":"));
  EXPECT_EQ(env.count("GIT_AUTHOR_NAME"), 0u) << "the test process's environment leaked";
  EXPECT_EQ(ReadAll(AccountDir() + "/svc--main/pwd.txt"), work + "\n");

  ASSERT_EQ(out.consumed.size(), 2u);
  EXPECT_EQ(out.consumed[0].consumer, "vpc");
  EXPECT_EQ(out.consumed[0].path, "/odmd-share/net/b..main/vpcId");
  EXPECT_EQ(out.consumed[0].version, 2);
  EXPECT_FALSE(out.consumed[0].placeholder);
  EXPECT_EQ(out.consumed[1].consumer, "log-bucket");
  EXPECT_EQ(out.consumed[1].path, "/odmd-share/net/b..main/logBucket");
  EXPECT_EQ(out.consumed[1].version, 0);
  EXPECT_TRUE(out.consumed[1].placeholder);

  const nlohmann::json record =
      nlohmann::json::parse(Value("/odmd-share/svc/b..main/share..version"));
  EXPECT_EQ(record, nlohmann::json::parse(R"({
      "vpc": {"path": "/odmd-share/net/b..main/vpcId", "version": 2, "placeholder": false},
      "log-bucket": {"path": "/odmd-share/net/b..main/logBucket", "version": 0,
                     "placeholder": true}})"));
  ExpectNoLeftovers();
}

TEST_F(DeployerTest, WorkDirIsTheScriptsDirectoryAndItsScriptRoot) {
  org_.FindBuild("svc")->envers[0].work_dir = "app";
  const std::string sha = Commit({{"app/.scripts/build.sh", kEnvScript}});
  Put("/odmd-share/net/b..main/vpcId", "vpc-1");
  auto deployer = NewDeployer();
  DeployOutcome out = DeployOk(*deployer, NewDeployment("d1", sha), Target("svc"));
  ASSERT_TRUE(out.succeeded) << out.reason;
  const auto env = ParseEnv(ReadAll(AccountDir() + "/svc--main/env.txt"));
  EXPECT_EQ(env.at("ODMD_work_dir"), "app");
  EXPECT_EQ(ReadAll(AccountDir() + "/svc--main/pwd.txt"), state_dir_ + "/work/d1/app\n");
}

TEST_F(DeployerTest, MissingProducerValueWithoutPlaceholderFailsWithoutRunning) {
  const std::string sha = Commit({{".scripts/build.sh", kEnvScript}});
  auto deployer = NewDeployer();
  DeployOutcome out = DeployOk(*deployer, NewDeployment("d1", sha), Target("svc"));
  EXPECT_FALSE(out.succeeded);
  EXPECT_FALSE(out.transient);
  EXPECT_EQ(out.reason,
            "consumer \"vpc\": product /odmd-share/net/b..main/vpcId has no value and no "
            "placeholder");
  EXPECT_FALSE(fs::exists(AccountDir() + "/svc--main/env.txt"));
  EXPECT_EQ(Value(LogKey("d1")), "<absent>");
  EXPECT_EQ(Value("/odmd-share/svc/b..main/share..version"), "<absent>");
  ExpectNoLeftovers();
}

TEST_F(DeployerTest, DeletedProducerValueFallsBackToThePlaceholder) {
  const std::string sha = Commit({{".scripts/build.sh", kEnvScript}});
  Put("/odmd-share/net/b..main/vpcId", "vpc-1");
  Put("/odmd-share/net/b..main/logBucket", "bucket-1");
  ASSERT_THAT(store_->Delete("/odmd-share/net/b..main/logBucket", std::nullopt), IsOk());
  auto deployer = NewDeployer();
  DeployOutcome out = DeployOk(*deployer, NewDeployment("d1", sha), Target("svc"));
  ASSERT_TRUE(out.succeeded) << out.reason;
  const auto env = ParseEnv(ReadAll(AccountDir() + "/svc--main/env.txt"));
  EXPECT_EQ(env.at("ODMD_consumer_log_bucket"), "none-yet");
  EXPECT_TRUE(out.consumed[1].placeholder);
}

TEST_F(DeployerTest, ProductsFromFilesAreWrittenOnlyWhenTheirValueChanges) {
  const std::string sha = Commit({{".scripts/build.sh", kProductScript}});
  Put("/odmd-share/net/b..main/vpcId", "vpc-1");
  auto deployer = NewDeployer();

  DeployOutcome first = DeployOk(*deployer, NewDeployment("d1", sha), Target("svc"));
  ASSERT_TRUE(first.succeeded) << first.reason;
  EXPECT_THAT(first.published,
              ElementsAre("/odmd-share/svc/b..main/db/host", "/odmd-share/svc/b..main/url"));
  EXPECT_EQ(Value("/odmd-share/svc/b..main/url"), "https://vpc-1");
  EXPECT_EQ(Value("/odmd-share/svc/b..main/db/host"), "db.local");
  const store::Version record_version = Version("/odmd-share/svc/b..main/share..version");
  EXPECT_EQ(record_version, 1);

  // Same inputs: nothing changes, nothing is written.
  DeployOutcome second = DeployOk(*deployer, NewDeployment("d2", sha), Target("svc"));
  ASSERT_TRUE(second.succeeded) << second.reason;
  EXPECT_THAT(second.published, IsEmpty());
  EXPECT_EQ(Version("/odmd-share/svc/b..main/url"), 1);
  EXPECT_EQ(Version("/odmd-share/svc/b..main/db/host"), 1);
  EXPECT_EQ(Version("/odmd-share/svc/b..main/share..version"), 1);

  // A new upstream value: url changes (new version), db/host does not.
  Put("/odmd-share/net/b..main/vpcId", "vpc-2");
  DeployOutcome third = DeployOk(*deployer, NewDeployment("d3", sha), Target("svc"));
  ASSERT_TRUE(third.succeeded) << third.reason;
  EXPECT_THAT(third.published, ElementsAre("/odmd-share/svc/b..main/url"));
  EXPECT_EQ(Value("/odmd-share/svc/b..main/url"), "https://vpc-2");
  EXPECT_EQ(Version("/odmd-share/svc/b..main/url"), 2);
  EXPECT_EQ(Version("/odmd-share/svc/b..main/db/host"), 1);
  EXPECT_EQ(Version("/odmd-share/svc/b..main/share..version"), 2);
  EXPECT_EQ(
      nlohmann::json::parse(Value("/odmd-share/svc/b..main/share..version"))["vpc"]["version"], 2);
  ExpectNoLeftovers();
}

TEST_F(DeployerTest, UndeclaredProductIsRefusedAndNothingIsWritten) {
  const std::string sha = Commit({{".scripts/build.sh",
                                   "#!/bin/sh\n"
                                   "echo x > \"$ODMD_PRODUCTS_DIR/url\"\n"
                                   "echo y > \"$ODMD_PRODUCTS_DIR/bogus\"\n"}});
  Put("/odmd-share/net/b..main/vpcId", "vpc-1");
  auto deployer = NewDeployer();
  DeployOutcome out = DeployOk(*deployer, NewDeployment("d1", sha), Target("svc"));
  EXPECT_FALSE(out.succeeded);
  EXPECT_FALSE(out.transient);
  EXPECT_EQ(out.reason, "build script wrote undeclared product \"bogus\"");
  EXPECT_EQ(out.exit_code, 0);
  EXPECT_EQ(Value("/odmd-share/svc/b..main/url"), "<absent>");
  EXPECT_EQ(Value("/odmd-share/svc/b..main/share..version"), "<absent>");
  ExpectNoLeftovers();
}

TEST_F(DeployerTest, NonZeroExitFailsWithTheCodeAndStoresTheLog) {
  const std::string sha = Commit({{".scripts/build.sh",
                                   "#!/bin/sh\n"
                                   "echo building\n"
                                   "echo broken >&2\n"
                                   "echo x > \"$ODMD_PRODUCTS_DIR/url\"\n"
                                   "exit 3\n"}});
  Put("/odmd-share/net/b..main/vpcId", "vpc-1");
  auto deployer = NewDeployer();
  DeployOutcome out = DeployOk(*deployer, NewDeployment("d0000000007", sha), Target("svc"));
  EXPECT_FALSE(out.succeeded);
  EXPECT_FALSE(out.transient);
  EXPECT_FALSE(out.cancelled);
  EXPECT_EQ(out.exit_code, 3);
  EXPECT_EQ(out.reason, "build script exited with 3");
  EXPECT_EQ(Value("/odmd/logs/d0000000007"), "building\nbroken\n");
  EXPECT_EQ(ReadAll(state_dir_ + "/logs/d0000000007.log"), "building\nbroken\n");
  EXPECT_EQ(Value("/odmd-share/svc/b..main/url"), "<absent>");
  EXPECT_EQ(out.consumed.size(), 2u);
  ExpectNoLeftovers();
}

TEST_F(DeployerTest, StoredLogKeepsTheLastMebibyte) {
  // 1 MiB of 'a' then a last line: the stored log is the last 1 MiB, ending with the line.
  const std::string sha = Commit({{".scripts/build.sh",
                                   "#!/bin/sh\n"
                                   "head -c 1048576 /dev/zero | tr '\\0' a\n"
                                   "echo the-end\n"}});
  Put("/odmd-share/net/b..main/vpcId", "vpc-1");
  auto deployer = NewDeployer();
  DeployOutcome out = DeployOk(*deployer, NewDeployment("d1", sha), Target("svc"));
  ASSERT_TRUE(out.succeeded) << out.reason;
  const std::string log = Value(LogKey("d1"));
  EXPECT_EQ(log.size(), kMaxLogBytes);
  EXPECT_EQ(log.substr(log.size() - 8), "the-end\n");
  EXPECT_EQ(fs::file_size(state_dir_ + "/logs/d1.log"), 1048576u + 8u);
}

TEST_F(DeployerTest, TimeLimitFailsTheRunAsTimedOut) {
  const std::string sha = Commit({{".scripts/build.sh", "#!/bin/sh\necho started\nsleep 1000\n"}});
  Put("/odmd-share/net/b..main/vpcId", "vpc-1");
  DeployerOptions o = Options();
  o.time_limit = std::chrono::milliseconds(300);
  auto deployer = NewDeployer(o);
  DeployOutcome out = DeployOk(*deployer, NewDeployment("d1", sha), Target("svc"));
  EXPECT_FALSE(out.succeeded);
  EXPECT_FALSE(out.cancelled);
  EXPECT_EQ(out.reason, "build script timed out after 300ms");
  EXPECT_EQ(out.exit_code, -1);
  EXPECT_EQ(Value(LogKey("d1")), "started\n");
  ExpectNoLeftovers();
}

TEST_F(DeployerTest, CancelStopsARunningScript) {
  const std::string sha = CommitScriptThatWaits();
  auto deployer = NewDeployer();
  CancelFlag cancel;
  Result<DeployOutcome> out = InternalError("not run");
  const DeployTarget target = Target("svc");
  std::thread t([&] { out = deployer->Deploy(NewDeployment("d1", sha), target, &cancel); });
  // Wait (bounded) until the script runs and its process group is recorded, then cancel it.
  const fs::path record = fs::path(state_dir_) / "running" / "d1.pgid";
  for (int i = 0;
       i < 6000 && !(fs::exists(AccountDir() + "/svc--main/started") && fs::exists(record)); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  EXPECT_TRUE(fs::exists(AccountDir() + "/svc--main/started"));
  // The record is written under a temporary name and renamed: once it exists it names the
  // group (a reader, or a restart after a crash, never finds it empty), with nothing beside.
  std::vector<std::string> records;
  for (const auto& e : fs::directory_iterator(record.parent_path())) {
    records.push_back(e.path().filename().string());
  }
  EXPECT_THAT(records, ElementsAre("d1.pgid"));
  std::ifstream in(record);
  long pgid = 0;
  EXPECT_TRUE(in >> pgid && pgid > 1) << "the record names no process group";
  cancel.Cancel();
  t.join();
  ASSERT_THAT(out, IsOk());
  EXPECT_FALSE(out->succeeded);
  EXPECT_TRUE(out->cancelled);
  EXPECT_FALSE(out->transient);
  EXPECT_EQ(out->reason, "cancelled");
  ExpectNoLeftovers();
}

TEST_F(DeployerTest, CancelledBeforeStartRunsNothing) {
  const std::string sha = Commit({{".scripts/build.sh", kEnvScript}});
  Put("/odmd-share/net/b..main/vpcId", "vpc-1");
  auto deployer = NewDeployer();
  CancelFlag cancel;
  cancel.Cancel();
  DeployOutcome out = DeployOk(*deployer, NewDeployment("d1", sha), Target("svc"), &cancel);
  EXPECT_FALSE(out.succeeded);
  EXPECT_TRUE(out.cancelled);
  EXPECT_EQ(out.reason, "cancelled");
  EXPECT_FALSE(fs::exists(AccountDir() + "/svc--main/env.txt"));
  ExpectNoLeftovers();
}

TEST_F(DeployerTest, MissingBuildScriptFailsNamingItAndTheCommit) {
  const std::string sha = Commit({{"README", "no script here\n"}});
  Put("/odmd-share/net/b..main/vpcId", "vpc-1");
  auto deployer = NewDeployer();
  DeployOutcome out = DeployOk(*deployer, NewDeployment("d1", sha), Target("svc"));
  EXPECT_FALSE(out.succeeded);
  EXPECT_FALSE(out.transient);
  EXPECT_EQ(out.reason, "build script \".scripts/build.sh\" not found in commit " +
                            sha.substr(0, 7) + " (work dir \"\")");
  ExpectNoLeftovers();
}

TEST_F(DeployerTest, BuildScriptOutsideTheRepositoryIsRefused) {
  org_.FindBuild("svc")->envers[0].build_script = "../../../evil.sh";
  const std::string sha = Commit({{".scripts/build.sh", kEnvScript}});
  Put("/odmd-share/net/b..main/vpcId", "vpc-1");
  auto deployer = NewDeployer();
  DeployOutcome out = DeployOk(*deployer, NewDeployment("d1", sha), Target("svc"));
  EXPECT_FALSE(out.succeeded);
  EXPECT_THAT(out.reason, HasSubstr("\"../../../evil.sh\""));
  EXPECT_THAT(out.reason, HasSubstr("lies outside the repository"));
}

TEST_F(DeployerTest, UnknownCommitIsATransientCheckoutFailure) {
  Commit({{".scripts/build.sh", kEnvScript}});
  Put("/odmd-share/net/b..main/vpcId", "vpc-1");
  auto deployer = NewDeployer();
  const std::string missing(40, 'a');
  DeployOutcome out = DeployOk(*deployer, NewDeployment("d1", missing), Target("svc"));
  EXPECT_FALSE(out.succeeded);
  EXPECT_TRUE(out.transient);
  EXPECT_THAT(out.reason, HasSubstr("cannot check out aaaaaaa of \"" + repo_ + "\""));
  ExpectNoLeftovers();
}

TEST_F(DeployerTest, RunnerThatCannotStartIsATransientFailure) {
  const std::string sha = Commit({{".scripts/build.sh", kEnvScript}});
  Put("/odmd-share/net/b..main/vpcId", "vpc-1");
  ::odmd::testing::RecordingRunner recording;
  recording.AddError(InternalError("fork: no more processes"));
  Deployer deployer(*store_, *git_, recording, fake_clock_, Options());
  Result<DeployOutcome> out = deployer.Deploy(NewDeployment("d1", sha), Target("svc"), nullptr);
  ASSERT_THAT(out, IsOk());
  EXPECT_FALSE(out->succeeded);
  EXPECT_TRUE(out->transient);
  EXPECT_EQ(out->reason, "could not start build script: fork: no more processes");
  ASSERT_EQ(recording.requests().size(), 1u);
  EXPECT_EQ(recording.requests()[0].argv,
            std::vector<std::string>{state_dir_ + "/work/d1/.scripts/build.sh"});
  EXPECT_EQ(recording.requests()[0].time_limit, std::chrono::milliseconds(60000));
  ExpectNoLeftovers();
}

TEST_F(DeployerTest, StoreThatCannotTakeTheLogIsATransientFailure) {
  const std::string sha = Commit({{".scripts/build.sh", kProductScript}});
  Put("/odmd-share/net/b..main/vpcId", "vpc-1");
  ::odmd::testing::FaultyConfigStore faulty(*store_);
  faulty.SetFailWrites(true);
  Deployer deployer(faulty, *git_, *runner_, fake_clock_, Options());
  Result<DeployOutcome> out = deployer.Deploy(NewDeployment("d1", sha), Target("svc"), nullptr);
  ASSERT_THAT(out, IsOk());
  EXPECT_FALSE(out->succeeded);
  EXPECT_TRUE(out->transient);
  EXPECT_THAT(out->reason, HasSubstr("cannot store the log: injected fault"));
  EXPECT_EQ(Value("/odmd-share/svc/b..main/url"), "<absent>");
  ExpectNoLeftovers();
}

TEST_F(DeployerTest, StoreThatCannotTakeAProductIsATransientFailure) {
  const std::string sha = Commit({{".scripts/build.sh", kProductScript}});
  Put("/odmd-share/net/b..main/vpcId", "vpc-1");
  ::odmd::testing::FaultyConfigStore faulty(*store_);
  faulty.FailNthWrite(2);  // the log passes, the products (one batch) fail
  Deployer deployer(faulty, *git_, *runner_, fake_clock_, Options());
  Result<DeployOutcome> out = deployer.Deploy(NewDeployment("d1", sha), Target("svc"), nullptr);
  ASSERT_THAT(out, IsOk());
  EXPECT_FALSE(out->succeeded);
  EXPECT_TRUE(out->transient);
  EXPECT_THAT(out->reason, HasSubstr("cannot write the products of enver svc/b..main"));
  EXPECT_THAT(out->published, IsEmpty());
  EXPECT_EQ(Value("/odmd-share/svc/b..main/url"), "<absent>");
  EXPECT_THAT(out->reason, HasSubstr("injected fault"));
  EXPECT_EQ(Value("/odmd-share/svc/b..main/share..version"), "<absent>");
  ExpectNoLeftovers();
}

TEST_F(DeployerTest, LeftoverWorktreeOfTheSameIdIsReplaced) {
  const std::string sha = Commit({{".scripts/build.sh", kEnvScript}});
  Put("/odmd-share/net/b..main/vpcId", "vpc-1");
  fs::create_directories(state_dir_ + "/work/d1/stale");
  auto deployer = NewDeployer();
  DeployOutcome out = DeployOk(*deployer, NewDeployment("d1", sha), Target("svc"));
  EXPECT_TRUE(out.succeeded) << out.reason;
  ExpectNoLeftovers();
}

TEST_F(DeployerTest, IdenticalCodeOnTwoBranchesDeploysIntoDifferentStacks) {
  const std::string script =
      "#!/bin/sh\n"
      "set -e\n"
      "mkdir -p \"$ODMD_account_dir/$ODMD_stack_names\"\n"
      "echo \"$ODMD_rev_ref\" > \"$ODMD_account_dir/$ODMD_stack_names/deployed\"\n";
  const std::string sha = Commit({{".scripts/build.sh", script}});
  Put("/odmd-share/net/b..main/vpcId", "vpc-1");
  auto deployer = NewDeployer();
  EXPECT_TRUE(DeployOk(*deployer, NewDeployment("d1", sha), Target("svc")).succeeded);
  EXPECT_TRUE(DeployOk(*deployer, NewDeployment("d2", sha, "svc/b..feat"), Target("svc", "b..feat"))
                  .succeeded);
  EXPECT_EQ(ReadAll(AccountDir() + "/svc--main/deployed"), "b..main\n");
  EXPECT_EQ(ReadAll(AccountDir() + "/svc--feat/deployed"), "b..feat\n");
}

TEST_F(DeployerTest, ContractsBuildManifestIsCaptured) {
  const std::string sha = Commit({{".scripts/build.sh",
                                   "#!/bin/sh\n"
                                   "printf '{\"version\":\"1.0.0\"}' > \"$ODMD_MANIFEST_FILE\"\n"
                                   "mkdir -p \"$ODMD_account_dir/$ODMD_stack_names\"\n"
                                   "echo \"$ODMD_MANIFEST_FILE\" > "
                                   "\"$ODMD_account_dir/$ODMD_stack_names/where\"\n"}});
  auto deployer = NewDeployer();
  DeployOutcome out =
      DeployOk(*deployer, NewDeployment("d1", sha, "contracts/b..main"), Target("contracts"));
  ASSERT_TRUE(out.succeeded) << out.reason;
  ASSERT_TRUE(out.manifest.has_value());
  EXPECT_EQ(*out.manifest, "{\"version\":\"1.0.0\"}");
  EXPECT_EQ(ReadAll(state_dir_ + "/accounts/central/us-east-1/contracts--main/where"),
            state_dir_ + "/work/d1.manifest.json\n");
  ExpectNoLeftovers();
}

TEST_F(DeployerTest, ContractsBuildWithoutManifestHasNone) {
  const std::string sha =
      Commit({{".scripts/build.sh", "#!/bin/sh\n: > \"$ODMD_MANIFEST_FILE\"\n"}});
  auto deployer = NewDeployer();
  DeployOutcome out =
      DeployOk(*deployer, NewDeployment("d1", sha, "contracts/b..main"), Target("contracts"));
  ASSERT_TRUE(out.succeeded) << out.reason;
  EXPECT_FALSE(out.manifest.has_value());
}

TEST_F(DeployerTest, TeardownRunsDestroyScriptThenRemovesTheStackDirectory) {
  const std::string sha = Commit({{".scripts/build.sh", kEnvScript},
                                  {".scripts/destroy.sh",
                                   "#!/bin/sh\n"
                                   "echo destroying\n"
                                   "test -f \"$ODMD_account_dir/$ODMD_stack_names/env.txt\"\n"
                                   "echo \"destroyed $ODMD_consumer_vpc\"\n"}});
  Put("/odmd-share/net/b..main/vpcId", "vpc-1");
  auto deployer = NewDeployer();
  ASSERT_TRUE(DeployOk(*deployer, NewDeployment("d1", sha), Target("svc")).succeeded);
  ASSERT_TRUE(fs::exists(AccountDir() + "/svc--main"));
  ASSERT_TRUE(fs::exists(AccountDir() + "/svc--feat") == false);

  Result<DeployOutcome> out = deployer->Teardown(Target("svc"), sha, "d2");
  ASSERT_THAT(out, IsOk());
  EXPECT_TRUE(out->succeeded) << out->reason;
  EXPECT_FALSE(fs::exists(AccountDir() + "/svc--main"));
  EXPECT_FALSE(fs::exists(state_dir_ + "/enver-accounts/ws1/us-west-1/svc--main"));
  EXPECT_EQ(Value(LogKey("d2")), "destroying\ndestroyed vpc-1\n");
  ExpectNoLeftovers();
}

TEST_F(DeployerTest, TeardownWithoutDestroyScriptRemovesTheStackDirectory) {
  const std::string sha = Commit({{".scripts/build.sh", kEnvScript}});
  Put("/odmd-share/net/b..main/vpcId", "vpc-1");
  auto deployer = NewDeployer();
  ASSERT_TRUE(DeployOk(*deployer, NewDeployment("d1", sha), Target("svc")).succeeded);
  // The producer value is gone meanwhile: teardown does not need it.
  ASSERT_THAT(store_->Delete("/odmd-share/net/b..main/vpcId", std::nullopt), IsOk());
  Result<DeployOutcome> out = deployer->Teardown(Target("svc"), sha, "d2");
  ASSERT_THAT(out, IsOk());
  EXPECT_TRUE(out->succeeded) << out->reason;
  EXPECT_FALSE(fs::exists(AccountDir() + "/svc--main"));
  EXPECT_TRUE(fs::exists(AccountDir()));
  EXPECT_EQ(Value(LogKey("d2")), "<absent>");
  ExpectNoLeftovers();
}

TEST_F(DeployerTest, StackDirectoryOfAnOlderOdmdMovesIntoTheEnversAccountDirectory) {
  // Before the sandbox, stacks were plain directories in the shared account directory.
  fs::create_directories(AccountDir() + "/svc--main");
  std::ofstream(AccountDir() + "/svc--main/resources.json") << "old";
  const std::string sha = Commit({{".scripts/build.sh",
                                   "#!/bin/sh\nset -e\n"
                                   "cat \"$ODMD_account_dir/$ODMD_stack_names/resources.json\"\n"
                                   "ls \"$ODMD_account_dir\"\n"}});
  Put("/odmd-share/net/b..main/vpcId", "vpc-1");
  auto deployer = NewDeployer();
  DeployOutcome out = DeployOk(*deployer, NewDeployment("d1", sha), Target("svc"));
  ASSERT_TRUE(out.succeeded) << out.reason;
  EXPECT_EQ(Value(LogKey("d1")), "oldsvc--main\n");
  EXPECT_TRUE(fs::is_symlink(AccountDir() + "/svc--main"));
  EXPECT_EQ(
      ReadAll(state_dir_ + "/enver-accounts/ws1/us-west-1/svc--main/svc--main/resources.json"),
      "old");
  EXPECT_EQ(ReadAll(AccountDir() + "/svc--main/resources.json"), "old");
}

TEST_F(DeployerTest, TeardownWithoutShaOnlyRemovesTheStackDirectory) {
  fs::create_directories(AccountDir() + "/svc--main");
  auto deployer = NewDeployer();
  Result<DeployOutcome> out = deployer->Teardown(Target("svc"), "", "d2");
  ASSERT_THAT(out, IsOk());
  EXPECT_TRUE(out->succeeded) << out->reason;
  EXPECT_FALSE(fs::exists(AccountDir() + "/svc--main"));
}

TEST_F(DeployerTest, FailingDestroyScriptKeepsTheStackDirectory) {
  const std::string sha =
      Commit({{".scripts/build.sh", kEnvScript}, {".scripts/destroy.sh", "#!/bin/sh\nexit 1\n"}});
  Put("/odmd-share/net/b..main/vpcId", "vpc-1");
  auto deployer = NewDeployer();
  ASSERT_TRUE(DeployOk(*deployer, NewDeployment("d1", sha), Target("svc")).succeeded);
  Result<DeployOutcome> out = deployer->Teardown(Target("svc"), sha, "d2");
  ASSERT_THAT(out, IsOk());
  EXPECT_FALSE(out->succeeded);
  EXPECT_EQ(out->reason, "destroy script exited with 1");
  EXPECT_TRUE(fs::exists(AccountDir() + "/svc--main"));
  ExpectNoLeftovers();
}

TEST_F(DeployerTest, UndeclaredAccountFailsNamingIt) {
  org_.FindBuild("svc")->envers[0].account = "nowhere";
  const std::string sha = Commit({{".scripts/build.sh", kEnvScript}});
  Put("/odmd-share/net/b..main/vpcId", "vpc-1");
  auto deployer = NewDeployer();
  DeployOutcome out = DeployOk(*deployer, NewDeployment("d1", sha), Target("svc"));
  EXPECT_FALSE(out.succeeded);
  EXPECT_FALSE(out.transient);
  EXPECT_EQ(out.reason,
            "account \"nowhere\" of enver svc/b..main is not declared in the contracts");
  ExpectNoLeftovers();
}

TEST_F(DeployerTest, RelativeStateDirIsMadeAbsolute) {
  const fs::path cwd = fs::current_path();
  fs::current_path(root_);
  DeployerOptions o = Options();
  o.state_dir = "state/./";
  auto deployer = NewDeployer(o);
  fs::current_path(cwd);
  EXPECT_EQ(deployer->AccountDir(*Target("svc").enver), AccountDir());
}

TEST_F(DeployerTest, AccountDirIsPerAccountAndRegion) {
  auto deployer = NewDeployer();
  EXPECT_EQ(deployer->AccountDir(*Target("svc").enver), AccountDir());
  EXPECT_EQ(deployer->AccountDir(*Target("contracts").enver),
            state_dir_ + "/accounts/central/us-east-1");
}

TEST_F(DeployerTest, ProgrammingErrorsAreInvalidArgument) {
  auto deployer = NewDeployer();
  DeployTarget no_enver = Target("svc");
  no_enver.enver = nullptr;
  const std::string sha(40, 'a');
  EXPECT_THAT(deployer->Deploy(NewDeployment("d1", sha), no_enver, nullptr),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("\"d1\"")));
  EXPECT_THAT(deployer->Deploy(NewDeployment("d1", ""), Target("svc"), nullptr),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("no sha")));
  EXPECT_THAT(deployer->Deploy(NewDeployment("../d1", sha), Target("svc"), nullptr),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("\"../d1\"")));
  EXPECT_THAT(deployer->Teardown(no_enver, sha, "d1"), StatusIs(StatusCode::kInvalidArgument));
  EXPECT_THAT(deployer->Teardown(Target("svc"), sha, ""),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("deployment id")));
}

TEST_F(DeployerTest, ConsumerVariableReplacesOtherCharacters) {
  EXPECT_EQ(ConsumerVariable("a-b.c/d_e9"), "ODMD_consumer_a_b_c_d_e9");
  EXPECT_EQ(LogKey("d0000000042"), "/odmd/logs/d0000000042");
}

TEST_F(DeployerTest, KillLeftoversKillsARecordedProcessGroup) {
  // A group that a "previous process" started and recorded, then forgot.
  fs::create_directories(state_dir_ + "/running");
  fs::create_directories(state_dir_ + "/work/d9/stale");
  std::mutex mu;
  std::condition_variable cv;
  int pgid = 0;
  RunRequest req;
  req.argv = {"sleep", "1000"};
  req.on_started = [&](int g) {
    std::ofstream(state_dir_ + "/running/d9.pgid") << g << "\n";
    std::lock_guard<std::mutex> lock(mu);
    pgid = g;
    cv.notify_all();
  };
  Result<RunResult> result = InternalError("not run");
  std::thread t([&] { result = runner_->Run(req); });
  {
    std::unique_lock<std::mutex> lock(mu);
    ASSERT_TRUE(cv.wait_for(lock, std::chrono::seconds(60), [&] { return pgid != 0; }));
  }
  ASSERT_EQ(::kill(-pgid, 0), 0) << "the group runs";

  auto deployer = NewDeployer();
  ODMD_EXPECT_OK(deployer->KillLeftovers());
  t.join();
  ASSERT_THAT(result, IsOk());
  EXPECT_EQ(result->term_signal, SIGKILL);
  EXPECT_EQ(::kill(-pgid, 0), -1);
  EXPECT_EQ(errno, ESRCH);
  ExpectNoLeftovers();
}

TEST_F(DeployerTest, KillLeftoversWithNothingRecordedIsOk) {
  auto deployer = NewDeployer();
  ODMD_EXPECT_OK(deployer->KillLeftovers());
  fs::create_directories(state_dir_ + "/running");
  std::ofstream(state_dir_ + "/running/d1.pgid") << "garbage\n";
  ODMD_EXPECT_OK(deployer->KillLeftovers());
  ExpectNoLeftovers();
}

// A server killed while writing a run's record leaves it under its temporary name: the next
// start removes it with the rest.
TEST_F(DeployerTest, KillLeftoversRemovesAHalfWrittenRecord) {
  fs::create_directories(state_dir_ + "/running");
  std::ofstream(state_dir_ + "/running/d2.pgid.partial") << "12";
  auto deployer = NewDeployer();
  ODMD_EXPECT_OK(deployer->KillLeftovers());
  ExpectNoLeftovers();
}

}  // namespace
}  // namespace odmd::reconcile
