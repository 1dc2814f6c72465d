#pragma once

// EventLog: the platform's append-only event log in the ConfigStore ("/odmd/events/<seq>",
// the counter "/odmd/seq/events"). Events get consecutive seq numbers in commit order, so
// readers can resume from the last seq they saw (`odmd events --follow`, Last-Event-ID).

#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <vector>

#include "odmd/base/clock.h"
#include "odmd/base/status.h"
#include "odmd/reconcile/state.h"
#include "odmd/store/config_store.h"

namespace odmd::reconcile {

// Thread-safe. Several EventLogs (in one process or many) may append to one store: the
// counter is written with compare-and-set, and a writer that loses re-reads and retries.
class EventLog {
 public:
  // Both must outlive the log.
  EventLog(store::ConfigStore& store, Clock& clock);

  // Appends `event` with the next seq and the clock's wall time (both overwritten); returns
  // it as stored. kInvalidArgument for an empty kind; store errors (kUnavailable, ...) and
  // kFailedPrecondition for a malformed counter.
  Result<Event> Append(Event event);
  // Appends `events` in one commit, seqs consecutive in vector order.
  Result<std::vector<Event>> AppendMany(std::vector<Event> events);

  // Writes `ops` followed by `events` in ONE WriteBatch: the events are committed if and
  // only if the ops are. Assigns seq and time to `events` (in place) and returns the ops'
  // results (in op order; the events' own results are left out). When the batch fails only
  // because another writer advanced the event counter, re-reads it and retries; any other
  // error (kAborted for a failed if_revision of `ops`, ...) is returned as is, with nothing
  // written. An empty `events` writes `ops` alone.
  // On an error the events keep the seqs of the failed attempt.
  Result<std::vector<store::WriteResult>> Commit(std::vector<store::BatchOp> ops,
                                                 std::vector<Event>& events);

  // The low-level step of Commit, for a caller that writes its own batch: assigns seq and
  // time to `events` and returns the ops that store them (the counter's compare-and-set
  // first, then one put per event), to be appended to the caller's batch. Nothing is
  // reserved: if another writer commits events first, the caller's batch fails with
  // kAborted and the caller prepares again.
  Result<std::vector<store::BatchOp>> Prepare(std::vector<Event>& events);

  // Events with seq > `after_seq`, oldest first, at most `limit`.
  // kInvalidArgument for after_seq outside [0, 10^12) or limit < 1; kFailedPrecondition for a
  // malformed record (naming its key).
  Result<std::vector<Event>> List(std::int64_t after_seq, int limit);

  // Calls `sink` with every event with seq > `after_seq`, oldest first, then with new ones
  // as they commit, until the handle is destroyed (store::WatchHandle's rules). A malformed
  // record stops the follow: nothing more is delivered and the handle's status() is the
  // kFailedPrecondition naming its key. kInvalidArgument for after_seq outside [0, 10^12)
  // or no sink.
  Result<store::WatchHandlePtr> Follow(std::int64_t after_seq,
                                       std::function<void(const Event&)> sink);

  // The seq of the last committed event known to this log (0 when none), reading the store.
  Result<std::int64_t> LastSeq();

 private:
  struct Counter {
    std::int64_t value = 0;
    store::Revision revision = 0;  // the counter key's revision; 0: absent
  };
  // The store's counter. REQUIRES: mu_ held.
  Result<Counter> ReadCounterLocked();
  // Prepare against `counter`. REQUIRES: mu_ held.
  std::vector<store::BatchOp> PrepareLocked(const Counter& counter, std::vector<Event>& events);
  std::int64_t NowMs() const;

  store::ConfigStore& store_;
  Clock& clock_;
  std::mutex mu_;
  // The counter as last read or written by this log; nullopt: read it first.
  std::optional<Counter> counter_;
};

}  // namespace odmd::reconcile
