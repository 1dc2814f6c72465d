// DeploymentQueue on a SQLite file store with a FakeClock: supersede and dedup rules,
// claiming, retries with backoff, cancel, restart recovery, one-commit batches and CAS.

#include "odmd/reconcile/queue.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "odmd/store/forwarding_config_store.h"
#include "odmd/store/open_config_store.h"
#include "odmd/testing/change_collector.h"
#include "odmd/testing/fake_clock.h"
#include "odmd/testing/faulty_config_store.h"
#include "odmd/testing/status_matchers.h"

namespace odmd::reconcile {
namespace {

namespace fs = std::filesystem;
using odmd::testing::ChangeCollector;
using odmd::testing::FakeClock;
using odmd::testing::StatusIs;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

EnqueueRequest Req(std::string enver_id, std::string root, std::string sha = "") {
  EnqueueRequest r;
  r.enver_id = std::move(enver_id);
  r.sha = std::move(sha);
  r.cause = {"push", "push of " + root, std::move(root)};
  return r;
}

bool Always(const Deployment&) { return true; }

class DeploymentQueueTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "odmd-queue-test-XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    store_ = Open();
    ASSERT_NE(store_, nullptr);
    options_.owner = "host-1";
    queue_ = std::make_unique<DeploymentQueue>(*store_, clock_, options_);
    ODMD_ASSERT_OK(queue_->Load());
  }
  void TearDown() override {
    queue_.reset();
    store_.reset();
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  // Another store object on the same file: what another process (or a restart) sees.
  store::ConfigStorePtr Open() {
    store::StoreOptions options;
    options.url = "sqlite:" + (dir_ / "s.db").string();
    Result<store::ConfigStorePtr> opened = store::OpenConfigStore(options);
    EXPECT_TRUE(opened.ok()) << opened.status();
    return opened.ok() ? std::move(opened).value() : nullptr;
  }
  std::vector<EnqueueResult> Enqueue(std::vector<EnqueueRequest> requests) {
    Result<std::vector<EnqueueResult>> r = queue_->Enqueue(requests);
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *r : std::vector<EnqueueResult>{};
  }
  std::optional<Deployment> Claim(const std::function<bool(const Deployment&)>& ready = Always) {
    Result<std::optional<Deployment>> r = queue_->Claim(ready);
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *r : std::nullopt;
  }
  Deployment Get(const std::string& id) {
    Result<Deployment> d = queue_->Get(id);
    EXPECT_TRUE(d.ok()) << d.status();
    return d.ok() ? *d : Deployment{};
  }
  // Get from the store itself, not the mirror.
  Deployment Stored(const std::string& id) {
    Result<store::Entry> e = store_->Get(DeploymentKey(id));
    EXPECT_TRUE(e.ok()) << e.status();
    if (!e.ok()) return {};
    Result<Deployment> d = ParseDeployment(e->value, e->key);
    EXPECT_TRUE(d.ok()) << d.status();
    return d.ok() ? *d : Deployment{};
  }
  QueueRecord StoredQueue(const std::string& enver_id) {
    Result<store::Entry> e = store_->Get(QueueKey(enver_id));
    EXPECT_TRUE(e.ok()) << e.status();
    if (!e.ok()) return {};
    Result<QueueRecord> r = ParseQueueRecord(e->value, e->key);
    return r.ok() ? *r : QueueRecord{};
  }
  std::vector<std::string> EventKinds() {
    Result<std::vector<Event>> events = queue_->events().List(0, 10000);
    EXPECT_TRUE(events.ok()) << events.status();
    std::vector<std::string> kinds;
    if (events.ok()) {
      for (const Event& e : *events) kinds.push_back(e.kind);
    }
    return kinds;
  }
  store::Revision Latest() {
    Result<store::Revision> r = store_->LatestRevision();
    EXPECT_TRUE(r.ok());
    return r.ok() ? *r : -1;
  }
  std::int64_t NowMs() const {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               clock_.WallNow().time_since_epoch())
        .count();
  }
  Deployment Finished(Deployment d, DeploymentState state, std::string reason = "") {
    d.state = state;
    d.reason = std::move(reason);
    d.exit_code = state == DeploymentState::kSucceeded ? 0 : 1;
    return d;
  }

  fs::path dir_;
  FakeClock clock_;
  QueueOptions options_;
  store::ConfigStorePtr store_;
  std::unique_ptr<DeploymentQueue> queue_;
};

// ---------------------------------------------------------------------------------------------
// Enqueue: supersede and dedup

TEST_F(DeploymentQueueTest, EnqueueWritesThePendingDeploymentItsQueueRecordAndAnEvent) {
  std::vector<EnqueueResult> r = Enqueue({Req("svc/b..main", "push:acme/svc@1a", "1a")});
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].deployment_id, "d0000000001");
  EXPECT_EQ(r[0].superseded_id, "");
  EXPECT_FALSE(r[0].deduplicated);
  Deployment d = Stored("d0000000001");
  EXPECT_EQ(d.state, DeploymentState::kQueued);
  EXPECT_EQ(d.enver_id, "svc/b..main");
  EXPECT_EQ(d.sha, "1a");
  EXPECT_EQ(d.cause.root, "push:acme/svc@1a");
  EXPECT_EQ(d.queued_at_ms, NowMs());
  EXPECT_EQ(d.attempt, 0);
  EXPECT_EQ(StoredQueue("svc/b..main"), (QueueRecord{"d0000000001", ""}));
  Result<std::vector<Event>> events = queue_->events().List(0, 10);
  ODMD_ASSERT_OK(events);
  ASSERT_EQ(events->size(), 1u);
  EXPECT_EQ((*events)[0].kind, "deployment.queued");
  EXPECT_EQ((*events)[0].enver_id, "svc/b..main");
  EXPECT_EQ((*events)[0].fields.at("deployment"), "d0000000001");
  EXPECT_EQ((*events)[0].fields.at("root"), "push:acme/svc@1a");
  EXPECT_FALSE(queue_->Idle());
  EXPECT_THAT(queue_->ActiveEnvers(), ElementsAre("svc/b..main"));
}

TEST_F(DeploymentQueueTest, ANewRootSupersedesThePendingDeployment) {
  Enqueue({Req("svc/b..main", "push:acme/svc@1a")});
  std::vector<EnqueueResult> r = Enqueue({Req("svc/b..main", "push:acme/svc@2b")});
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].deployment_id, "d0000000002");
  EXPECT_EQ(r[0].superseded_id, "d0000000001");
  Deployment old = Stored("d0000000001");
  EXPECT_EQ(old.state, DeploymentState::kSuperseded);
  EXPECT_EQ(old.reason, "superseded by d0000000002");
  EXPECT_EQ(old.finished_at_ms, NowMs());
  EXPECT_EQ(StoredQueue("svc/b..main").pending, "d0000000002");
  EXPECT_EQ(Get("d0000000001").state, DeploymentState::kSuperseded);
  Result<std::vector<Event>> events = queue_->events().List(1, 10);
  ODMD_ASSERT_OK(events);
  ASSERT_EQ(events->size(), 1u);
  EXPECT_EQ((*events)[0].fields.at("superseded"), "d0000000001");
  EXPECT_THAT((*events)[0].message, HasSubstr("supersedes d0000000001"));
}

TEST_F(DeploymentQueueTest, TheSameRootIsDeduplicatedAndANonEmptyShaReplacesTheOld) {
  Enqueue({Req("svc/b..main", "product:/odmd-share/a/b..main/x@3", "1a")});
  store::Revision before = Latest();
  std::vector<EnqueueResult> same =
      Enqueue({Req("svc/b..main", "product:/odmd-share/a/b..main/x@3")});
  ASSERT_EQ(same.size(), 1u);
  EXPECT_TRUE(same[0].deduplicated);
  EXPECT_EQ(same[0].deployment_id, "d0000000001");
  EXPECT_EQ(Latest(), before);  // nothing changed, nothing written
  EXPECT_EQ(Stored("d0000000001").sha, "1a");

  std::vector<EnqueueResult> newer =
      Enqueue({Req("svc/b..main", "product:/odmd-share/a/b..main/x@3", "2b")});
  EXPECT_TRUE(newer[0].deduplicated);
  EXPECT_EQ(Stored("d0000000001").sha, "2b");
  EXPECT_EQ(Stored("d0000000001").state, DeploymentState::kQueued);
  EXPECT_THAT(queue_->Get("d0000000002"), StatusIs(StatusCode::kNotFound));
}

TEST_F(DeploymentQueueTest, AtMostOnePendingPerEnverWithinOneSpan) {
  std::vector<EnqueueResult> r =
      Enqueue({Req("a/b..main", "r1"), Req("c/b..main", "r1"), Req("a/b..main", "r2"),
               Req("a/b..main", "r2", "ff"), Req("a/b..main", "r3")});
  ASSERT_EQ(r.size(), 5u);
  EXPECT_EQ(r[2].superseded_id, r[0].deployment_id);
  EXPECT_TRUE(r[3].deduplicated);
  EXPECT_EQ(r[3].deployment_id, r[2].deployment_id);
  EXPECT_EQ(r[4].superseded_id, r[2].deployment_id);
  EXPECT_EQ(Stored(r[2].deployment_id).sha, "ff");
  EXPECT_EQ(Stored(r[2].deployment_id).state, DeploymentState::kSuperseded);
  EXPECT_EQ(Stored(r[4].deployment_id).state, DeploymentState::kQueued);
  EXPECT_EQ(StoredQueue("a/b..main").pending, r[4].deployment_id);
  EXPECT_THAT(queue_->ActiveEnvers(), ElementsAre("a/b..main", "c/b..main"));
  // Two pending in all: claims give exactly those two.
  std::optional<Deployment> first = Claim();
  std::optional<Deployment> second = Claim();
  ASSERT_TRUE(first && second);
  EXPECT_EQ(first->id, r[1].deployment_id);
  EXPECT_EQ(second->id, r[4].deployment_id);
}

TEST_F(DeploymentQueueTest, EnqueueRefusesMalformedRequestsNamingTheIndex) {
  EXPECT_THAT(queue_->Enqueue(std::vector{Req("a/b..main", "r"), Req("nobuild", "r")}),
              StatusIs(StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("request 1"), HasSubstr("\"nobuild\""))));
  EXPECT_THAT(queue_->Enqueue(std::vector{Req("a/b..main", "")}),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("no root")));
  EXPECT_EQ(Latest(), 0);
  EXPECT_TRUE(queue_->Idle());
}

TEST_F(DeploymentQueueTest, OperationsBeforeLoadAreRefused) {
  DeploymentQueue fresh(*store_, clock_, options_);
  EXPECT_THAT(fresh.Enqueue(std::vector{Req("a/b..main", "r")}),
              StatusIs(StatusCode::kFailedPrecondition, HasSubstr("not loaded")));
  EXPECT_THAT(fresh.Claim(Always), StatusIs(StatusCode::kFailedPrecondition));
  EXPECT_THAT(fresh.Cancel("a/b..main", ""), StatusIs(StatusCode::kFailedPrecondition));
}

// ---------------------------------------------------------------------------------------------
// Claim

TEST_F(DeploymentQueueTest, ClaimMarksRunningInTheStoreWithAnEvent) {
  Enqueue({Req("a/b..main", "r")});
  clock_.Advance(std::chrono::seconds(5));
  std::optional<Deployment> d = Claim();
  ASSERT_TRUE(d);
  EXPECT_EQ(d->state, DeploymentState::kRunning);
  EXPECT_EQ(d->attempt, 1);
  EXPECT_EQ(d->started_at_ms, NowMs());
  EXPECT_EQ(d->owner, "host-1");
  EXPECT_EQ(Stored(d->id), *d);
  EXPECT_EQ(StoredQueue("a/b..main"), (QueueRecord{"", d->id}));
  EXPECT_EQ(queue_->running_count(), 1u);
  EXPECT_THAT(EventKinds(), ElementsAre("deployment.queued", "deployment.started"));
  EXPECT_EQ(Claim(), std::nullopt);  // nothing else pending
}

TEST_F(DeploymentQueueTest, ARunningDeploymentIsUntouchedAndTheNewOneWaits) {
  Enqueue({Req("a/b..main", "r1")});
  std::optional<Deployment> running = Claim();
  ASSERT_TRUE(running);
  EXPECT_EQ(queue_->NextDueMs(), std::nullopt);
  std::vector<EnqueueResult> r = Enqueue({Req("a/b..main", "r1")});  // same root: not deduped
  EXPECT_FALSE(r[0].deduplicated);
  EXPECT_EQ(r[0].superseded_id, "");
  EXPECT_EQ(queue_->NextDueMs(), std::nullopt);  // it waits for the running one, not a time
  EXPECT_THAT(queue_->ActiveEnvers(), ElementsAre("a/b..main"));
  EXPECT_EQ(Stored(running->id).state, DeploymentState::kRunning);
  EXPECT_EQ(Claim(), std::nullopt);  // its enver is busy
  ODMD_ASSERT_OK(queue_->Finish(Finished(*running, DeploymentState::kSucceeded)));
  EXPECT_EQ(queue_->NextDueMs(), 0);
  std::optional<Deployment> next = Claim();
  ASSERT_TRUE(next);
  EXPECT_EQ(next->id, r[0].deployment_id);
}

TEST_F(DeploymentQueueTest, ConcurrencyLimitsRunningDeployments) {
  Enqueue({Req("a/b..main", "r"), Req("b/b..main", "r"), Req("c/b..main", "r")});
  std::optional<Deployment> first = Claim();
  std::optional<Deployment> second = Claim();
  ASSERT_TRUE(first && second);
  EXPECT_EQ(Claim(), std::nullopt);
  EXPECT_EQ(queue_->running_count(), 2u);
  ODMD_ASSERT_OK(queue_->Finish(Finished(*first, DeploymentState::kSucceeded)));
  std::optional<Deployment> third = Claim();
  ASSERT_TRUE(third);
  EXPECT_EQ(third->enver_id, "c/b..main");
}

TEST_F(DeploymentQueueTest, ClaimTakesTheOldestReadyOne) {
  Enqueue({Req("a/b..main", "r")});
  Enqueue({Req("b/b..main", "r")});
  Enqueue({Req("c/b..main", "r")});
  std::vector<std::string> asked;
  std::optional<Deployment> d = Claim([&](const Deployment& c) {
    asked.push_back(c.enver_id);
    return c.enver_id != "a/b..main";
  });
  ASSERT_TRUE(d);
  EXPECT_EQ(d->enver_id, "b/b..main");
  EXPECT_THAT(asked, ElementsAre("a/b..main", "b/b..main"));
  EXPECT_EQ(Claim()->enver_id, "a/b..main");
  EXPECT_EQ(queue_->running_count(), 2u);
  EXPECT_EQ(Claim(), std::nullopt);
  EXPECT_EQ(Claim([](const Deployment&) { return false; }), std::nullopt);
}

TEST_F(DeploymentQueueTest, ConcurrentWorkersClaimEachDeploymentOnceWithinTheLimit) {
  constexpr int kEnvers = 40;
  std::vector<EnqueueRequest> requests;
  for (int i = 0; i < kEnvers; ++i)
    requests.push_back(Req("e" + std::to_string(i) + "/b..main", "r"));
  Enqueue(requests);
  std::mutex mu;
  std::map<std::string, int> claims;
  std::atomic<int> running{0};
  std::atomic<int> max_running{0};
  auto worker = [&] {
    while (true) {
      Result<std::optional<Deployment>> d = queue_->Claim(Always);
      ASSERT_TRUE(d.ok()) << d.status();
      if (!*d) {
        if (queue_->Idle()) return;
        std::this_thread::yield();  // the others hold both slots
        continue;
      }
      int now = ++running;
      int seen = max_running.load();
      while (now > seen && !max_running.compare_exchange_weak(seen, now)) {
      }
      {
        std::lock_guard lock(mu);
        ++claims[(*d)->id];
      }
      --running;
      ASSERT_THAT(queue_->Finish(Finished(**d, DeploymentState::kSucceeded)),
                  odmd::testing::IsOk());
    }
  };
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) threads.emplace_back(worker);
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(claims.size(), static_cast<size_t>(kEnvers));
  for (const auto& [id, n] : claims) EXPECT_EQ(n, 1) << id;
  EXPECT_LE(max_running.load(), options_.concurrency);
  EXPECT_TRUE(queue_->Idle());
  EXPECT_EQ(queue_->running_count(), 0u);
}

// ---------------------------------------------------------------------------------------------
// Finish: retries, final failures

TEST_F(DeploymentQueueTest, TransientFailuresRetryWithDoublingBackoffThenFail) {
  Enqueue({Req("a/b..main", "r")});
  const std::int64_t backoff = options_.backoff.count();
  for (int attempt = 1; attempt <= 2; ++attempt) {
    std::optional<Deployment> d = Claim();
    ASSERT_TRUE(d) << attempt;
    EXPECT_EQ(d->attempt, attempt);
    ODMD_ASSERT_OK(queue_->Finish(Finished(*d, DeploymentState::kFailed, "exit 1"), true));
    Deployment stored = Stored(d->id);
    const std::int64_t wait = backoff << (attempt - 1);
    EXPECT_EQ(stored.state, DeploymentState::kQueued);
    EXPECT_EQ(stored.not_before_ms, NowMs() + wait);
    EXPECT_EQ(stored.reason, "exit 1");
    EXPECT_EQ(queue_->NextDueMs(), NowMs() + wait);
    EXPECT_EQ(StoredQueue("a/b..main"), (QueueRecord{d->id, ""}));
    clock_.Advance(std::chrono::milliseconds(wait - 1));
    EXPECT_EQ(Claim(), std::nullopt) << "claimed before its backoff passed";
    clock_.Advance(std::chrono::milliseconds(1));
  }
  std::optional<Deployment> last = Claim();
  ASSERT_TRUE(last);
  EXPECT_EQ(last->attempt, 3);
  ODMD_ASSERT_OK(queue_->Finish(Finished(*last, DeploymentState::kFailed, "exit 1"), true));
  Deployment stored = Stored(last->id);
  EXPECT_EQ(stored.state, DeploymentState::kFailed);
  EXPECT_EQ(stored.finished_at_ms, NowMs());
  EXPECT_EQ(stored.exit_code, 1);
  EXPECT_TRUE(queue_->Idle());
  EXPECT_EQ(queue_->NextDueMs(), std::nullopt);
  Result<std::vector<Event>> events = queue_->events().List(0, 100);
  ODMD_ASSERT_OK(events);
  std::vector<std::string> finals;
  for (const Event& e : *events) {
    if (e.kind == "deployment.failed") finals.push_back(e.fields.at("final"));
  }
  EXPECT_THAT(finals, ElementsAre("false", "false", "true"));
}

TEST_F(DeploymentQueueTest, ANonTransientFailureAndASuccessAreFinal) {
  Enqueue({Req("a/b..main", "r"), Req("b/b..main", "r")});
  std::optional<Deployment> a = Claim();
  std::optional<Deployment> b = Claim();
  ASSERT_TRUE(a && b);
  Deployment done = Finished(*a, DeploymentState::kSucceeded);
  done.consumed = {{"x", "/odmd-share/c/b..main/x", 3, false}};
  done.published = {"/odmd-share/a/b..main/url"};
  ODMD_ASSERT_OK(queue_->Finish(done));
  ODMD_ASSERT_OK(queue_->Finish(Finished(*b, DeploymentState::kFailed, "bad script")));
  Deployment sa = Stored(a->id);
  EXPECT_EQ(sa.state, DeploymentState::kSucceeded);
  EXPECT_EQ(sa.consumed, done.consumed);
  EXPECT_EQ(sa.published, done.published);
  EXPECT_EQ(sa.owner, "host-1");
  EXPECT_EQ(Stored(b->id).state, DeploymentState::kFailed);
  EXPECT_TRUE(queue_->Idle());
  EXPECT_EQ(StoredQueue("a/b..main"), QueueRecord{});
}

TEST_F(DeploymentQueueTest, ARetryIsDroppedWhenANewerDeploymentIsPending) {
  Enqueue({Req("a/b..main", "r1")});
  std::optional<Deployment> d = Claim();
  ASSERT_TRUE(d);
  std::vector<EnqueueResult> newer = Enqueue({Req("a/b..main", "r2")});
  ODMD_ASSERT_OK(queue_->Finish(Finished(*d, DeploymentState::kFailed, "timeout"), true));
  Deployment stored = Stored(d->id);
  EXPECT_EQ(stored.state, DeploymentState::kFailed);
  EXPECT_THAT(stored.reason, AllOf(HasSubstr("timeout"), HasSubstr(newer[0].deployment_id)));
  EXPECT_EQ(StoredQueue("a/b..main"), (QueueRecord{newer[0].deployment_id, ""}));
  EXPECT_EQ(Claim()->id, newer[0].deployment_id);
}

TEST_F(DeploymentQueueTest, FinishRefusesAnUnfinishedStateOrADeploymentNotRunning) {
  Enqueue({Req("a/b..main", "r")});
  Deployment pending = Get("d0000000001");
  EXPECT_THAT(queue_->Finish(Finished(pending, DeploymentState::kSucceeded)),
              StatusIs(StatusCode::kFailedPrecondition,
                       AllOf(HasSubstr("\"d0000000001\""), HasSubstr("not running"))));
  std::optional<Deployment> d = Claim();
  ASSERT_TRUE(d);
  EXPECT_THAT(queue_->Finish(*d), StatusIs(StatusCode::kInvalidArgument,
                                           AllOf(HasSubstr("d0000000001"), HasSubstr("running"))));
  Deployment unknown = Finished(*d, DeploymentState::kSucceeded);
  unknown.id = "d0000000099";
  EXPECT_THAT(queue_->Finish(unknown),
              StatusIs(StatusCode::kFailedPrecondition, HasSubstr("d0000000099")));
}

// ---------------------------------------------------------------------------------------------
// Cancel

TEST_F(DeploymentQueueTest, CancelDropsThePendingOneAndNamesTheRunningOne) {
  Enqueue({Req("a/b..main", "r1")});
  std::optional<Deployment> running = Claim();
  ASSERT_TRUE(running);
  std::vector<EnqueueResult> pending = Enqueue({Req("a/b..main", "r2")});
  Result<std::optional<std::string>> r = queue_->Cancel("a/b..main", "enver deleted");
  ODMD_ASSERT_OK(r);
  EXPECT_EQ(*r, running->id);
  Deployment cancelled = Stored(pending[0].deployment_id);
  EXPECT_EQ(cancelled.state, DeploymentState::kCancelled);
  EXPECT_EQ(cancelled.reason, "enver deleted");
  EXPECT_EQ(StoredQueue("a/b..main"), (QueueRecord{"", running->id}));
  EXPECT_EQ(EventKinds().back(), "deployment.cancelled");

  // The caller stops the running one and finishes it as cancelled.
  ODMD_ASSERT_OK(queue_->Finish(Finished(*running, DeploymentState::kCancelled, "stopped")));
  EXPECT_EQ(Stored(running->id).state, DeploymentState::kCancelled);
  EXPECT_TRUE(queue_->Idle());

  store::Revision before = Latest();
  Result<std::optional<std::string>> none = queue_->Cancel("a/b..main", "again");
  ODMD_ASSERT_OK(none);
  EXPECT_EQ(*none, std::nullopt);
  Result<std::optional<std::string>> unknown = queue_->Cancel("x/b..main", "never queued");
  ODMD_ASSERT_OK(unknown);
  EXPECT_EQ(*unknown, std::nullopt);
  EXPECT_EQ(Latest(), before);
}

// ---------------------------------------------------------------------------------------------
// Restart

TEST_F(DeploymentQueueTest, LoadAfterACrashRequeuesTheRunningOneExactlyOnce) {
  Enqueue({Req("a/b..main", "r1"), Req("b/b..main", "r1")});
  std::optional<Deployment> running =
      Claim([](const Deployment& d) { return d.enver_id == "a/b..main"; });
  ASSERT_TRUE(running);
  // The first platform "dies" here: its queue is never used again. A new process opens the
  // same store file.
  store::ConfigStorePtr other = Open();
  ASSERT_NE(other, nullptr);
  DeploymentQueue restarted(*other, clock_, options_);
  ODMD_ASSERT_OK(restarted.Load());
  EXPECT_THAT(restarted.resumed(), ElementsAre(running->id));
  Deployment resumed = Stored(running->id);
  EXPECT_EQ(resumed.state, DeploymentState::kQueued);
  EXPECT_EQ(resumed.reason, "resumed after restart");
  EXPECT_EQ(resumed.attempt, 1);
  EXPECT_EQ(StoredQueue("a/b..main"), (QueueRecord{running->id, ""}));
  EXPECT_EQ(restarted.running_count(), 0u);

  // A second Load finds nothing to resume and writes nothing.
  store::Revision before = Latest();
  ODMD_ASSERT_OK(restarted.Load());
  EXPECT_THAT(restarted.resumed(), IsEmpty());
  EXPECT_EQ(Latest(), before);
  EXPECT_THAT(restarted.ActiveEnvers(), ElementsAre("a/b..main", "b/b..main"));

  Result<std::optional<Deployment>> again = restarted.Claim(Always);
  ODMD_ASSERT_OK(again);
  ASSERT_TRUE(*again);
  EXPECT_EQ((*again)->id, running->id);
  EXPECT_EQ((*again)->attempt, 2);
  Result<std::optional<Deployment>> b = restarted.Claim(Always);
  ODMD_ASSERT_OK(b);
  ASSERT_TRUE(*b);
  EXPECT_EQ((*b)->enver_id, "b/b..main");
  Result<std::optional<Deployment>> none = restarted.Claim(Always);
  ODMD_ASSERT_OK(none);
  EXPECT_EQ(*none, std::nullopt);
}

TEST_F(DeploymentQueueTest, LoadSupersedesAnInterruptedRunWhenANewerOneIsPending) {
  Enqueue({Req("a/b..main", "r1")});
  std::optional<Deployment> running = Claim();
  ASSERT_TRUE(running);
  std::vector<EnqueueResult> newer = Enqueue({Req("a/b..main", "r2")});
  DeploymentQueue restarted(*store_, clock_, options_);
  ODMD_ASSERT_OK(restarted.Load());
  EXPECT_THAT(restarted.resumed(), IsEmpty());
  Deployment old = Stored(running->id);
  EXPECT_EQ(old.state, DeploymentState::kSuperseded);
  EXPECT_THAT(old.reason, HasSubstr(newer[0].deployment_id));
  EXPECT_EQ(StoredQueue("a/b..main"), (QueueRecord{newer[0].deployment_id, ""}));
  // New ids continue after the stored counter.
  Result<std::vector<EnqueueResult>> more = restarted.Enqueue(std::vector{Req("c/b..main", "r")});
  ODMD_ASSERT_OK(more);
  EXPECT_EQ((*more)[0].deployment_id, "d0000000003");
}

TEST_F(DeploymentQueueTest, LoadRefusesMalformedRecordsNamingTheKey) {
  Enqueue({Req("a/b..main", "r")});
  DeploymentQueue q(*store_, clock_, options_);

  ODMD_ASSERT_OK(store_->Put(QueueKey("x/b..main"), R"({"pending":7,"running":null})", 0));
  EXPECT_THAT(q.Load(), StatusIs(StatusCode::kFailedPrecondition,
                                 AllOf(HasSubstr("/odmd/queue/x/b..main"), HasSubstr("/pending"))));
  EXPECT_TRUE(q.Idle());
  EXPECT_THAT(q.Claim(Always), StatusIs(StatusCode::kFailedPrecondition));

  ODMD_ASSERT_OK(store_->Put(QueueKey("x/b..main"), R"({"pending":"d0000000077","running":null})",
                             std::nullopt));
  EXPECT_THAT(q.Load(), StatusIs(StatusCode::kFailedPrecondition,
                                 AllOf(HasSubstr("/odmd/queue/x/b..main"),
                                       HasSubstr("/odmd/deployments/d0000000077 does not exist"))));

  ODMD_ASSERT_OK(store_->Put(QueueKey("x/b..main"), R"({"pending":"d0000000001","running":null})",
                             std::nullopt));
  EXPECT_THAT(q.Load(), StatusIs(StatusCode::kFailedPrecondition,
                                 AllOf(HasSubstr("/odmd/queue/x/b..main"),
                                       HasSubstr("queued for \"a/b..main\""))));
  ODMD_ASSERT_OK(store_->Delete(QueueKey("x/b..main"), std::nullopt));

  ODMD_ASSERT_OK(
      store_->Put(DeploymentKey("d0000000001"), R"({"id":"d0000000001"})", std::nullopt));
  EXPECT_THAT(q.Load(), StatusIs(StatusCode::kFailedPrecondition,
                                 AllOf(HasSubstr("/odmd/deployments/d0000000001"),
                                       HasSubstr("\"/enver\" is missing"))));
  EXPECT_THAT(queue_->Get("d0000000001"),
              StatusIs(StatusCode::kOk));  // the mirror still has it
  EXPECT_THAT(queue_->List("", 5), StatusIs(StatusCode::kFailedPrecondition,
                                            HasSubstr("/odmd/deployments/d0000000001")));

  ODMD_ASSERT_OK(store_->Put(kDeploymentSeqKey, "x", std::nullopt));
  EXPECT_THAT(q.Load(),
              StatusIs(StatusCode::kFailedPrecondition, HasSubstr("/odmd/seq/deployments")));
}

// ---------------------------------------------------------------------------------------------
// One commit, compare-and-set

TEST_F(DeploymentQueueTest, AThousandRequestsAreOneCommit) {
  constexpr int kRequests = 1000;
  Enqueue({Req("warm/b..main", "r")});  // the counters exist: the batch updates them
  store::Revision before = Latest();
  ChangeCollector collector;
  Result<store::WatchHandlePtr> watch = store_->Watch("/odmd/", before, collector.Sink());
  ODMD_ASSERT_OK(watch);
  std::vector<EnqueueRequest> requests;
  for (int i = 0; i < kRequests; ++i) {
    requests.push_back(
        Req("svc" + std::to_string(i) + "/b..main", "product:/odmd-share/base/b..main/url@2"));
  }
  Event reaction;
  reaction.kind = "alert";
  reaction.message = "base/b..main/url changed: 1,000 consumers react";
  Result<std::vector<EnqueueResult>> r = queue_->Enqueue(requests, {reaction});
  ODMD_ASSERT_OK(r);
  ASSERT_EQ(r->size(), static_cast<size_t>(kRequests));
  // deployments + queue records + (given + one summary "queued") events + the two counters
  const store::Revision expected = before + kRequests + kRequests + (1 + 1) + 2;
  EXPECT_EQ(Latest(), expected);
  std::vector<store::ChangeEvent> seen = collector.WaitForRevision(expected);
  ASSERT_EQ(seen.size(), static_cast<size_t>(expected - before));
  for (size_t i = 0; i < seen.size(); ++i) {
    ASSERT_EQ(seen[i].revision, before + 1 + static_cast<store::Revision>(i));
  }
  EXPECT_EQ(queue_->ActiveEnvers().size(), static_cast<size_t>(kRequests + 1));
  Result<std::vector<Event>> events = queue_->events().List(1, 2);
  ODMD_ASSERT_OK(events);
  EXPECT_EQ((*events)[0].kind, "alert");  // the caller's events come first
  EXPECT_EQ((*events)[1].kind, "deployment.queued");
  EXPECT_EQ((*events)[1].fields["count"], "1000");  // a fan-out gets one summary event
}

TEST_F(DeploymentQueueTest, AnotherWritersChangeIsAbortedAndTheMirrorIsUnchanged) {
  Enqueue({Req("a/b..main", "r1")});
  // Someone else rewrites the queue record behind the queue's back.
  ODMD_ASSERT_OK(store_->Put(QueueKey("a/b..main"), ToJson(QueueRecord{}).dump(), std::nullopt));
  store::Revision before = Latest();
  EXPECT_THAT(queue_->Enqueue(std::vector{Req("a/b..main", "r2")}),
              StatusIs(StatusCode::kAborted, HasSubstr("/odmd/queue/a/b..main")));
  EXPECT_EQ(Latest(), before);
  EXPECT_THAT(queue_->ActiveEnvers(), ElementsAre("a/b..main"));
  EXPECT_EQ(Get("d0000000001").state, DeploymentState::kQueued);
  EXPECT_EQ(queue_->NextDueMs(), 0);
  // Ids are not burnt by the failed attempt.
  ODMD_ASSERT_OK(queue_->Load());
  std::vector<EnqueueResult> r = Enqueue({Req("b/b..main", "r")});
  EXPECT_EQ(r[0].deployment_id, "d0000000002");
}

TEST_F(DeploymentQueueTest, AClaimLosingItsCompareAndSetLeavesTheDeploymentPending) {
  Enqueue({Req("a/b..main", "r1")});
  Deployment pending = Stored("d0000000001");
  pending.sha = "changed elsewhere";
  ODMD_ASSERT_OK(store_->Put(DeploymentKey(pending.id), ToJson(pending).dump(), std::nullopt));
  EXPECT_THAT(queue_->Claim(Always),
              StatusIs(StatusCode::kAborted, HasSubstr("/odmd/deployments/d0000000001")));
  EXPECT_EQ(queue_->running_count(), 0u);
  EXPECT_EQ(Get("d0000000001").state, DeploymentState::kQueued);
}

TEST_F(DeploymentQueueTest, AFailedCommitChangesNothingAndTheNextOneWorks) {
  odmd::testing::FaultyConfigStore faulty(*store_);
  DeploymentQueue q(faulty, clock_, options_);
  ODMD_ASSERT_OK(q.Load());

  faulty.FailNthWrite(1);
  EXPECT_THAT(q.Enqueue(std::vector{Req("a/b..main", "r")}),
              StatusIs(StatusCode::kUnavailable, HasSubstr("injected fault")));
  EXPECT_TRUE(q.Idle());
  Result<std::vector<EnqueueResult>> r = q.Enqueue(std::vector{Req("a/b..main", "r")});
  ODMD_ASSERT_OK(r);
  EXPECT_EQ((*r)[0].deployment_id, "d0000000001");  // no id was burnt

  faulty.FailNthWrite(1);
  EXPECT_THAT(q.Claim(Always), StatusIs(StatusCode::kUnavailable));
  EXPECT_EQ(q.running_count(), 0u);
  EXPECT_EQ(Stored("d0000000001").state, DeploymentState::kQueued);
  Result<std::optional<Deployment>> claimed = q.Claim(Always);
  ODMD_ASSERT_OK(claimed);
  ASSERT_TRUE(*claimed);

  faulty.FailNthWrite(1);
  Deployment done = Finished(**claimed, DeploymentState::kSucceeded);
  EXPECT_THAT(q.Finish(done), StatusIs(StatusCode::kUnavailable));
  EXPECT_EQ(q.running_count(), 1u);
  EXPECT_EQ(Stored("d0000000001").state, DeploymentState::kRunning);
  ODMD_ASSERT_OK(q.Finish(done));
  EXPECT_EQ(Stored("d0000000001").state, DeploymentState::kSucceeded);

  // A restart whose resume commit fails stays unloaded until a Load succeeds.
  ODMD_ASSERT_OK(q.Enqueue(std::vector{Req("b/b..main", "r")}));
  Result<std::optional<Deployment>> interrupted = q.Claim(Always);
  ODMD_ASSERT_OK(interrupted);
  ASSERT_TRUE(*interrupted);
  DeploymentQueue restarted(faulty, clock_, options_);
  faulty.FailNthWrite(1);
  EXPECT_THAT(restarted.Load(), StatusIs(StatusCode::kUnavailable));
  EXPECT_THAT(restarted.Claim(Always), StatusIs(StatusCode::kFailedPrecondition));
  ODMD_ASSERT_OK(restarted.Load());
  EXPECT_THAT(restarted.resumed(), ElementsAre("d0000000002"));
  EXPECT_EQ(faulty.injected_failures(), 4);
}

// ---------------------------------------------------------------------------------------------
// Shared queues (several replicas' queues on one store)

// Runs `after_queue_list` after every List or ListAt of the queue records, and fails the next
// `failing_heads` LatestRevision calls: another replica committing between a queue's reads,
// a store that cannot be read for a moment.
class InterleavingStore : public store::ForwardingConfigStore {
 public:
  using ForwardingConfigStore::ForwardingConfigStore;
  std::function<void()> after_queue_list;
  int failing_heads = 0;

  Result<std::vector<store::Entry>> List(std::string_view prefix) override {
    Result<std::vector<store::Entry>> r = ForwardingConfigStore::List(prefix);
    Interleave(prefix);
    return r;
  }
  Result<std::vector<store::Entry>> ListAt(std::string_view prefix, store::Revision at) override {
    Result<std::vector<store::Entry>> r = ForwardingConfigStore::ListAt(prefix, at);
    Interleave(prefix);
    return r;
  }
  Result<store::Revision> LatestRevision() override {
    if (failing_heads > 0) {
      --failing_heads;
      return UnavailableError("injected fault: the store cannot be reached");
    }
    return ForwardingConfigStore::LatestRevision();
  }

 private:
  void Interleave(std::string_view prefix) {
    if (prefix == kQueuePrefix && after_queue_list) after_queue_list();
  }
};

// Two replicas' shared queues on one store: `other` ("host-2") writes to it directly, with
// `queued` enqueued; `q` ("host-1", not read yet) goes through `interleaving`.
struct TwoReplicas {
  std::unique_ptr<DeploymentQueue> other;
  std::unique_ptr<InterleavingStore> interleaving;
  std::unique_ptr<DeploymentQueue> q;
};

TwoReplicas ShareQueue(store::ConfigStore& store, FakeClock& clock, QueueOptions options,
                       std::vector<EnqueueRequest> queued) {
  TwoReplicas r;
  options.shared = true;
  options.owner = "host-2";
  r.other = std::make_unique<DeploymentQueue>(store, clock, options);
  EXPECT_TRUE(r.other->Refresh().ok());
  Result<std::vector<EnqueueResult>> enqueued = r.other->Enqueue(queued);
  EXPECT_TRUE(enqueued.ok()) << enqueued.status();
  r.interleaving = std::make_unique<InterleavingStore>(store);
  options.owner = "host-1";
  r.q = std::make_unique<DeploymentQueue>(*r.interleaving, clock, options);
  return r;
}

TEST_F(DeploymentQueueTest, ASharedQueueReadsOneSnapshotWhileAnotherReplicaCommitsBetweenReads) {
  TwoReplicas replicas = ShareQueue(*store_, clock_, options_, {Req("a/b..main", "r0")});
  DeploymentQueue& other = *replicas.other;
  InterleavingStore& interleaving = *replicas.interleaving;
  DeploymentQueue& q = *replicas.q;
  // Every time q has listed the queue records, before it reads their deployments, the other
  // replica supersedes a's pending deployment: a record-by-record read would find the queue
  // record naming a deployment that is superseded, every time.
  int commits = 0;
  interleaving.after_queue_list = [&] {
    Result<std::vector<EnqueueResult>> r =
        other.Enqueue(std::vector{Req("a/b..main", "r" + std::to_string(++commits))});
    EXPECT_TRUE(r.ok()) << r.status();
  };
  ODMD_ASSERT_OK(q.Refresh());
  EXPECT_EQ(commits, 1);
  // q sees the store as of its read: a's first deployment pending.
  EXPECT_THAT(q.ActiveEnvers(), ElementsAre("a/b..main"));

  // Its claim of that one loses; it reads again and claims the one pending now.
  interleaving.after_queue_list = nullptr;
  Result<std::optional<Deployment>> claimed = q.Claim(Always);
  ODMD_ASSERT_OK(claimed);
  ASSERT_TRUE(*claimed);
  EXPECT_EQ((*claimed)->id, "d0000000002");
  EXPECT_EQ(Stored("d0000000001").state, DeploymentState::kSuperseded);
  EXPECT_EQ(Stored("d0000000002").state, DeploymentState::kRunning);
}

TEST_F(DeploymentQueueTest, ASharedQueueLosingEveryTryToOtherReplicasClaimsNothingForNow) {
  QueueOptions one_retry = options_;
  one_retry.shared_retries = 1;
  TwoReplicas replicas =
      ShareQueue(*store_, clock_, one_retry,
                 {Req("a/b..main", "r"), Req("b/b..main", "r"), Req("c/b..main", "r")});
  DeploymentQueue& other = *replicas.other;
  InterleavingStore& interleaving = *replicas.interleaving;
  DeploymentQueue& q = *replicas.q;
  ODMD_ASSERT_OK(q.Refresh());
  // The other replica claims d1, then the next one each time q has re-read the records.
  auto other_claims = [&] {
    Result<std::optional<Deployment>> r = other.Claim(Always);
    EXPECT_TRUE(r.ok() && r->has_value()) << r.status();
  };
  other_claims();
  interleaving.after_queue_list = other_claims;
  // Two tries (shared_retries 1), both lost: nothing claimed, and no error to alert on.
  Result<std::optional<Deployment>> lost = q.Claim(Always);
  ODMD_ASSERT_OK(lost);
  EXPECT_FALSE(lost->has_value());
  EXPECT_EQ(Stored("d0000000002").owner, "host-2");
  // When the others stop, q claims what is left.
  interleaving.after_queue_list = nullptr;
  Result<std::optional<Deployment>> claimed = q.Claim(Always);
  ODMD_ASSERT_OK(claimed);
  ASSERT_TRUE(*claimed);
  EXPECT_EQ((*claimed)->id, "d0000000003");
  EXPECT_EQ(Stored("d0000000003").owner, "host-1");
}

TEST_F(DeploymentQueueTest, ASharedQueueWhoseReReadFailedReadsAgainAtItsNextWrite) {
  TwoReplicas replicas =
      ShareQueue(*store_, clock_, options_, {Req("a/b..main", "r"), Req("b/b..main", "r")});
  DeploymentQueue& other = *replicas.other;
  InterleavingStore& interleaving = *replicas.interleaving;
  DeploymentQueue& q = *replicas.q;
  ODMD_ASSERT_OK(q.Refresh());
  Result<std::optional<Deployment>> by_other = other.Claim(Always);
  ODMD_ASSERT_OK(by_other);
  ASSERT_TRUE(*by_other);
  EXPECT_EQ((*by_other)->id, "d0000000001");

  // q's claim of d1 loses its compare-and-set and reading the records again fails: the
  // claim says why.
  interleaving.failing_heads = 1;
  EXPECT_THAT(q.Claim(Always), StatusIs(StatusCode::kUnavailable, HasSubstr("injected fault")));
  EXPECT_EQ(interleaving.failing_heads, 0);
  // The next write reads them first instead of refusing as "not loaded" until a Refresh.
  Result<std::optional<Deployment>> claimed = q.Claim(Always);
  ODMD_ASSERT_OK(claimed);
  ASSERT_TRUE(*claimed);
  EXPECT_EQ((*claimed)->id, "d0000000002");
  EXPECT_EQ((*claimed)->owner, "host-1");

  // A queue of its own still needs its Load.
  DeploymentQueue own(interleaving, clock_, options_);
  EXPECT_THAT(own.Claim(Always), StatusIs(StatusCode::kFailedPrecondition, HasSubstr("Load")));
}

// ---------------------------------------------------------------------------------------------
// Reads

TEST_F(DeploymentQueueTest, ListIsNewestFirstPerEnverOrForAll) {
  Enqueue({Req("a/b..main", "r1")});
  Enqueue({Req("b/b..main", "r1")});
  Enqueue({Req("a/b..main", "r2")});
  Result<std::vector<Deployment>> all = queue_->List("", 10);
  ODMD_ASSERT_OK(all);
  ASSERT_EQ(all->size(), 3u);
  EXPECT_EQ((*all)[0].id, "d0000000003");
  EXPECT_EQ((*all)[2].id, "d0000000001");
  Result<std::vector<Deployment>> a = queue_->List("a/b..main", 10);
  ODMD_ASSERT_OK(a);
  ASSERT_EQ(a->size(), 2u);
  EXPECT_EQ((*a)[0].id, "d0000000003");
  EXPECT_EQ((*a)[1].state, DeploymentState::kSuperseded);
  Result<std::vector<Deployment>> one = queue_->List("a/b..main", 1);
  ODMD_ASSERT_OK(one);
  EXPECT_EQ(one->size(), 1u);
  Result<std::vector<Deployment>> none = queue_->List("z/b..main", 10);
  ODMD_ASSERT_OK(none);
  EXPECT_TRUE(none->empty());
  EXPECT_THAT(queue_->List("", 0), StatusIs(StatusCode::kInvalidArgument, HasSubstr("limit 0")));
  EXPECT_THAT(queue_->Get("d0000000042"),
              StatusIs(StatusCode::kNotFound, HasSubstr("\"d0000000042\"")));
}

}  // namespace
}  // namespace odmd::reconcile
