#pragma once

// SqliteWatch: one running ConfigStore::Watch of a SqliteConfigStore, delivering on its own
// thread. The log is the truth; the watch keeps a cursor, the revision up to which it has
// delivered everything under its prefix, and moves it forward from two sources:
// - segments: after each commit made through this store object, the writer hands every
//   watch the committed revisions (after, until] with the events under its prefix, so an
//   in-process write reaches the sink without a query;
// - the log: at the start (the backlog), when a segment starts beyond the cursor (someone
//   else committed in between), and when the store's notifier pokes it (another connection
//   or process committed), the watch reads the log from its cursor to the latest revision.
// Anything at or below the cursor is skipped, so every revision is delivered exactly once,
// in order, whichever source brings it first.

#include <condition_variable>
#include <deque>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "odmd/store/config_store.h"

namespace odmd::store::sqlite {

class SqliteConfigStore;

class SqliteWatch final : public WatchHandle {
 public:
  // Committed revisions (after, until] and, of them, the changes under the watch's prefix.
  struct Segment {
    Revision after = 0;
    Revision until = 0;
    std::vector<ChangeEvent> events;
  };

  SqliteWatch(SqliteConfigStore& store, std::string prefix, Revision after, ChangeSink sink);
  ~SqliteWatch() override;

  Status status() const override;

  void Start();
  bool Matches(std::string_view key) const;

  // Called by the store with its watch mutex held.
  // Hands over the commits (after, until]; `events` are all of them under the prefix.
  void PublishLocked(Revision after, Revision until, std::vector<ChangeEvent> events);
  // Someone else may have committed: read the log up to the latest revision.
  void PokeLocked();
  void StopLocked();

 private:
  void Run();
  void DeliverSegment(const Segment& segment, Revision& cursor);
  // Reads the log after `cursor` up to the latest revision and delivers it.
  void CatchUp(Revision& cursor);
  // Delivers the log's changes in (cursor, until] and moves the cursor to `until`.
  void DeliverLog(Revision& cursor, Revision until);
  void Deliver(const ChangeEvent& event, Revision& cursor);
  void Fail(const Status& status);
  bool Stopped() const;

  SqliteConfigStore& store_;
  const std::string prefix_;
  const Revision after_;
  ChangeSink sink_;

  // Guarded by the store's watch mutex.
  std::deque<Segment> segments_;
  bool wake_ = false;  // segments_ holds something to deliver, or a gap to read, now
  // The watch has delivered, or holds in segments_, everything up to here; a segment that
  // starts elsewhere leaves a gap only the log can fill.
  Revision known_until_ = 0;
  bool poked_ = false;
  bool stop_ = false;
  Status status_;
  std::condition_variable cv_;

  std::thread thread_;
};

}  // namespace odmd::store::sqlite
