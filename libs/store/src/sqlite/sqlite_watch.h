#pragma once

// SqliteWatch: one running ConfigStore::Watch of a SqliteConfigStore. Its thread first
// pages through the backlog (revisions after `after` up to the revision committed when
// the watch was registered), then delivers the live events the writer enqueues. The
// registration and the writer's hand-over happen under the same mutex, so every revision
// is delivered exactly once.

#include <condition_variable>
#include <deque>
#include <string>
#include <string_view>
#include <thread>

#include "odmd/store/config_store.h"

namespace odmd::store::sqlite {

class SqliteConfigStore;

class SqliteWatch final : public WatchHandle {
 public:
  SqliteWatch(SqliteConfigStore& store, std::string prefix, Revision after, Revision backlog_until,
              ChangeSink sink);
  ~SqliteWatch() override;

  Status status() const override;

  void Start();
  bool Matches(std::string_view key) const;

  // Called by the store with its watch mutex held.
  void EnqueueLocked(const ChangeEvent& event);
  void StopLocked();

 private:
  void Run();
  void DeliverBacklog(Revision& cursor);
  void DeliverLive(Revision& cursor);
  bool Stopped() const;

  SqliteConfigStore& store_;
  const std::string prefix_;
  const Revision after_;
  const Revision backlog_until_;
  ChangeSink sink_;

  // Guarded by the store's watch mutex.
  std::deque<ChangeEvent> queue_;
  bool stop_ = false;
  Status status_;
  std::condition_variable cv_;

  std::thread thread_;
};

}  // namespace odmd::store::sqlite
