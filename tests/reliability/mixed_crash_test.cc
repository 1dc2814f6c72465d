// The reliability suite's main test (issue 12): rounds of a real `odmd serve` on one SQLite
// store, each killed with SIGKILL — at a random time or at a named crash point — while
// clients put products through the API and write the store through the CLI, deployments
// run, contracts are published (adding and removing an enver) and clones are created and
// deleted by pushes. Every restart must show: every acknowledged write present, the event
// log gapless and without a product version, an alert or a publish recorded twice, no
// publish left half-synced, every clone whole or gone.
#include <gtest/gtest.h>

#include <atomic>
#include <iostream>
#include <mutex>
#include <random>
#include <thread>

#include "harness.h"
#include "odmd/access/policy.h"
#include "odmd/model/manifest.h"
#include "odmd/model/naming.h"
#include "odmd/reconcile/state.h"

namespace odmd::reliability {
namespace {

constexpr const char* kSvcScript = R"SH(#!/bin/sh
set -eu
sleep 0.1
printf 'https://svc/%s' "$ODMD_deployment_id" > "$ODMD_PRODUCTS_DIR/url"
)SH";

constexpr const char* kQuietScript = R"SH(#!/bin/sh
set -eu
sleep 0.05
)SH";

// svc/b..main publishes url (its deployments) and n (the suite's API puts); app redeploys on
// url, mon is notified of n (an alert per version). Version `minor` odd adds svc/b..extra.
model::Org MixedOrg(int minor) {
  model::Org org;
  org.name = "mixed";
  org.version = "1." + std::to_string(minor) + ".0";
  org.accounts = {{"central", "111111111111"}, {"workspace", "222222222222"}};
  auto build = [](const std::string& id, model::BuildKind kind) {
    model::Build b;
    b.id = id;
    b.kind = kind;
    b.repo = {"acme", id, 1};
    return b;
  };
  auto enver = [](const std::string& branch, const std::string& account) {
    model::Enver e;
    e.rev = model::RevRef::Branch(branch);
    e.account = account;
    e.region = "us-east-1";
    return e;
  };
  model::Build contracts = build("contracts", model::BuildKind::kContracts);
  contracts.envers = {enver("main", "central")};
  model::Build svc = build("svc", model::BuildKind::kCdk);
  svc.envers = {enver("main", "workspace")};
  svc.envers[0].products = {{"url"}, {"n"}};
  if (minor % 2 == 1) {
    svc.envers.push_back(enver("extra", "workspace"));
    svc.envers.back().products = {{"url"}};
  }
  model::Build app = build("app", model::BuildKind::kCdk);
  app.envers = {enver("main", "workspace")};
  app.envers[0].consumers = {
      {"svcUrl", "svc/b..main", "url", std::nullopt, model::Reaction::kRedeploy}};
  model::Build mon = build("mon", model::BuildKind::kCdk);
  mon.envers = {enver("main", "workspace")};
  mon.envers[0].consumers = {{"svcN", "svc/b..main", "n", std::nullopt, model::Reaction::kNotify}};
  org.builds = {contracts, svc, app, mon};
  model::Canonicalize(org);
  return org;
}

// Where each kind of action can be killed from the inside (libs/reconcile/src/platform).
const std::map<std::string, std::vector<std::string>> kPoints = {
    {"push", {"reactions.committed"}},
    {"publish",
     {"publish.committed", "sync.teardown", "sync.workflows", "sync.roles", "sync.token",
      "sync.enqueue", "teardown.script", "teardown.revoked"}},
    {"create", {"clone.token_issued", "clone.recorded"}},
    {"delete", {"teardown.script", "teardown.revoked", "clone.torn_down"}},
};

// The events whose record mentions `needle` (its enver, ref or message), one per line, to
// tell why a check failed.
std::string EventsNaming(store::ConfigStore& store, const std::string& needle) {
  std::string out;
  for (const store::Entry& e : List(store, reconcile::kEventsPrefix)) {
    if (e.value.find(needle) != std::string::npos) out += e.key + " " + e.value + "\n";
  }
  return out.empty() ? "(none)\n" : out;
}

int Count(const std::map<std::string, int>& counts, const std::string& key) {
  auto it = counts.find(key);
  return it == counts.end() ? 0 : it->second;
}

struct Acked {
  std::mutex mu;
  std::vector<std::tuple<std::string, store::Version, std::string>> products;
  std::vector<std::pair<std::string, std::string>> store_writes;
  std::set<std::string> publishes;  // versions
};

// Runs `odmd store put KEY VALUE --store URL`; true when it exited 0 (acknowledged).
bool CliStorePut(const std::string& store_url, const std::string& key, const std::string& value) {
  return std::system((std::string(ODMD_BINARY) + " store put " + Q(key) + " " + Q(value) +
                      " --store " + Q(store_url) + " >/dev/null 2>&1")
                         .c_str()) == 0;
}

class MixedSuite {
 public:
  MixedSuite() : rng_(std::random_device{}()) {
    root_ = fs::temp_directory_path() / ("odmd-reliability-" + std::to_string(rng_()));
    for (const char* name : {"svc", "app", "mon"}) {
      repos_.emplace(name, std::make_unique<Repo>(root_, name));
      repos_.at(name)->Commit(
          "main", "init",
          {{".scripts/build.sh", std::string(name) == "svc" ? kSvcScript : kQuietScript}});
      repo_args_.push_back(std::string("acme/") + name + "=" + repos_.at(name)->bare().string());
    }
    repos_.at("svc")->Commit("extra", "extra branch");
  }
  ~MixedSuite() {
    std::error_code ec;
    fs::remove_all(root_, ec);
  }

  void Run(int rounds);

 private:
  fs::path state() const { return root_ / "state"; }
  std::string StoreUrl() const { return "sqlite:" + (state() / "state.db").string(); }
  std::string PickAction();
  void Act(const Server& server, const std::string& action);
  void Check(bool stopped);

  std::mt19937 rng_;
  fs::path root_;
  std::map<std::string, std::unique_ptr<Repo>> repos_;
  std::vector<std::string> repo_args_;
  Acked acked_;
  int minor_ = 0;  // the last version published (acknowledged or not)
  int next_clone_ = 0;
  // Clone branches whose last push was "odmd: create@main" (live) or "odmd: delete".
  std::set<std::string> live_branches_, deleted_branches_;
  std::map<std::string, int> actions_, kills_by_;
  EventFacts events_;
  size_t checked_products_ = 0, checked_writes_ = 0;
};

std::string MixedSuite::PickAction() {
  const int r = static_cast<int>(rng_() % 10);
  if (r < 3) return "push";
  if (r < 5) return "publish";
  if (r < 7 && live_branches_.size() < 5) return "create";
  if (!live_branches_.empty()) return "delete";
  return "create";
}

void MixedSuite::Act(const Server& server, const std::string& action) {
  if (action == "push") {
    repos_.at("svc")->Commit("main", "change " + std::to_string(rng_()));
    Call(server, "POST", "/api/notify", R"({"repo":"acme/svc"})");
  } else if (action == "publish") {
    const int minor = ++minor_;
    const std::string text = model::WriteManifest(MixedOrg(minor));
    if (Call(server, "POST", "/api/contracts", text).status == 200) {
      std::lock_guard lock(acked_.mu);
      acked_.publishes.insert(MixedOrg(minor).version);
    }
  } else if (action == "create") {
    const std::string branch = "c" + std::to_string(++next_clone_);
    live_branches_.insert(branch);
    // The branch's name in the message: two clone branches made in the same second from the
    // same main would otherwise get the very same commit, and a new ref's commits exclude
    // those another ref has (one push creating two branches at one commit is issue 16's).
    repos_.at("svc")->Commit(branch, "try " + branch + "\n\nodmd: create@main");
    Call(server, "POST", "/api/notify", R"({"repo":"acme/svc"})");
  } else {
    auto it = live_branches_.begin();
    std::advance(it, rng_() % live_branches_.size());
    const std::string branch = *it;
    live_branches_.erase(it);
    deleted_branches_.insert(branch);
    repos_.at("svc")->Commit(branch, "done " + branch + "\n\nodmd: delete");
    Call(server, "POST", "/api/notify", R"({"repo":"acme/svc"})");
  }
}

// The invariants after a restart. `stopped`: the server has stopped (the event counter can
// be compared with the events; while it runs, it may move between the two reads).
void MixedSuite::Check(bool stopped) {
  store::ConfigStorePtr store = OpenStore(StoreUrl());
  ASSERT_NE(store, nullptr);
  std::lock_guard lock(acked_.mu);
  // Each acknowledged write is checked after the restart that follows it (and all of them
  // at the end).
  const size_t from_product = stopped ? 0 : checked_products_;
  const size_t from_write = stopped ? 0 : checked_writes_;
  checked_products_ = acked_.products.size();
  checked_writes_ = acked_.store_writes.size();
  int lost = 0;
  for (size_t i = from_product; i < acked_.products.size(); ++i) {
    const auto& [path, version, value] = acked_.products[i];
    Result<store::Entry> e = store->GetVersion(path, version);
    if (!e.ok() || e->value != value) {
      ++lost;
      ADD_FAILURE() << "acknowledged product put lost: " << path << " v" << version;
    }
  }
  for (size_t i = from_write; i < acked_.store_writes.size(); ++i) {
    const auto& [key, value] = acked_.store_writes[i];
    Result<store::Entry> e = store->Get(key);
    if (!e.ok() || e->value != value) {
      ++lost;
      ADD_FAILURE() << "acknowledged store write lost: " << key;
    }
  }
  EXPECT_EQ(lost, 0);
  events_.Advance(*store, stopped);
  EventFacts& facts = events_;
  EXPECT_TRUE(facts.problems.empty()) << ::testing::PrintToString(facts.problems);
  // Publishes: none pending, each version recorded once, the acknowledged ones current or
  // superseded, every enver of the current one with its token.
  EXPECT_TRUE(IsNotFound(store->Get(reconcile::kContractsSyncKey).status()))
      << "a publish is still half-synced after the restart";
  for (const auto& [version, count] : facts.contracts_published) {
    EXPECT_EQ(count, 1) << "contracts.published for " << version;
  }
  for (const std::string& version : acked_.publishes) {
    EXPECT_EQ(Count(facts.contracts_published, version), 1) << "acknowledged publish " << version;
  }
  Result<store::Entry> manifest = store->Get(access::kManifestKey);
  ASSERT_TRUE(manifest.ok()) << manifest.status();
  Result<model::Org> org = model::ReadManifest(manifest->value, nullptr);
  ASSERT_TRUE(org.ok()) << org.status();
  EXPECT_EQ(Count(facts.contracts_published, org->version), 1)
      << "the current version " << org->version;
  for (const model::Build& b : org->builds) {
    for (const model::Enver& e : b.envers) {
      const std::string id = model::EnverId(b.id, e.rev);
      EXPECT_TRUE(store->Get(reconcile::EnverTokenKey(id)).ok()) << id << " has no token";
    }
  }
  // Clones: whole (record, token, one clone.created) or gone (no record, no token).
  std::map<std::string, std::string> clone_of_ref;  // git ref -> clone id
  for (const store::Entry& e : List(*store, access::kClonesPrefix)) {
    clone_of_ref[nlohmann::json::parse(e.value).value("git_ref", "")] =
        e.key.substr(access::kClonesPrefix.size());
  }
  for (const std::string& branch : live_branches_) {
    auto it = clone_of_ref.find("refs/heads/" + branch);
    if (it == clone_of_ref.end()) {
      ADD_FAILURE() << "the clone of " << branch << " is missing; the events naming it:\n"
                    << EventsNaming(*store, "b.." + branch) << "and its ref:\n"
                    << EventsNaming(*store, "heads/" + branch + "\"")
                    << EventsNaming(*store, "heads/" + branch + " ");
      continue;
    }
    EXPECT_TRUE(store->Get(reconcile::EnverTokenKey(it->second)).ok()) << it->second;
    EXPECT_TRUE(facts.created_clones.count(it->second)) << "no clone.created for " << it->second;
  }
  for (const std::string& branch : deleted_branches_) {
    const std::string id = "svc/b..main-_b.." + branch;
    EXPECT_FALSE(clone_of_ref.count("refs/heads/" + branch)) << branch << " still has a clone";
    EXPECT_FALSE(store->Get(reconcile::EnverTokenKey(id)).ok()) << id << " still has a token";
    EXPECT_TRUE(facts.deleted_clones.count(id)) << "no clone.deleted for " << id;
  }
}

void MixedSuite::Run(int rounds) {
  // Setup (not killed): the first version.
  {
    Server server(state(), repo_args_, false);
    ASSERT_TRUE(server.WaitReady()) << ReadFile(state() / "serve.log");
    ++minor_;
    ASSERT_EQ(Call(server, "POST", "/api/contracts", model::WriteManifest(MixedOrg(minor_))).status,
              200);
    acked_.publishes.insert(MixedOrg(minor_).version);
  }
  int kills = 0, died_at_point = 0, not_ready = 0;
  for (int round = 0; round < rounds; ++round) {
    const std::string action = PickAction();
    ++actions_[action];
    // Half the rounds die at a crash point of their action, half at a random time.
    std::string crash_at;
    if (rng_() % 2 == 0) {
      // A publish that adds svc/b..extra (odd minor) tears nothing down.
      const bool adds = action == "publish" && (minor_ + 1) % 2 == 1;
      std::vector<std::string> points = kPoints.at(action);
      std::erase_if(points, [&](const std::string& p) {
        return adds && p.find("teardown") != std::string::npos;
      });
      crash_at = points[rng_() % points.size()] + ":1";
    }
    Server server(state(), repo_args_, false, crash_at);
    if (!server.WaitReady()) {
      // Killed at its crash point while starting (a reaction resumed at start).
      server.Wait();
      ASSERT_TRUE(server.Killed()) << ReadFile(state() / "serve.log");
      ++kills;
      ++not_ready;
      continue;
    }
    Check(false);
    if (::testing::Test::HasFatalFailure() || ::testing::Test::HasFailure()) {
      ADD_FAILURE() << "round " << round << " (" << action << ", kill at "
                    << (crash_at.empty() ? "random" : crash_at) << "):\n"
                    << ReadFile(state() / "serve.log");
      return;
    }
    std::atomic<bool> stop{false};
    std::thread products([&] {
      for (int i = 0; !stop; ++i) {
        const std::string value = "r" + std::to_string(round) + "-" + std::to_string(i);
        Reply r =
            Call(server, "PUT", "/api/ci/products/svc/b..main/n", value, std::chrono::seconds(10));
        if (r.status != 200) continue;
        const auto j = nlohmann::json::parse(r.body, nullptr, false);
        std::lock_guard lock(acked_.mu);
        acked_.products.emplace_back("/odmd-share/svc/b..main/n",
                                     j.value("version", store::Version{0}), value);
      }
    });
    std::thread writes([&] {
      for (int i = 0; !stop; ++i) {
        const std::string key = "/reliability/r" + std::to_string(round) + "/" + std::to_string(i);
        if (CliStorePut(StoreUrl(), key, "w" + std::to_string(i))) {
          std::lock_guard lock(acked_.mu);
          acked_.store_writes.emplace_back(key, "w" + std::to_string(i));
        }
      }
    });
    std::thread actor([&] { Act(server, action); });
    if (crash_at.empty()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20 + rng_() % 380));
    } else {
      // Its crash point kills it; one it never reaches leaves the round to a kill now.
      const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(1500);
      while (!server.Ended() && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
      }
      died_at_point += server.Ended() ? 1 : 0;
    }
    server.Kill();
    ++kills;
    ++kills_by_[action];
    stop = true;
    products.join();
    writes.join();
    actor.join();
  }
  // The last restart runs until idle and stops: the full check, the event counter too.
  {
    Server last(state(), repo_args_, true);
    ASSERT_EQ(last.Wait(), 0) << ReadFile(state() / "serve.log");
  }
  Check(true);
  std::cout << "reliability: rounds " << rounds << ", kills " << kills << " (" << died_at_point
            << " at a crash point, " << not_ready << " while starting), acknowledged writes "
            << acked_.products.size() + acked_.store_writes.size() + acked_.publishes.size()
            << " (product puts " << acked_.products.size() << ", store writes "
            << acked_.store_writes.size() << ", publishes " << acked_.publishes.size()
            << "), clones created " << next_clone_ << ", deleted " << deleted_branches_.size()
            << ", lost " << (::testing::Test::HasFailure() ? "SEE FAILURES" : "0") << "\n";
  for (const auto& [action, n] : actions_) {
    std::cout << "  " << action << ": " << n << " rounds, " << kills_by_[action] << " kills\n";
  }
}

// 80 rounds here and the 20 of publish_crash_test.cc: 100 kill rounds.
TEST(ReliabilityTest, KilledServeLosesNoAcknowledgedWriteAndRecordsEverythingOnce) {
  MixedSuite suite;
  suite.Run(Rounds(80, 8));
}

}  // namespace
}  // namespace odmd::reliability
