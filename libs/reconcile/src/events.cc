#include "odmd/reconcile/events.h"

#include <chrono>
#include <memory>
#include <string>
#include <utility>

namespace odmd::reconcile {
namespace {

// Event keys have 12 digits.
constexpr std::int64_t kSeqLimit = 1'000'000'000'000;
// Commit retries after losing the counter to another writer; each loss means that writer
// committed, so this only guards against a livelock.
constexpr int kMaxCounterRetries = 100;

Status ValidateAfter(std::int64_t after_seq) {
  if (after_seq < 0 || after_seq >= kSeqLimit) {
    return InvalidArgumentError("event seq " + std::to_string(after_seq) +
                                " is out of range; expected 0 <= seq < 10^12");
  }
  return OkStatus();
}

Status ValidateEvents(const std::vector<Event>& events) {
  for (size_t i = 0; i < events.size(); ++i) {
    if (events[i].kind.empty()) {
      return InvalidArgumentError("event " + std::to_string(i) + " has no kind");
    }
  }
  return OkStatus();
}

// What a Follow's sink and its handle share.
struct FollowState {
  std::mutex mu;
  Status error;               // set once: the follow is stopped
  std::int64_t last_seq = 0;  // the last seq delivered (or the caller's `after`)
  std::function<void(const Event&)> sink;
};

class FollowHandle final : public store::WatchHandle {
 public:
  FollowHandle(std::shared_ptr<FollowState> state, store::WatchHandlePtr inner)
      : state_(std::move(state)), inner_(std::move(inner)) {}
  Status status() const override {
    {
      std::lock_guard lock(state_->mu);
      if (!state_->error.ok()) return state_->error;
    }
    return inner_->status();
  }

 private:
  std::shared_ptr<FollowState> state_;
  store::WatchHandlePtr inner_;  // destroyed first: the sink stops before state_ may go
};

// Decodes one change under the events prefix and hands it on in seq order, once.
void Deliver(FollowState& state, const store::ChangeEvent& change) {
  std::lock_guard lock(state.mu);
  if (!state.error.ok() || change.kind != store::ChangeKind::kPut) return;
  std::optional<std::int64_t> key_seq = ParseEventKey(change.key);
  if (!key_seq) {
    state.error = FailedPreconditionError("event record " + change.key +
                                          ": the key is not an event key (12-digit seq)");
    return;
  }
  Result<Event> event = ParseEvent(change.value, change.key);
  if (!event.ok()) {
    state.error = event.status();
    return;
  }
  if (event->seq != *key_seq) {
    state.error = FailedPreconditionError("event record " + change.key + ": field \"/seq\" is " +
                                          std::to_string(event->seq) + ", not the key's seq");
    return;
  }
  if (event->seq <= state.last_seq) return;
  state.last_seq = event->seq;
  event->revision = change.revision;
  state.sink(*event);
}

}  // namespace

EventLog::EventLog(store::ConfigStore& store, Clock& clock) : store_(store), clock_(clock) {}

std::int64_t EventLog::NowMs() const {
  return std::chrono::duration_cast<std::chrono::milliseconds>(clock_.WallNow().time_since_epoch())
      .count();
}

Result<EventLog::Counter> EventLog::ReadCounterLocked() {
  Result<store::Entry> entry = store_.Get(kEventSeqKey);
  if (IsNotFound(entry.status())) return Counter{};
  if (!entry.ok()) return entry.status();
  ODMD_ASSIGN_OR_RETURN(std::int64_t value, ParseCounter(kEventSeqKey, entry->value));
  return Counter{value, entry->revision};
}

std::vector<store::BatchOp> EventLog::PrepareLocked(const Counter& counter,
                                                    std::vector<Event>& events) {
  std::vector<store::BatchOp> ops;
  if (events.empty()) return ops;
  ops.reserve(events.size() + 1);
  std::int64_t last = counter.value + static_cast<std::int64_t>(events.size());
  ops.push_back(
      store::BatchOp::Put(std::string(kEventSeqKey), FormatCounter(last), counter.revision));
  std::int64_t now = NowMs();
  std::int64_t seq = counter.value;
  for (Event& event : events) {
    event.seq = ++seq;
    event.time_ms = now;
    // if_revision 0: an event key is written once.
    ops.push_back(store::BatchOp::Put(EventKey(event.seq), ToJsonText(event), 0));
  }
  return ops;
}

Result<std::vector<store::BatchOp>> EventLog::Prepare(std::vector<Event>& events) {
  ODMD_RETURN_IF_ERROR(ValidateEvents(events));
  std::lock_guard lock(mu_);
  if (!counter_) {
    ODMD_ASSIGN_OR_RETURN(Counter counter, ReadCounterLocked());
    counter_ = counter;
  }
  return PrepareLocked(*counter_, events);
}

Result<std::vector<store::WriteResult>> EventLog::Commit(std::vector<store::BatchOp> ops,
                                                         std::vector<Event>& events) {
  ODMD_RETURN_IF_ERROR(ValidateEvents(events));
  std::lock_guard lock(mu_);
  const size_t own_ops = ops.size();
  for (int attempt = 0;; ++attempt) {
    if (!counter_) {
      ODMD_ASSIGN_OR_RETURN(Counter counter, ReadCounterLocked());
      counter_ = counter;
    }
    ops.resize(own_ops);
    for (store::BatchOp& op : PrepareLocked(*counter_, events)) ops.push_back(std::move(op));
    Result<std::vector<store::WriteResult>> written = store_.WriteBatch(ops);
    if (written.ok()) {
      if (!events.empty()) {
        counter_ = Counter{events.back().seq, (*written)[own_ops].revision};
        for (size_t i = 0; i < events.size(); ++i) {
          events[i].revision = (*written)[own_ops + 1 + i].revision;
        }
      }
      written->resize(own_ops);
      return written;
    }
    if (events.empty() || !IsAborted(written.status())) {
      counter_.reset();  // unknown after an error: read it again next time
      return written.status();
    }
    // kAborted: retry only if the counter moved (another writer appended events);
    // otherwise one of the caller's ops lost its compare-and-set.
    Counter before = *counter_;
    ODMD_ASSIGN_OR_RETURN(Counter now, ReadCounterLocked());
    counter_ = now;
    if (now.revision == before.revision || attempt >= kMaxCounterRetries) {
      return written.status();
    }
  }
}

Result<Event> EventLog::Append(Event event) {
  std::vector<Event> events;
  events.push_back(std::move(event));
  ODMD_RETURN_IF_ERROR(Commit({}, events));
  return std::move(events.front());
}

Result<std::vector<Event>> EventLog::AppendMany(std::vector<Event> events) {
  ODMD_RETURN_IF_ERROR(Commit({}, events));
  return events;
}

Result<std::int64_t> EventLog::LastSeq() {
  std::lock_guard lock(mu_);
  ODMD_ASSIGN_OR_RETURN(Counter counter, ReadCounterLocked());
  return counter.value;
}

Result<std::vector<Event>> EventLog::List(std::int64_t after_seq, int limit) {
  ODMD_RETURN_IF_ERROR(ValidateAfter(after_seq));
  if (limit < 1) {
    return InvalidArgumentError("event list limit " + std::to_string(limit) +
                                " is out of range; expected >= 1");
  }
  // Events commit together with the counter, so every seq up to it exists: read them by
  // key instead of listing the whole log.
  ODMD_ASSIGN_OR_RETURN(std::int64_t last, LastSeq());
  std::vector<Event> out;
  for (std::int64_t seq = after_seq + 1; seq <= last && out.size() < static_cast<size_t>(limit);
       ++seq) {
    std::string key = EventKey(seq);
    Result<store::Entry> entry = store_.Get(key);
    if (IsNotFound(entry.status())) continue;
    if (!entry.ok()) return entry.status();
    ODMD_ASSIGN_OR_RETURN(Event event, ParseEvent(entry->value, key));
    event.revision = entry->revision;
    out.push_back(std::move(event));
  }
  return out;
}

Result<store::WatchHandlePtr> EventLog::Follow(std::int64_t after_seq,
                                               std::function<void(const Event&)> sink) {
  ODMD_RETURN_IF_ERROR(ValidateAfter(after_seq));
  if (!sink) return InvalidArgumentError("event follow has no sink");
  // Seq order is commit order, so the watch may start at the revision of event `after_seq`.
  // When that event is unknown (a seq from the future), watch everything and skip by seq.
  store::Revision from = 0;
  if (after_seq > 0) {
    Result<store::Entry> entry = store_.Get(EventKey(after_seq));
    if (entry.ok()) {
      from = entry->revision;
    } else if (!IsNotFound(entry.status())) {
      return entry.status();
    }
  }
  auto state = std::make_shared<FollowState>();
  state->last_seq = after_seq;
  state->sink = std::move(sink);
  ODMD_ASSIGN_OR_RETURN(
      store::WatchHandlePtr inner,
      store_.Watch(kEventsPrefix, from,
                   [state](const store::ChangeEvent& change) { Deliver(*state, change); }));
  return store::WatchHandlePtr(std::make_unique<FollowHandle>(state, std::move(inner)));
}

}  // namespace odmd::reconcile
