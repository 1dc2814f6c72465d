// The dispatcher: workers claim runnable deployments from the durable queue and run them
// through the Deployer. A deployment is runnable when no enver upstream of it (outside its
// own cycle) is queued or running, and, inside a cycle, when no producer it consumes
// without a placeholder is queued or running: so a cascade deploys each enver once, after
// its producers, and a cycle deploys in the planner's order.
#include <algorithm>
#include <utility>

#include "github_runs.h"
#include "impl.h"
#include "odmd/base/strings.h"
#include "odmd/model/naming.h"
#include "records.h"

namespace odmd::reconcile {

Result<DeployTarget> Platform::Impl::TargetFor(const WorldPtr& world, const std::string& enver_id) {
  std::optional<EnverRef> ref = world->FindEnver(enver_id);
  if (!ref) return NotFoundError("enver " + Quote(enver_id) + " is not in the contracts");
  ODMD_ASSIGN_OR_RETURN(std::string path, RepoPath(ref->build->repo.FullName()));
  ODMD_ASSIGN_OR_RETURN(std::string token, EnverToken(enver_id));
  return DeployTarget{&world->org(),    ref->build,
                      ref->enver,       std::move(path),
                      std::move(token), world->GitRefOf(ref->build->id, *ref->enver)};
}

namespace {

// Envers that may not start now (see the file comment), by graph index.
std::vector<bool> BlockedEnvers(const model::Graph& graph, const model::Components& comps,
                                const std::vector<std::string>& active) {
  const size_t n = graph.enver_count();
  std::vector<bool> is_active(n, false);
  for (const std::string& id : active) {
    if (auto i = graph.FindEnver(id)) is_active[*i] = true;
  }
  std::vector<bool> blocked(n, false);
  std::vector<bool> reached(n, false);  // blocked with everything downstream of it
  std::vector<model::EnverIndex> stack;
  auto reach = [&](model::EnverIndex c) {
    if (reached[c]) return;
    reached[c] = blocked[c] = true;
    stack.push_back(c);
  };
  for (model::EnverIndex a = 0; a < n; ++a) {
    if (!is_active[a]) continue;
    for (model::EdgeIndex ei : graph.dependents(a)) {
      const model::Edge& e = graph.edge(ei);
      if (comps.component_of[e.consumer] != comps.component_of[a]) {
        reach(e.consumer);
      } else if (!e.has_placeholder) {
        blocked[e.consumer] = true;  // inside a cycle: only the direct consumer waits
      }
    }
  }
  while (!stack.empty()) {
    model::EnverIndex c = stack.back();
    stack.pop_back();
    for (model::EdgeIndex ei : graph.dependents(c)) reach(graph.edge(ei).consumer);
  }
  return blocked;
}

}  // namespace

Result<bool> Platform::Impl::RunOne() {
  std::optional<Deployment> followed;
  {
    std::lock_guard<std::mutex> lock(run_mu_);
    if (!to_follow_.empty()) {
      followed = std::move(to_follow_.front());
      to_follow_.pop_front();
    }
  }
  if (followed) {
    // A GitHub Actions run that went on while the platform was down.
    Execute(std::move(*followed));
    return true;
  }
  // A shared queue's records changed (another replica's claim, finish or enqueue): read
  // them again before choosing (a claim on a stale mirror would only lose its commit).
  if (queue_stale_.exchange(false) && !queue_.Refresh().ok()) queue_stale_ = true;
  WorldPtr w = world();
  const std::vector<std::string> active = queue_.ActiveEnvers();
  const std::vector<bool> blocked = BlockedEnvers(w->graph(), w->components(), active);
  const bool follower = following();
  auto ready = [&](const Deployment& d) {
    auto i = w->graph().FindEnver(d.enver_id);
    if (i && blocked[*i]) return false;
    return !follower || FollowerMayRun(*w, d);
  };
  ODMD_ASSIGN_OR_RETURN(std::optional<Deployment> claimed, queue_.Claim(ready));
  if (!claimed) return false;
  Execute(std::move(*claimed));
  return true;
}

void Platform::Impl::Execute(Deployment d) {
  WorldPtr w = world();
  auto flag = std::make_shared<CancelFlag>();
  {
    std::lock_guard<std::mutex> lock(run_mu_);
    running_[d.enver_id] = flag;
    if (stopping_) flag->Cancel();
  }
  auto finish = [&](bool transient) {
    d.finished_at_ms = NowMs();
    Status s = queue_.Finish(d, transient);
    if (!s.ok()) {
      Event e;
      e.kind = "alert";
      e.message = "could not record the end of deployment " + d.id + ": " + s.ToString();
      (void)Emit(std::move(e));
    }
    std::lock_guard<std::mutex> lock(run_mu_);
    running_.erase(d.enver_id);
    run_cv_.notify_all();
  };
  Result<EnverState> state = ReadEnverState(store_, d.enver_id);
  Result<DeployTarget> target =
      state.ok() ? TargetFor(w, d.enver_id) : Result<DeployTarget>(state.status());
  if (!target.ok()) {
    d.state = DeploymentState::kFailed;
    d.reason = target.status().message();
    finish(target.status().code() == StatusCode::kUnavailable);
    return;
  }
  if (d.sha.empty()) d.sha = state->sha;
  if (d.sha.empty()) {
    Result<std::vector<GitRef>> refs = git_.ListRefs(target->repo_path);
    const std::string want = w->GitRefOf(target->build->id, *target->enver);
    if (refs.ok()) {
      for (const GitRef& r : *refs) d.sha = r.name == want ? r.sha : d.sha;
    }
    if (d.sha.empty()) {
      d.state = DeploymentState::kFailed;
      d.reason = "nothing to deploy: " + want + " does not exist in " + target->repo_path;
      finish(false);
      return;
    }
  }
  state->status = "running";
  state->deployment = d.id;
  state->root = d.cause.root;
  state->updated_at_ms = NowMs();
  (void)WriteEnverState(store_, *state);

  Result<DeployOutcome> outcome = DeployOutcome{};
  if (github_runs_ && github_runs_->Handles(*target->build)) {
    GitHubRunOutcome run = github_runs_->Run(d, *target, *flag);
    if (run.in_flight) {
      // The platform stops and the run goes on: the deployment stays running, and the
      // next start follows its run (DeploymentQueue::followed).
      std::lock_guard<std::mutex> lock(run_mu_);
      running_.erase(d.enver_id);
      run_cv_.notify_all();
      return;
    }
    outcome = std::move(run.outcome);
  } else {
    outcome = deployer_.Deploy(d, *target, flag.get());
  }
  bool transient = false;
  if (!outcome.ok()) {
    d.state = DeploymentState::kFailed;
    d.reason = outcome.status().message();
  } else {
    d.exit_code = outcome->exit_code;
    d.consumed = outcome->consumed;
    d.published = outcome->published;
    d.reason = outcome->reason;
    transient = outcome->transient;
    bool ok = outcome->succeeded;
    if (ok && outcome->manifest && target->build->kind == model::BuildKind::kContracts) {
      Result<PublishReport> published =
          PublishManifest(access::Principal::Enver(d.enver_id), *outcome->manifest);
      if (!published.ok()) {
        ok = false;
        d.reason = "the build's manifest was refused: " + published.status().message();
      }
    }
    d.state = ok                  ? DeploymentState::kSucceeded
              : flag->cancelled() ? DeploymentState::kCancelled
                                  : DeploymentState::kFailed;
  }
  bool stopping = false;
  {
    std::lock_guard<std::mutex> lock(run_mu_);
    stopping = stopping_;
  }
  if (d.state == DeploymentState::kCancelled && stopping) {
    // Stopped by a shutdown, not by a delete: it runs again when the platform starts.
    d.state = DeploymentState::kFailed;
    d.reason = "interrupted by the platform stopping; it runs again at the next start";
    transient = true;
  } else if (flag->cancelled()) {
    transient = false;
  }
  state->status = d.state == DeploymentState::kSucceeded ? "succeeded" : "failed";
  state->sha = d.sha;
  state->updated_at_ms = NowMs();
  (void)WriteEnverState(store_, *state);
  // Products the script wrote as files: react now rather than when the watch delivers
  // (on a follower the leader's reaction watch reacts).
  for (const std::string& path : following() ? std::vector<std::string>{} : d.published) {
    Result<store::Entry> e = store_.Get(path);
    if (e.ok()) (void)ReactTo(path, e->version);
  }
  finish(transient);
}

Result<int> Platform::Impl::RunOnce() {
  int ran = 0;
  while (true) {
    ODMD_ASSIGN_OR_RETURN(bool one, RunOne());
    if (!one) {
      // Reactions of what just ran may still be on their way from the watch.
      if (!ReactionsIdle()) {
        std::unique_lock<std::mutex> lock(run_mu_);
        run_cv_.wait_for(lock, std::chrono::milliseconds(20));
        continue;
      }
      return ran;
    }
    ++ran;
  }
}

void Platform::Impl::WorkerLoop() {
  while (true) {
    {
      std::lock_guard<std::mutex> lock(run_mu_);
      if (stopping_) return;
    }
    Result<bool> ran = RunOne();
    if (ran.ok() && *ran) continue;
    if (!ran.ok()) {
      Event e;
      e.kind = "alert";
      e.message = "the dispatcher could not claim a deployment: " + ran.status().ToString();
      (void)Emit(std::move(e));
    }
    std::unique_lock<std::mutex> lock(run_mu_);
    if (stopping_) return;
    // Woken by enqueues, finishes and world changes; the timeout covers retry backoff.
    run_cv_.wait_for(lock, std::chrono::milliseconds(250));
  }
}

bool Platform::Impl::WaitIdle(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::unique_lock<std::mutex> lock(run_mu_);
  while (true) {
    lock.unlock();
    const bool idle = queue_.Idle() && ReactionsIdle() && InboxIdle();
    lock.lock();
    if (idle && running_.empty()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    run_cv_.wait_for(lock, std::chrono::milliseconds(20));
  }
}

}  // namespace odmd::reconcile
