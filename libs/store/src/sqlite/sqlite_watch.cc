#include "sqlite/sqlite_watch.h"

#include <mutex>
#include <utility>
#include <vector>

#include "sqlite/sqlite_config_store.h"

namespace odmd::store::sqlite {
namespace {

// Backlog rows read per query: the reader connection is released between pages, so a
// slow sink never holds a read transaction (or, in memory, the only connection).
constexpr int kBacklogPage = 256;

}  // namespace

SqliteWatch::SqliteWatch(SqliteConfigStore& store, std::string prefix, Revision after,
                         Revision backlog_until, ChangeSink sink)
    : store_(store),
      prefix_(std::move(prefix)),
      after_(after),
      backlog_until_(backlog_until),
      sink_(std::move(sink)) {}

SqliteWatch::~SqliteWatch() {
  store_.Unregister(this);
  if (thread_.joinable()) thread_.join();
}

Status SqliteWatch::status() const {
  std::lock_guard lock(store_.watch_mu_);
  return status_;
}

void SqliteWatch::Start() {
  thread_ = std::thread([this] { Run(); });
}

bool SqliteWatch::Matches(std::string_view key) const { return key.starts_with(prefix_); }

void SqliteWatch::EnqueueLocked(const ChangeEvent& event) {
  queue_.push_back(event);
  cv_.notify_one();
}

void SqliteWatch::StopLocked() {
  stop_ = true;
  cv_.notify_one();
}

bool SqliteWatch::Stopped() const {
  std::lock_guard lock(store_.watch_mu_);
  return stop_;
}

void SqliteWatch::Run() {
  Revision cursor = after_;
  DeliverBacklog(cursor);
  DeliverLive(cursor);
}

void SqliteWatch::DeliverBacklog(Revision& cursor) {
  while (cursor < backlog_until_) {
    if (Stopped()) return;
    Result<std::vector<ChangeEvent>> page =
        store_.ReadChanges(prefix_, cursor, backlog_until_, kBacklogPage);
    if (!page.ok()) {
      std::lock_guard lock(store_.watch_mu_);
      status_ = page.status().WithContext("watch backlog");
      stop_ = true;
      return;
    }
    for (const ChangeEvent& event : *page) {
      if (Stopped()) return;
      sink_(event);
    }
    cursor = static_cast<int>(page->size()) < kBacklogPage ? backlog_until_ : page->back().revision;
  }
}

void SqliteWatch::DeliverLive(Revision& cursor) {
  for (;;) {
    std::deque<ChangeEvent> batch;
    {
      std::unique_lock lock(store_.watch_mu_);
      cv_.wait(lock, [this] { return stop_ || !queue_.empty(); });
      if (stop_) return;
      batch.swap(queue_);
    }
    for (const ChangeEvent& event : batch) {
      if (Stopped()) return;
      // Live events are all newer than the backlog; the check keeps "exactly once" obvious.
      if (event.revision <= cursor) continue;
      sink_(event);
      cursor = event.revision;
    }
  }
}

}  // namespace odmd::store::sqlite
