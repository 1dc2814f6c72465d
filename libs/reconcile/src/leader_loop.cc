#include "odmd/reconcile/leader_loop.h"

#include <utility>

namespace odmd::reconcile {

LeaderLoop::LeaderLoop(store::LeaderLease& lease, Clock& clock, LeaderLoopOptions options,
                       LeaderCallbacks callbacks)
    : lease_(lease), clock_(clock), options_(options), callbacks_(std::move(callbacks)) {}

LeaderLoop::~LeaderLoop() { Stop(); }

std::optional<store::Epoch> LeaderLoop::epoch() const {
  std::lock_guard lock(state_mu_);
  return epoch_;
}

Status LeaderLoop::Step() {
  std::lock_guard lock(step_mu_);
  return StepLocked();
}

Status LeaderLoop::StepLocked() {
  if (epoch_.has_value()) return RenewLocked();
  // Timed from before the call: the database grants from a later instant.
  const auto start = clock_.SteadyNow();
  ODMD_ASSIGN_OR_RETURN(std::optional<store::Epoch> granted, lease_.Acquire());
  if (!granted.has_value()) return OkStatus();
  {
    std::lock_guard lock(state_mu_);
    epoch_ = granted;
  }
  deadline_ = start + options_.duration;
  if (callbacks_.elected) callbacks_.elected(*granted);
  return OkStatus();
}

Status LeaderLoop::RenewLocked() {
  if (clock_.SteadyNow() >= deadline_) {
    // Too late to renew: another replica may already lead.
    DeposeLocked(AbortedError("lease lost: epoch " + std::to_string(*epoch_) +
                              " was not renewed within " +
                              std::to_string(options_.duration.count()) + " ms"));
    return OkStatus();
  }
  const auto start = clock_.SteadyNow();
  Status renewed = lease_.Renew(*epoch_);
  if (renewed.ok()) {
    deadline_ = start + options_.duration;
    return OkStatus();
  }
  if (renewed.code() == StatusCode::kAborted || clock_.SteadyNow() >= deadline_) {
    DeposeLocked(renewed);
    return renewed.code() == StatusCode::kAborted ? OkStatus() : renewed;
  }
  return renewed;  // still leading until the deadline; the next step tries again
}

void LeaderLoop::DeposeLocked(const Status& why) {
  const store::Epoch epoch = *epoch_;
  {
    std::lock_guard lock(state_mu_);
    epoch_.reset();
  }
  if (callbacks_.deposed) callbacks_.deposed(epoch, why);
}

void LeaderLoop::Start() {
  std::lock_guard lock(state_mu_);
  if (thread_.joinable()) return;
  stopping_ = false;
  thread_ = std::thread([this] {
    std::unique_lock state(state_mu_);
    while (!stopping_) {
      state.unlock();
      (void)Step();  // an unreachable database is retried at the next round
      state.lock();
      stop_cv_.wait_for(state, options_.renew_interval, [this] { return stopping_; });
    }
  });
}

void LeaderLoop::Stop() {
  std::thread thread;
  {
    std::lock_guard lock(state_mu_);
    stopping_ = true;
    thread = std::move(thread_);
  }
  stop_cv_.notify_all();
  if (thread.joinable()) thread.join();
}

Status LeaderLoop::Release() {
  std::lock_guard lock(step_mu_);
  if (!epoch_.has_value()) return OkStatus();
  const store::Epoch epoch = *epoch_;
  {
    std::lock_guard state(state_mu_);
    epoch_.reset();
  }
  return lease_.Release(epoch);
}

}  // namespace odmd::reconcile
