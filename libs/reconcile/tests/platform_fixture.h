#pragma once

// A small org on real git repositories and real processes for the platform tests: bare
// repos in a temp dir with generic build scripts, a SQLite store file, the CliGit and
// ProcessRunner seams, and a Platform over them.

#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "odmd/access/secrets.h"
#include "odmd/model/manifest.h"
#include "odmd/model/org.h"
#include "odmd/reconcile/git.h"
#include "odmd/reconcile/platform.h"
#include "odmd/reconcile/runner.h"
#include "odmd/store/open_config_store.h"
#include "odmd/testing/shell.h"
#include "odmd/testing/status_matchers.h"

namespace odmd::reconcile {

namespace fs = std::filesystem;
using ::odmd::testing::Q;
using ::odmd::testing::Sh;

inline std::string ReadFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

inline void WriteFile(const fs::path& p, const std::string& content) {
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << content;
}

// The build script every service repo uses: "deploys" into its stack directory (a file
// per run, the environment it saw) and publishes every product as a file whose value is
// the repo's `config` file plus the stack name and product name.
inline constexpr const char* kServiceBuildScript = R"SH(#!/bin/sh
set -eu
stack="$ODMD_account_dir/$ODMD_stack_names"
mkdir -p "$stack"
env | grep '^ODMD_' | grep -v '^ODMD_TOKEN=' | sort > "$stack/env.txt"
echo "$ODMD_deployment_id" >> "$stack/runs.log"
if [ -f block ] && [ ! -f "$(cat block)" ]; then
  # Tests that stop the platform mid-deployment: say so through the FIFO named in
  # `started` (if any), then wait until the file named in `block` exists.
  if [ -f started ]; then echo started > "$(cat started)"; fi
  while [ ! -f "$(cat block)" ]; do sleep 0.05; done
fi
# With a file `echo-consumers`, the products also depend on what was consumed.
extra=""
if [ -f echo-consumers ]; then
  extra="-$(env | grep '^ODMD_consumer_' | sort | cksum | cut -d' ' -f1)"
fi
for p in $ODMD_products; do
  printf '%s-%s-%s%s' "$(cat config)" "$ODMD_stack_names" "$p" "$extra" > "$ODMD_PRODUCTS_DIR/$p"
done
echo "deployed $ODMD_enver_id at $(cat config)"
)SH";

inline constexpr const char* kServiceDestroyScript = R"SH(#!/bin/sh
set -eu
echo "destroying $ODMD_enver_id"
)SH";

inline constexpr const char* kContractsBuildScript = R"SH(#!/bin/sh
set -eu
cp manifest.json "$ODMD_MANIFEST_FILE"
)SH";

class PlatformFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    std::random_device rd;
    root_ = fs::temp_directory_path() /
            ("odmd-platform-test-" + std::to_string(rd()) + "-" + std::to_string(rd()));
    fs::create_directories(root_ / "state");
    ::odmd::testing::UseHermeticGit(root_.string());
    std::array<unsigned char, 32> key{};
    key[0] = 7;
    box_ = std::make_unique<access::SecretBox>(access::SecretBox::FromKey(key));
    git_ = NewCliGit();
    runner_ = NewProcessRunner(clock_, std::chrono::milliseconds(200));
    auto store = store::OpenConfigStore({"sqlite:" + (root_ / "state.db").string()});
    ODMD_ASSERT_OK(store);
    store_ = std::move(store).value();
  }

  void TearDown() override {
    if (platform_) platform_->Stop();
    platform_.reset();
    std::error_code ec;
    fs::remove_all(root_, ec);
  }

  // A bare repo "owner/name" with a work clone; returns the bare path.
  std::string NewRepo(const std::string& name) {
    const fs::path bare = root_ / "repos" / (name + ".git");
    fs::create_directories(bare.parent_path());
    Sh("git -c init.defaultBranch=main init -q --bare " + Q(bare.string()));
    Sh("git clone -q " + Q(bare.string()) + " " + Q(Work(name)) + " 2>/dev/null");
    repos_[name] = bare.string();
    return bare.string();
  }
  std::string Work(const std::string& name) { return (root_ / "work" / name).string(); }

  // Writes `files` into the work clone on `branch` (created from the current HEAD if new),
  // commits with `message` and pushes. Returns the new sha.
  std::string Push(const std::string& name, const std::string& branch,
                   const std::map<std::string, std::string>& files, const std::string& message) {
    const std::string w = "git -C " + Q(Work(name)) + " ";
    Sh(w + "checkout -q -B " + Q(branch));
    for (const auto& [path, content] : files) {
      WriteFile(fs::path(Work(name)) / path, content);
      if (path.find(".sh") != std::string::npos)
        fs::permissions(fs::path(Work(name)) / path, fs::perms::owner_all, fs::perm_options::add);
    }
    Sh(w + "add -A");
    Sh(w + "commit -q --allow-empty -m " + Q(message));
    Sh(w + "push -q -f origin " + Q(branch));
    return Sh(w + "rev-parse HEAD");
  }

  void PushTag(const std::string& name, const std::string& tag) {
    Sh("git -C " + Q(Work(name)) + " tag -f " + Q(tag));
    Sh("git -C " + Q(Work(name)) + " push -q -f origin " + Q("refs/tags/" + tag));
  }

  void DeleteBranch(const std::string& name, const std::string& branch) {
    Sh("git -C " + Q(Work(name)) + " push -q origin --delete " + Q(branch));
  }

  // A service repo with the generic scripts and `config` = `config`.
  void NewServiceRepo(const std::string& name, bool echo_consumers = false) {
    NewRepo(name);
    std::map<std::string, std::string> files = {{".scripts/build.sh", kServiceBuildScript},
                                                {".scripts/destroy.sh", kServiceDestroyScript},
                                                {"config", "v1"}};
    if (echo_consumers) files["echo-consumers"] = "yes\n";
    Push(name, "main", files, "initial");
  }

  void NewContractsRepo(const std::string& name, const model::Org& org) {
    NewRepo(name);
    Push(name, "main",
         {{".scripts/build.sh", kContractsBuildScript},
          {"manifest.json", model::WriteManifest(org)}},
         "contracts " + org.version);
  }

  PlatformOptions Options() {
    PlatformOptions o;
    o.state_dir = (root_ / "state").string();
    o.api_url = "http://127.0.0.1:1";
    o.concurrency = 2;
    o.start_workers = false;
    o.deploy_time_limit = std::chrono::seconds(60);
    return o;
  }

  // Creates the platform, registers every repo made so far, and starts it.
  void StartPlatform(PlatformOptions options) {
    platform_ = std::make_unique<Platform>(*store_, *git_, *runner_, clock_, *box_, options);
    for (const auto& [name, path] : repos_) {
      ODMD_ASSERT_OK(platform_->RegisterRepo({name, path}));
    }
    ODMD_ASSERT_OK(platform_->Start());
  }

  // Runs deployments until nothing is runnable.
  int Drain() {
    Result<int> ran = platform_->RunOnce();
    EXPECT_TRUE(ran.ok()) << ran.status().ToString();
    return ran.ok() ? *ran : -1;
  }

  fs::path AccountDir(const std::string& account, const std::string& region) {
    return root_ / "state" / "accounts" / account / region;
  }

  // Events of `kind`.
  std::vector<nlohmann::json> Events(const std::string& kind) {
    std::vector<nlohmann::json> out;
    auto events = platform_->ListEvents(0, 100000);
    EXPECT_TRUE(events.ok());
    if (!events.ok()) return out;
    for (const auto& e : (*events)["events"]) {
      if (e["kind"] == kind) out.push_back(e);
    }
    return out;
  }

  // Deployments of `enver` that ran (succeeded or failed), oldest first.
  std::vector<nlohmann::json> Ran(const std::string& enver) {
    std::vector<nlohmann::json> out;
    auto ds = platform_->ListDeployments(enver, 100000);
    EXPECT_TRUE(ds.ok());
    if (!ds.ok()) return out;
    for (const auto& d : (*ds)["deployments"]) {
      if (d["state"] == "succeeded" || d["state"] == "failed") out.insert(out.begin(), d);
    }
    return out;
  }

  fs::path root_;
  SystemClock clock_;
  std::unique_ptr<access::SecretBox> box_;
  std::unique_ptr<Git> git_;
  std::unique_ptr<Runner> runner_;
  store::ConfigStorePtr store_;
  std::unique_ptr<Platform> platform_;
  std::map<std::string, std::string> repos_;
};

// Builders for test orgs.
inline model::Consumer Consume(std::string name, std::string producer, std::string product,
                               model::OptionalText placeholder = std::nullopt,
                               model::Reaction reaction = model::Reaction::kRedeploy) {
  return {std::move(name), std::move(producer), std::move(product), std::move(placeholder),
          reaction};
}

inline model::Enver MakeEnver(model::RevRef rev, std::vector<std::string> products,
                              std::vector<model::Consumer> consumers, int clone_limit = 20) {
  model::Enver e;
  e.rev = std::move(rev);
  e.account = "workspace";
  e.region = "us-east-1";
  for (auto& p : products) e.products.push_back({std::move(p)});
  e.consumers = std::move(consumers);
  e.clone_limit = clone_limit;
  return e;
}

inline model::Build MakeBuild(std::string id, std::string repo, std::vector<model::Enver> envers,
                              model::BuildKind kind = model::BuildKind::kCmd) {
  model::Build b;
  b.id = std::move(id);
  b.kind = kind;
  b.repo = {"acme", std::move(repo), 1};
  b.envers = std::move(envers);
  return b;
}

// An org `name` with the central and workspace accounts and its contracts build (repo
// "contracts", enver b..main in the central account); tests add their builds.
inline model::Org OrgWithContracts(std::string name, std::string version = "1.0.0") {
  model::Org org;
  org.name = std::move(name);
  org.version = std::move(version);
  org.accounts = {{"central", "111111111111"}, {"workspace", "222222222222"}};
  model::Enver contracts = MakeEnver(model::RevRef::Branch("main"), {}, {});
  contracts.account = "central";
  org.builds.push_back(
      MakeBuild("contracts", "contracts", {contracts}, model::BuildKind::kContracts));
  return org;
}

// The org of the platform tests: the networking <-> logging cycle of the brief, an app
// with a tag enver, a notify consumer.
inline model::Org CycleOrg(std::string version = "1.0.0") {
  model::Org org = OrgWithContracts("acme", std::move(version));
  org.builds.push_back(MakeBuild(
      "net", "net",
      {MakeEnver(model::RevRef::Branch("main"), {"zone"},
                 {Consume("logs", "log/b..main", "bucket", std::string("pending-bucket"))})}));
  org.builds.push_back(MakeBuild("log", "log",
                                 {MakeEnver(model::RevRef::Branch("main"), {"bucket"},
                                            {Consume("zone", "net/b..main", "zone")})}));
  org.builds.push_back(MakeBuild("lib", "lib",
                                 {MakeEnver(model::RevRef::Branch("main"), {"url"}, {}),
                                  MakeEnver(model::RevRef::Tag("v1"), {"url"}, {})}));
  org.builds.push_back(MakeBuild(
      "app", "app",
      {MakeEnver(model::RevRef::Branch("main"), {"url"},
                 {Consume("zone", "net/b..main", "zone"),
                  Consume("bucket", "log/b..main", "bucket"), Consume("lib", "lib/b..main", "url")},
                 2),
       MakeEnver(model::RevRef::Tag("v1"), {"url"}, {Consume("lib", "lib/t..v1", "url")})}));
  org.builds.push_back(MakeBuild(
      "dash", "dash",
      {MakeEnver(model::RevRef::Branch("main"), {},
                 {Consume("app", "app/b..main", "url", std::nullopt, model::Reaction::kNotify)})}));
  model::Canonicalize(org);
  return org;
}

}  // namespace odmd::reconcile
