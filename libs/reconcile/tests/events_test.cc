// EventLog on a SQLite file store: seq allocation, one-commit batches with other state,
// lists and follows.

#include "odmd/reconcile/events.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "odmd/store/open_config_store.h"
#include "odmd/testing/fake_clock.h"
#include "odmd/testing/faulty_config_store.h"
#include "odmd/testing/status_matchers.h"

namespace odmd::reconcile {
namespace {

namespace fs = std::filesystem;
using odmd::testing::FakeClock;
using odmd::testing::StatusIs;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

Event MakeEvent(std::string kind, std::string message = "something happened") {
  Event e;
  e.kind = std::move(kind);
  e.message = std::move(message);
  return e;
}

// Collects followed events; waits on a condition variable (the timeout is a failure guard).
class EventCollector {
 public:
  std::function<void(const Event&)> Sink() {
    return [this](const Event& e) {
      std::lock_guard lock(mu_);
      events_.push_back(e);
      cv_.notify_all();
    };
  }
  std::vector<store::Revision> WaitForRevisions(size_t n) {
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, std::chrono::seconds(60), [&] { return events_.size() >= n; });
    std::vector<store::Revision> revisions;
    for (const Event& e : events_) revisions.push_back(e.revision);
    return revisions;
  }
  std::vector<std::int64_t> WaitForSeqs(size_t n) {
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, std::chrono::seconds(60), [&] { return events_.size() >= n; });
    std::vector<std::int64_t> seqs;
    for (const Event& e : events_) seqs.push_back(e.seq);
    return seqs;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Event> events_;
};

class EventLogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "odmd-events-test-XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    store::StoreOptions options;
    options.url = "sqlite:" + (dir_ / "s.db").string();
    Result<store::ConfigStorePtr> opened = store::OpenConfigStore(options);
    ODMD_ASSERT_OK(opened);
    store_ = std::move(opened).value();
  }
  void TearDown() override {
    store_.reset();
    std::error_code ec;
    fs::remove_all(dir_, ec);
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

  fs::path dir_;
  FakeClock clock_;
  store::ConfigStorePtr store_;
};

TEST_F(EventLogTest, AppendAssignsConsecutiveSeqsAndTheClocksTime) {
  EventLog log(*store_, clock_);
  Event in = MakeEvent("push", "push of refs/heads/main to acme/svc");
  in.seq = 99;  // overwritten
  in.fields = {{"repo", "acme/svc"}};
  Result<Event> first = log.Append(in);
  ODMD_ASSERT_OK(first);
  EXPECT_EQ(first->seq, 1);
  EXPECT_EQ(first->time_ms, NowMs());
  clock_.Advance(std::chrono::seconds(3));
  Result<Event> second = log.Append(MakeEvent("alert"));
  ODMD_ASSERT_OK(second);
  EXPECT_EQ(second->seq, 2);
  EXPECT_EQ(second->time_ms, NowMs());

  Result<store::Entry> stored = store_->Get(EventKey(1));
  ODMD_ASSERT_OK(stored);
  Result<Event> decoded = ParseEvent(stored->value, stored->key);
  ODMD_ASSERT_OK(decoded);
  EXPECT_EQ(first->revision, stored->revision);
  decoded->revision = stored->revision;  // the record does not hold its own revision
  EXPECT_EQ(*decoded, *first);
  Result<store::Entry> counter = store_->Get(kEventSeqKey);
  ODMD_ASSERT_OK(counter);
  EXPECT_EQ(counter->value, "2");
}

TEST_F(EventLogTest, AppendManyIsOneCommitWithConsecutiveRevisions) {
  EventLog log(*store_, clock_);
  store::Revision before = Latest();
  Result<std::vector<Event>> appended =
      log.AppendMany({MakeEvent("a"), MakeEvent("b"), MakeEvent("c")});
  ODMD_ASSERT_OK(appended);
  ASSERT_EQ(appended->size(), 3u);
  EXPECT_EQ((*appended)[2].seq, 3);
  EXPECT_EQ(Latest(), before + 4);  // the counter and three events
  for (int seq = 1; seq <= 3; ++seq) {
    Result<store::Entry> e = store_->Get(EventKey(seq));
    ODMD_ASSERT_OK(e);
    EXPECT_EQ(e->revision, before + 1 + seq);
  }
}

TEST_F(EventLogTest, EventWithoutKindIsRefusedAndNothingIsWritten) {
  EventLog log(*store_, clock_);
  EXPECT_THAT(log.Append(MakeEvent("")),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("event 0 has no kind")));
  EXPECT_THAT(log.AppendMany({MakeEvent("a"), MakeEvent("")}),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("event 1 has no kind")));
  EXPECT_EQ(Latest(), 0);
}

TEST_F(EventLogTest, CommitWritesStateAndEventsTogetherOrNotAtAll) {
  EventLog log(*store_, clock_);
  std::vector<Event> events = {MakeEvent("deployment.queued")};
  std::vector<store::BatchOp> ops = {store::BatchOp::Put("/odmd/x", "1", 0)};
  Result<std::vector<store::WriteResult>> written = log.Commit(ops, events);
  ODMD_ASSERT_OK(written);
  ASSERT_EQ(written->size(), 1u);  // only the caller's op
  EXPECT_EQ((*written)[0].revision, 1);
  EXPECT_EQ(events[0].seq, 1);

  // The caller's compare-and-set fails: kAborted, no event, counter unchanged.
  store::Revision before = Latest();
  std::vector<Event> more = {MakeEvent("deployment.queued")};
  EXPECT_THAT(log.Commit({store::BatchOp::Put("/odmd/x", "2", 0)}, more),
              StatusIs(StatusCode::kAborted, HasSubstr("/odmd/x")));
  EXPECT_EQ(Latest(), before);
  EXPECT_THAT(store_->Get(EventKey(2)), StatusIs(StatusCode::kNotFound));
  // And the log still works afterwards.
  Result<Event> next = log.Append(MakeEvent("alert"));
  ODMD_ASSERT_OK(next);
  EXPECT_EQ(next->seq, 2);
}

TEST_F(EventLogTest, CommitRetriesWhenAnotherLogAdvancedTheCounter) {
  EventLog a(*store_, clock_);
  EventLog b(*store_, clock_);
  ODMD_ASSERT_OK(a.Append(MakeEvent("a1")));  // a caches the counter at 1
  ODMD_ASSERT_OK(b.Append(MakeEvent("b1")));  // b moves it to 2 behind a's back
  std::vector<Event> events = {MakeEvent("a2")};
  Result<std::vector<store::WriteResult>> written =
      a.Commit({store::BatchOp::Put("/odmd/y", "v", 0)}, events);
  ODMD_ASSERT_OK(written);
  EXPECT_EQ(events[0].seq, 3);
  Result<store::Entry> y = store_->Get("/odmd/y");
  ODMD_ASSERT_OK(y);
  EXPECT_EQ(y->revision, (*written)[0].revision);
}

TEST_F(EventLogTest, PrepareGivesOpsForTheCallersOwnBatch) {
  EventLog log(*store_, clock_);
  std::vector<Event> events = {MakeEvent("x"), MakeEvent("y")};
  Result<std::vector<store::BatchOp>> ops = log.Prepare(events);
  ODMD_ASSERT_OK(ops);
  ASSERT_EQ(ops->size(), 3u);
  EXPECT_EQ((*ops)[0].key, kEventSeqKey);
  EXPECT_EQ((*ops)[0].value, "2");
  EXPECT_EQ((*ops)[2].key, EventKey(2));
  std::vector<store::BatchOp> batch = {store::BatchOp::Put("/odmd/z", "1")};
  batch.insert(batch.end(), ops->begin(), ops->end());
  ODMD_ASSERT_OK(store_->WriteBatch(batch));
  Result<std::vector<Event>> listed = log.List(0, 10);
  ODMD_ASSERT_OK(listed);
  ASSERT_EQ(listed->size(), 2u);
  EXPECT_EQ((*listed)[1].kind, "y");
  // The log's cached counter is stale now; the next append re-reads it.
  Result<Event> next = log.Append(MakeEvent("z"));
  ODMD_ASSERT_OK(next);
  EXPECT_EQ(next->seq, 3);
}

TEST_F(EventLogTest, TwoConcurrentAppendersGetEverySeqExactlyOnce) {
  store::StoreOptions options;
  options.url = "sqlite:" + (dir_ / "s.db").string();
  Result<store::ConfigStorePtr> other = store::OpenConfigStore(options);
  ODMD_ASSERT_OK(other);
  EventLog a(*store_, clock_);
  EventLog b(**other, clock_);  // another store object on the same file: another process
  constexpr int kPerThread = 60;
  std::vector<std::int64_t> seqs_a, seqs_b;
  auto run = [](EventLog& log, std::vector<std::int64_t>& seqs, const std::string& who) {
    for (int i = 0; i < kPerThread; ++i) {
      Result<Event> e = log.Append(MakeEvent(who));
      ASSERT_TRUE(e.ok()) << e.status();
      seqs.push_back(e->seq);
    }
  };
  std::thread ta([&] { run(a, seqs_a, "a"); });
  std::thread tb([&] { run(b, seqs_b, "b"); });
  ta.join();
  tb.join();
  std::set<std::int64_t> all(seqs_a.begin(), seqs_a.end());
  all.insert(seqs_b.begin(), seqs_b.end());
  ASSERT_EQ(all.size(), 2u * kPerThread);
  EXPECT_EQ(*all.begin(), 1);
  EXPECT_EQ(*all.rbegin(), 2 * kPerThread);
  Result<std::vector<Event>> listed = a.List(0, 1000);
  ODMD_ASSERT_OK(listed);
  ASSERT_EQ(listed->size(), 2u * kPerThread);
  for (size_t i = 0; i < listed->size(); ++i) EXPECT_EQ((*listed)[i].seq, int(i) + 1);
}

TEST_F(EventLogTest, AFailedAppendWritesNothingAndTheNextOneTakesTheSameSeq) {
  odmd::testing::FaultyConfigStore faulty(*store_);
  EventLog log(faulty, clock_);
  ODMD_ASSERT_OK(log.Append(MakeEvent("a")));
  faulty.FailNthWrite(1);
  EXPECT_THAT(log.Append(MakeEvent("b")),
              StatusIs(StatusCode::kUnavailable, HasSubstr("injected fault")));
  EXPECT_THAT(store_->Get(EventKey(2)), StatusIs(StatusCode::kNotFound));
  Result<Event> next = log.Append(MakeEvent("c"));
  ODMD_ASSERT_OK(next);
  EXPECT_EQ(next->seq, 2);
}

TEST_F(EventLogTest, ListPagesOldestFirst) {
  EventLog log(*store_, clock_);
  for (int i = 0; i < 5; ++i) ODMD_ASSERT_OK(log.Append(MakeEvent("e" + std::to_string(i))));
  Result<std::vector<Event>> page = log.List(1, 2);
  ODMD_ASSERT_OK(page);
  ASSERT_EQ(page->size(), 2u);
  EXPECT_EQ((*page)[0].seq, 2);
  EXPECT_EQ((*page)[1].kind, "e2");
  Result<std::vector<Event>> rest = log.List(3, 100);
  ODMD_ASSERT_OK(rest);
  EXPECT_EQ(rest->size(), 2u);
  Result<std::vector<Event>> none = log.List(5, 100);
  ODMD_ASSERT_OK(none);
  EXPECT_TRUE(none->empty());
  Result<std::int64_t> last = log.LastSeq();
  ODMD_ASSERT_OK(last);
  EXPECT_EQ(*last, 5);
}

TEST_F(EventLogTest, ListRefusesBadArguments) {
  EventLog log(*store_, clock_);
  EXPECT_THAT(log.List(-1, 10), StatusIs(StatusCode::kInvalidArgument, HasSubstr("-1")));
  EXPECT_THAT(log.List(0, 0), StatusIs(StatusCode::kInvalidArgument, HasSubstr("limit 0")));
  EXPECT_THAT(log.List(1'000'000'000'000, 1), StatusIs(StatusCode::kInvalidArgument));
  EXPECT_THAT(log.Follow(-2, [](const Event&) {}), StatusIs(StatusCode::kInvalidArgument));
  EXPECT_THAT(log.Follow(0, nullptr), StatusIs(StatusCode::kInvalidArgument, HasSubstr("no sink")));
}

TEST_F(EventLogTest, MalformedRecordsAreFailedPreconditionNamingTheKey) {
  EventLog log(*store_, clock_);
  ODMD_ASSERT_OK(log.Append(MakeEvent("a")));
  ODMD_ASSERT_OK(store_->Put(EventKey(1), R"({"seq":1})", std::nullopt));
  EXPECT_THAT(log.List(0, 10),
              StatusIs(StatusCode::kFailedPrecondition,
                       AllOf(HasSubstr("/odmd/events/000000000001"), HasSubstr("/time_ms"))));

  ODMD_ASSERT_OK(store_->Put(kEventSeqKey, "many", std::nullopt));
  EventLog fresh(*store_, clock_);
  EXPECT_THAT(fresh.Append(MakeEvent("b")),
              StatusIs(StatusCode::kFailedPrecondition, HasSubstr("/odmd/seq/events")));
}

TEST_F(EventLogTest, FollowCatchesUpThenGoesLive) {
  EventLog log(*store_, clock_);
  for (int i = 0; i < 3; ++i) ODMD_ASSERT_OK(log.Append(MakeEvent("old")));
  EventCollector collector;
  Result<store::WatchHandlePtr> handle = log.Follow(1, collector.Sink());
  ODMD_ASSERT_OK(handle);
  EXPECT_THAT(collector.WaitForSeqs(2), ElementsAre(2, 3));
  ODMD_ASSERT_OK(log.AppendMany({MakeEvent("new"), MakeEvent("new")}));
  // Other keys under /odmd/ are not events and are not delivered.
  ODMD_ASSERT_OK(store_->Put("/odmd/queue/a/b", "{}", std::nullopt));
  ODMD_ASSERT_OK(log.Append(MakeEvent("newer")));
  EXPECT_THAT(collector.WaitForSeqs(5), ElementsAre(2, 3, 4, 5, 6));
  ODMD_EXPECT_OK((*handle)->status());
}

TEST_F(EventLogTest, EventsCarryTheRevisionOfTheirRecord) {
  EventLog log(*store_, clock_);
  Result<Event> first = log.Append(MakeEvent("one"));
  ODMD_ASSERT_OK(first);
  ODMD_ASSERT_OK(store_->Put("/odmd/other", "x", std::nullopt));
  Result<std::vector<Event>> more = log.AppendMany({MakeEvent("two"), MakeEvent("three")});
  ODMD_ASSERT_OK(more);
  std::vector<store::Revision> stored;
  for (int seq = 1; seq <= 3; ++seq) stored.push_back(store_->Get(EventKey(seq))->revision);
  EXPECT_EQ(first->revision, stored[0]);
  EXPECT_EQ((*more)[0].revision, stored[1]);
  EXPECT_EQ((*more)[1].revision, stored[2]);
  EXPECT_LT(stored[0], stored[1]);
  Result<std::vector<Event>> listed = log.List(0, 10);
  ODMD_ASSERT_OK(listed);
  ASSERT_EQ(listed->size(), 3u);
  for (size_t i = 0; i < 3; ++i) EXPECT_EQ((*listed)[i].revision, stored[i]) << i;
  EventCollector collector;
  Result<store::WatchHandlePtr> handle = log.Follow(1, collector.Sink());
  ODMD_ASSERT_OK(handle);
  EXPECT_THAT(collector.WaitForRevisions(2), ElementsAre(stored[1], stored[2]));
}

TEST_F(EventLogTest, FollowFromZeroAndFromAFutureSeq) {
  EventLog log(*store_, clock_);
  ODMD_ASSERT_OK(log.Append(MakeEvent("one")));
  EventCollector all, future;
  Result<store::WatchHandlePtr> h_all = log.Follow(0, all.Sink());
  Result<store::WatchHandlePtr> h_future = log.Follow(3, future.Sink());
  ODMD_ASSERT_OK(h_all);
  ODMD_ASSERT_OK(h_future);
  for (int i = 0; i < 3; ++i) ODMD_ASSERT_OK(log.Append(MakeEvent("more")));
  EXPECT_THAT(all.WaitForSeqs(4), ElementsAre(1, 2, 3, 4));
  EXPECT_THAT(future.WaitForSeqs(1), ElementsAre(4));
}

TEST_F(EventLogTest, FollowStopsAtAMalformedRecordWithItsStatus) {
  EventLog log(*store_, clock_);
  ODMD_ASSERT_OK(log.Append(MakeEvent("good")));
  ODMD_ASSERT_OK(store_->Put(EventKey(2), "not json", 0));
  ODMD_ASSERT_OK(store_->Put(kEventSeqKey, "2", std::nullopt));
  EventCollector collector;
  Result<store::WatchHandlePtr> handle = log.Follow(0, collector.Sink());
  ODMD_ASSERT_OK(handle);
  EXPECT_THAT(collector.WaitForSeqs(1), ElementsAre(1));
  // The watch delivers in revision order: once the next good event is committed, the bad
  // one has been seen; wait for the follow to report it.
  ODMD_ASSERT_OK(log.Append(MakeEvent("after")));
  // The follow has no callback for its end: poll its status (the deadline is a guard).
  Status status;
  auto guard = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while ((status = (*handle)->status()).ok() && std::chrono::steady_clock::now() < guard) {
    std::this_thread::yield();
  }
  EXPECT_THAT(status,
              StatusIs(StatusCode::kFailedPrecondition,
                       AllOf(HasSubstr("/odmd/events/000000000002"), HasSubstr("not valid JSON"))));
  EXPECT_THAT(collector.WaitForSeqs(1), ElementsAre(1));  // nothing after the bad one
}

}  // namespace
}  // namespace odmd::reconcile
