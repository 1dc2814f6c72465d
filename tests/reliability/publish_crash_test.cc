// Issue 12, defect 2: a 1,000-enver contracts publish killed with SIGKILL at random points
// (named crash points inside the publish and its sync, and random times), then `odmd
// serve` again on the same store: the version is either not current (killed before the commit
// that makes it current; the publish was not acknowledged) or fully synced: every enver has
// its token, the roles are the generated ones, the registered builds' branches have their
// workflows and their envers a deployment, and there is exactly one "contracts.published".
#include <gtest/gtest.h>

#include <iostream>
#include <random>
#include <thread>

#include "harness.h"
#include "odmd/access/policy.h"
#include "odmd/gen/roles.h"
#include "odmd/gen/workflows.h"
#include "odmd/model/manifest.h"
#include "odmd/model/naming.h"
#include "odmd/reconcile/state.h"
#include "synthetic_org.h"

namespace odmd::reliability {
namespace {

// The builds whose repositories are registered (the others are GitHub-hosted: no branches
// here, so no workflow commits and no deployments, but tokens and roles all the same).
const std::vector<std::string> kLocalBuilds = {"svc0", "svc1"};

constexpr const char* kBuildScript = R"SH(#!/bin/sh
set -eu
for p in $ODMD_products; do printf 'v-%s' "$p" > "$ODMD_PRODUCTS_DIR/$p"; done
)SH";

struct PublishSuite {
  fs::path root;
  model::Org org;
  std::string manifest;
  std::map<std::string, std::string> roles;  // generated, by path
  std::vector<gen::GeneratedFile> workflows;

  PublishSuite() {
    std::random_device rd;
    root = fs::temp_directory_path() / ("odmd-publish-crash-" + std::to_string(rd()));
    bench::SyntheticOrgOptions options;
    options.builds = 200;  // x 5 envers: 1,000 envers (and the contracts enver)
    options.consumers_per_enver = 4;
    org = bench::MakeSyntheticOrg(options);
    manifest = model::WriteManifest(org);
    const std::vector<gen::GeneratedFile> generated = gen::GenerateRoles(org).value();
    for (const gen::GeneratedFile& f : generated) roles[f.path] = f.content;
    workflows = gen::GenerateWorkflows(org).value();
    // The registered repos, made once and copied into every round.
    for (const std::string& build : kLocalBuilds) {
      Repo repo(root / "template", build);
      repo.Commit("main", "init", {{".scripts/build.sh", kBuildScript}});
      for (const char* branch : {"dev", "stage", "qa"}) repo.Commit(branch, "branch");
      repo.Tag("r1.0.0", "main");
    }
  }
  ~PublishSuite() {
    std::error_code ec;
    fs::remove_all(root, ec);
  }

  std::vector<std::string> Repos(const fs::path& dir) const {
    std::vector<std::string> out;
    for (const std::string& build : kLocalBuilds) {
      out.push_back("synthetic/" + build + "=" + (dir / "git" / (build + ".git")).string());
    }
    return out;
  }
};

// The checks after the restart; returns whether the version was current.
bool CheckSynced(const PublishSuite& suite, const fs::path& dir, bool acknowledged) {
  store::ConfigStorePtr store = OpenStore("sqlite:" + (dir / "state" / "state.db").string());
  if (!store) return false;
  EventFacts facts = CheckEvents(*store);
  EXPECT_TRUE(facts.problems.empty()) << ::testing::PrintToString(facts.problems);
  Result<store::Entry> manifest = store->Get(access::kManifestKey);
  if (!manifest.ok()) {
    // Killed before the commit that makes the version current: nothing was promised.
    EXPECT_FALSE(acknowledged) << "an acknowledged publish is lost";
    EXPECT_EQ(facts.contracts_published.size(), 0u);
    return false;
  }
  EXPECT_EQ(manifest->value, suite.manifest);
  EXPECT_TRUE(IsNotFound(store->Get(reconcile::kContractsSyncKey).status()))
      << "the sync is still pending after a restart";
  EXPECT_EQ(facts.contracts_published[suite.org.version], 1)
      << "contracts.published for " << suite.org.version;
  // Tokens: every enver.
  std::set<std::string> tokens, deployed;
  for (const store::Entry& e : List(*store, reconcile::kEnverTokensPrefix)) {
    tokens.insert(e.key.substr(reconcile::kEnverTokensPrefix.size()));
  }
  for (const store::Entry& e : List(*store, reconcile::kDeploymentsPrefix)) {
    deployed.insert(nlohmann::json::parse(e.value).value("enver", ""));
  }
  int missing_tokens = 0;
  for (const model::Build& b : suite.org.builds) {
    for (const model::Enver& e : b.envers) {
      missing_tokens += tokens.count(model::EnverId(b.id, e.rev)) ? 0 : 1;
    }
  }
  EXPECT_EQ(missing_tokens, 0) << "envers without a token";
  // Roles: exactly the generated ones.
  std::map<std::string, std::string> roles;
  for (const store::Entry& e : List(*store, reconcile::kRolesPrefix)) {
    roles[e.key.substr(reconcile::kRolesPrefix.size())] = e.value;
  }
  EXPECT_TRUE(roles == suite.roles)
      << roles.size() << " roles stored, " << suite.roles.size() << " generated";
  // Workflows in every branch and a deployment of every enver of the registered builds.
  for (const std::string& build : kLocalBuilds) {
    for (const model::Enver& e : suite.org.FindBuild(build)->envers) {
      EXPECT_TRUE(deployed.count(model::EnverId(build, e.rev)))
          << "no deployment of " << model::EnverId(build, e.rev);
      if (e.rev.type() != model::RevType::kBranch) continue;
      for (const gen::GeneratedFile& f : suite.workflows) {
        if (f.build_id != build) continue;  // absent before: written whoever owns edits
        const std::string git = "git -C " + Q((dir / "git" / (build + ".git")).string());
        std::string shown;
        FILE* pipe = ::popen(
            (git + " show " + Q(e.rev.value() + ":" + f.path) + " 2>/dev/null").c_str(), "r");
        char buf[4096];
        size_t n;
        while (pipe && (n = std::fread(buf, 1, sizeof buf, pipe)) > 0) shown.append(buf, n);
        if (pipe) ::pclose(pipe);
        EXPECT_EQ(shown, f.content) << f.path << " on " << build << " " << e.rev.value();
      }
    }
  }
  return true;
}

// 20 killed rounds in all, in four shards of five that CTest runs side by side: one shard is
// a few minutes under the sanitizers, the whole would be most of the CI run's length.
constexpr int kShards = 4;
constexpr int kRoundsPerShard = 5;

class PublishCrashTest : public ::testing::TestWithParam<int> {};

TEST_P(PublishCrashTest, AThousandEnverPublishKilledAnywhereIsFullySyncedAfterRestart) {
  PublishSuite suite;
  std::mt19937 rng(std::random_device{}());
  const int rounds = Rounds(kRoundsPerShard, 1);
  // The crash points of a publish (libs/reconcile/src/platform/contracts.cc), and 0 for a
  // kill at a random time within the publish.
  const std::vector<std::string> points = {"publish.committed", "sync.workflows", "sync.roles",
                                           "sync.token",        "sync.enqueue",   ""};
  int kills = 0, committed = 0, acknowledged_total = 0;
  std::chrono::milliseconds publish_time{0};
  for (int round = 0; round <= rounds; ++round) {
    const fs::path dir = suite.root / ("round" + std::to_string(round));
    fs::create_directories(dir);
    fs::copy(suite.root / "template" / "git", dir / "git", fs::copy_options::recursive);
    // Round 0 is not killed: it measures how long a publish takes.
    std::string crash_at;
    const std::string point = round == 0 ? "" : points[rng() % points.size()];
    if (point == "sync.token") {
      crash_at = point + ":" + std::to_string(1 + rng() % 4);  // 4 commits of 250
    } else if (!point.empty()) {
      crash_at = point + ":1";
    }
    bool acknowledged = false;
    {
      Server server(dir / "state", suite.Repos(dir), false, crash_at);
      ASSERT_TRUE(server.WaitReady()) << ReadFile(dir / "state" / "serve.log");
      const auto start = std::chrono::steady_clock::now();
      std::thread client([&] {
        Reply r = Call(server, "POST", "/api/contracts", suite.manifest, std::chrono::minutes(2));
        acknowledged = r.status == 200;
      });
      if (round == 0) {
        client.join();
        publish_time = std::chrono::duration_cast<std::chrono::milliseconds>(
            std::chrono::steady_clock::now() - start);
        ASSERT_TRUE(acknowledged) << ReadFile(dir / "state" / "serve.log");
      } else if (point.empty()) {
        std::this_thread::sleep_for(std::chrono::milliseconds(
            rng() % static_cast<unsigned>(std::max<std::int64_t>(1, publish_time.count()))));
        server.Kill();
        client.join();
      } else {
        // The crash point kills it; a point it never reached leaves the publish whole.
        client.join();
        if (!server.Ended()) server.Kill();
      }
      kills += round == 0 ? 0 : 1;
    }
    acknowledged_total += acknowledged ? 1 : 0;
    {
      // The restart finishes the sync before it serves (and before its workers start).
      Server restart(dir / "state", suite.Repos(dir), false);
      ASSERT_TRUE(restart.WaitReady()) << ReadFile(dir / "state" / "serve.log");
    }
    committed += CheckSynced(suite, dir, acknowledged) ? 1 : 0;
    if (::testing::Test::HasFailure()) {
      ADD_FAILURE() << "round " << round << " (kill at " << (crash_at.empty() ? "random" : crash_at)
                    << ") failed; its log:\n"
                    << ReadFile(dir / "state" / "serve.log");
      return;
    }
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
  std::cout << "publish crash shard " << GetParam() << " rounds: " << rounds << ", kills: " << kills
            << ", envers per publish: 1000, publish took " << publish_time.count()
            << " ms unkilled, rounds where the version had become current: " << committed - 1
            << ", acknowledged publishes: " << acknowledged_total << ", lost: 0\n";
  EXPECT_GE(committed - 1, rounds / 2) << "most kills should land inside the sync";
}

INSTANTIATE_TEST_SUITE_P(Shards, PublishCrashTest, ::testing::Range(0, kShards));

}  // namespace
}  // namespace odmd::reliability
