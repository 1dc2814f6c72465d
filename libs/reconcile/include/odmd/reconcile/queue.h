#pragma once

// DeploymentQueue: the platform's durable deployment queue. Every enver has a queue record
// ("/odmd/queue/<build>/<rev>": at most one pending and one running deployment); every
// deployment has its record ("/odmd/deployments/<id>"). All state lives in the ConfigStore,
// so a restarted platform resumes from it (Load).

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "odmd/base/clock.h"
#include "odmd/base/status.h"
#include "odmd/reconcile/events.h"
#include "odmd/reconcile/state.h"
#include "odmd/store/config_store.h"

namespace odmd::reconcile {

struct QueueOptions {
  // Deployments running at once.
  int concurrency = 2;
  // Runs of one deployment before a transient failure becomes final.
  int max_attempts = 3;
  // Wait before the second run of a transiently failed deployment; doubles for every
  // further run (backoff * 2^(attempt-1)).
  std::chrono::milliseconds backoff{2000};
  // Several replicas' queues write the same records (PostgreSQL replicas whose followers run
  // workers too, docs/platform.md "Replicas"). A write that loses its compare-and-set to
  // another queue's (kAborted, not a lost lease) re-reads the mirror (Refresh) and is
  // computed again, up to `shared_retries` times: Claim moves on to the next candidate
  // (never waiting on, nor re-running, the winner's claim), Enqueue, Finish and Cancel apply
  // to the records as they are now. Only this owner's running deployments count against
  // `concurrency`. false: one queue per store, a lost compare-and-set is returned as is.
  bool shared = false;
  int shared_retries = 16;
  // Whether a deployment found running by Load or ResumeOrphans may run again because its
  // owner is gone and can write nothing more (it took the owner's worker lease over, say);
  // false keeps it running (its owner lives and finishes it); an error counts as false.
  // Called under the queue's lock. Unset: every running deployment's owner is gone (one
  // server: the process that ran it died).
  std::function<Result<bool>(const Deployment&)> owner_gone = nullptr;
  // This platform instance, recorded as the owner of the deployments it claims.
  std::string owner;
};

// What ResumeOrphans did.
struct Orphans {
  std::vector<std::string> resumed;  // queued again
  std::vector<Deployment> followed;  // GitHub Actions runs the caller follows from now on
};

struct EnqueueRequest {
  std::string enver_id;  // "<build>/<rev>"
  std::string sha;       // empty: the ref head when it starts
  Cause cause;
};

struct EnqueueResult {
  // The enver's pending deployment after the request (new, or the one it joined).
  std::string deployment_id;
  // The pending deployment the request superseded, or "".
  std::string superseded_id;
  // True when a pending deployment with the same cause.root absorbed the request.
  bool deduplicated = false;
};

// One active queue per store: the platform core runs a single reconciler. The queue keeps
// an in-memory mirror of the queue records and of the pending and running deployments and
// writes through to the store with compare-and-set; if another writer changed one of its
// records, the write fails with kAborted and the mirror is unchanged (Load() re-reads).
// Every state change and the events that tell about it are one store commit.
// Thread-safe (one mutex).
class DeploymentQueue {
 public:
  // Both must outlive the queue.
  DeploymentQueue(store::ConfigStore& store, Clock& clock, QueueOptions options);

  // Reads every queue record and its deployments into the mirror (at start-up: a
  // deployment this process is running would be re-queued). A deployment found
  // running (the process that ran it died) goes back to queued with reason "resumed after
  // restart" (attempt unchanged), unless its enver has a pending deployment: then it is
  // superseded by that one; a resumed one also gets a "deployment.resumed" event in the same
  // commit. A running deployment with a GitHub Actions run (run_id) stays
  // running: the run did not die with the platform (followed()). Those changes are one commit with
  // a "deployment.queued" event each. kFailedPrecondition for a malformed record or a queue record
  // that names a deployment that is missing or in another state (naming the keys); store errors.
  // Enqueue, Claim, Finish and Cancel need a successful Load first (kFailedPrecondition);
  // the reads work without one (the mirror is empty).
  Status Load();
  // Re-reads the mirror from the store (queue records, their deployments, the id counter)
  // WITHOUT Load's resumption: every running deployment stays running. A replica that runs
  // workers beside another's queue calls it instead of Load, and again whenever the queue
  // records changed (a watch on kQueuePrefix). Afterwards the queue counts as loaded.
  // kFailedPrecondition as Load; store errors (the mirror is then empty and unloaded; a
  // shared queue's next Enqueue, Claim, Finish, Cancel or RecordRun reads it again first).
  // A shared queue reads the records as of one store revision (its store needs ListAt), so
  // they agree whatever the other replicas commit meanwhile.
  Status Refresh();
  // Refresh, then puts back in the queue (as Load does, in one commit) every running
  // deployment whose owner is another one than this queue's and for which
  // options.owner_gone returns true; a GitHub Actions one (run_id) is returned to follow.
  // Errors as Load; kAborted when the records kept changing (shared_retries).
  Result<Orphans> ResumeOrphans();
  // The deployments the last Load put back in the queue.
  std::vector<std::string> resumed() const;
  // The running deployments the last Load kept running because a GitHub Actions run
  // carries them (run_id set: the run goes on without the platform): the platform follows
  // them to their end instead of dispatching them again.
  std::vector<Deployment> followed() const;

  // Records that GitHub Actions run `run_id` (page `run_url`) carries the running deployment
  // `id`, with a "deployment.dispatched" event, in one commit. kFailedPrecondition if `id`
  // is not running; kAborted; store errors.
  Status RecordRun(std::string_view id, std::int64_t run_id, std::string run_url);

  // Queues a deployment per request and writes `events` and a "deployment.queued" event
  // per new deployment, all in ONE commit. At most one deployment is pending per enver:
  // - a pending one with the same cause.root absorbs the request (deduplicated; a
  //   non-empty sha replaces its sha);
  // - otherwise the new one replaces the pending one, which becomes superseded.
  // A running deployment is untouched: the new one waits for it. Requests for the same
  // enver apply in span order. Reads only the mirror.
  // `ops` (the caller's own records, e.g. a sync's completion or a reactions' marker) go
  // into the same commit: the deployments are queued if and only if they are written.
  // kInvalidArgument for a request without an enver id ("<build>/<rev>") or cause root
  // (naming its index; nothing written); kAborted if a record changed under the queue or
  // one of `ops` failed its if_revision; store errors.
  Result<std::vector<EnqueueResult>> Enqueue(std::span<const EnqueueRequest> requests,
                                             std::vector<Event> events = {},
                                             std::vector<store::BatchOp> ops = {});

  // Claims the oldest pending deployment (by id) that is due (not_before_ms passed), whose
  // enver has nothing running and for which `ready` returns true, unless `concurrency`
  // deployments are running. Records it running (attempt + 1, started_at_ms, owner) with a
  // "deployment.started" event before returning it. nullopt when nothing qualifies, and in
  // a shared queue when other replicas' claims won each of its `shared_retries` + 1 tries
  // (they took the work; the next change of the records is the time to look again).
  // REQUIRES: `ready` does not call the queue (it runs under the queue's lock).
  Result<std::optional<Deployment>> Claim(const std::function<bool(const Deployment&)>& ready);

  // Ends the running deployment `d.id`. The caller sets d.state (kSucceeded, kFailed or
  // kCancelled), d.reason, d.exit_code, d.consumed and d.published; the rest comes from
  // the queue's record. A kFailed with `transient` and attempt < max_attempts goes back to
  // pending, due at now + backoff * 2^(attempt-1), unless the enver has a newer pending
  // deployment (then that one supersedes the retry and the failure is final). Writes a
  // "deployment.succeeded", "deployment.failed" (fields "final": "true"|"false") or
  // "deployment.cancelled" event in the same commit.
  // kInvalidArgument for another state; kFailedPrecondition if `d.id` is not running;
  // kAborted; store errors.
  Status Finish(Deployment d, bool transient = false);

  // Cancels the enver's pending deployment (reason `reason`, a "deployment.cancelled"
  // event) and returns the id of its running deployment, if any, for the caller to stop
  // (and then Finish as kCancelled). Nothing pending: writes nothing.
  Result<std::optional<std::string>> Cancel(std::string_view enver_id, std::string reason);

  // --- reads ---
  // kNotFound naming the id if there is no such deployment; kFailedPrecondition if its
  // record is malformed.
  // A shared queue reads the store, not its mirror.
  Result<Deployment> Get(std::string_view id);
  // The deployments of `enver_id` ("" for all), newest first, at most `limit` (>= 1, else
  // kInvalidArgument).
  Result<std::vector<Deployment>> List(std::string_view enver_id, int limit);
  // Nothing pending or running.
  bool Idle() const;
  // The envers with a pending or running deployment, sorted.
  std::vector<std::string> ActiveEnvers() const;
  // The earliest not_before_ms (0: due now) of the pending deployments whose enver has
  // nothing running; nullopt when there is none. A dispatcher waits until then or until a
  // Finish or an Enqueue (a due deployment may still wait for a free slot or for ready()).
  std::optional<std::int64_t> NextDueMs() const;
  std::size_t running_count() const;

  // The event log the queue writes to; the core may append its own events through it.
  EventLog& events() { return events_; }

 private:
  struct Tracked {
    Deployment deployment;
    store::Revision revision = 0;  // of its record; 0: not in the store yet
  };
  struct TrackedQueue {
    QueueRecord record;
    store::Revision revision = 0;
  };
  class Change;

  // kFailedPrecondition before a successful Load or Refresh; a shared queue whose mirror a
  // failed re-read left empty reads it again.
  Status EnsureLoadedLocked();
  Status LoadLocked();
  // Reads the mirror (LoadLocked without the resumption); on an error the mirror is empty.
  Status ReadLocked();
  Status ReadStoreLocked();
  // Requeues (or supersedes, or follows) the running deployments options_.owner_gone lets
  // go, skipping this queue's own when `others_only`; one commit.
  Status ResumeLocked(bool others_only, Orphans& out);
  // In a shared queue, whether `s` (a failed write) is a compare-and-set lost to another
  // writer (kAborted, not a lost lease).
  bool LostToAnotherReplica(const Status& s) const;
  // Whether that write is worth computing again: lost to another replica, attempt <
  // shared_retries.
  bool WorthRetrying(const Status& s, int attempt) const;
  // Runs `write` (a Status or Result returning *Locked operation) until it succeeds or is
  // not worth retrying, re-reading the mirror before each retry: the one retry loop of a
  // shared queue's writes. Returns the write's last result, or the re-read's error.
  template <typename Write>
  auto RetryingLocked(Write write) -> decltype(write()) {
    for (int attempt = 0;; ++attempt) {
      auto r = write();
      if (r.ok()) return r;
      if constexpr (std::is_same_v<decltype(r), Status>) {
        if (!WorthRetrying(r, attempt)) return r;
      } else {
        if (!WorthRetrying(r.status(), attempt)) return r;
      }
      if (Status read = ReadLocked(); !read.ok()) return read;
    }
  }
  Result<std::vector<EnqueueResult>> EnqueueLocked(std::span<const EnqueueRequest> requests,
                                                   std::vector<Event> events,
                                                   std::vector<store::BatchOp> ops);
  Result<std::optional<Deployment>> ClaimLocked(
      const std::function<bool(const Deployment&)>& ready);
  Status FinishLocked(Deployment result, bool transient);
  Result<std::optional<std::string>> CancelLocked(std::string_view enver_id,
                                                  const std::string& reason);
  Status RecordRunLocked(std::string_view id, std::int64_t run_id, const std::string& run_url);
  void CountRunningLocked();
  Status CommitLocked(Change& change);
  // After a lost compare-and-set on the id counter (another writer allocated ids since this
  // queue read it): reads it again, so the next change takes ids after theirs.
  void RereadCounterLocked();
  std::int64_t NowMs() const;

  store::ConfigStore& store_;
  Clock& clock_;
  const QueueOptions options_;
  EventLog events_;

  mutable std::mutex mu_;
  bool loaded_ = false;
  // Shared queue: a re-read of the loaded mirror failed; the next write reads it again.
  bool lost_ = false;
  std::vector<std::string> resumed_;
  std::vector<Deployment> followed_;
  // Pending and running deployments, by id (ids sort oldest first).
  std::map<std::string, Tracked, std::less<>> active_;
  // Queue records that exist in the store, by enver id.
  std::map<std::string, TrackedQueue, std::less<>> queues_;
  // The deployment counter: last allocated number and its record's revision (0: absent).
  std::int64_t last_id_ = 0;
  store::Revision last_id_revision_ = 0;
  std::size_t running_ = 0;
};

}  // namespace odmd::reconcile
