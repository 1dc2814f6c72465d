// Replicas sharing one store (docs/platform.md, "Replicas"): a follower serves reads from the
// store and becomes the leader on election (Platform::Serve, Lead).
#include <optional>
#include <utility>

#include "github_runs.h"
#include "impl.h"
#include "odmd/access/policy.h"
#include "odmd/base/strings.h"

namespace odmd::reconcile {

Status Platform::Impl::Serve() {
  if (options_.state_dir.empty()) {
    return InvalidArgumentError("the platform needs a state directory (PlatformOptions)");
  }
  if (following_ || leading_) return FailedPreconditionError("the platform serves already");
  ODMD_ASSIGN_OR_RETURN(store::Revision at, store_.LatestRevision());
  ODMD_RETURN_IF_ERROR(ReloadWorld());
  {
    std::lock_guard<std::mutex> lock(follow_mu_);
    world_seen_ = at;
  }
  following_ = true;
  for (std::string_view prefix : {access::kManifestKey, access::kClonesPrefix}) {
    ODMD_ASSIGN_OR_RETURN(
        store::WatchHandlePtr watch,
        store_.Watch(prefix, at, [this](const store::ChangeEvent& c) { FollowWorld(c.revision); }));
    world_watches_.push_back(std::move(watch));
  }
  return OkStatus();
}

void Platform::Impl::FollowWorld(store::Revision changed) {
  std::lock_guard<std::mutex> lock(follow_mu_);
  if (changed <= world_seen_) return;  // a reload after this change has read it already
  Result<store::Revision> at = store_.LatestRevision();
  // A failed reload leaves the world as it was until the next change reloads it.
  if (at.ok() && ReloadWorld().ok()) world_seen_ = *at;
}

Status Platform::Impl::Lead(store::ConfigStorePtr fenced) {
  if (!following_) return FailedPreconditionError("Platform::Lead needs Platform::Serve first");
  if (leading_) return FailedPreconditionError("the platform leads already");
  role_store_.Lead(std::move(fenced));
  // The leader reloads its world itself after each of its own changes.
  world_watches_.clear();
  return StartLeading();
}

Status Platform::Impl::CheckLeads(std::string_view what) const {
  if (!following()) return OkStatus();
  return UnavailableError(std::string(what) +
                          " is the leader's work and this replica follows: send it to the "
                          "leader (GET /api/health names it)");
}

Result<std::vector<std::string>> Platform::Impl::ActiveEnvers() {
  if (!following()) return queue_.ActiveEnvers();
  // A follower's queue mirror is empty: the queue records are the truth.
  ODMD_ASSIGN_OR_RETURN(std::vector<store::Entry> records, store_.List(kQueuePrefix));
  std::vector<std::string> active;
  for (const store::Entry& e : records) {
    ODMD_ASSIGN_OR_RETURN(QueueRecord r, ParseQueueRecord(e.value, e.key));
    if (!r.pending.empty() || !r.running.empty()) {
      active.push_back(e.key.substr(kQueuePrefix.size()));
    }
  }
  return active;
}

}  // namespace odmd::reconcile

namespace odmd::reconcile {

// --- the shared queue, workers on followers (docs/platform.md, "Replicas: workers on
// followers") ---

Status Platform::Impl::Work(store::ConfigStorePtr fenced) {
  if (!following()) return FailedPreconditionError("Platform::Work needs a follower (Serve)");
  if (!options_.shared_queue || options_.follower_workers < 1) {
    return FailedPreconditionError(
        "workers on a follower need a shared queue (a PostgreSQL store) and "
        "follower_workers >= 1");
  }
  if (working_.exchange(true)) return FailedPreconditionError("the follower runs workers already");
  role_store_.Lead(std::move(fenced));
  ODMD_RETURN_IF_ERROR(deployer_.KillLeftovers());
  ODMD_RETURN_IF_ERROR(StartSharedQueue(/*leader=*/false));
  std::lock_guard<std::mutex> lock(run_mu_);
  stopping_ = false;
  for (int i = 0; i < options_.follower_workers; ++i) {
    workers_.emplace_back([this] { WorkerLoop(); });
  }
  return OkStatus();
}

Status Platform::Impl::StartSharedQueue(bool leader) {
  if (!options_.shared_queue) return OkStatus();
  if (queue_watch_ == nullptr) {
    ODMD_ASSIGN_OR_RETURN(store::Revision at, store_.LatestRevision());
    ODMD_ASSIGN_OR_RETURN(queue_watch_, store_.Watch(kQueuePrefix, at, [this](const auto&) {
      queue_stale_ = true;
      Wake();
    }));
    // The leader's Load read the queue already; a follower reads it now.
    if (!leader) ODMD_RETURN_IF_ERROR(queue_.Refresh());
  }
  if (!leader) return OkStatus();
  std::lock_guard<std::mutex> lock(run_mu_);
  if (!orphan_loop_started_) {
    orphan_loop_started_ = true;
    workers_.emplace_back([this] { OrphanLoop(); });  // joined by Stop with the workers
  }
  return OkStatus();
}

void Platform::Impl::OrphanLoop() {
  std::string failing;  // the last round's problem, told once while it repeats
  while (true) {
    {
      std::unique_lock<std::mutex> lock(run_mu_);
      run_cv_.wait_for(lock, options_.worker_check, [this] { return stopping_; });
      if (stopping_) return;
    }
    Result<Orphans> orphans = queue_.ResumeOrphans();
    // The store or a lease failed (the next round asks again): told as an alert, once.
    std::string problem = orphans.ok() ? TakeOwnerError() : orphans.status().ToString();
    if (problem != failing && !problem.empty()) {
      Event e;
      e.kind = "alert";
      e.message = "could not resume what dead replicas left running: " + problem;
      (void)Emit(std::move(e));
    }
    failing = std::move(problem);
    if (!orphans.ok()) continue;
    // Their "deployment.resumed" events are in the commit that queued them again.
    std::lock_guard<std::mutex> lock(run_mu_);
    for (Deployment& d : orphans->followed) to_follow_.push_back(std::move(d));
    if (!orphans->resumed.empty() || !orphans->followed.empty()) run_cv_.notify_all();
  }
}

Result<bool> Platform::Impl::OwnerGone(const Deployment& d) {
  std::lock_guard<std::mutex> lock(owner_check_mu_);
  if (owner_check_ == nullptr) {
    store::LeaseOptions self;
    self.replica_id = options_.replica_id.empty() ? "odmd-serve" : options_.replica_id;
    self.address = options_.api_url;
    self.duration = options_.worker_lease_duration;
    owner_check_ = std::make_unique<OwnerCheck>(role_store_.plain(), std::move(self));
  }
  Result<bool> gone = owner_check_->Gone(d);
  if (!gone.ok() && owner_error_.empty()) {
    owner_error_ =
        "deployment " + d.id + " of replica " + Quote(d.owner) + ": " + gone.status().ToString();
  }
  return gone;
}

std::string Platform::Impl::TakeOwnerError() {
  std::lock_guard<std::mutex> lock(owner_check_mu_);
  return std::exchange(owner_error_, std::string());
}

bool Platform::Impl::FollowerMayRun(const World& w, const Deployment& d) const {
  std::optional<EnverRef> ref = w.FindEnver(d.enver_id);
  // Not in this follower's world yet (it follows the store): the leader's, or a later try.
  if (!ref) return false;
  // A contracts build publishes, which is the leader's work; a GitHub run is followed by
  // the leader's workflow_run deliveries.
  if (ref->build->kind == model::BuildKind::kContracts) return false;
  return !(github_runs_ && github_runs_->Handles(*ref->build));
}

}  // namespace odmd::reconcile
