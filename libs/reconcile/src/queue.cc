#include "odmd/reconcile/queue.h"

#include <algorithm>
#include <utility>

#include "odmd/base/strings.h"
#include "odmd/store/leader_lease.h"

namespace odmd::reconcile {
namespace {

constexpr std::string_view kResumedReason = "resumed after restart";

Event DeploymentEvent(std::string kind, const Deployment& d, std::string message) {
  Event e;
  e.kind = std::move(kind);
  e.enver_id = d.enver_id;
  e.message = std::move(message);
  e.fields["deployment"] = d.id;
  if (!d.sha.empty()) e.fields["sha"] = d.sha;
  return e;
}

// More deployments than this in one Enqueue get one summary event instead of one each.
constexpr size_t kMaxQueuedEvents = 20;

Event QueuedEvent(const Deployment& d, const std::string& superseded) {
  std::string message = d.id + " queued for " + d.enver_id + ": " + d.cause.detail;
  if (!superseded.empty()) message += " (supersedes " + superseded + ")";
  Event e = DeploymentEvent("deployment.queued", d, std::move(message));
  e.fields["cause"] = d.cause.kind;
  e.fields["root"] = d.cause.root;
  if (!superseded.empty()) e.fields["superseded"] = superseded;
  return e;
}

Status CheckRequest(size_t index, const EnqueueRequest& request) {
  std::string where = "enqueue request " + std::to_string(index);
  if (request.enver_id.empty() || request.enver_id.find('/') == std::string::npos) {
    return InvalidArgumentError(where + ": enver id " + Quote(request.enver_id) +
                                " is not \"<build>/<rev>\"");
  }
  if (request.cause.root.empty()) {
    return InvalidArgumentError(where + " (" + request.enver_id + "): the cause has no root");
  }
  return OkStatus();
}

}  // namespace

// The staged copies of the records one operation changes, and its events. Nothing touches
// the mirror until the commit succeeded, so a failed commit leaves the queue as it was.
class DeploymentQueue::Change {
 public:
  explicit Change(DeploymentQueue& queue) : queue_(queue) {}

  // The deployment as this change sees it (staged, else the mirror's), or null.
  const Deployment* PeekDeployment(const std::string& id) const {
    if (auto it = deployments.find(id); it != deployments.end()) return &it->second.deployment;
    if (auto it = queue_.active_.find(id); it != queue_.active_.end()) {
      return &it->second.deployment;
    }
    return nullptr;
  }
  // A staged copy of an active (or already staged) deployment, to modify.
  Deployment& StageDeployment(const std::string& id) {
    auto it = deployments.find(id);
    if (it == deployments.end()) it = deployments.emplace(id, queue_.active_.at(id)).first;
    return it->second.deployment;
  }
  // A new deployment with the next id, staged.
  Deployment& NewDeployment() {
    std::string id = FormatDeploymentId(queue_.last_id_ + ++new_ids);
    Tracked& t = deployments[id];
    t.deployment.id = id;
    return t.deployment;
  }
  const QueueRecord& PeekQueue(const std::string& enver_id) const {
    static const QueueRecord kEmpty;
    if (auto it = queues.find(enver_id); it != queues.end()) return it->second.record;
    if (auto it = queue_.queues_.find(enver_id); it != queue_.queues_.end()) {
      return it->second.record;
    }
    return kEmpty;
  }
  QueueRecord& StageQueue(const std::string& enver_id) {
    auto it = queues.find(enver_id);
    if (it == queues.end()) {
      auto mirror = queue_.queues_.find(enver_id);
      it =
          queues.emplace(enver_id, mirror == queue_.queues_.end() ? TrackedQueue{} : mirror->second)
              .first;
    }
    return it->second.record;
  }
  bool empty() const {
    return deployments.empty() && queues.empty() && events.empty() && extra_ops.empty();
  }

  std::map<std::string, Tracked> deployments;
  std::map<std::string, TrackedQueue> queues;
  std::vector<Event> events;
  // The caller's own ops, committed after the queue's (their results are dropped).
  std::vector<store::BatchOp> extra_ops;
  std::int64_t new_ids = 0;

 private:
  DeploymentQueue& queue_;
};

DeploymentQueue::DeploymentQueue(store::ConfigStore& store, Clock& clock, QueueOptions options)
    : store_(store), clock_(clock), options_(std::move(options)), events_(store, clock) {}

std::int64_t DeploymentQueue::NowMs() const {
  return std::chrono::duration_cast<std::chrono::milliseconds>(clock_.WallNow().time_since_epoch())
      .count();
}

Status DeploymentQueue::EnsureLoadedLocked() {
  if (loaded_) return OkStatus();
  // A shared queue whose re-read failed (another replica's retry, a store error) reads
  // again rather than failing every write of this replica until the next Refresh.
  if (lost_) return ReadLocked();
  return FailedPreconditionError("the deployment queue is not loaded (call Load)");
}

Status DeploymentQueue::CommitLocked(Change& change) {
  if (change.empty()) return OkStatus();
  std::vector<store::BatchOp> ops;
  ops.reserve(change.deployments.size() + change.queues.size() + 1);
  if (change.new_ids > 0) {
    ops.push_back(store::BatchOp::Put(std::string(kDeploymentSeqKey),
                                      FormatCounter(last_id_ + change.new_ids), last_id_revision_));
  }
  // if_revision 0 for a new record: it must not exist yet.
  for (const auto& [id, t] : change.deployments) {
    ops.push_back(store::BatchOp::Put(DeploymentKey(id), ToJsonText(t.deployment), t.revision));
  }
  for (const auto& [enver_id, t] : change.queues) {
    ops.push_back(store::BatchOp::Put(QueueKey(enver_id), ToJsonText(t.record), t.revision));
  }
  for (store::BatchOp& op : change.extra_ops) ops.push_back(std::move(op));
  Result<std::vector<store::WriteResult>> committed = events_.Commit(std::move(ops), change.events);
  if (!committed.ok()) {
    // Without this, every later enqueue would fail the same way until a restart.
    if (IsAborted(committed.status()) && change.new_ids > 0) RereadCounterLocked();
    return committed.status();
  }
  std::vector<store::WriteResult> written = std::move(committed).value();

  size_t index = 0;
  if (change.new_ids > 0) {
    last_id_ += change.new_ids;
    last_id_revision_ = written[index++].revision;
  }
  for (auto& [id, t] : change.deployments) {
    t.revision = written[index++].revision;
    if (IsFinal(t.deployment.state)) {
      active_.erase(id);
    } else {
      active_[id] = std::move(t);
    }
  }
  for (auto& [enver_id, t] : change.queues) {
    t.revision = written[index++].revision;
    queues_[enver_id] = std::move(t);
  }
  CountRunningLocked();
  return OkStatus();
}

void DeploymentQueue::CountRunningLocked() {
  // A shared queue's mirror holds the other replicas' running deployments too.
  running_ = static_cast<size_t>(std::count_if(active_.begin(), active_.end(), [&](const auto& a) {
    const Deployment& d = a.second.deployment;
    return d.state == DeploymentState::kRunning && (!options_.shared || d.owner == options_.owner);
  }));
}

bool DeploymentQueue::LostToAnotherReplica(const Status& s) const {
  return options_.shared && IsAborted(s) && !store::IsLeaseLost(s);
}

bool DeploymentQueue::WorthRetrying(const Status& s, int attempt) const {
  return LostToAnotherReplica(s) && attempt < options_.shared_retries;
}

void DeploymentQueue::RereadCounterLocked() {
  Result<store::Entry> counter = store_.Get(kDeploymentSeqKey);
  if (!counter.ok()) return;  // the next commit fails again, and reads again
  Result<std::int64_t> last = ParseCounter(kDeploymentSeqKey, counter->value);
  if (!last.ok() || *last < last_id_) return;
  last_id_ = *last;
  last_id_revision_ = counter->revision;
}

// --- Load ---

Status DeploymentQueue::Load() {
  std::lock_guard lock(mu_);
  loaded_ = false;
  lost_ = false;
  Status s = LoadLocked();
  if (!s.ok()) {
    active_.clear();
    queues_.clear();
    running_ = 0;
  }
  return s;
}

std::vector<std::string> DeploymentQueue::resumed() const {
  std::lock_guard lock(mu_);
  return resumed_;
}

Status DeploymentQueue::Refresh() {
  std::lock_guard lock(mu_);
  return ReadLocked();
}

Result<Orphans> DeploymentQueue::ResumeOrphans() {
  std::lock_guard lock(mu_);
  ODMD_RETURN_IF_ERROR(ReadLocked());
  Orphans out;
  ODMD_RETURN_IF_ERROR(RetryingLocked([&] {
    out = Orphans{};
    return ResumeLocked(/*others_only=*/true, out);
  }));
  return out;
}

Status DeploymentQueue::LoadLocked() {
  resumed_.clear();
  Orphans out;
  for (int attempt = 0;; ++attempt) {
    ODMD_RETURN_IF_ERROR(ReadLocked());
    loaded_ = false;
    out = Orphans{};
    Status committed = ResumeLocked(/*others_only=*/false, out);
    if (committed.ok()) break;
    if (!WorthRetrying(committed, attempt)) return committed;
  }
  loaded_ = true;
  resumed_ = std::move(out.resumed);
  followed_ = std::move(out.followed);
  return OkStatus();
}

Status DeploymentQueue::ReadLocked() {
  const bool was_loaded = loaded_ || lost_;
  Status s = ReadStoreLocked();
  if (s.ok()) {
    lost_ = false;
    return s;
  }
  active_.clear();
  queues_.clear();
  running_ = 0;
  lost_ = options_.shared && was_loaded;
  return s;
}

Status DeploymentQueue::ReadStoreLocked() {
  loaded_ = false;
  active_.clear();
  queues_.clear();
  last_id_ = 0;
  last_id_revision_ = 0;
  // A shared queue reads every record as of one store revision: another replica's commit
  // between two reads cannot make a queue record and its deployment disagree.
  std::optional<store::Revision> at;
  if (options_.shared) {
    ODMD_ASSIGN_OR_RETURN(at, store_.LatestRevision());
  }
  auto get = [&](std::string_view key) -> Result<store::Entry> {
    if (!at) return store_.Get(key);
    ODMD_ASSIGN_OR_RETURN(std::vector<store::Entry> found, store_.ListAt(key, *at));
    for (store::Entry& e : found) {
      if (e.key == key) return std::move(e);
    }
    return NotFoundError("key " + Quote(key) + " not found at revision " + std::to_string(*at));
  };
  Result<store::Entry> counter = get(kDeploymentSeqKey);
  if (counter.ok()) {
    ODMD_ASSIGN_OR_RETURN(last_id_, ParseCounter(kDeploymentSeqKey, counter->value));
    last_id_revision_ = counter->revision;
  } else if (!IsNotFound(counter.status())) {
    return counter.status();
  }

  ODMD_ASSIGN_OR_RETURN(std::vector<store::Entry> records,
                        at ? store_.ListAt(kQueuePrefix, *at) : store_.List(kQueuePrefix));
  for (const store::Entry& entry : records) {
    std::string enver_id = entry.key.substr(kQueuePrefix.size());
    ODMD_ASSIGN_OR_RETURN(QueueRecord record, ParseQueueRecord(entry.value, entry.key));
    for (auto [id, state] : {std::pair{record.pending, DeploymentState::kQueued},
                             std::pair{record.running, DeploymentState::kRunning}}) {
      if (id.empty()) continue;
      std::string key = DeploymentKey(id);
      std::string role = state == DeploymentState::kQueued ? "pending" : "running";
      Result<store::Entry> found = get(key);
      if (IsNotFound(found.status())) {
        return FailedPreconditionError("queue record " + entry.key + " names " + Quote(id) +
                                       " as " + role + ", but " + key + " does not exist");
      }
      if (!found.ok()) return found.status();
      ODMD_ASSIGN_OR_RETURN(Deployment d, ParseDeployment(found->value, key));
      if (d.state != state || d.enver_id != enver_id) {
        return FailedPreconditionError(
            "queue record " + entry.key + " names " + Quote(id) + " as " + role + ", but " + key +
            " is " + std::string(DeploymentStateName(d.state)) + " for " + Quote(d.enver_id));
      }
      active_[id] = Tracked{std::move(d), found->revision};
    }
    queues_[enver_id] = TrackedQueue{std::move(record), entry.revision};
  }
  CountRunningLocked();
  loaded_ = true;
  return OkStatus();
}

Status DeploymentQueue::ResumeLocked(bool others_only, Orphans& out) {
  // Every running deployment whose process died (with the previous platform, or with
  // another replica): run it again, unless a newer one for its enver is already waiting.
  Change change(*this);
  std::int64_t now = NowMs();
  std::vector<std::string> resumed;
  std::vector<Deployment> followed;
  for (const auto& [id, t] : active_) {
    if (t.deployment.state != DeploymentState::kRunning) continue;
    if (others_only && t.deployment.owner == options_.owner) continue;
    if (options_.owner_gone) {
      Result<bool> gone = options_.owner_gone(t.deployment);
      if (!gone.ok() || !*gone) continue;  // its owner finishes it (or the next round asks)
    }
    if (t.deployment.run_id != 0) {
      followed.push_back(t.deployment);
      continue;
    }
    const std::string& enver_id = t.deployment.enver_id;
    std::string pending = change.PeekQueue(enver_id).pending;
    Deployment& d = change.StageDeployment(id);
    QueueRecord& record = change.StageQueue(enver_id);
    record.running.clear();
    if (!pending.empty()) {
      d.state = DeploymentState::kSuperseded;
      d.reason = "superseded by " + pending + " (its run was interrupted by a restart)";
      d.finished_at_ms = now;
      change.events.push_back(DeploymentEvent(
          "deployment.cancelled", d,
          d.id + " was running when the platform stopped; not resumed: " + d.reason));
    } else {
      d.state = DeploymentState::kQueued;
      d.reason = std::string(kResumedReason);
      record.pending = id;
      resumed.push_back(id);
      change.events.push_back(DeploymentEvent(
          "deployment.queued", d,
          d.id + " was running when the platform stopped; queued again (" + d.reason + ")"));
      // In the same commit: a process that dies right after it leaves no resumption untold.
      Event told = DeploymentEvent(
          "deployment.resumed", d,
          others_only
              ? "deployment " + id + " was running on replica " + Quote(d.owner) +
                    ", whose worker lease expired and was taken over (it can write "
                    "nothing more); it runs again"
              : "deployment " + id + " was running when the platform stopped; it runs again");
      change.events.push_back(std::move(told));
    }
  }
  ODMD_RETURN_IF_ERROR(CommitLocked(change));
  out.resumed = std::move(resumed);
  out.followed = std::move(followed);
  return OkStatus();
}

std::vector<Deployment> DeploymentQueue::followed() const {
  std::lock_guard lock(mu_);
  return followed_;
}

Status DeploymentQueue::RecordRun(std::string_view id, std::int64_t run_id, std::string run_url) {
  std::lock_guard lock(mu_);
  ODMD_RETURN_IF_ERROR(EnsureLoadedLocked());
  return RetryingLocked([&] { return RecordRunLocked(id, run_id, run_url); });
}

Status DeploymentQueue::RecordRunLocked(std::string_view id, std::int64_t run_id,
                                        const std::string& run_url) {
  auto it = active_.find(id);
  if (it == active_.end() || it->second.deployment.state != DeploymentState::kRunning) {
    return FailedPreconditionError("deployment " + Quote(id) + " is not running");
  }
  Change change(*this);
  Deployment& d = change.StageDeployment(std::string(id));
  d.run_id = run_id;
  d.run_url = run_url;
  Event e = DeploymentEvent("deployment.dispatched", d,
                            d.id + " runs as GitHub Actions run " + std::to_string(run_id) +
                                (d.run_url.empty() ? "" : " (" + d.run_url + ")"));
  e.fields["run_id"] = std::to_string(run_id);
  if (!d.run_url.empty()) e.fields["run_url"] = d.run_url;
  change.events.push_back(std::move(e));
  return CommitLocked(change);
}

// --- Enqueue ---

Result<std::vector<EnqueueResult>> DeploymentQueue::Enqueue(
    std::span<const EnqueueRequest> requests, std::vector<Event> events,
    std::vector<store::BatchOp> ops) {
  for (size_t i = 0; i < requests.size(); ++i) ODMD_RETURN_IF_ERROR(CheckRequest(i, requests[i]));
  std::lock_guard lock(mu_);
  ODMD_RETURN_IF_ERROR(EnsureLoadedLocked());
  if (!options_.shared) return EnqueueLocked(requests, std::move(events), std::move(ops));
  return RetryingLocked([&] { return EnqueueLocked(requests, events, ops); });
}

Result<std::vector<EnqueueResult>> DeploymentQueue::EnqueueLocked(
    std::span<const EnqueueRequest> requests, std::vector<Event> events,
    std::vector<store::BatchOp> ops) {
  Change change(*this);
  change.events = std::move(events);
  change.extra_ops = std::move(ops);
  std::int64_t now = NowMs();
  std::vector<EnqueueResult> results;
  results.reserve(requests.size());
  std::vector<Event> queued;
  for (const EnqueueRequest& request : requests) {
    EnqueueResult result;
    std::string pending = change.PeekQueue(request.enver_id).pending;
    if (!pending.empty()) {
      const Deployment* p = change.PeekDeployment(pending);
      if (p != nullptr && p->cause.root == request.cause.root) {
        if (!request.sha.empty() && request.sha != p->sha) {
          change.StageDeployment(pending).sha = request.sha;
        }
        result.deployment_id = pending;
        result.deduplicated = true;
        results.push_back(std::move(result));
        continue;
      }
    }
    Deployment& d = change.NewDeployment();
    d.enver_id = request.enver_id;
    d.sha = request.sha;
    d.cause = request.cause;
    d.queued_at_ms = now;
    result.deployment_id = d.id;
    if (!pending.empty()) {
      Deployment& old = change.StageDeployment(pending);
      old.state = DeploymentState::kSuperseded;
      old.reason = "superseded by " + d.id;
      old.finished_at_ms = now;
      result.superseded_id = pending;
    }
    change.StageQueue(request.enver_id).pending = d.id;
    queued.push_back(QueuedEvent(d, pending));
    results.push_back(std::move(result));
  }
  if (queued.size() <= kMaxQueuedEvents) {
    for (Event& e : queued) change.events.push_back(std::move(e));
  } else {
    // A fan-out (one product, many consumers) gets one event: the records say the rest.
    Event e;
    e.kind = "deployment.queued";
    e.message =
        std::to_string(queued.size()) + " deployments queued (" + queued.front().message + ", ...)";
    e.fields = {{"count", std::to_string(queued.size())},
                {"cause", queued.front().fields["cause"]},
                {"root", queued.front().fields["root"]}};
    change.events.push_back(std::move(e));
  }
  ODMD_RETURN_IF_ERROR(CommitLocked(change));
  return results;
}

// --- Claim, Finish, Cancel ---

Result<std::optional<Deployment>> DeploymentQueue::Claim(
    const std::function<bool(const Deployment&)>& ready) {
  std::lock_guard lock(mu_);
  ODMD_RETURN_IF_ERROR(EnsureLoadedLocked());
  // Lost to another replica's claim (or enqueue): the mirror is read again and the next
  // candidate is tried; the deployment the other claimed is running now, not a candidate.
  Result<std::optional<Deployment>> claimed = RetryingLocked([&] { return ClaimLocked(ready); });
  if (LostToAnotherReplica(claimed.status())) {
    // Lost every try: the other replicas are claiming faster than this one re-reads (many
    // workers, a loaded machine). Their claims are the work getting done, not an error.
    return std::optional<Deployment>();
  }
  return claimed;
}

Result<std::optional<Deployment>> DeploymentQueue::ClaimLocked(
    const std::function<bool(const Deployment&)>& ready) {
  if (running_ >= static_cast<size_t>(std::max(options_.concurrency, 1)))
    return std::optional<Deployment>();
  std::int64_t now = NowMs();
  for (const auto& [id, t] : active_) {
    const Deployment& candidate = t.deployment;
    if (candidate.state != DeploymentState::kQueued || candidate.not_before_ms > now) continue;
    auto q = queues_.find(candidate.enver_id);
    if (q == queues_.end() || !q->second.record.running.empty()) continue;
    if (!ready(candidate)) continue;

    Change change(*this);
    Deployment& d = change.StageDeployment(id);
    d.state = DeploymentState::kRunning;
    d.attempt += 1;
    d.started_at_ms = now;
    d.owner = options_.owner;
    QueueRecord& record = change.StageQueue(d.enver_id);
    record.running = id;
    record.pending.clear();
    Event started = DeploymentEvent(
        "deployment.started", d,
        d.id + " started on " + d.enver_id + " (attempt " + std::to_string(d.attempt) + ")");
    started.fields["attempt"] = std::to_string(d.attempt);
    change.events.push_back(std::move(started));
    Deployment claimed = d;
    ODMD_RETURN_IF_ERROR(CommitLocked(change));
    return std::optional<Deployment>(std::move(claimed));
  }
  return std::optional<Deployment>();
}

Status DeploymentQueue::Finish(Deployment result, bool transient) {
  if (result.state != DeploymentState::kSucceeded && result.state != DeploymentState::kFailed &&
      result.state != DeploymentState::kCancelled) {
    return InvalidArgumentError("deployment " + Quote(result.id) +
                                ": Finish needs state succeeded, failed or cancelled, not " +
                                std::string(DeploymentStateName(result.state)));
  }
  std::lock_guard lock(mu_);
  ODMD_RETURN_IF_ERROR(EnsureLoadedLocked());
  // Another replica's enqueue may have changed the enver's queue record meanwhile.
  return RetryingLocked([&] { return FinishLocked(result, transient); });
}

Status DeploymentQueue::FinishLocked(Deployment result, bool transient) {
  auto it = active_.find(result.id);
  if (it == active_.end() || it->second.deployment.state != DeploymentState::kRunning) {
    return FailedPreconditionError("deployment " + Quote(result.id) + " is not running");
  }
  Change change(*this);
  std::int64_t now = NowMs();
  Deployment& d = change.StageDeployment(result.id);
  d.state = result.state;
  if (!result.sha.empty()) d.sha = std::move(result.sha);  // resolved when it started
  d.reason = std::move(result.reason);
  d.exit_code = result.exit_code;
  d.consumed = std::move(result.consumed);
  d.published = std::move(result.published);
  d.finished_at_ms = now;
  QueueRecord& record = change.StageQueue(d.enver_id);
  record.running.clear();

  if (d.state == DeploymentState::kSucceeded) {
    change.events.push_back(DeploymentEvent("deployment.succeeded", d, d.id + " succeeded"));
  } else if (d.state == DeploymentState::kCancelled) {
    change.events.push_back(
        DeploymentEvent("deployment.cancelled", d, d.id + " was cancelled: " + d.reason));
  } else if (transient && d.attempt < options_.max_attempts && record.pending.empty()) {
    std::int64_t factor = std::int64_t{1} << std::min(std::max(d.attempt - 1, 0), 30);
    d.state = DeploymentState::kQueued;
    d.not_before_ms = now + options_.backoff.count() * factor;
    record.pending = d.id;
    Event e = DeploymentEvent("deployment.failed", d,
                              d.id + " failed (" + d.reason + "); attempt " +
                                  std::to_string(d.attempt + 1) + " of " +
                                  std::to_string(options_.max_attempts) + " is due in " +
                                  std::to_string(d.not_before_ms - now) + " ms");
    e.fields["final"] = "false";
    e.fields["not_before_ms"] = std::to_string(d.not_before_ms);
    change.events.push_back(std::move(e));
  } else {
    if (transient && d.attempt < options_.max_attempts) {
      d.reason += "; not retried: " + record.pending + " is pending for " + d.enver_id;
    }
    Event e = DeploymentEvent("deployment.failed", d, d.id + " failed: " + d.reason);
    e.fields["final"] = "true";
    e.fields["exit_code"] = std::to_string(d.exit_code);
    change.events.push_back(std::move(e));
  }
  return CommitLocked(change);
}

Result<std::optional<std::string>> DeploymentQueue::Cancel(std::string_view enver_id,
                                                           std::string reason) {
  std::lock_guard lock(mu_);
  ODMD_RETURN_IF_ERROR(EnsureLoadedLocked());
  return RetryingLocked([&] { return CancelLocked(enver_id, reason); });
}

Result<std::optional<std::string>> DeploymentQueue::CancelLocked(std::string_view enver_id,
                                                                 const std::string& reason) {
  auto q = queues_.find(enver_id);
  if (q == queues_.end()) return std::optional<std::string>();
  std::optional<std::string> running;
  if (!q->second.record.running.empty()) running = q->second.record.running;
  if (q->second.record.pending.empty()) return running;

  Change change(*this);
  Deployment& d = change.StageDeployment(q->second.record.pending);
  d.state = DeploymentState::kCancelled;
  d.reason = reason.empty() ? "cancelled" : reason;
  d.finished_at_ms = NowMs();
  change.StageQueue(d.enver_id).pending.clear();
  change.events.push_back(
      DeploymentEvent("deployment.cancelled", d, d.id + " was cancelled: " + d.reason));
  ODMD_RETURN_IF_ERROR(CommitLocked(change));
  return running;
}

// --- reads ---

Result<Deployment> DeploymentQueue::Get(std::string_view id) {
  if (!options_.shared) {
    // A shared queue's mirror may be behind the other replicas' writes: the store answers.
    std::lock_guard lock(mu_);
    if (auto it = active_.find(id); it != active_.end()) return it->second.deployment;
  }
  std::string key = DeploymentKey(id);
  Result<store::Entry> entry = store_.Get(key);
  if (IsNotFound(entry.status())) {
    return NotFoundError("deployment " + Quote(id) + " not found");
  }
  if (!entry.ok()) return entry.status();
  return ParseDeployment(entry->value, key);
}

Result<std::vector<Deployment>> DeploymentQueue::List(std::string_view enver_id, int limit) {
  if (limit < 1) {
    return InvalidArgumentError("deployment list limit " + std::to_string(limit) +
                                " is out of range; expected >= 1");
  }
  std::vector<Deployment> out;
  if (enver_id.empty()) {
    // Ids are allocated densely: read the newest `limit` by key.
    Result<store::Entry> counter = store_.Get(kDeploymentSeqKey);
    if (IsNotFound(counter.status())) return out;
    if (!counter.ok()) return counter.status();
    ODMD_ASSIGN_OR_RETURN(std::int64_t last, ParseCounter(kDeploymentSeqKey, counter->value));
    for (std::int64_t n = last; n >= 1 && out.size() < static_cast<size_t>(limit); --n) {
      std::string key = DeploymentKey(FormatDeploymentId(n));
      Result<store::Entry> entry = store_.Get(key);
      if (IsNotFound(entry.status())) continue;
      if (!entry.ok()) return entry.status();
      ODMD_ASSIGN_OR_RETURN(Deployment d, ParseDeployment(entry->value, key));
      out.push_back(std::move(d));
    }
    return out;
  }
  ODMD_ASSIGN_OR_RETURN(std::vector<store::Entry> entries, store_.List(kDeploymentsPrefix));
  for (auto it = entries.rbegin(); it != entries.rend() && out.size() < size_t(limit); ++it) {
    ODMD_ASSIGN_OR_RETURN(Deployment d, ParseDeployment(it->value, it->key));
    if (d.enver_id == enver_id) out.push_back(std::move(d));
  }
  return out;
}

bool DeploymentQueue::Idle() const {
  std::lock_guard lock(mu_);
  return active_.empty();
}

std::vector<std::string> DeploymentQueue::ActiveEnvers() const {
  std::lock_guard lock(mu_);
  std::vector<std::string> out;
  for (const auto& [enver_id, t] : queues_) {
    if (!t.record.pending.empty() || !t.record.running.empty()) out.push_back(enver_id);
  }
  return out;
}

std::optional<std::int64_t> DeploymentQueue::NextDueMs() const {
  std::lock_guard lock(mu_);
  std::optional<std::int64_t> due;
  for (const auto& [id, t] : active_) {
    if (t.deployment.state != DeploymentState::kQueued) continue;
    // One waiting for its enver's running deployment is due when that one finishes.
    auto q = queues_.find(t.deployment.enver_id);
    if (q != queues_.end() && !q->second.record.running.empty()) continue;
    if (!due || t.deployment.not_before_ms < *due) due = t.deployment.not_before_ms;
  }
  return due;
}

std::size_t DeploymentQueue::running_count() const {
  std::lock_guard lock(mu_);
  return running_;
}

}  // namespace odmd::reconcile
