// Crash safety of the SQLite store (issue 3): a forked child writes durable puts from
// several threads and reports every acknowledged write on a pipe; the parent kills it with
// SIGKILL at pseudo-random points (fixed seed), then reopens the same file and checks that
// nothing acknowledged was lost, that revisions are gapless, that SQLite's own integrity
// check passes and that a watch replays exactly what the log holds.
//
// No sleeps: the kill point is a count of acknowledgements read from the pipe, so it falls
// wherever the child happens to be (often inside a group-commit batch of the other writer
// threads). The child runs no gtest code and leaves with _exit (or is killed).

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "odmd/store/open_config_store.h"
#include "odmd/testing/status_matchers.h"

namespace odmd::store {
namespace {

using ::odmd::testing::IsOk;

constexpr int kRounds = 32;
constexpr int kWriterThreads = 4;
constexpr int kKeys = 50;
constexpr int kMaxAcksPerRound = 200;
// A guard only: the parent always kills the child long before this.
constexpr std::int64_t kChildWriteCap = 100000;

// One write the child reported as acknowledged.
struct Ack {
  Revision revision = 0;
  std::string key;
  std::string value;
};

std::string KeyFor(std::int64_t seq) { return "/crash/k" + std::to_string(seq % kKeys); }

// Unique across rounds, so a value can only be found where it was written.
std::string ValueFor(int round, std::int64_t seq) {
  return "r" + std::to_string(round) + "s" + std::to_string(seq);
}

// write() of at most PIPE_BUF bytes to a pipe is atomic: lines from several threads never
// interleave, and a kill never leaves half a line.
bool WriteLine(int fd, const std::string& line) {
  return write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size());
}

// The child: opens the store, says "ready", then runs kWriterThreads writers until killed.
// Reports "<revision> <key> <value>" after each acknowledged Put, "error ..." on failure.
[[noreturn]] void RunWriterChild(const std::string& url, int round, int fd) {
  signal(SIGPIPE, SIG_IGN);  // a parent gone away ends the child through a failed write
  StoreOptions options;
  options.url = url;
  Result<ConfigStorePtr> store = OpenConfigStore(options);
  if (!store.ok()) {
    WriteLine(fd, "error open: " + store.status().ToString() + "\n");
    _exit(3);
  }
  if (!WriteLine(fd, "ready\n")) _exit(0);
  std::atomic<std::int64_t> next_seq{0};
  std::vector<std::thread> writers;
  for (int t = 0; t < kWriterThreads; ++t) {
    writers.emplace_back([&] {
      for (std::int64_t seq = next_seq++; seq < kChildWriteCap; seq = next_seq++) {
        const std::string key = KeyFor(seq);
        const std::string value = ValueFor(round, seq);
        Result<WriteResult> put = (*store)->Put(key, value, std::nullopt);
        if (!put.ok()) {
          WriteLine(fd, "error put: " + put.status().ToString() + "\n");
          _exit(4);
        }
        if (!WriteLine(fd, std::to_string(put->revision) + " " + key + " " + value + "\n")) {
          _exit(0);
        }
      }
    });
  }
  for (std::thread& writer : writers) writer.join();
  _exit(0);
}

// Splits what comes out of a pipe into lines.
class LineReader {
 public:
  explicit LineReader(int fd) : fd_(fd) {}
  // The next complete line without its '\n'; nullopt at end of input.
  std::optional<std::string> Next() {
    for (;;) {
      const std::size_t newline = buffer_.find('\n');
      if (newline != std::string::npos) {
        std::string line = buffer_.substr(0, newline);
        buffer_.erase(0, newline + 1);
        return line;
      }
      char chunk[4096];
      const ssize_t n = read(fd_, chunk, sizeof(chunk));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return std::nullopt;
      buffer_.append(chunk, static_cast<std::size_t>(n));
    }
  }

 private:
  int fd_;
  std::string buffer_;
};

// Collects watch events until a given count has arrived.
class EventCollector {
 public:
  ChangeSink Sink() {
    return [this](const ChangeEvent& event) {
      std::lock_guard lock(mu_);
      events_.push_back(event);
      cv_.notify_all();
    };
  }
  // The events once there are at least `n`; the timeout is a failure guard, not a wait.
  std::vector<ChangeEvent> WaitFor(std::size_t n) {
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, std::chrono::seconds(60), [&] { return events_.size() >= n; });
    return events_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<ChangeEvent> events_;
};

// The rows of `PRAGMA integrity_check` on `path`, opened with SQLite directly.
std::vector<std::string> IntegrityCheck(const std::string& path) {
  sqlite3* db = nullptr;
  std::vector<std::string> rows;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK) {
    rows.push_back(std::string("cannot open: ") + sqlite3_errmsg(db));
    sqlite3_close(db);
    return rows;
  }
  auto collect = [](void* out, int columns, char** values, char**) {
    for (int i = 0; i < columns; ++i) {
      static_cast<std::vector<std::string>*>(out)->push_back(values[i] ? values[i] : "NULL");
    }
    return 0;
  };
  char* error = nullptr;
  if (sqlite3_exec(db, "PRAGMA integrity_check", collect, &rows, &error) != SQLITE_OK) {
    rows.push_back(std::string("integrity_check failed: ") + (error ? error : "?"));
  }
  sqlite3_free(error);
  sqlite3_close(db);
  return rows;
}

// What a watch from `after` under `prefix` must deliver, derived from the full log
// (`log[i]` is the record of revision i + 1).
std::vector<ChangeEvent> ExpectedEvents(const std::vector<Entry>& log, const std::string& prefix,
                                        Revision after) {
  std::map<std::string, Revision> previous;  // key -> revision of its latest record so far
  std::vector<ChangeEvent> events;
  for (const Entry& entry : log) {
    Revision& prev = previous[entry.key];
    if (entry.revision > after && entry.key.starts_with(prefix)) {
      events.push_back(ChangeEvent{entry.revision, entry.key,
                                   entry.tombstone ? ChangeKind::kDelete : ChangeKind::kPut,
                                   entry.value, entry.version, prev});
    }
    prev = entry.revision;
  }
  return events;
}

class CrashSafetyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "odmd-crash-test-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    path_ = dir_ + "/state.db";
  }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  // Forks a writer child, kills it after `kill_after` acknowledgements (-1: right after
  // fork, before it even opened the store; 0: right after it opened the store), reaps it
  // and appends every write it acknowledged to `acks`, the late ones still in the pipe too.
  void RunRound(int round, int kill_after, std::vector<Ack>& acks) {
    int fds[2];
    ASSERT_EQ(pipe(fds), 0);
    const pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      close(fds[0]);
      RunWriterChild("sqlite:" + path_, round, fds[1]);
    }
    close(fds[1]);
    LineReader reader(fds[0]);
    std::vector<std::string> errors;
    int acked = 0;
    bool ready = false;
    auto take = [&](const std::string& line) {
      if (line == "ready") {
        ready = true;
        return;
      }
      std::istringstream fields(line);
      Ack ack;
      if (line.starts_with("error") || !(fields >> ack.revision >> ack.key >> ack.value)) {
        errors.push_back(line);
        return;
      }
      acks.push_back(ack);
      ++acked;
    };
    if (kill_after >= 0) {
      while (errors.empty() && (!ready || acked < kill_after)) {
        std::optional<std::string> line = reader.Next();
        if (!line) break;
        take(*line);
      }
    }
    kill(pid, SIGKILL);
    int wait_status = 0;
    ASSERT_EQ(waitpid(pid, &wait_status, 0), pid);
    // The child may have acknowledged more writes between the last line read and the kill.
    for (std::optional<std::string> line = reader.Next(); line; line = reader.Next()) take(*line);
    close(fds[0]);
    EXPECT_THAT(errors, ::testing::IsEmpty()) << "round " << round;
    EXPECT_TRUE(WIFSIGNALED(wait_status) && WTERMSIG(wait_status) == SIGKILL)
        << "round " << round << ": the child ended by itself, status " << wait_status;
    if (kill_after > 0) {
      EXPECT_GE(acked, kill_after) << "round " << round;
    }
  }

  // Reopens the store after a kill and checks it against everything acknowledged so far.
  void VerifyStore(int round, const std::vector<Ack>& acks, std::mt19937& rng) {
    SCOPED_TRACE("after round " + std::to_string(round));
    if (std::filesystem::exists(path_)) {
      EXPECT_THAT(IntegrityCheck(path_), ::testing::ElementsAre("ok"));
    } else {
      ASSERT_THAT(acks, ::testing::IsEmpty()) << "acknowledged writes but no store file";
    }
    StoreOptions options;
    options.url = "sqlite:" + path_;
    Result<ConfigStorePtr> opened = OpenConfigStore(options);
    ASSERT_THAT(opened, IsOk());
    ConfigStore& store = **opened;
    Result<Revision> latest = store.LatestRevision();
    ASSERT_THAT(latest, IsOk());

    std::vector<Entry> log;
    ASSERT_NO_FATAL_FAILURE(ReadLog(store, *latest, log));
    for (const Ack& ack : acks) {
      ASSERT_GE(ack.revision, 1);
      ASSERT_LE(ack.revision, *latest) << "acknowledged revision lost: " << ack.key;
      const Entry& entry = log[static_cast<std::size_t>(ack.revision - 1)];
      EXPECT_EQ(entry.key, ack.key) << "revision " << ack.revision;
      EXPECT_EQ(entry.value, ack.value) << "revision " << ack.revision;
      Result<Entry> by_version = store.GetVersion(ack.key, entry.version);
      ASSERT_THAT(by_version, IsOk());
      EXPECT_EQ(*by_version, entry);
    }
    if (*latest > 0) {
      const Revision after = std::uniform_int_distribution<Revision>(0, *latest - 1)(rng);
      ExpectWatchReplays(store, log, "", after);
      ExpectWatchReplays(store, log, KeyFor(round), after);
    }
  }

  // The whole log, read back through History of every key, indexed by revision; checks
  // that revisions are exactly 1..latest and each key's versions are 1, 2, 3, ...
  void ReadLog(ConfigStore& store, Revision latest, std::vector<Entry>& log) {
    std::vector<std::optional<Entry>> by_revision(static_cast<std::size_t>(latest));
    for (int k = 0; k < kKeys; ++k) {
      const std::string key = KeyFor(k);
      Result<std::vector<Entry>> history = store.History(key);
      if (!history.ok() && history.status().code() == StatusCode::kNotFound) continue;
      ASSERT_THAT(history, IsOk());
      for (std::size_t i = 0; i < history->size(); ++i) {
        const Entry& entry = (*history)[i];
        ASSERT_EQ(entry.version, static_cast<Version>(i + 1)) << key;
        ASSERT_FALSE(entry.tombstone) << key;
        ASSERT_GE(entry.revision, 1) << key;
        ASSERT_LE(entry.revision, latest) << key << ": revision beyond LatestRevision()";
        std::optional<Entry>& slot = by_revision[static_cast<std::size_t>(entry.revision - 1)];
        ASSERT_FALSE(slot.has_value()) << "revision " << entry.revision << " used twice";
        slot = entry;
      }
      if (!history->empty()) {
        Result<Entry> current = store.Get(key);
        ASSERT_THAT(current, IsOk());
        EXPECT_EQ(*current, history->back());
      }
    }
    for (std::size_t i = 0; i < by_revision.size(); ++i) {
      ASSERT_TRUE(by_revision[i].has_value()) << "gap: revision " << i + 1 << " is missing";
      log.push_back(*by_revision[i]);
    }
  }

  void ExpectWatchReplays(ConfigStore& store, const std::vector<Entry>& log,
                          const std::string& prefix, Revision after) {
    const std::vector<ChangeEvent> expected = ExpectedEvents(log, prefix, after);
    EventCollector collector;
    std::vector<ChangeEvent> got;
    {
      Result<WatchHandlePtr> watch = store.Watch(prefix, after, collector.Sink());
      ASSERT_THAT(watch, IsOk());
      got = collector.WaitFor(expected.size());
      EXPECT_THAT((*watch)->status(), IsOk());
    }
    EXPECT_EQ(got.size(), expected.size()) << "watch of \"" << prefix << "\" after " << after;
    EXPECT_TRUE(got == expected) << "watch of \"" << prefix << "\" after " << after
                                 << " differs from the log";
  }

  std::string dir_;
  std::string path_;
};

TEST(CrashSafetyHelpersTest, ExpectedEventsLinkEachKeysPreviousRevision) {
  const std::vector<Entry> log = {
      {"/a", "1", 1, 1, false}, {"/b", "2", 2, 1, false}, {"/a", "3", 3, 2, false}};
  EXPECT_EQ(ExpectedEvents(log, "", 1),
            (std::vector<ChangeEvent>{{2, "/b", ChangeKind::kPut, "2", 1, 0},
                                      {3, "/a", ChangeKind::kPut, "3", 2, 1}}));
  EXPECT_EQ(ExpectedEvents(log, "/a", 0),
            (std::vector<ChangeEvent>{{1, "/a", ChangeKind::kPut, "1", 1, 0},
                                      {3, "/a", ChangeKind::kPut, "3", 2, 1}}));
}

TEST_F(CrashSafetyTest, KilledWritersLoseNoAcknowledgedWriteAndLeaveAConsistentStore) {
  std::mt19937 rng(20261124);  // fixed: every run kills at the same points
  std::uniform_int_distribution<int> few(1, 3);
  std::uniform_int_distribution<int> many(1, kMaxAcksPerRound);
  std::vector<Ack> acks;  // every acknowledged write of every round so far
  for (int round = 0; round < kRounds; ++round) {
    int kill_after = many(rng);
    if (round % 8 == 0) kill_after = -1;  // before the child has even opened the store
    if (round % 8 == 4) kill_after = 0;   // right after it opened the store
    if (round % 8 == 2) kill_after = few(rng);
    ASSERT_NO_FATAL_FAILURE(RunRound(round, kill_after, acks));
    ASSERT_NO_FATAL_FAILURE(VerifyStore(round, acks, rng));
    if (HasFailure()) break;  // one broken round is enough to read; later ones only repeat it
  }
  EXPECT_GT(acks.size(), std::size_t{kRounds});  // the test did exercise the store
}

}  // namespace
}  // namespace odmd::store
