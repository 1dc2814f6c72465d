#pragma once

// SqliteNotifier: the thread that notices commits made to a database file by other
// connections and processes, so that watches can read them from the log.
//
// Every SqliteConfigStore ends each commit by opening and closing the database's WAL file
// (SignalCommit). The notifier watches the file's directory with inotify for that open
// (IN_OPEN) and calls `on_change` after each one, and also every kFallbackPoll without any,
// for writers that do not signal (the sqlite3 shell, another program) or when inotify is
// unavailable (then polling is all it does). `on_change` reads the latest revision; the log
// says what changed.
//
// Why this signal: writes to the WAL file happen before the commit is visible (the WAL index
// is updated after them, and after the fsync), so a reader woken by them could look too early
// and miss the commit until the next poll; and a metadata change (touching the timestamps)
// costs a journal commit on the next fsync, about a fifth of a durable put. An open changes
// nothing on disk. It is safe for SQLite's locks: they live on the database and -shm files,
// never on the WAL file, so closing a descriptor of it cannot release them.

#include <atomic>
#include <chrono>
#include <functional>
#include <string>
#include <thread>

namespace odmd::store::sqlite {

class SqliteNotifier {
 public:
  static constexpr std::chrono::milliseconds kFallbackPoll{1000};

  // Starts watching `wal_path` (the inotify watch exists when the constructor returns, so
  // a commit signalled after that is noticed) and the thread that calls `on_change`.
  SqliteNotifier(const std::string& wal_path, std::function<void()> on_change);
  // Stops the thread; `on_change` is not running and will not be called again.
  ~SqliteNotifier();
  SqliteNotifier(const SqliteNotifier&) = delete;
  SqliteNotifier& operator=(const SqliteNotifier&) = delete;

  // false when inotify could not be set up and only the fallback poll runs.
  bool notified() const { return inotify_fd_ >= 0; }

 private:
  void Run();
  // Reads every queued inotify event; true if one concerns the WAL file.
  bool DrainEvents();

  std::string wal_name_;  // the file name inside the watched directory
  std::function<void()> on_change_;
  int inotify_fd_ = -1;
  int stop_fd_ = -1;  // an eventfd written by the destructor
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

// Opens and closes `wal_path`: the signal SqliteNotifier waits for. Failures are ignored
// (watchers then rely on the fallback poll).
void SignalCommit(const std::string& wal_path);

}  // namespace odmd::store::sqlite
