// Replicas sharing one store (docs/platform.md, "Replicas"): a follower serves reads from the
// store and becomes the leader on election (Platform::Serve, Lead).
#include <utility>

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
