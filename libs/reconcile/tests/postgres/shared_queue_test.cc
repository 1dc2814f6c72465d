// Deployments claimed by several replicas' queues on one PostgreSQL store (issue 18;
// docs/platform.md "Replicas: workers on followers"): each claim is a compare-and-set on the
// deployment's record and its enver's queue record, so two replicas never claim one
// deployment; a worker replica writes through its worker lease's fenced store, and a
// deployment it left running is run again once, only after that lease expired and the
// leader took it over. On the suite's PostgreSQL test cluster (fixture "postgres").
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "odmd/reconcile/queue.h"
#include "odmd/reconcile/state.h"
#include "odmd/reconcile/worker_lease.h"
#include "odmd/store/leader_lease.h"
#include "odmd/store/open_config_store.h"
#include "odmd/testing/fake_clock.h"
#include "odmd/testing/status_matchers.h"
#include "postgres_test_db.h"

namespace odmd::reconcile {
namespace {

using ::odmd::testing::FakeClock;
using ::odmd::testing::PostgresTestDb;
using ::odmd::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

// One replica's view: its own connections, optionally its worker lease and the queue on
// that lease's fenced store.
struct Replica {
  store::ConfigStorePtr plain;
  store::LeaderLeasePtr lease;
  store::Epoch epoch = 0;
  store::ConfigStorePtr fenced;
  std::unique_ptr<OwnerCheck> owners;
  std::unique_ptr<DeploymentQueue> queue;
};

class SharedQueueTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Result<std::unique_ptr<PostgresTestDb>> db = PostgresTestDb::Create();
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = std::move(db).value();
  }

  store::ConfigStorePtr Open() {
    store::StoreOptions options;
    options.url = db_->Url();
    Result<store::ConfigStorePtr> opened = store::OpenConfigStore(options);
    EXPECT_TRUE(opened.ok()) << opened.status();
    return opened.ok() ? std::move(opened).value() : nullptr;
  }

  static store::LeaseOptions Self(const std::string& id, std::chrono::milliseconds duration) {
    store::LeaseOptions o;
    o.replica_id = id;
    o.address = "http://" + id;
    o.duration = duration;
    return o;
  }

  // A replica that runs workers: holds "worker:<id>" and claims through its fence.
  std::unique_ptr<Replica> Worker(const std::string& id, std::chrono::milliseconds lease,
                                  int concurrency = 2) {
    auto r = std::make_unique<Replica>();
    r->plain = Open();
    if (r->plain == nullptr) return nullptr;
    store::LeaseOptions o = Self(id, lease);
    o.name = WorkerLeaseName(id);
    Result<store::LeaderLeasePtr> made = r->plain->NewLeaderLease(o);
    EXPECT_TRUE(made.ok()) << made.status();
    if (!made.ok()) return nullptr;
    r->lease = std::move(made).value();
    Result<std::optional<store::Epoch>> got = r->lease->Acquire();
    EXPECT_TRUE(got.ok() && got->has_value()) << "worker lease of " << id;
    if (!got.ok() || !got->has_value()) return nullptr;
    r->epoch = **got;
    Result<store::ConfigStorePtr> fenced = r->lease->FencedStore(r->epoch);
    EXPECT_TRUE(fenced.ok()) << fenced.status();
    if (!fenced.ok()) return nullptr;
    r->fenced = std::move(fenced).value();
    QueueOptions q;
    q.concurrency = concurrency;
    q.owner = id;
    q.shared = true;
    r->queue = std::make_unique<DeploymentQueue>(*r->fenced, clock_, q);
    EXPECT_TRUE(r->queue->Refresh().ok());
    return r;
  }

  // The leader's queue: enqueues, and resumes what dead workers left (OwnerCheck).
  std::unique_ptr<Replica> Leader(const std::string& id) {
    auto r = std::make_unique<Replica>();
    r->plain = Open();
    if (r->plain == nullptr) return nullptr;
    r->owners = std::make_unique<OwnerCheck>(*r->plain, Self(id, std::chrono::seconds(5)));
    OwnerCheck* owners = r->owners.get();
    QueueOptions q;
    q.owner = id;
    q.shared = true;
    q.owner_gone = [owners](const Deployment& d) { return owners->Gone(d); };
    r->queue = std::make_unique<DeploymentQueue>(*r->plain, clock_, q);
    return r;
  }

  static std::vector<EnqueueRequest> Req(const std::string& enver_id, const std::string& root) {
    EnqueueRequest r;
    r.enver_id = enver_id;
    r.cause = {"push", "push " + root, root};
    return {r};
  }

  // Every event in the store, oldest first.
  std::vector<Event> AllEvents() {
    store::ConfigStorePtr s = Open();
    std::vector<Event> all;
    if (s == nullptr) return all;
    EventLog log(*s, clock_);
    while (true) {
      Result<std::vector<Event>> page = log.List(all.empty() ? 0 : all.back().seq, 1000);
      EXPECT_TRUE(page.ok()) << page.status();
      if (!page.ok() || page->empty()) return all;
      for (Event& e : *page) all.push_back(std::move(e));
    }
  }

  // "deployment.started" events per "<id>#<attempt>".
  std::map<std::string, int> Starts() {
    std::map<std::string, int> starts;
    for (const Event& e : AllEvents()) {
      if (e.kind != "deployment.started") continue;
      starts[e.fields.at("deployment") + "#" + e.fields.at("attempt")] += 1;
    }
    return starts;
  }

  std::unique_ptr<PostgresTestDb> db_;
  FakeClock clock_;
};

TEST_F(SharedQueueTest, ThreeReplicasClaimingAtOnceClaimEachDeploymentOnce) {
  constexpr int kEnvers = 12;
  constexpr int kRounds = 8;
  constexpr int kThreadsPerReplica = 3;
  std::unique_ptr<Replica> leader = Leader("leader");
  ASSERT_NE(leader, nullptr);
  ODMD_ASSERT_OK(leader->queue->Load());
  std::vector<std::unique_ptr<Replica>> workers;
  for (const char* id : {"w1", "w2", "w3"}) {
    workers.push_back(Worker(id, std::chrono::seconds(60), kThreadsPerReplica));
    ASSERT_NE(workers.back(), nullptr);
  }

  std::atomic<bool> enqueued{false};
  std::mutex mu;
  std::vector<std::string> errors;
  std::set<std::string> running_envers;  // claimed and not yet finished, across replicas
  std::map<std::string, int> claims_by_replica;
  std::set<std::string> queued_ids;
  // Notified at every enqueue and finish: a worker with nothing to claim waits for it (or
  // 50 ms: another replica's finish), instead of re-reading the store in a loop.
  std::condition_variable progress;
  auto error = [&](std::string what) {
    std::lock_guard lock(mu);
    errors.push_back(std::move(what));
  };

  std::thread enqueuer([&] {
    for (int round = 0; round < kRounds; ++round) {
      for (int e = 0; e < kEnvers; ++e) {
        const std::string enver = "svc" + std::to_string(e) + "/b..main";
        Result<std::vector<EnqueueResult>> r = leader->queue->Enqueue(
            Req(enver, "r" + std::to_string(round) + "-" + std::to_string(e)));
        if (!r.ok()) {
          error("enqueue " + enver + " round " + std::to_string(round) + ": " +
                r.status().ToString());
          continue;
        }
        std::lock_guard lock(mu);
        queued_ids.insert((*r)[0].deployment_id);
        progress.notify_all();
      }
    }
    enqueued = true;
    progress.notify_all();
  });
  std::vector<std::thread> threads;
  for (auto& w : workers) {
    for (int t = 0; t < kThreadsPerReplica; ++t) {
      threads.emplace_back([&, q = w->queue.get()] {
        while (true) {
          Result<std::optional<Deployment>> claimed =
              q->Claim([](const Deployment&) { return true; });
          if (!claimed.ok()) {
            error("claim: " + claimed.status().ToString());
            return;
          }
          if (!claimed->has_value()) {
            const bool done = enqueued.load();
            // The store is the truth: read it before deciding there is nothing left.
            if (Status s = q->Refresh(); !s.ok()) {
              error("refresh: " + s.ToString());
              return;
            }
            if (done && q->Idle()) return;
            std::unique_lock lock(mu);
            progress.wait_for(lock, std::chrono::milliseconds(50));
            continue;
          }
          Deployment d = std::move(**claimed);
          {
            std::lock_guard lock(mu);
            if (!running_envers.insert(d.enver_id).second) {
              errors.push_back(d.id + " claimed by " + d.owner + " while " + d.enver_id +
                               " had another deployment running");
            }
            claims_by_replica[d.owner] += 1;
          }
          progress.notify_all();
          {
            // Hold the claim until every replica has won one, so the three claim at once
            // whatever the scheduler does: on a loaded machine one replica's threads could
            // otherwise take every deployment before the others read the store (seen in CI).
            std::unique_lock lock(mu);
            if (!progress.wait_for(lock, std::chrono::seconds(60),
                                   [&] { return claims_by_replica.size() == 3u; })) {
              errors.push_back(d.owner + " held " + d.id + " for 60 s and not every replica " +
                               "won a claim meanwhile");
            }
            running_envers.erase(d.enver_id);  // before Finish lets the next one start
          }
          d.state = DeploymentState::kSucceeded;
          if (Status s = q->Finish(d); !s.ok()) error("finish " + d.id + ": " + s.ToString());
          progress.notify_all();
        }
      });
    }
  }
  enqueuer.join();
  for (std::thread& t : threads) t.join();
  EXPECT_THAT(errors, IsEmpty());

  // Every deployment ended: succeeded (started exactly once) or superseded while pending.
  ODMD_ASSERT_OK(leader->queue->Refresh());
  EXPECT_TRUE(leader->queue->Idle());
  std::map<std::string, int> starts = Starts();
  for (const auto& [key, count] : starts) EXPECT_EQ(count, 1) << key << " started twice";
  int succeeded = 0;
  for (const std::string& id : queued_ids) {
    Result<Deployment> d = leader->queue->Get(id);
    ASSERT_TRUE(d.ok()) << d.status();
    if (d->state == DeploymentState::kSucceeded) {
      ++succeeded;
      EXPECT_EQ(d->attempt, 1) << id;
      EXPECT_EQ(starts[id + "#1"], 1) << id;
    } else {
      EXPECT_EQ(d->state, DeploymentState::kSuperseded) << id << ": " << d->reason;
      EXPECT_FALSE(starts.contains(id + "#1")) << id << " was superseded after it started";
    }
  }
  EXPECT_EQ(static_cast<int>(starts.size()), succeeded);
  EXPECT_GE(succeeded, kEnvers);  // the last round of each enver at least
  // The claims were spread: each replica's queue won some (the hold above waits for it).
  EXPECT_EQ(claims_by_replica.size(), 3u) << "claims by replica: " << claims_by_replica.size();
  for (const auto& [owner, n] : claims_by_replica) {
    std::cerr << "claims by " << owner << ": " << n << "\n";
  }
}

TEST_F(SharedQueueTest, TwoClaimsOfOneDeploymentFromStaleMirrorsOneWinsTheOtherMovesOn) {
  std::unique_ptr<Replica> leader = Leader("leader");
  ASSERT_NE(leader, nullptr);
  ODMD_ASSERT_OK(leader->queue->Load());
  std::unique_ptr<Replica> a = Worker("wa", std::chrono::seconds(60));
  std::unique_ptr<Replica> b = Worker("wb", std::chrono::seconds(60));
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  ASSERT_TRUE(leader->queue->Enqueue(Req("one/b..main", "r1")).ok());
  ASSERT_TRUE(leader->queue->Enqueue(Req("two/b..main", "r2")).ok());
  // Both mirrors see both deployments pending.
  ODMD_ASSERT_OK(a->queue->Refresh());
  ODMD_ASSERT_OK(b->queue->Refresh());

  Result<std::optional<Deployment>> by_a = a->queue->Claim([](const Deployment&) { return true; });
  ASSERT_TRUE(by_a.ok() && by_a->has_value()) << by_a.status();
  // b's mirror still has a's deployment pending: its commit loses, it re-reads and takes
  // the other one instead of failing or running a's.
  Result<std::optional<Deployment>> by_b = b->queue->Claim([](const Deployment&) { return true; });
  ASSERT_TRUE(by_b.ok() && by_b->has_value()) << by_b.status();
  EXPECT_NE((*by_a)->id, (*by_b)->id);
  EXPECT_EQ((*by_a)->owner, "wa");
  EXPECT_EQ((*by_b)->owner, "wb");
  Result<std::optional<Deployment>> none = b->queue->Claim([](const Deployment&) { return true; });
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());

  // The leader's stale mirror: its next enqueue of "one" (whose queue record a's claim
  // changed) re-reads and succeeds; a's Finish after that enqueue re-reads too.
  Result<std::vector<EnqueueResult>> again = leader->queue->Enqueue(Req("one/b..main", "r3"));
  ASSERT_TRUE(again.ok()) << again.status();
  Deployment done = **by_a;
  done.state = DeploymentState::kSucceeded;
  ODMD_EXPECT_OK(a->queue->Finish(done));
  Result<Deployment> pending = leader->queue->Get((*again)[0].deployment_id);
  ASSERT_TRUE(pending.ok());
  ODMD_ASSERT_OK(a->queue->Refresh());
  Result<std::optional<Deployment>> next = a->queue->Claim([](const Deployment&) { return true; });
  ASSERT_TRUE(next.ok() && next->has_value()) << next.status();
  EXPECT_EQ((*next)->id, (*again)[0].deployment_id);

  std::map<std::string, int> starts = Starts();
  for (const auto& [key, count] : starts) EXPECT_EQ(count, 1) << key;
  EXPECT_EQ(starts.size(), 3u);
}

TEST_F(SharedQueueTest, ALiveWorkersRunningDeploymentIsNotResumedByANewLeader) {
  std::unique_ptr<Replica> first = Leader("leader-1");
  ASSERT_NE(first, nullptr);
  ODMD_ASSERT_OK(first->queue->Load());
  ASSERT_TRUE(first->queue->Enqueue(Req("svc/b..main", "r1")).ok());
  std::unique_ptr<Replica> w = Worker("w-live", std::chrono::seconds(60));
  ASSERT_NE(w, nullptr);
  Result<std::optional<Deployment>> claimed =
      w->queue->Claim([](const Deployment&) { return true; });
  ASSERT_TRUE(claimed.ok() && claimed->has_value()) << claimed.status();

  // A leader elected meanwhile (the first one died): Load and the periodic check both
  // leave the live worker's deployment running.
  std::unique_ptr<Replica> second = Leader("leader-2");
  ASSERT_NE(second, nullptr);
  ODMD_ASSERT_OK(second->queue->Load());
  EXPECT_THAT(second->queue->resumed(), IsEmpty());
  Result<Orphans> orphans = second->queue->ResumeOrphans();
  ASSERT_TRUE(orphans.ok()) << orphans.status();
  EXPECT_THAT(orphans->resumed, IsEmpty());
  Result<Deployment> d = second->queue->Get((*claimed)->id);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->state, DeploymentState::kRunning);
  EXPECT_EQ(d->owner, "w-live");

  // The worker finishes it, through its fence, after the new leader's start.
  Deployment done = **claimed;
  done.state = DeploymentState::kSucceeded;
  ODMD_EXPECT_OK(w->queue->Finish(done));
  EXPECT_EQ(Starts(), (std::map<std::string, int>{{(*claimed)->id + "#1", 1}}));
}

TEST_F(SharedQueueTest, ADeadWorkersDeploymentIsResumedOnceAfterItsLeaseExpiredAndFenced) {
  std::unique_ptr<Replica> leader = Leader("leader");
  ASSERT_NE(leader, nullptr);
  ODMD_ASSERT_OK(leader->queue->Load());
  ASSERT_TRUE(leader->queue->Enqueue(Req("svc/b..main", "r1")).ok());
  // A worker with a short lease that it never renews: it "dies" (or pauses) at once.
  std::unique_ptr<Replica> w = Worker("w-dead", std::chrono::milliseconds(1000));
  ASSERT_NE(w, nullptr);
  Result<std::optional<Deployment>> claimed =
      w->queue->Claim([](const Deployment&) { return true; });
  ASSERT_TRUE(claimed.ok() && claimed->has_value()) << claimed.status();
  const std::string id = (*claimed)->id;

  // While its lease is held (1 s from the grant), nothing is resumed.
  Result<Orphans> early = leader->queue->ResumeOrphans();
  ASSERT_TRUE(early.ok()) << early.status();
  ASSERT_THAT(early->resumed, IsEmpty());
  Result<store::LeaseState> state = w->lease->Current();
  ASSERT_TRUE(state.ok());
  ASSERT_EQ(state->holder, "w-dead");
  // Wait for the expiry by the database's clock (a condition, bounded).
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (true) {
    Result<store::LeaseState> s = w->lease->Current();
    ASSERT_TRUE(s.ok()) << s.status();
    if (!s->held() || s->holder != "w-dead") break;
    ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "the worker lease never expired";
  }

  Result<Orphans> orphans = leader->queue->ResumeOrphans();
  ASSERT_TRUE(orphans.ok()) << orphans.status();
  EXPECT_THAT(orphans->resumed, ElementsAre(id));
  // The leader took the lease over: the epoch is one higher and it is the holder.
  Result<store::LeaseState> taken = w->lease->Current();
  ASSERT_TRUE(taken.ok());
  EXPECT_EQ(taken->holder, "leader");
  EXPECT_EQ(taken->epoch, w->epoch + 1);
  // Told by the queue's own commit that queued it again (before, the platform told it in a
  // commit of its own afterwards, which a leader killed in between never wrote).
  int told = 0;
  for (const Event& e : AllEvents()) {
    if (e.kind != "deployment.resumed" || e.fields.at("deployment") != id) continue;
    ++told;
    EXPECT_THAT(e.message, HasSubstr("\"w-dead\", whose worker lease expired"));
  }
  EXPECT_EQ(told, 1);
  // Once: a second check finds nothing more to resume.
  Result<Orphans> again = leader->queue->ResumeOrphans();
  ASSERT_TRUE(again.ok());
  EXPECT_THAT(again->resumed, IsEmpty());

  // The dead worker, resumed, finishes its run: refused by its fence, nothing written.
  Result<store::Entry> before = w->plain->Get(DeploymentKey(id));
  ASSERT_TRUE(before.ok());
  Deployment done = **claimed;
  done.state = DeploymentState::kSucceeded;
  EXPECT_THAT(w->queue->Finish(done), StatusIs(StatusCode::kAborted, HasSubstr("lease lost")));
  Result<store::Entry> after = w->plain->Get(DeploymentKey(id));
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->revision, before->revision);
  Result<Deployment> d = leader->queue->Get(id);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->state, DeploymentState::kQueued);
  EXPECT_EQ(d->attempt, 1);
  // Nor can it claim anything (its mirror, read again, shows the deployment pending).
  ODMD_ASSERT_OK(w->queue->Refresh());
  EXPECT_THAT(w->queue->Claim([](const Deployment&) { return true; }),
              StatusIs(StatusCode::kAborted, HasSubstr("lease lost")));

  // Another worker runs it again: attempt 2, each attempt started once.
  std::unique_ptr<Replica> other = Worker("w-other", std::chrono::seconds(60));
  ASSERT_NE(other, nullptr);
  Result<std::optional<Deployment>> rerun =
      other->queue->Claim([](const Deployment&) { return true; });
  ASSERT_TRUE(rerun.ok() && rerun->has_value()) << rerun.status();
  EXPECT_EQ((*rerun)->id, id);
  EXPECT_EQ((*rerun)->attempt, 2);
  EXPECT_EQ(Starts(), (std::map<std::string, int>{{id + "#1", 1}, {id + "#2", 1}}));
}

}  // namespace
}  // namespace odmd::reconcile
