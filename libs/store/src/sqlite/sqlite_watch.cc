#include "sqlite/sqlite_watch.h"

#include <algorithm>
#include <mutex>
#include <utility>

#include "sqlite/sqlite_config_store.h"

namespace odmd::store::sqlite {
namespace {

// Log rows read per query: the reader connection is released between pages, so a slow
// sink never holds a read transaction (or, in memory, the only connection).
constexpr int kLogPage = 256;

}  // namespace

SqliteWatch::SqliteWatch(SqliteConfigStore& store, std::string prefix, Revision after,
                         ChangeSink sink)
    : store_(store),
      prefix_(std::move(prefix)),
      after_(after),
      sink_(std::move(sink)),
      known_until_(after) {}

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

void SqliteWatch::PublishLocked(Revision after, Revision until, std::vector<ChangeEvent> events) {
  // Wake the thread for events, and for a gap (someone else committed in between, to be read
  // from the log); a run of commits with nothing under the prefix just extends one segment.
  const bool wake = !events.empty() || after != known_until_;
  known_until_ = std::max(known_until_, until);
  if (!segments_.empty() && segments_.back().until == after) {
    Segment& last = segments_.back();
    last.until = until;
    for (ChangeEvent& event : events) last.events.push_back(std::move(event));
  } else {
    segments_.push_back(Segment{after, until, std::move(events)});
  }
  if (wake) {
    wake_ = true;
    cv_.notify_one();
  }
}

void SqliteWatch::PokeLocked() {
  poked_ = true;
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

void SqliteWatch::Fail(const Status& status) {
  std::lock_guard lock(store_.watch_mu_);
  status_ = status.WithContext("watch of " + std::string(prefix_.empty() ? "everything" : prefix_));
  stop_ = true;
}

void SqliteWatch::Run() {
  Revision cursor = after_;
  CatchUp(cursor);  // the backlog
  for (;;) {
    std::deque<Segment> segments;
    bool poked = false;
    {
      std::unique_lock lock(store_.watch_mu_);
      known_until_ = std::max(known_until_, cursor);
      cv_.wait(lock, [this] { return stop_ || poked_ || wake_; });
      if (stop_) return;
      segments.swap(segments_);
      poked = poked_;
      poked_ = false;
      wake_ = false;
    }
    for (const Segment& segment : segments) DeliverSegment(segment, cursor);
    if (poked) CatchUp(cursor);
  }
}

void SqliteWatch::DeliverSegment(const Segment& segment, Revision& cursor) {
  if (segment.until <= cursor) return;  // the log already brought all of it
  if (segment.after > cursor) DeliverLog(cursor, segment.after);
  for (const ChangeEvent& event : segment.events) Deliver(event, cursor);
  if (!Stopped()) cursor = segment.until;
}

void SqliteWatch::CatchUp(Revision& cursor) {
  if (Stopped()) return;
  Result<Revision> latest = store_.LatestRevision();
  if (!latest.ok()) return Fail(latest.status());
  if (*latest > cursor) DeliverLog(cursor, *latest);
}

void SqliteWatch::DeliverLog(Revision& cursor, Revision until) {
  while (cursor < until && !Stopped()) {
    Result<std::vector<ChangeEvent>> page = store_.ReadChanges(prefix_, cursor, until, kLogPage);
    if (!page.ok()) return Fail(page.status());
    for (const ChangeEvent& event : *page) Deliver(event, cursor);
    cursor = static_cast<int>(page->size()) < kLogPage ? until : page->back().revision;
  }
}

void SqliteWatch::Deliver(const ChangeEvent& event, Revision& cursor) {
  if (event.revision <= cursor || Stopped()) return;
  sink_(event);
  cursor = event.revision;
}

}  // namespace odmd::store::sqlite
