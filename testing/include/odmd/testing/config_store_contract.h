#pragma once

// The ConfigStore contract test suite (STYLE.md §7.6): one body of tests that every
// backend must pass. Header-only (odmd_testing does not link odmd_store); include it in
// exactly one .cc file of a test binary that links odmd::store, and instantiate it there:
//
//   INSTANTIATE_TEST_SUITE_P(Sqlite, ConfigStoreContractTest,
//                            ::testing::Values(ConfigStoreContractParam{...}),
//                            ConfigStoreContractName);
//
// and PersistentConfigStoreContractTest with the persistent ones among them (the cases that
// reopen the store or open it twice; no case skips itself for a backend that cannot).
//
// Nothing sleeps: watch tests wait on a condition variable, with a generous timeout only
// as a failure guard.

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <functional>
#include <mutex>
#include <ostream>
#include <string>
#include <thread>
#include <vector>

#include "odmd/store/config_store.h"
#include "odmd/testing/change_collector.h"
#include "odmd/testing/status_matchers.h"

namespace odmd::testing {

struct ConfigStoreContractParam {
  // The instantiation's name suffix, e.g. "SqliteMemory".
  std::string name;
  // Opens the store under test. `dir` is a fresh empty directory for this test; a
  // persistent backend keeps its data there and is opened again with the same `dir`.
  std::function<Result<store::ConfigStorePtr>(const std::string& dir)> open;
  // true if reopening with the same `dir` finds the data again.
  bool persistent = false;
};

// Test names and CTest listings show the backend's name instead of the struct's bytes.
inline void PrintTo(const ConfigStoreContractParam& param, std::ostream* os) { *os << param.name; }

inline std::string ConfigStoreContractName(
    const ::testing::TestParamInfo<ConfigStoreContractParam>& info) {
  return info.param.name;
}

inline std::vector<std::string> KeysOf(const std::vector<store::Entry>& entries) {
  std::vector<std::string> keys;
  for (const store::Entry& entry : entries) keys.push_back(entry.key);
  return keys;
}

class ConfigStoreContractTest : public ::testing::TestWithParam<ConfigStoreContractParam> {
 protected:
  void SetUp() override {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "odmd-store-test-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    Reopen();
  }
  void TearDown() override {
    store_.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  void Reopen() {
    store_.reset();
    Result<store::ConfigStorePtr> opened = GetParam().open(dir_);
    ASSERT_THAT(opened, IsOk());
    store_ = std::move(opened).value();
  }
  store::WriteResult MustPut(std::string_view key, std::string_view value) {
    Result<store::WriteResult> written = store_->Put(key, value, std::nullopt);
    EXPECT_THAT(written, IsOk());
    return written.ok() ? *written : store::WriteResult{};
  }
  store::Revision Latest() {
    Result<store::Revision> latest = store_->LatestRevision();
    EXPECT_THAT(latest, IsOk());
    return latest.ok() ? *latest : -1;
  }

  std::string dir_;
  store::ConfigStorePtr store_;
};

// The cases that reopen the store or open it a second time: instantiated only with the
// persistent backends. A backend that is not persistent fails here rather than skipping.
class PersistentConfigStoreContractTest : public ConfigStoreContractTest {
 protected:
  void SetUp() override {
    ASSERT_TRUE(GetParam().persistent)
        << GetParam().name << " is not persistent: instantiate ConfigStoreContractTest only";
    ConfigStoreContractTest::SetUp();
  }
};

using store::ChangeEvent;
using store::ChangeKind;
using store::Entry;
using store::WriteResult;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST_P(ConfigStoreContractTest, EmptyStoreIsAtRevisionZero) {
  EXPECT_EQ(Latest(), 0);
  EXPECT_THAT(store_->Get("/a"), StatusIs(StatusCode::kNotFound, HasSubstr("\"/a\"")));
  EXPECT_THAT(store_->History("/a"), StatusIs(StatusCode::kNotFound));
  Result<std::vector<Entry>> all = store_->List("");
  ASSERT_THAT(all, IsOk());
  EXPECT_TRUE(all->empty());
}

TEST_P(ConfigStoreContractTest, PutThenGetReturnsValueVersionAndRevision) {
  EXPECT_EQ(MustPut("/a", "one"), (WriteResult{1, 1}));
  Result<Entry> got = store_->Get("/a");
  ASSERT_THAT(got, IsOk());
  EXPECT_EQ(*got, (Entry{"/a", "one", 1, 1, false}));
}

TEST_P(ConfigStoreContractTest, VersionsCountPerKeyAndRevisionIsStoreWide) {
  EXPECT_EQ(MustPut("/a", "a1"), (WriteResult{1, 1}));
  EXPECT_EQ(MustPut("/b", "b1"), (WriteResult{2, 1}));
  EXPECT_EQ(MustPut("/a", "a2"), (WriteResult{3, 2}));
  EXPECT_EQ(MustPut("/a", "a3"), (WriteResult{4, 3}));
  EXPECT_EQ(Latest(), 4);
  Result<Entry> got = store_->Get("/a");
  ASSERT_THAT(got, IsOk());
  EXPECT_EQ(*got, (Entry{"/a", "a3", 4, 3, false}));
}

TEST_P(ConfigStoreContractTest, GetVersionReturnsThatVersion) {
  MustPut("/a", "a1");
  MustPut("/b", "b1");
  MustPut("/a", "a2");
  Result<Entry> first = store_->GetVersion("/a", 1);
  ASSERT_THAT(first, IsOk());
  EXPECT_EQ(*first, (Entry{"/a", "a1", 1, 1, false}));
  Result<Entry> second = store_->GetVersion("/a", 2);
  ASSERT_THAT(second, IsOk());
  EXPECT_EQ(*second, (Entry{"/a", "a2", 3, 2, false}));
  EXPECT_THAT(store_->GetVersion("/a", 3),
              StatusIs(StatusCode::kNotFound, HasSubstr("version 3 of key \"/a\"")));
  EXPECT_THAT(store_->GetVersion("/zz", 1), StatusIs(StatusCode::kNotFound));
  EXPECT_THAT(store_->GetVersion("/a", 0), StatusIs(StatusCode::kInvalidArgument));
  EXPECT_THAT(store_->GetVersion("/a", -1), StatusIs(StatusCode::kInvalidArgument));
}

TEST_P(ConfigStoreContractTest, EmptyAndBinaryValuesRoundTrip) {
  const std::string binary("a\0b\xff\n", 5);
  MustPut("/empty", "");
  MustPut("/binary", binary);
  Result<Entry> empty = store_->Get("/empty");
  ASSERT_THAT(empty, IsOk());
  EXPECT_EQ(empty->value, "");
  Result<Entry> got = store_->Get("/binary");
  ASSERT_THAT(got, IsOk());
  EXPECT_EQ(got->value, binary);
}

TEST_P(ConfigStoreContractTest, CompareAndSetOnCurrentRevisionSucceeds) {
  WriteResult first = MustPut("/a", "a1");
  MustPut("/b", "b1");
  Result<WriteResult> second = store_->Put("/a", "a2", first.revision);
  ASSERT_THAT(second, IsOk());
  EXPECT_EQ(*second, (WriteResult{3, 2}));
}

TEST_P(ConfigStoreContractTest, LostCompareAndSetIsAbortedAndWritesNothing) {
  MustPut("/a", "a1");
  MustPut("/a", "a2");
  EXPECT_THAT(store_->Put("/a", "stale", 1),
              StatusIs(StatusCode::kAborted, HasSubstr("key \"/a\" is at revision 2, not 1")));
  EXPECT_THAT(store_->Put("/a", "stale", 0), StatusIs(StatusCode::kAborted));
  EXPECT_THAT(store_->Delete("/a", 1), StatusIs(StatusCode::kAborted));
  EXPECT_EQ(Latest(), 2);
  Result<Entry> got = store_->Get("/a");
  ASSERT_THAT(got, IsOk());
  EXPECT_EQ(got->value, "a2");
}

TEST_P(ConfigStoreContractTest, CompareAndSetWithZeroCreatesOnlyIfAbsent) {
  Result<WriteResult> created = store_->Put("/a", "a1", 0);
  ASSERT_THAT(created, IsOk());
  EXPECT_EQ(*created, (WriteResult{1, 1}));
  EXPECT_THAT(store_->Put("/a", "again", 0), StatusIs(StatusCode::kAborted));
  ODMD_ASSERT_OK(store_->Delete("/a", std::nullopt));
  // A deleted key is absent again.
  Result<WriteResult> recreated = store_->Put("/a", "a3", 0);
  ASSERT_THAT(recreated, IsOk());
  EXPECT_EQ(*recreated, (WriteResult{3, 3}));
}

TEST_P(ConfigStoreContractTest, DeleteWritesTombstoneAndKeepsHistory) {
  MustPut("/a", "a1");
  Result<WriteResult> deleted = store_->Delete("/a", std::nullopt);
  ASSERT_THAT(deleted, IsOk());
  EXPECT_EQ(*deleted, (WriteResult{2, 2}));
  EXPECT_EQ(Latest(), 2);
  EXPECT_THAT(store_->Get("/a"), StatusIs(StatusCode::kNotFound, HasSubstr("deleted")));
  EXPECT_THAT(store_->GetVersion("/a", 2), StatusIs(StatusCode::kNotFound));
  Result<Entry> first = store_->GetVersion("/a", 1);
  ASSERT_THAT(first, IsOk());
  EXPECT_EQ(first->value, "a1");
  Result<std::vector<Entry>> history = store_->History("/a");
  ASSERT_THAT(history, IsOk());
  EXPECT_THAT(*history, ElementsAre(Entry{"/a", "a1", 1, 1, false}, Entry{"/a", "", 2, 2, true}));
  EXPECT_EQ(MustPut("/a", "a3"), (WriteResult{3, 3}));
}

TEST_P(ConfigStoreContractTest, DeleteOfAbsentKeyIsNotFoundAndWritesNothing) {
  EXPECT_THAT(store_->Delete("/a", std::nullopt),
              StatusIs(StatusCode::kNotFound, HasSubstr("\"/a\"")));
  MustPut("/a", "a1");
  ODMD_ASSERT_OK(store_->Delete("/a", std::nullopt));
  EXPECT_THAT(store_->Delete("/a", std::nullopt), StatusIs(StatusCode::kNotFound));
  EXPECT_EQ(Latest(), 2);
}

TEST_P(ConfigStoreContractTest, DeleteWithCurrentRevisionSucceeds) {
  WriteResult first = MustPut("/a", "a1");
  ODMD_EXPECT_OK(store_->Delete("/a", first.revision));
}

TEST_P(ConfigStoreContractTest, ListByPrefixIsSortedAndLeavesOutDeletedKeys) {
  MustPut("/b", "b");
  MustPut("/a/2", "a2");
  MustPut("/a/1", "a1");
  MustPut("/a/3", "a3");
  MustPut("/ab", "ab");
  MustPut("/a/1", "a1 v2");
  ODMD_ASSERT_OK(store_->Delete("/a/3", std::nullopt));
  Result<std::vector<Entry>> under_a = store_->List("/a/");
  ASSERT_THAT(under_a, IsOk());
  EXPECT_THAT(*under_a,
              ElementsAre(Entry{"/a/1", "a1 v2", 6, 2, false}, Entry{"/a/2", "a2", 2, 1, false}));
  Result<std::vector<Entry>> starting_a = store_->List("/a");
  ASSERT_THAT(starting_a, IsOk());
  EXPECT_THAT(KeysOf(*starting_a), ElementsAre("/a/1", "/a/2", "/ab"));
  Result<std::vector<Entry>> all = store_->List("");
  ASSERT_THAT(all, IsOk());
  EXPECT_THAT(KeysOf(*all), ElementsAre("/a/1", "/a/2", "/ab", "/b"));
  Result<std::vector<Entry>> none = store_->List("/c");
  ASSERT_THAT(none, IsOk());
  EXPECT_TRUE(none->empty());
}

TEST_P(ConfigStoreContractTest, HistoryIsInVersionOrder) {
  MustPut("/a", "a1");
  MustPut("/b", "b1");
  MustPut("/a", "a2");
  MustPut("/a", "a3");
  Result<std::vector<Entry>> history = store_->History("/a");
  ASSERT_THAT(history, IsOk());
  EXPECT_THAT(*history, ElementsAre(Entry{"/a", "a1", 1, 1, false}, Entry{"/a", "a2", 3, 2, false},
                                    Entry{"/a", "a3", 4, 3, false}));
}

TEST_P(ConfigStoreContractTest, InvalidKeysAreRejectedAndNothingIsWritten) {
  const std::string too_long = "/" + std::string(store::kMaxKeyBytes, 'k');
  const struct {
    std::string key;
    std::string message;
  } cases[] = {
      {"", "key is empty"},
      {"a/b", "must start with '/'"},
      {std::string("/a\0b", 4), "NUL"},
      {too_long, "more than the limit of 1024"},
      // Segments: a key names one thing, so no prefix rule can be walked out of.
      {"/odmd-share/a/b..main/url/../../c/b..main/url", "segment 5 is \"..\""},
      {"/a/./b", "segment 2 is \".\""},
      {"/a//b", "segment 2 is empty"},
      {"/a/", "segment 2 is empty"},
      {"/", "segment 1 is empty"},
      {"/..", "segment 1 is \"..\""},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.message);
    auto invalid = StatusIs(StatusCode::kInvalidArgument, HasSubstr(c.message));
    EXPECT_THAT(store_->Put(c.key, "v", std::nullopt), invalid);
    EXPECT_THAT(store_->Delete(c.key, std::nullopt), invalid);
    EXPECT_THAT(store_->Get(c.key), invalid);
    EXPECT_THAT(store_->GetVersion(c.key, 1), invalid);
    EXPECT_THAT(store_->History(c.key), invalid);
  }
  EXPECT_EQ(Latest(), 0);
}

TEST_P(ConfigStoreContractTest, OversizedValueIsRejectedAndNothingIsWritten) {
  EXPECT_THAT(store_->Put("/a", std::string(store::kMaxValueBytes + 1, 'v'), std::nullopt),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("value of key \"/a\"")));
  EXPECT_THAT(store_->Put("/a", "v", -1), StatusIs(StatusCode::kInvalidArgument));
  EXPECT_EQ(Latest(), 0);
}

TEST_P(ConfigStoreContractTest, KeyAndValueAtTheLimitsAreAccepted) {
  const std::string key = "/" + std::string(store::kMaxKeyBytes - 1, 'k');
  const std::string value(store::kMaxValueBytes, 'v');
  MustPut(key, value);
  Result<Entry> got = store_->Get(key);
  ASSERT_THAT(got, IsOk());
  EXPECT_EQ(got->value, value);
}

TEST_P(ConfigStoreContractTest, InvalidPrefixOrWatchRevisionIsRejected) {
  ChangeCollector collector;
  EXPECT_THAT(store_->List("a"), StatusIs(StatusCode::kInvalidArgument, HasSubstr("prefix")));
  EXPECT_THAT(store_->List("/a/../b/"),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("segment 2 is \"..\"")));
  EXPECT_THAT(store_->List("//"), StatusIs(StatusCode::kInvalidArgument, HasSubstr("empty")));
  EXPECT_THAT(store_->List("/a/"), IsOk());
  EXPECT_THAT(store_->List("/a.."), IsOk());
  EXPECT_THAT(store_->Watch("a", 0, collector.Sink()), StatusIs(StatusCode::kInvalidArgument));
  EXPECT_THAT(store_->Watch("/", -1, collector.Sink()),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("-1")));
}

TEST_P(ConfigStoreContractTest, WatchDeliversBacklogThenLiveChangesInOrder) {
  MustPut("/a", "a1");
  MustPut("/b", "b1");
  ChangeCollector collector;
  Result<store::WatchHandlePtr> watch = store_->Watch("", 0, collector.Sink());
  ASSERT_THAT(watch, IsOk());
  MustPut("/a", "a2");
  ODMD_ASSERT_OK(store_->Delete("/b", std::nullopt));
  EXPECT_THAT(collector.WaitFor(4),
              ElementsAre(ChangeEvent{1, "/a", ChangeKind::kPut, "a1", 1, 0},
                          ChangeEvent{2, "/b", ChangeKind::kPut, "b1", 1, 0},
                          ChangeEvent{3, "/a", ChangeKind::kPut, "a2", 2, 1},
                          ChangeEvent{4, "/b", ChangeKind::kDelete, "", 2, 2}));
  ODMD_EXPECT_OK((*watch)->status());
}

TEST_P(ConfigStoreContractTest, WatchDeliversOnlyKeysUnderItsPrefix) {
  MustPut("/x/1", "old");
  MustPut("/y/1", "other");
  ChangeCollector collector;
  Result<store::WatchHandlePtr> watch = store_->Watch("/x/", 0, collector.Sink());
  ASSERT_THAT(watch, IsOk());
  MustPut("/y/2", "other");
  MustPut("/x", "not under /x/");
  MustPut("/x/2", "new");
  EXPECT_THAT(RevisionsOf(collector.WaitFor(2)), ElementsAre(1, 5));
}

TEST_P(ConfigStoreContractTest, WatchFromAMiddleRevisionStartsAfterIt) {
  for (int i = 1; i <= 5; ++i) MustPut("/k" + std::to_string(i), "v");
  ChangeCollector collector;
  Result<store::WatchHandlePtr> watch = store_->Watch("/", 3, collector.Sink());
  ASSERT_THAT(watch, IsOk());
  MustPut("/k6", "v");
  EXPECT_THAT(RevisionsOf(collector.WaitFor(3)), ElementsAre(4, 5, 6));
}

TEST_P(ConfigStoreContractTest, WatchFromAFutureRevisionSkipsUntilThen) {
  MustPut("/k1", "v");
  ChangeCollector collector;
  Result<store::WatchHandlePtr> watch = store_->Watch("/", 2, collector.Sink());
  ASSERT_THAT(watch, IsOk());
  MustPut("/k2", "v");
  MustPut("/k3", "v");
  EXPECT_THAT(RevisionsOf(collector.WaitFor(1)), ElementsAre(3));
}

TEST_P(ConfigStoreContractTest, WatchBacklogLongerThanOnePageArrivesWhole) {
  constexpr int kWrites = 700;
  for (int i = 1; i <= kWrites; ++i) MustPut("/k", std::to_string(i));
  ChangeCollector collector;
  Result<store::WatchHandlePtr> watch = store_->Watch("/k", 0, collector.Sink());
  ASSERT_THAT(watch, IsOk());
  std::vector<ChangeEvent> events = collector.WaitFor(kWrites);
  ASSERT_EQ(events.size(), static_cast<std::size_t>(kWrites));
  for (int i = 0; i < kWrites; ++i) {
    EXPECT_EQ(events[i].revision, i + 1);
    EXPECT_EQ(events[i].previous_revision, i);
  }
}

TEST_P(ConfigStoreContractTest, SinkMayReadTheStore) {
  std::mutex mu;
  std::condition_variable cv;
  std::vector<std::string> seen;
  Result<store::WatchHandlePtr> watch = store_->Watch("/", 0, [&](const ChangeEvent& event) {
    Result<Entry> got = store_->Get(event.key);
    std::lock_guard lock(mu);
    seen.push_back(got.ok() ? got->value : got.status().ToString());
    cv.notify_all();
  });
  ASSERT_THAT(watch, IsOk());
  MustPut("/a", "1");
  std::unique_lock lock(mu);
  cv.wait_for(lock, std::chrono::seconds(30), [&] { return !seen.empty(); });
  EXPECT_THAT(seen, ElementsAre("1"));
}

TEST_P(ConfigStoreContractTest, DestroyedWatchDeliversNothingMore) {
  ChangeCollector stopped;
  Result<store::WatchHandlePtr> watch = store_->Watch("/", 0, stopped.Sink());
  ASSERT_THAT(watch, IsOk());
  MustPut("/a", "1");
  ASSERT_EQ(stopped.WaitFor(1).size(), 1u);
  watch->reset();
  MustPut("/a", "2");
  // A second watch seeing revision 2 proves the write was published.
  ChangeCollector running;
  Result<store::WatchHandlePtr> second = store_->Watch("/", 1, running.Sink());
  ASSERT_THAT(second, IsOk());
  ASSERT_EQ(running.WaitFor(1).size(), 1u);
  EXPECT_EQ(stopped.Snapshot().size(), 1u);
}

TEST_P(ConfigStoreContractTest, ConcurrentPutsAreAllAcknowledgedWithGaplessRevisions) {
  constexpr int kThreads = 8;
  constexpr int kPutsPerThread = 50;
  constexpr int kTotal = kThreads * kPutsPerThread;
  ChangeCollector collector;
  Result<store::WatchHandlePtr> watch = store_->Watch("/", 0, collector.Sink());
  ASSERT_THAT(watch, IsOk());
  std::vector<std::vector<WriteResult>> acks(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([this, t, &acks] {
      for (int i = 0; i < kPutsPerThread; ++i) {
        Result<WriteResult> written =
            store_->Put("/t" + std::to_string(t), std::to_string(i), std::nullopt);
        if (written.ok()) acks[t].push_back(*written);
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  std::vector<store::Revision> revisions;
  for (int t = 0; t < kThreads; ++t) {
    ASSERT_EQ(acks[t].size(), static_cast<std::size_t>(kPutsPerThread));
    for (int i = 0; i < kPutsPerThread; ++i) {
      EXPECT_EQ(acks[t][i].version, i + 1);  // one writer per key: versions in call order
      revisions.push_back(acks[t][i].revision);
    }
    Result<Entry> last = store_->Get("/t" + std::to_string(t));
    ASSERT_THAT(last, IsOk());
    EXPECT_EQ(last->value, std::to_string(kPutsPerThread - 1));
  }
  std::sort(revisions.begin(), revisions.end());
  for (int i = 0; i < kTotal; ++i) ASSERT_EQ(revisions[i], i + 1);
  EXPECT_EQ(Latest(), kTotal);
  std::vector<ChangeEvent> events = collector.WaitFor(kTotal);
  ASSERT_EQ(events.size(), static_cast<std::size_t>(kTotal));
  for (int i = 0; i < kTotal; ++i) ASSERT_EQ(events[i].revision, i + 1);
}

TEST_P(PersistentConfigStoreContractTest, ReopenedStoreHasEverything) {
  MustPut("/a", "a1");
  MustPut("/b", "b1");
  MustPut("/a", "a2");
  ODMD_ASSERT_OK(store_->Delete("/b", std::nullopt));
  Reopen();
  EXPECT_EQ(Latest(), 4);
  Result<Entry> got = store_->Get("/a");
  ASSERT_THAT(got, IsOk());
  EXPECT_EQ(*got, (Entry{"/a", "a2", 3, 2, false}));
  EXPECT_THAT(store_->Get("/b"), StatusIs(StatusCode::kNotFound));
  Result<std::vector<Entry>> history = store_->History("/b");
  ASSERT_THAT(history, IsOk());
  EXPECT_EQ(history->size(), 2u);
  EXPECT_EQ(MustPut("/a", "a3"), (WriteResult{5, 3}));
  ChangeCollector collector;
  Result<store::WatchHandlePtr> watch = store_->Watch("", 2, collector.Sink());
  ASSERT_THAT(watch, IsOk());
  EXPECT_THAT(RevisionsOf(collector.WaitFor(3)), ElementsAre(3, 4, 5));
}

// Two store objects on one store (as two processes would hold it): each sees the other's
// commits at once, in reads, compare-and-set and watches.
TEST_P(PersistentConfigStoreContractTest, AnotherStoreObjectsWritesAreSeenByReadsAndCompareAndSet) {
  Result<store::ConfigStorePtr> opened = GetParam().open(dir_);
  ASSERT_THAT(opened, IsOk());
  store::ConfigStore& other = **opened;
  EXPECT_EQ(MustPut("/k", "mine"), (WriteResult{1, 1}));
  ASSERT_THAT(store_->Get("/k"), IsOk());  // a read before the other object's write
  Result<WriteResult> theirs = other.Put("/k", "theirs", 1);
  ASSERT_THAT(theirs, IsOk());
  EXPECT_EQ(*theirs, (WriteResult{2, 2}));
  Result<Entry> got = store_->Get("/k");
  ASSERT_THAT(got, IsOk());
  EXPECT_EQ(*got, (Entry{"/k", "theirs", 2, 2, false}));
  EXPECT_THAT(store_->Put("/k", "stale", 1),
              StatusIs(StatusCode::kAborted, HasSubstr("revision 2")));
  EXPECT_EQ(MustPut("/k", "mine again"), (WriteResult{3, 3}));
  EXPECT_THAT(other.Put("/k", "stale", 2), StatusIs(StatusCode::kAborted));
}

TEST_P(PersistentConfigStoreContractTest,
       WatchDeliversAnotherStoreObjectsWritesInOrderExactlyOnce) {
  Result<store::ConfigStorePtr> opened = GetParam().open(dir_);
  ASSERT_THAT(opened, IsOk());
  store::ConfigStore& other = **opened;
  ODMD_ASSERT_OK(other.Put("/w/a", "1", std::nullopt).status());
  MustPut("/w/b", "2");
  ChangeCollector collector;
  Result<store::WatchHandlePtr> watch = store_->Watch("/w/", 0, collector.Sink());
  ASSERT_THAT(watch, IsOk());
  ODMD_ASSERT_OK(other.Put("/w/a", "3", std::nullopt).status());
  ODMD_ASSERT_OK(other.Put("/x", "4", std::nullopt).status());
  MustPut("/w/b", "5");
  ODMD_ASSERT_OK(other.Delete("/w/a", std::nullopt).status());
  EXPECT_THAT(collector.WaitFor(5),
              ElementsAre(ChangeEvent{1, "/w/a", ChangeKind::kPut, "1", 1, 0},
                          ChangeEvent{2, "/w/b", ChangeKind::kPut, "2", 1, 0},
                          ChangeEvent{3, "/w/a", ChangeKind::kPut, "3", 2, 1},
                          ChangeEvent{5, "/w/b", ChangeKind::kPut, "5", 2, 2},
                          ChangeEvent{6, "/w/a", ChangeKind::kDelete, "", 3, 3}));
  // Nothing came twice: the next event is the sixth.
  ODMD_ASSERT_OK(other.Put("/w/c", "7", std::nullopt).status());
  std::vector<ChangeEvent> events = collector.WaitFor(6);
  ASSERT_EQ(events.size(), 6u);
  EXPECT_EQ(events.back().revision, 7);
  ODMD_EXPECT_OK((*watch)->status());
}

// WriteBatch

using store::BatchOp;

TEST_P(ConfigStoreContractTest, WriteBatchAppliesOpsInOrderWithConsecutiveRevisions) {
  MustPut("/a", "a1");
  MustPut("/c", "c1");
  const std::vector<BatchOp> ops = {BatchOp::Put("/a", "a2", 1), BatchOp::Put("/b", "b1"),
                                    BatchOp::Delete("/c", 2), BatchOp::Put("/d", "d1", 0)};
  Result<std::vector<WriteResult>> written = store_->WriteBatch(ops);
  ASSERT_THAT(written, IsOk());
  EXPECT_THAT(*written, ElementsAre(WriteResult{3, 2}, WriteResult{4, 1}, WriteResult{5, 2},
                                    WriteResult{6, 1}));
  EXPECT_EQ(Latest(), 6);
  Result<Entry> a = store_->Get("/a");
  ASSERT_THAT(a, IsOk());
  EXPECT_EQ(*a, (Entry{"/a", "a2", 3, 2, false}));
  EXPECT_THAT(store_->Get("/c"), StatusIs(StatusCode::kNotFound, HasSubstr("deleted")));
  Result<std::vector<Entry>> c = store_->History("/c");
  ASSERT_THAT(c, IsOk());
  EXPECT_THAT(*c, ElementsAre(Entry{"/c", "c1", 2, 1, false}, Entry{"/c", "", 5, 2, true}));
  Result<std::vector<Entry>> all = store_->List("/");
  ASSERT_THAT(all, IsOk());
  EXPECT_THAT(*all, ElementsAre(Entry{"/a", "a2", 3, 2, false}, Entry{"/b", "b1", 4, 1, false},
                                Entry{"/d", "d1", 6, 1, false}));
  // Writes after the batch continue from it.
  EXPECT_EQ(MustPut("/c", "c3"), (WriteResult{7, 3}));
}

TEST_P(ConfigStoreContractTest, WriteBatchWithALostCompareAndSetWritesNothing) {
  MustPut("/a", "a1");
  MustPut("/b", "b1");
  MustPut("/b", "b2");
  // Read first, so that a read cache holding these must still be right afterwards.
  ASSERT_THAT(store_->Get("/a"), IsOk());
  ASSERT_THAT(store_->Get("/c"), StatusIs(StatusCode::kNotFound));
  const std::vector<BatchOp> ops = {BatchOp::Put("/a", "new", 1), BatchOp::Put("/c", "new"),
                                    BatchOp::Put("/b", "new", 2), BatchOp::Put("/d", "new")};
  EXPECT_THAT(
      store_->WriteBatch(ops),
      StatusIs(StatusCode::kAborted, HasSubstr("op 2 (/b): key \"/b\" is at revision 3, not 2")));
  EXPECT_EQ(Latest(), 3);
  Result<Entry> a = store_->Get("/a");
  ASSERT_THAT(a, IsOk());
  EXPECT_EQ(*a, (Entry{"/a", "a1", 1, 1, false}));
  Result<Entry> b = store_->Get("/b");
  ASSERT_THAT(b, IsOk());
  EXPECT_EQ(*b, (Entry{"/b", "b2", 3, 2, false}));
  EXPECT_THAT(store_->Get("/c"), StatusIs(StatusCode::kNotFound));
  EXPECT_THAT(store_->History("/d"), StatusIs(StatusCode::kNotFound));
  Result<std::vector<Entry>> history = store_->History("/a");
  ASSERT_THAT(history, IsOk());
  EXPECT_EQ(history->size(), 1u);
  // The store's own view of each key is unchanged too: compare-and-set and versions go on
  // from the committed state.
  EXPECT_THAT(store_->Put("/c", "c1", 0), IsOk());
  Result<WriteResult> a2 = store_->Put("/a", "a2", 1);
  ASSERT_THAT(a2, IsOk());
  EXPECT_EQ(*a2, (WriteResult{5, 2}));
  EXPECT_THAT(store_->Put("/d", "x", 1), StatusIs(StatusCode::kAborted));
  // A corrected batch then commits whole.
  Result<std::vector<WriteResult>> retried = store_->WriteBatch(
      std::vector<BatchOp>{BatchOp::Put("/b", "b3", 3), BatchOp::Put("/d", "d")});
  ASSERT_THAT(retried, IsOk());
  EXPECT_THAT(*retried, ElementsAre(WriteResult{6, 3}, WriteResult{7, 1}));
}

TEST_P(ConfigStoreContractTest, WriteBatchDeletingAnAbsentKeyWritesNothing) {
  MustPut("/gone", "v");
  ODMD_ASSERT_OK(store_->Delete("/gone", std::nullopt));
  for (const std::string key : {"/never", "/gone"}) {
    SCOPED_TRACE(key);
    const std::vector<BatchOp> ops = {BatchOp::Put("/x", "x"), BatchOp::Delete(key)};
    EXPECT_THAT(store_->WriteBatch(ops),
                StatusIs(StatusCode::kNotFound,
                         HasSubstr("op 1 (" + key + "): key \"" + key + "\" not found")));
  }
  EXPECT_EQ(Latest(), 2);
  EXPECT_THAT(store_->Get("/x"), StatusIs(StatusCode::kNotFound));
}

TEST_P(ConfigStoreContractTest, WriteBatchRefusesMalformedOpsAndRepeatedKeys) {
  MustPut("/a", "a1");
  const struct {
    std::vector<BatchOp> ops;
    std::string message;
  } cases[] = {
      {{BatchOp::Put("/a", "1"), BatchOp::Put("/b", "2"), BatchOp::Delete("/a")},
       "op 2 (/a): key \"/a\" is already written by op 0 of this batch"},
      {{BatchOp::Put("/b", "1"), BatchOp::Put("b", "2")}, "op 1 (b): key \"b\" must start"},
      {{BatchOp::Put("", "1")}, "op 0 (\"\"): key is empty"},
      {{BatchOp::Put("/b", std::string(store::kMaxValueBytes + 1, 'v'))},
       "op 0 (/b): value of key \"/b\" is"},
      {{BatchOp::Put("/b", "1"), BatchOp::Delete("/a", -1)}, "op 1 (/a): if_revision -1"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.message);
    EXPECT_THAT(store_->WriteBatch(c.ops),
                StatusIs(StatusCode::kInvalidArgument, HasSubstr(c.message)));
  }
  EXPECT_EQ(Latest(), 1);
  EXPECT_THAT(store_->Get("/b"), StatusIs(StatusCode::kNotFound));
}

TEST_P(ConfigStoreContractTest, EmptyWriteBatchWritesNothing) {
  MustPut("/a", "a1");
  Result<std::vector<WriteResult>> written = store_->WriteBatch({});
  ASSERT_THAT(written, IsOk());
  EXPECT_TRUE(written->empty());
  EXPECT_EQ(Latest(), 1);
  EXPECT_EQ(MustPut("/a", "a2"), (WriteResult{2, 2}));
}

TEST_P(ConfigStoreContractTest, WatchSeesABatchsEventsInOpOrderExactlyOnce) {
  MustPut("/a", "a1");
  ChangeCollector collector;
  Result<store::WatchHandlePtr> watch = store_->Watch("/", 0, collector.Sink());
  ASSERT_THAT(watch, IsOk());
  const std::vector<BatchOp> ops = {BatchOp::Put("/c", "c1"), BatchOp::Delete("/a"),
                                    BatchOp::Put("/b", "b1")};
  ODMD_ASSERT_OK(store_->WriteBatch(ops).status());
  // A refused batch delivers nothing.
  EXPECT_THAT(
      store_->WriteBatch(std::vector<BatchOp>{BatchOp::Put("/z", "z"), BatchOp::Put("/b", "x", 0)}),
      StatusIs(StatusCode::kAborted));
  MustPut("/d", "d1");
  EXPECT_THAT(collector.WaitFor(5),
              ElementsAre(ChangeEvent{1, "/a", ChangeKind::kPut, "a1", 1, 0},
                          ChangeEvent{2, "/c", ChangeKind::kPut, "c1", 1, 0},
                          ChangeEvent{3, "/a", ChangeKind::kDelete, "", 2, 1},
                          ChangeEvent{4, "/b", ChangeKind::kPut, "b1", 1, 0},
                          ChangeEvent{5, "/d", ChangeKind::kPut, "d1", 1, 0}));
  MustPut("/e", "e1");
  std::vector<ChangeEvent> events = collector.WaitFor(6);
  ASSERT_EQ(events.size(), 6u);
  EXPECT_EQ(events.back().revision, 6);
  ODMD_EXPECT_OK((*watch)->status());
}

// Batches (some refused) racing single puts from other threads: every acknowledged write
// is in the store exactly once, a batch's revisions are consecutive, and a refused batch
// left nothing.
TEST_P(ConfigStoreContractTest, WriteBatchesRacingSinglePutsLoseAndDuplicateNothing) {
  constexpr int kPutThreads = 4;
  constexpr int kPutsPerThread = 40;
  constexpr int kBatches = 20;
  constexpr int kBatchSize = 10;
  MustPut("/taken", "v");  // every refused batch's last op is "create /taken"
  ChangeCollector collector;
  Result<store::WatchHandlePtr> watch = store_->Watch("/", 1, collector.Sink());
  ASSERT_THAT(watch, IsOk());
  std::vector<std::vector<WriteResult>> put_acks(kPutThreads);
  std::vector<std::vector<WriteResult>> batch_acks;
  std::vector<Status> refusals;
  std::vector<std::thread> threads;
  for (int t = 0; t < kPutThreads; ++t) {
    threads.emplace_back([this, t, &put_acks] {
      for (int i = 0; i < kPutsPerThread; ++i) {
        Result<WriteResult> written =
            store_->Put("/t" + std::to_string(t), std::to_string(i), std::nullopt);
        if (written.ok()) put_acks[t].push_back(*written);
      }
    });
  }
  threads.emplace_back([this, &batch_acks] {
    for (int b = 0; b < kBatches; ++b) {
      std::vector<BatchOp> ops;
      for (int k = 0; k < kBatchSize; ++k) {
        ops.push_back(BatchOp::Put("/b/" + std::to_string(k), std::to_string(b)));
      }
      Result<std::vector<WriteResult>> written = store_->WriteBatch(ops);
      batch_acks.push_back(written.ok() ? *written : std::vector<WriteResult>());
    }
  });
  threads.emplace_back([this, &refusals] {
    for (int b = 0; b < kBatches; ++b) {
      const std::vector<BatchOp> ops = {BatchOp::Put("/r/" + std::to_string(b), "x"),
                                        BatchOp::Put("/taken", "x", 0)};
      refusals.push_back(store_->WriteBatch(ops).status());
    }
  });
  for (std::thread& thread : threads) thread.join();

  std::vector<store::Revision> revisions;
  for (int t = 0; t < kPutThreads; ++t) {
    ASSERT_EQ(put_acks[t].size(), static_cast<std::size_t>(kPutsPerThread));
    for (const WriteResult& ack : put_acks[t]) revisions.push_back(ack.revision);
  }
  ASSERT_EQ(batch_acks.size(), static_cast<std::size_t>(kBatches));
  for (int b = 0; b < kBatches; ++b) {
    ASSERT_EQ(batch_acks[b].size(), static_cast<std::size_t>(kBatchSize)) << "batch " << b;
    for (int k = 0; k < kBatchSize; ++k) {
      EXPECT_EQ(batch_acks[b][k].revision, batch_acks[b][0].revision + k);
      EXPECT_EQ(batch_acks[b][k].version, b + 1);
      revisions.push_back(batch_acks[b][k].revision);
    }
  }
  for (const Status& refusal : refusals) {
    EXPECT_THAT(refusal, StatusIs(StatusCode::kAborted, HasSubstr("op 1 (/taken)")));
  }
  const int total = kPutThreads * kPutsPerThread + kBatches * kBatchSize;
  std::sort(revisions.begin(), revisions.end());
  ASSERT_EQ(revisions.size(), static_cast<std::size_t>(total));
  for (int i = 0; i < total; ++i) ASSERT_EQ(revisions[i], i + 2);
  EXPECT_EQ(Latest(), total + 1);
  Result<std::vector<Entry>> refused = store_->List("/r/");
  ASSERT_THAT(refused, IsOk());
  EXPECT_TRUE(refused->empty());
  for (int k = 0; k < kBatchSize; ++k) {
    Result<Entry> got = store_->Get("/b/" + std::to_string(k));
    ASSERT_THAT(got, IsOk());
    EXPECT_EQ(got->value, std::to_string(kBatches - 1));
  }
  std::vector<ChangeEvent> events = collector.WaitFor(static_cast<std::size_t>(total));
  ASSERT_EQ(events.size(), static_cast<std::size_t>(total));
  for (int i = 0; i < total; ++i) ASSERT_EQ(events[i].revision, i + 2);
}

TEST_P(PersistentConfigStoreContractTest, WriteBatchComparesWithAnotherStoreObjectsWrites) {
  Result<store::ConfigStorePtr> opened = GetParam().open(dir_);
  ASSERT_THAT(opened, IsOk());
  store::ConfigStore& other = **opened;
  MustPut("/k", "mine");
  ODMD_ASSERT_OK(
      store_->WriteBatch(std::vector<BatchOp>{BatchOp::Put("/k", "mine 2", 1)}).status());
  ODMD_ASSERT_OK(other.Put("/k", "theirs", 2).status());
  EXPECT_THAT(store_->WriteBatch(
                  std::vector<BatchOp>{BatchOp::Put("/j", "j"), BatchOp::Put("/k", "stale", 2)}),
              StatusIs(StatusCode::kAborted, HasSubstr("op 1 (/k): key \"/k\" is at revision 3")));
  Result<std::vector<WriteResult>> written =
      other.WriteBatch(std::vector<BatchOp>{BatchOp::Put("/j", "j"), BatchOp::Delete("/k", 3)});
  ASSERT_THAT(written, IsOk());
  EXPECT_THAT(*written, ElementsAre(WriteResult{4, 1}, WriteResult{5, 4}));
  EXPECT_THAT(store_->Get("/k"), StatusIs(StatusCode::kNotFound));
  Result<Entry> j = store_->Get("/j");
  ASSERT_THAT(j, IsOk());
  EXPECT_EQ(j->revision, 4);
  EXPECT_EQ(MustPut("/k", "again"), (WriteResult{6, 5}));
}

TEST_P(PersistentConfigStoreContractTest, ReopenedStoreHasAWholeBatch) {
  std::vector<BatchOp> ops;
  for (int i = 0; i < 100; ++i) ops.push_back(BatchOp::Put("/q/" + std::to_string(i), "v"));
  ODMD_ASSERT_OK(store_->WriteBatch(ops).status());
  Reopen();
  EXPECT_EQ(Latest(), 100);
  Result<std::vector<Entry>> all = store_->List("/q/");
  ASSERT_THAT(all, IsOk());
  EXPECT_EQ(all->size(), 100u);
}

// ListAt

TEST_P(ConfigStoreContractTest, ListAtSeesEachKeyAsOfThatRevision) {
  MustPut("/a/1", "a1 v1");  // 1
  MustPut("/a/2", "a2 v1");  // 2
  MustPut("/a/1", "a1 v2");  // 3
  MustPut("/b", "b v1");     // 4
  MustPut("/a/3", "a3 v1");  // 5
  MustPut("/a/1", "a1 v3");  // 6
  const struct {
    store::Revision at;
    std::vector<Entry> want;
  } cases[] = {
      {1, {Entry{"/a/1", "a1 v1", 1, 1, false}}},
      {2, {Entry{"/a/1", "a1 v1", 1, 1, false}, Entry{"/a/2", "a2 v1", 2, 1, false}}},
      {3, {Entry{"/a/1", "a1 v2", 3, 2, false}, Entry{"/a/2", "a2 v1", 2, 1, false}}},
      {4, {Entry{"/a/1", "a1 v2", 3, 2, false}, Entry{"/a/2", "a2 v1", 2, 1, false}}},
      {5,
       {Entry{"/a/1", "a1 v2", 3, 2, false}, Entry{"/a/2", "a2 v1", 2, 1, false},
        Entry{"/a/3", "a3 v1", 5, 1, false}}},
      {6,
       {Entry{"/a/1", "a1 v3", 6, 3, false}, Entry{"/a/2", "a2 v1", 2, 1, false},
        Entry{"/a/3", "a3 v1", 5, 1, false}}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE("at " + std::to_string(c.at));
    Result<std::vector<Entry>> listed = store_->ListAt("/a/", c.at);
    ASSERT_THAT(listed, IsOk());
    EXPECT_EQ(*listed, c.want);
  }
  Result<std::vector<Entry>> all = store_->ListAt("", 4);
  ASSERT_THAT(all, IsOk());
  EXPECT_THAT(*all,
              ElementsAre(Entry{"/a/1", "a1 v2", 3, 2, false}, Entry{"/a/2", "a2 v1", 2, 1, false},
                          Entry{"/b", "b v1", 4, 1, false}));
}

TEST_P(ConfigStoreContractTest, ListAtLeavesOutKeysDeletedAtThatRevisionAndSeesThemRecreated) {
  MustPut("/k", "k1");                                     // 1
  MustPut("/other", "o1");                                 // 2
  ODMD_ASSERT_OK(store_->Delete("/k", std::nullopt));      // 3
  MustPut("/other", "o2");                                 // 4
  MustPut("/k", "k3");                                     // 5: version 3
  ODMD_ASSERT_OK(store_->Delete("/other", std::nullopt));  // 6
  auto at = [&](store::Revision revision) {
    Result<std::vector<Entry>> listed = store_->ListAt("/", revision);
    EXPECT_THAT(listed, IsOk());
    return listed.ok() ? *listed : std::vector<Entry>{Entry{"/failed", "", -1, -1, false}};
  };
  EXPECT_THAT(at(2),
              ElementsAre(Entry{"/k", "k1", 1, 1, false}, Entry{"/other", "o1", 2, 1, false}));
  // The tombstone is the record at revision 3 itself.
  EXPECT_THAT(at(3), ElementsAre(Entry{"/other", "o1", 2, 1, false}));
  EXPECT_THAT(at(4), ElementsAre(Entry{"/other", "o2", 4, 2, false}));
  EXPECT_THAT(at(5),
              ElementsAre(Entry{"/k", "k3", 5, 3, false}, Entry{"/other", "o2", 4, 2, false}));
  EXPECT_THAT(at(6), ElementsAre(Entry{"/k", "k3", 5, 3, false}));
  EXPECT_THAT(at(100), ElementsAre(Entry{"/k", "k3", 5, 3, false}));
}

TEST_P(ConfigStoreContractTest, ListAtMatchesPrefixesExactlyAsList) {
  // Keys around the prefixes' edges, LIKE wildcards and bytes past 0x7f included ("/a/!"
  // sorts first under "/a/": a key may not end with '/').
  const std::vector<std::string> keys = {"/a",         "/a/!",     "/a/1", "/a0", "/a%",
                                         "/a_",        "/ab",      "/`",   "/b",  "/x\xff",
                                         "/x\xff\xff", "/x\xff/1", "/y"};
  for (const std::string& key : keys) MustPut(key, "v");
  MustPut("/a/1", "v2");
  const store::Revision latest = Latest();
  const std::vector<std::string> prefixes = {"",     "/",     "/a",     "/a/",        "/a_", "/a%",
                                             "/a/1", "/a/10", "/x\xff", "/x\xff\xff", "/`",  "/z"};
  for (const std::string& prefix : prefixes) {
    SCOPED_TRACE("prefix " + prefix);
    Result<std::vector<Entry>> listed = store_->List(prefix);
    ASSERT_THAT(listed, IsOk());
    std::vector<std::string> want;
    for (const std::string& key : keys) {
      if (key.starts_with(prefix)) want.push_back(key);
    }
    std::sort(want.begin(), want.end());
    EXPECT_EQ(KeysOf(*listed), want);
    Result<std::vector<Entry>> at_latest = store_->ListAt(prefix, latest);
    ASSERT_THAT(at_latest, IsOk());
    EXPECT_EQ(*at_latest, *listed);
    Result<std::vector<Entry>> beyond = store_->ListAt(prefix, latest + 1000);
    ASSERT_THAT(beyond, IsOk());
    EXPECT_EQ(*beyond, *listed);
  }
  Result<std::vector<Entry>> before_last = store_->ListAt("/a/", latest - 1);
  ASSERT_THAT(before_last, IsOk());
  EXPECT_THAT(*before_last,
              ElementsAre(Entry{"/a/!", "v", 2, 1, false}, Entry{"/a/1", "v", 3, 1, false}));
}

TEST_P(ConfigStoreContractTest, ListAtRevisionZeroIsEmpty) {
  Result<std::vector<Entry>> empty_store = store_->ListAt("", 0);
  ASSERT_THAT(empty_store, IsOk());
  EXPECT_TRUE(empty_store->empty());
  Result<std::vector<Entry>> empty_store_later = store_->ListAt("", 5);
  ASSERT_THAT(empty_store_later, IsOk());
  EXPECT_TRUE(empty_store_later->empty());
  MustPut("/a", "a1");
  MustPut("/b", "b1");
  Result<std::vector<Entry>> at_zero = store_->ListAt("", 0);
  ASSERT_THAT(at_zero, IsOk());
  EXPECT_TRUE(at_zero->empty());
  Result<std::vector<Entry>> at_one = store_->ListAt("", 1);
  ASSERT_THAT(at_one, IsOk());
  EXPECT_THAT(KeysOf(*at_one), ElementsAre("/a"));
}

TEST_P(ConfigStoreContractTest, ListAtInsideABatchSeesItsEarlierOps) {
  MustPut("/c", "c1");
  const std::vector<BatchOp> ops = {BatchOp::Put("/a", "a1"), BatchOp::Delete("/c"),
                                    BatchOp::Put("/b", "b1")};
  ODMD_ASSERT_OK(store_->WriteBatch(ops).status());  // revisions 2, 3, 4
  Result<std::vector<Entry>> at_two = store_->ListAt("/", 2);
  ASSERT_THAT(at_two, IsOk());
  EXPECT_THAT(KeysOf(*at_two), ElementsAre("/a", "/c"));
  Result<std::vector<Entry>> at_three = store_->ListAt("/", 3);
  ASSERT_THAT(at_three, IsOk());
  EXPECT_THAT(KeysOf(*at_three), ElementsAre("/a"));
}

TEST_P(ConfigStoreContractTest, ListAtRejectsANegativeRevisionOrAMalformedPrefix) {
  MustPut("/a", "a1");
  EXPECT_THAT(store_->ListAt("/", -1), StatusIs(StatusCode::kInvalidArgument, HasSubstr("at=-1")));
  EXPECT_THAT(store_->ListAt("", -7), StatusIs(StatusCode::kInvalidArgument, HasSubstr("at=-7")));
  EXPECT_THAT(store_->ListAt("a", 1), StatusIs(StatusCode::kInvalidArgument,
                                               HasSubstr("prefix \"a\" must start with '/'")));
  EXPECT_THAT(store_->ListAt(std::string("/a\0b", 4), 1),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("NUL")));
  EXPECT_THAT(store_->ListAt("/" + std::string(store::kMaxKeyBytes, 'p'), 1),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("more than the limit of 1024")));
}

TEST_P(PersistentConfigStoreContractTest, ListAtSeesAnotherStoreObjectsWrites) {
  MustPut("/a", "a1");
  Result<store::ConfigStorePtr> other = GetParam().open(dir_);
  ASSERT_THAT(other, IsOk());
  ODMD_ASSERT_OK((*other)->Put("/a", "a2", std::nullopt));
  ODMD_ASSERT_OK((*other)->Put("/b", "b1", std::nullopt));
  Result<std::vector<Entry>> at_two = store_->ListAt("/", 2);
  ASSERT_THAT(at_two, IsOk());
  EXPECT_THAT(*at_two, ElementsAre(Entry{"/a", "a2", 2, 2, false}));
  Reopen();
  Result<std::vector<Entry>> at_one = store_->ListAt("/", 1);
  ASSERT_THAT(at_one, IsOk());
  EXPECT_THAT(*at_one, ElementsAre(Entry{"/a", "a1", 1, 1, false}));
}

}  // namespace odmd::testing
