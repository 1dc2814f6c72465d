// The replica chaos test (issue 18): three `odmd serve` replicas share one PostgreSQL store
// (a fresh database on the suite's throwaway cluster), each with a state directory of its
// own as on hosts of their own, with the same secret key (docs/platform.md, "Replicas").
// While clients put products and write the store, push, publish and create and delete
// clones against whichever replicas serve, the replica that leads is killed with SIGKILL at
// random moments, 20 times, and a new replica is started each time, so three run
// throughout. Then one last replica runs until the platform is idle, and the store must
// show what the single-server suite demands (mixed_workload.h: every acknowledged write,
// the event log gapless without duplicates, no publish half-synced, every clone whole or
// gone), and the build scripts' run records must show that no enver ever ran twice at once
// and that a deployment ran again only after a kill of the leader.
//
// A variant runs two queue workers on every follower too (--follower-workers 2, docs/
// platform.md "Replicas: workers on followers") and kills a random replica each time, the
// leader or a follower mid-deployment: the same checks hold (each attempt started once, a
// second one only after a resumption, no build script meeting another run of its enver).
//
// When the platform is not idle at the end, the failure shows each deployment still queued
// or running with its queue record, its owner's worker lease, its events and the kills.
//
// A deterministic test covers what that once showed (1 run in ~15 under the sanitizers): a
// new leader whose first repository scan deletes a clone that a dead worker was deploying
// waited 2 minutes for that run, because the loop that re-queues a dead worker's runs
// started only after the scan.
//
// A second test stops the leader with SIGSTOP past its lease, lets another replica take
// over and handle product changes and a push, then resumes the old leader: it exits 1
// ("lease lost") and the store's revision does not move meanwhile. With the fence removed
// (FencedStore returning the plain store) it failed in 2 of 4 runs: the resumed leader's
// reaction and intake threads race its lease loop's deadline; the store's own test
// (PostgresLeaseTest.ADeposedLeadersFencedWritesFailAndWriteNothing) proves the fence
// deterministically.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <sstream>
#include <thread>

#include "harness.h"
#include "mixed_workload.h"
#include "odmd/access/policy.h"
#include "odmd/access/principal.h"
#include "odmd/access/tokens.h"
#include "odmd/base/clock.h"
#include "odmd/reconcile/queue.h"
#include "odmd/reconcile/worker_lease.h"
#include "odmd/store/leader_lease.h"
#include "postgres_test_db.h"

namespace odmd::reliability {
namespace {

constexpr int kKills = 20;
constexpr int kLeaseMs = 1000;
constexpr int kRenewMs = 200;

// The deployment an event is about ("" if none).
std::string DeploymentOf(const nlohmann::json& event) {
  return event.value("fields", nlohmann::json::object()).value("deployment", "");
}

// "<kind>: <message>".
std::string Told(const nlohmann::json& event) {
  return event.value("kind", "") + ": " + event.value("message", "");
}

struct Replica {
  std::string id;
  std::unique_ptr<Server> server;
};

class ReplicaChaos {
 public:
  // `follower_workers`: --follower-workers of every replica; `kill_any`: each kill picks a
  // random replica instead of the leader.
  explicit ReplicaChaos(int follower_workers = 0, bool kill_any = false)
      : work_(fs::temp_directory_path() /
              ("odmd-replica-chaos-" + std::to_string(std::random_device{}()))),
        follower_workers_(follower_workers),
        kill_any_(kill_any) {}

  void Run(int kills);
  // A leader stopped with SIGSTOP past its lease, replaced, then resumed: it writes nothing
  // (the store's revision does not move) and exits 1.
  void RunStopped();
  // A worker replica dies while deploying a clone, its worker lease still valid; the leader
  // dies too, and the clone's "odmd: delete" is pushed meanwhile. The next leader's first
  // scan deletes the clone: it waits for that run, which its OrphanLoop resumes once the
  // dead worker's lease expires (and then cancels), not for two minutes.
  void RunDeleteOfADeadWorkersClone();

 private:
  // The database, the admin token and the lease observer.
  void Open();
  // Open, then the first replica, which leads (`*led`, `*leader`) and publishes the first
  // contracts version.
  void OpenWithALeader(store::LeaseState* led, Replica** leader);
  fs::path state(const std::string& id) const { return work_.root() / ("state-" + id); }
  std::string LogOf(const std::string& id) const { return (state(id) / "serve.log").string(); }
  ServerOptions Options(const std::string& id, bool once) const;
  void StartReplica();
  void ShareSecretKey(const std::string& id);
  // Reads every replica's output and publishes the URLs of those that serve.
  void RefreshServing();
  int Random(int below) {
    std::lock_guard lock(mu_);
    return static_cast<int>(rng_() % static_cast<unsigned>(below));
  }
  // A random replica that serves; nullopt when none does.
  std::optional<Target> AnyServing();
  // Waits until a replica this test started holds the lease with an epoch above `after`
  // and serves; that replica.
  Replica* WaitLeader(store::Epoch after, store::LeaseState* state);
  // Waits until the leader has nothing queued or running.
  void WaitIdle(const Replica& leader);
  // For a deployment that stays queued or running: its queue record, its owner's worker
  // lease, the events that name it or its enver, the platform's failure alerts and the kills.
  std::string Explain(const nlohmann::json& deployments);
  std::string Logs() const;
  // The event log, parsed, in order (a malformed event is skipped).
  std::vector<nlohmann::json> Events();
  void CheckRuns(int kills);

  MixedWorkload work_;
  std::unique_ptr<testing::PostgresTestDb> db_;
  store::ConfigStorePtr store_;
  store::LeaderLeasePtr lease_;
  std::string token_;
  std::vector<Replica> replicas_;  // the main thread's
  int started_ = 0;
  std::mutex mu_;
  std::mt19937 rng_{std::random_device{}()};  // guarded by mu_ (work_.rng() is the actor's)
  std::vector<std::string> serving_;          // guarded by mu_
  std::vector<double> failover_ms_;
  const int follower_workers_;
  const bool kill_any_;
  // Every replica seen leading, with when it took the lease (ms, the database's clock: this
  // host's, as the servers' started_at_ms).
  std::map<std::string, std::int64_t> led_since_ms_;
};

ServerOptions ReplicaChaos::Options(const std::string& id, bool once) const {
  ServerOptions o;
  o.once = once;
  o.store = db_->Url();

  // No sandbox: the scripts' run records live in the test's directory (mixed_workload.h).
  o.args = {"--replica-id",        id,
            "--lease-duration-ms", std::to_string(kLeaseMs),
            "--lease-renew-ms",    std::to_string(kRenewMs),
            "--sandbox",           "none"};
  if (follower_workers_ > 0) {
    // The leader's one worker is woken by its own enqueues at once, the followers' by the
    // store's notification: fewer on the leader, so the followers claim their share.
    o.args.insert(o.args.end(),
                  {"--follower-workers", std::to_string(follower_workers_), "--concurrency", "1"});
  }
  return o;
}

void ReplicaChaos::StartReplica() {
  const std::string id = "r" + std::to_string(started_++);
  ShareSecretKey(id);
  replicas_.push_back(
      {id, std::make_unique<Server>(state(id), work_.repo_args(), Options(id, false))});
}

// Every replica seals and unseals tokens with the same key: the first one's.
void ReplicaChaos::ShareSecretKey(const std::string& id) {
  if (id == "r0") return;
  fs::create_directories(state(id));
  std::error_code ec;
  fs::copy_file(state("r0") / "secret.key", state(id) / "secret.key",
                fs::copy_options::overwrite_existing, ec);
  EXPECT_FALSE(ec) << "cannot copy r0's secret.key: " << ec.message();
}

void ReplicaChaos::RefreshServing() {
  std::vector<std::string> urls;
  for (Replica& r : replicas_) {
    if (r.server->Listening()) urls.push_back(r.server->listen_url());
  }
  std::lock_guard lock(mu_);
  serving_ = std::move(urls);
}

std::optional<Target> ReplicaChaos::AnyServing() {
  std::lock_guard lock(mu_);
  if (serving_.empty()) return std::nullopt;
  return Target{serving_[rng_() % serving_.size()], token_};
}

Replica* ReplicaChaos::WaitLeader(store::Epoch after, store::LeaseState* state) {
  const auto deadline = std::chrono::steady_clock::now() + kWaitLimit;
  while (std::chrono::steady_clock::now() < deadline) {
    RefreshServing();
    Result<store::LeaseState> s = lease_->Current();
    if (s.ok() && s->held() && s->epoch > after) {
      led_since_ms_.emplace(s->holder, s->acquired_at_ms);
      for (Replica& r : replicas_) {
        if (r.id == s->holder && r.server->Listening()) {
          *state = *s;
          return &r;
        }
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ADD_FAILURE() << "no replica led with an epoch above " << after << " within "
                << kWaitLimit.count() << " s:\n"
                << Logs();
  return nullptr;
}

void ReplicaChaos::WaitIdle(const Replica& leader) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  std::string last;
  while (std::chrono::steady_clock::now() < deadline) {
    Reply r = Call(leader.server->listen_url(), token_, "GET", "/api/deployments?limit=1000", "");
    last = r.body;
    const auto j = nlohmann::json::parse(r.body, nullptr, false);
    if (r.status == 200 && j.is_object()) {
      const auto& all = j.value("deployments", nlohmann::json::array());
      if (std::none_of(all.begin(), all.end(), [](const nlohmann::json& d) {
            const std::string st = d.value("state", "");
            return st == "queued" || st == "running";
          })) {
        return;
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  const auto j = nlohmann::json::parse(last, nullptr, false);
  ADD_FAILURE() << "the platform was not idle within 120 s: " << last << "\n"
                << (j.is_object() ? Explain(j.value("deployments", nlohmann::json::array())) : "");
}

std::string ReplicaChaos::Explain(const nlohmann::json& deployments) {
  std::ostringstream out;
  const std::vector<nlohmann::json> events = Events();
  for (const nlohmann::json& d : deployments) {
    const std::string state = d.value("state", "");
    if (state != "queued" && state != "running") continue;
    const std::string id = d.value("id", ""), enver = d.value("enver", "");
    const std::string owner = d.value("owner", "");
    out << "stuck: " << id << " (" << state << ", owner " << owner << ", enver " << enver << ")\n";
    for (const store::Entry& e : List(*store_, "/odmd/queue/" + enver)) {
      out << "  " << e.key << " = " << e.value << "\n";
    }
    store::LeaseOptions observer;
    observer.name = "worker:" + owner;
    observer.replica_id = "chaos-observer";
    Result<store::LeaderLeasePtr> lease = store_->NewLeaderLease(observer);
    Result<store::LeaseState> s = lease.ok() ? (*lease)->Current() : lease.status();
    if (s.ok() && !owner.empty()) {
      out << "  lease " << observer.name << ": holder " << s->holder << " epoch " << s->epoch
          << " expires in " << (s->expires_at_ms - s->now_ms) << " ms\n";
    }
    for (const nlohmann::json& j : events) {
      const bool mine = DeploymentOf(j) == id;
      // The platform's own failures ("could not ..."), not the mon/b..main notify alerts.
      const bool failure =
          j.value("kind", "") == "alert" && j.value("message", "").starts_with("could not");
      if (mine || failure || j.value("enver", "") == enver) {
        out << "  " << j.value("seq", std::int64_t{0}) << " " << Told(j) << "\n";
      }
    }
  }
  std::istringstream runs(ReadFile(work_.runs_log()));
  for (std::string line; std::getline(runs, line);) {
    if (line.starts_with("kill")) out << "  " << line << "\n";
  }
  return out.str();
}

std::vector<nlohmann::json> ReplicaChaos::Events() {
  std::vector<nlohmann::json> events;
  for (const store::Entry& e : List(*store_, "/odmd/events/")) {
    auto j = nlohmann::json::parse(e.value, nullptr, false);
    if (j.is_object()) events.push_back(std::move(j));
  }
  return events;
}

std::string ReplicaChaos::Logs() const {
  std::string out;
  for (int i = 0; i < started_; ++i) {
    const std::string log = ReadFile(LogOf("r" + std::to_string(i)));
    out += "--- r" + std::to_string(i) + " ---\n" +
           (log.size() > 3000 ? "..." + log.substr(log.size() - 3000) : log);
  }
  return out;
}

// Every deployment ran once per the queue's rules, never twice at once:
// - the platform started each attempt of a deployment once (attempts 1..N, in order), and
//   every attempt after the first needs a resumption after a leader's death
//   (deployment.resumed) or a transient failure's retry (deployment.failed, final false);
// - the build scripts (runs.log, mixed_workload.h) never found another run of their enver
//   alive, and ran at most once per attempt.
void ReplicaChaos::CheckRuns(int kills) {
  struct Facts {
    std::vector<int> attempts;  // of deployment.started, in event order
    int resumed = 0, retried = 0, scripts = 0;
  };
  std::map<std::string, Facts> by_id;
  for (const nlohmann::json& j : Events()) {
    const auto fields = j.value("fields", nlohmann::json::object());
    const std::string id = fields.value("deployment", "");
    const std::string kind = j.value("kind", "");
    if (id.empty()) continue;
    if (kind == "deployment.started") {
      by_id[id].attempts.push_back(std::atoi(fields.value("attempt", "0").c_str()));
    } else if (kind == "deployment.resumed") {
      ++by_id[id].resumed;
    } else if (kind == "deployment.failed" && fields.value("final", "") == "false") {
      ++by_id[id].retried;
    }
  }
  std::istringstream in(ReadFile(work_.runs_log()));
  int kills_seen = 0, scripts = 0;
  for (std::string line; std::getline(in, line);) {
    std::istringstream words(line);
    std::string what, id, enver;
    words >> what >> id >> enver;
    if (what == "kill") ++kills_seen;
    if (what == "concurrent") {
      ADD_FAILURE() << "deployment " << id << " of " << enver
                    << " ran while another run of the enver was alive";
    }
    if (what == "start") ++by_id[id].scripts, ++scripts;
  }
  EXPECT_EQ(kills_seen, kills);
  EXPECT_GT(scripts, 0) << "no build script recorded a run";
  int again = 0;
  for (const auto& [id, f] : by_id) {
    const int n = static_cast<int>(f.attempts.size());
    for (int i = 0; i < n; ++i) {
      EXPECT_EQ(f.attempts[static_cast<size_t>(i)], i + 1)
          << "deployment " << id << ": attempts started " << ::testing::PrintToString(f.attempts);
    }
    EXPECT_LE(n - std::min(n, 1), f.resumed + f.retried)
        << "deployment " << id << " started " << n << " times after " << f.resumed
        << " resumptions and " << f.retried << " retries";
    EXPECT_LE(f.scripts, n) << "deployment " << id << ": more script runs than attempts";
    again += std::max(0, n - 1);
  }
  // With workers on followers, some deployment's last attempt started on a replica that was
  // not leading then: never seen leading, or before it took the lease. (A replica leads from
  // its election until it dies: a deposed leader exits.)
  int by_followers = 0;
  std::string follower_runs;
  for (const store::Entry& e : List(*store_, "/odmd/deployments/")) {
    const auto j = nlohmann::json::parse(e.value, nullptr, false);
    const std::string owner = j.is_object() ? j.value("owner", "") : "";
    const std::int64_t started = j.is_object() ? j.value("started_at_ms", std::int64_t{0}) : 0;
    const auto led = led_since_ms_.find(owner);
    if (!owner.empty() &&
        (led == led_since_ms_.end() || started < led->second)) {  // "": never claimed
      ++by_followers;
      follower_runs +=
          " " + e.key + " by " + j.value("owner", "") + " (" + j.value("state", "") + ")";
    }
  }
  if (follower_workers_ > 0) {
    EXPECT_GT(by_followers, 0) << "no deployment ran on a follower";
  } else {
    EXPECT_EQ(by_followers, 0) << "deployments run on a follower without --follower-workers:"
                               << follower_runs;
  }
  std::cout << "replica chaos: " << by_followers << " deployments last run by a follower\n";
  std::cout << "replica chaos: " << by_id.size() << " deployments, " << again
            << " attempts again (after a leader's death or a transient failure), " << scripts
            << " script runs\n";
}

void ReplicaChaos::Open() {
  replicas_.reserve(64);  // a Replica* stays valid while more are started
  Result<std::unique_ptr<testing::PostgresTestDb>> db = testing::PostgresTestDb::Create();
  ASSERT_TRUE(db.ok()) << db.status();
  db_ = std::move(db).value();
  store_ = OpenStore(db_->Url());
  ASSERT_NE(store_, nullptr);
  SystemClock clock;
  access::TokenRegistry tokens(*store_, clock);
  Result<std::string> token = tokens.Issue(access::Principal::Admin());
  ASSERT_TRUE(token.ok()) << token.status();
  token_ = *token;
  store::LeaseOptions observer;
  observer.replica_id = "chaos-observer";
  Result<store::LeaderLeasePtr> lease = store_->NewLeaderLease(observer);
  ASSERT_TRUE(lease.ok()) << lease.status();
  lease_ = std::move(lease).value();
}

void ReplicaChaos::OpenWithALeader(store::LeaseState* led, Replica** leader) {
  ASSERT_NO_FATAL_FAILURE(Open());
  StartReplica();
  *leader = WaitLeader(0, led);
  ASSERT_NE(*leader, nullptr);
  ASSERT_TRUE(work_.Publish({(*leader)->server->listen_url(), token_})) << Logs();
}

void ReplicaChaos::Run(int kills) {
  // The first replica leads and publishes the first version; two more stand by.
  store::LeaseState led;
  Replica* leader = nullptr;
  ASSERT_NO_FATAL_FAILURE(OpenWithALeader(&led, &leader));
  StartReplica();
  StartReplica();

  std::atomic<bool> stop{false};
  auto each = [&](const std::function<void(const Target&, int)>& act) {
    return std::thread([&, act] {
      for (int i = 0; !stop; ++i) {
        if (std::optional<Target> to = AnyServing()) {
          act(*to, i);
        } else {
          std::this_thread::sleep_for(std::chrono::milliseconds(5));
        }
      }
    });
  };
  std::thread products =
      each([&](const Target& to, int i) { work_.PutProduct(to, "p" + std::to_string(i)); });
  std::thread writes = std::thread([&] {
    for (int i = 0; !stop; ++i) {
      work_.StoreWrite(db_->Url(), "/chaos/" + std::to_string(i), "w" + std::to_string(i));
    }
  });
  std::thread actor = each([&](const Target& to, int) {
    work_.Act(to, work_.PickAction());
    std::this_thread::sleep_for(std::chrono::milliseconds(50 + Random(150)));
  });

  store::Epoch epoch = led.epoch;  // the leader's
  for (int k = 1; k <= kills; ++k) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100 + Random(900)));
    leader = WaitLeader(epoch - 1, &led);  // still the leader, or a successor
    if (leader == nullptr) break;
    epoch = led.epoch;
    Replica* victim = leader;
    if (kill_any_)
      victim = &replicas_[static_cast<size_t>(Random(static_cast<int>(replicas_.size())))];
    const std::string victim_id = victim->id;
    work_.Note("kill " + victim_id + " epoch " + std::to_string(epoch));
    const auto killed = std::chrono::steady_clock::now();
    victim->server->Kill();
    std::erase_if(replicas_, [&](const Replica& r) { return r.id == victim_id; });
    StartReplica();
    if (victim_id != led.holder) continue;  // a follower: the leader stays
    if (WaitLeader(epoch, &led) == nullptr) break;
    epoch = led.epoch;
    failover_ms_.push_back(
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - killed)
            .count());
  }
  stop = true;
  products.join();
  writes.join();
  actor.join();
  ASSERT_FALSE(::testing::Test::HasFailure());
  leader = WaitLeader(epoch - 1, &led);
  ASSERT_NE(leader, nullptr);
  WaitIdle(*leader);

  // Every replica stops; one more runs until the platform is idle and stops (the lease of
  // the killed ones expires first).
  replicas_.clear();
  {
    const std::string id = "r" + std::to_string(started_++);
    ShareSecretKey(id);
    led_since_ms_.emplace(id, 0);  // it runs alone, so it leads from its start
    Server last(state(id), work_.repo_args(), Options(id, true));
    ASSERT_EQ(last.Wait(), 0) << Logs();
  }
  work_.Check(*store_, /*stopped=*/true);
  CheckRuns(kills);
  std::sort(failover_ms_.begin(), failover_ms_.end());
  const Acked& acked = work_.acked();
  std::cout << "replica chaos: kills " << kills << ", failover (kill -> the next leader serves) "
            << "p50 " << (failover_ms_.empty() ? 0 : failover_ms_[failover_ms_.size() / 2])
            << " ms, max " << (failover_ms_.empty() ? 0 : failover_ms_.back()) << " ms (lease "
            << kLeaseMs << " ms); acknowledged product puts " << acked.products.size()
            << ", store writes " << acked.store_writes.size() << ", publishes "
            << acked.publishes.size() << "; clones created " << work_.clones_created()
            << ", deleted " << work_.clones_deleted() << "\n";
  if (::testing::Test::HasFailure()) std::cout << Logs();
}

void ReplicaChaos::RunStopped() {
  store::LeaseState led;
  Replica* first = nullptr;
  ASSERT_NO_FATAL_FAILURE(OpenWithALeader(&led, &first));
  WaitIdle(*first);
  StartReplica();
  ASSERT_EQ(::kill(first->server->pid(), SIGSTOP), 0);
  Replica* second = WaitLeader(led.epoch, &led);
  ASSERT_NE(second, nullptr);
  ASSERT_EQ(led.holder, "r1");
  // Changes the stopped leader's watch will deliver when it resumes: product versions (mon
  // reacts to each) and pushes.
  const Target to_second{second->server->listen_url(), token_};
  for (int i = 0; i < 10; ++i) {
    work_.PutProduct(to_second, "while r0 was stopped " + std::to_string(i));
    if (i % 5 == 0) work_.Act(to_second, "push");
  }
  WaitIdle(*second);
  Result<store::Revision> before = store_->LatestRevision();
  ASSERT_TRUE(before.ok()) << before.status();

  ASSERT_EQ(::kill(first->server->pid(), SIGCONT), 0);
  EXPECT_EQ(first->server->Wait(), 1) << Logs();
  const std::string log = ReadFile(LogOf("r0"));
  EXPECT_NE(log.find("lease lost"), std::string::npos) << log;
  Result<store::Revision> after = store_->LatestRevision();
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_EQ(*after, *before) << "the store changed while only the resumed old leader ran:\n"
                             << Logs();
  WaitIdle(*second);
  replicas_.clear();
  work_.Check(*store_, /*stopped=*/true);
}

void ReplicaChaos::RunDeleteOfADeadWorkersClone() {
  store::LeaseState led;
  Replica* first = nullptr;
  ASSERT_NO_FATAL_FAILURE(OpenWithALeader(&led, &first));
  const Target to_first{first->server->listen_url(), token_};
  work_.Act(to_first, "create");
  WaitIdle(*first);
  const std::vector<store::Entry> clones = List(*store_, access::kClonesPrefix);
  ASSERT_EQ(clones.size(), 1u) << Logs();
  const std::string clone = clones[0].key.substr(access::kClonesPrefix.size());
  first->server->Kill();
  replicas_.clear();

  // The worker "ghost" claims a deployment of the clone under its worker lease and dies
  // (nothing renews the lease). The lease outlasts the next leader's start, so its Load
  // keeps the run; only the OrphanLoop can end it.
  constexpr std::chrono::seconds kGhostLease{15};
  store::LeaseOptions ghost;
  ghost.name = reconcile::WorkerLeaseName("ghost");
  ghost.replica_id = "ghost";
  ghost.duration = kGhostLease;
  Result<store::LeaderLeasePtr> lease = store_->NewLeaderLease(ghost);
  ASSERT_TRUE(lease.ok()) << lease.status();
  Result<std::optional<store::Epoch>> epoch = (*lease)->Acquire();
  ASSERT_TRUE(epoch.ok() && epoch->has_value()) << epoch.status();
  const auto ghost_since = std::chrono::steady_clock::now();
  Result<store::ConfigStorePtr> fenced = (*lease)->FencedStore(**epoch);
  ASSERT_TRUE(fenced.ok()) << fenced.status();
  SystemClock clock;
  reconcile::QueueOptions options;
  options.shared = true;
  options.owner = "ghost";
  reconcile::DeploymentQueue queue(**fenced, clock, options);
  ASSERT_TRUE(queue.Load().ok());
  const reconcile::EnqueueRequest request{
      clone, "", {"push", "a push the ghost deploys", "push:ghost@" + clone}};
  ASSERT_TRUE(queue.Enqueue({&request, 1}).ok());
  Result<std::optional<reconcile::Deployment>> claimed =
      queue.Claim([](const reconcile::Deployment&) { return true; });
  ASSERT_TRUE(claimed.ok() && claimed->has_value()) << claimed.status();
  const std::string id = (*claimed)->id;

  // "odmd: delete" while nobody leads (the notification finds no server).
  work_.Act(to_first, "delete");
  StartReplica();
  Replica* second = WaitLeader(led.epoch, &led);
  ASSERT_NE(second, nullptr);
  const auto deadline = std::chrono::steady_clock::now() + kWaitLimit;
  while (!List(*store_, std::string(access::kClonesPrefix) + clone).empty() &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  const double deleted_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - ghost_since).count();
  ASSERT_TRUE(List(*store_, std::string(access::kClonesPrefix) + clone).empty())
      << "the clone was not deleted within " << kWaitLimit.count() << " s of the new leader's "
      << "start:\n"
      << Logs();
  // The run was resumed because the ghost's lease expired and was taken over, then
  // cancelled: it runs nowhere and never again.
  std::string told;
  for (const nlohmann::json& j : Events()) {
    if (DeploymentOf(j) == id) told += Told(j) + "\n";
  }
  EXPECT_NE(told.find("worker lease expired and was taken over"), std::string::npos) << told;
  Result<reconcile::Deployment> d = queue.Get(id);
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(reconcile::DeploymentStateName(d->state), "cancelled") << told;
  EXPECT_GE(deleted_s, std::chrono::duration<double>(kGhostLease).count() - 1) << told;
  std::cout << "replica chaos: the clone was deleted " << deleted_s
            << " s after the dead worker's lease was granted (" << kGhostLease.count() << " s)\n";
  WaitIdle(*second);
}

TEST(ReplicaChaosTest, ALeaderStoppedPastItsLeaseWritesNothingWhenResumed) {
  ReplicaChaos chaos;
  chaos.RunStopped();
}

TEST(ReplicaChaosTest, ANewLeaderDeletesACloneADeadWorkerWasDeployingOnceItsLeaseExpired) {
  ReplicaChaos chaos;
  chaos.RunDeleteOfADeadWorkersClone();
}

TEST(ReplicaChaosTest, KillingTheLeader20TimesLosesNothingAndRunsNothingTwiceAtOnce) {
  ReplicaChaos chaos;
  chaos.Run(kKills);
}

TEST(ReplicaChaosTest, WithWorkersOnFollowersKillingAnyReplicaRunsNothingTwiceAtOnce) {
  ReplicaChaos chaos(/*follower_workers=*/2, /*kill_any=*/true);
  chaos.Run(kKills);
}

}  // namespace
}  // namespace odmd::reliability
