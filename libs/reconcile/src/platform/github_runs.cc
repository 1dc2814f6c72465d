// The GitHub runner: dispatch, record, follow (github_runs.h).
#include "github_runs.h"

#include <utility>

#include "odmd/base/strings.h"
#include "odmd/model/naming.h"

namespace odmd::reconcile {
namespace {

// The run title's tag that names the deployment (the workflow's run-name shows the
// `message` input), so a restart finds a run it dispatched but did not record.
std::string DeploymentTag(const Deployment& d) { return "[" + d.id + "]"; }

bool Transient(const Status& s) {
  return s.code() == StatusCode::kUnavailable || s.code() == StatusCode::kResourceExhausted;
}

DeployOutcome Failed(std::string reason, bool transient = false) {
  DeployOutcome out;
  out.reason = std::move(reason);
  out.transient = transient;
  return out;
}

}  // namespace

GitHubRuns::GitHubRuns(DeploymentQueue& queue, store::ConfigStore& store, Clock& clock,
                       GitHubRunnerOptions options)
    : queue_(queue), store_(store), clock_(clock), options_(std::move(options)) {}

bool GitHubRuns::Handles(const model::Build& build) const {
  if (options_.api == nullptr) return false;
  if (options_.builds.empty()) return build.repo.installation_id != 0;
  return options_.builds.contains(build.id);
}

void GitHubRuns::Log(const Deployment& d, std::string line) {
  const auto now = std::chrono::system_clock::to_time_t(clock_.WallNow());
  char stamp[32];
  std::tm tm{};
  gmtime_r(&now, &tm);
  std::strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
  bool cached = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    cached = logs_.contains(d.id);
  }
  // A run followed again after a restart: its log so far is in the store (read outside the
  // lock; the store is never read while holding it).
  std::string stored_text;
  if (!cached) {
    Result<store::Entry> stored = store_.Get(LogKey(d.id));
    if (stored.ok()) stored_text = std::move(stored->value);
  }
  std::string text;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = logs_.try_emplace(d.id, std::move(stored_text)).first;
    it->second += std::string(stamp) + " " + line + "\n";
    text = it->second;
  }
  (void)store_.Put(LogKey(d.id), text, std::nullopt);
}

void GitHubRuns::Forget(const Deployment& d) {
  std::lock_guard<std::mutex> lock(mu_);
  logs_.erase(d.id);
}

Result<std::int64_t> GitHubRuns::Dispatch(Deployment& d, const DeployTarget& target,
                                          const github::RepoRef& repo, const std::string& workflow,
                                          const std::string& ref) {
  github::GitHubApi& api = *options_.api;
  const std::string tag = DeploymentTag(d);
  auto find = [&]() -> Result<std::optional<std::int64_t>> {
    github::RunFilter filter;
    filter.branch = ref;
    filter.event = "workflow_dispatch";
    ODMD_ASSIGN_OR_RETURN(std::vector<github::WorkflowRun> runs,
                          api.ListWorkflowRuns(repo, workflow, filter));
    for (const github::WorkflowRun& r : runs) {
      if (r.display_title.find(tag) != std::string::npos) return std::optional(r.id);
    }
    return std::optional<std::int64_t>();
  };
  if (d.attempt > 1) {
    // An earlier attempt may have dispatched before it could record the run.
    ODMD_ASSIGN_OR_RETURN(std::optional<std::int64_t> earlier, find());
    if (earlier) {
      Log(d, "found run " + std::to_string(*earlier) + " of an earlier attempt: following it");
      return *earlier;
    }
  }
  const std::string message = d.cause.detail + " " + tag;
  // Logged after the call: a store write before it would delay every dispatch.
  Result<std::optional<std::int64_t>> id =
      api.DispatchWorkflow(repo, workflow, ref, {{"message", message}});
  Log(d, "dispatching " + workflow + " on " + ref + " of " + target.build->repo.FullName() +
             (id.ok() ? "" : " (refused)"));
  if (!id.ok()) return id.status();
  if (*id) return **id;
  // GitHub Enterprise Server answers a dispatch without the run: find it by its title.
  for (int i = 0; i < 20; ++i) {
    ODMD_ASSIGN_OR_RETURN(std::optional<std::int64_t> found, find());
    if (found) return *found;
    std::unique_lock<std::mutex> lock(mu_);
    if (cv_.wait_for(lock, std::chrono::milliseconds(500), [&] { return stopping_; })) break;
  }
  return UnavailableError("the run of the dispatch of " + workflow + " on " + ref + " (" + tag +
                          ") did not appear in the workflow's runs");
}

GitHubRunOutcome GitHubRuns::Run(Deployment& d, const DeployTarget& target,
                                 const CancelFlag& cancel) {
  GitHubRunOutcome out = DispatchAndFollow(d, target, cancel);
  Forget(d);
  return out;
}

GitHubRunOutcome GitHubRuns::DispatchAndFollow(Deployment& d, const DeployTarget& target,
                                               const CancelFlag& cancel) {
  const model::Build& build = *target.build;
  const model::Enver& enver = *target.enver;
  GitHubRunOutcome out;
  if (build.repo.installation_id == 0) {
    out.outcome = Failed("build " + build.id + " runs on GitHub but its repo " +
                         build.repo.FullName() + " has no installationId in the contracts");
    return out;
  }
  const model::Account* account = target.org->FindAccount(enver.account);
  if (account == nullptr) {
    out.outcome = Failed("account " + Quote(enver.account) + " is not declared in the contracts");
    return out;
  }
  const github::RepoRef repo{build.repo.installation_id, build.repo.owner, build.repo.name};
  if (d.run_id == 0) {
    const std::string workflow =
        model::WorkflowFileName(build.id, build.kind, enver.region, account->name);
    const std::string ref = ShortRefName(target.git_ref);
    Result<std::int64_t> run = Dispatch(d, target, repo, workflow, ref);
    if (!run.ok()) {
      Log(d, "dispatch failed: " + run.status().message());
      out.outcome = Failed(run.status().message(), Transient(run.status()));
      return out;
    }
    std::string url;
    Result<github::WorkflowRun> got = options_.api->GetWorkflowRun(repo, *run);
    if (got.ok()) url = got->html_url;
    Status recorded = queue_.RecordRun(d.id, *run, url);
    if (!recorded.ok()) {
      out.outcome = Failed(
          "could not record GitHub Actions run " + std::to_string(*run) + ": " + recorded.message(),
          true);
      return out;
    }
    d.run_id = *run;
    d.run_url = url;
    Log(d, "run " + std::to_string(*run) + (url.empty() ? "" : ": " + url));
  }
  return Follow(d, repo, cancel);
}

GitHubRunOutcome GitHubRuns::Follow(Deployment& d, const github::RepoRef& repo,
                                    const CancelFlag& cancel) {
  GitHubRunOutcome out;
  const std::int64_t id = d.run_id;
  std::unique_lock<std::mutex> lock(mu_);
  watches_[id].deployment_id = d.id;
  bool poll = true;  // once at once: the run may have ended while nobody listened
  while (true) {
    if (poll) {
      lock.unlock();
      Result<github::WorkflowRun> run = options_.api->GetWorkflowRun(repo, id);
      lock.lock();
      Watch& w = watches_[id];
      if (run.ok()) {
        const std::string conclusion = run->conclusion.value_or("");
        if (run->status != w.status || conclusion != w.conclusion) {
          w.status = run->status;
          w.conclusion = conclusion;
          w.changed = true;
        }
        if (!run->html_url.empty()) w.html_url = run->html_url;
      } else if (IsNotFound(run.status())) {
        watches_.erase(id);
        lock.unlock();
        out.outcome = Failed("GitHub Actions run " + std::to_string(id) +
                             " is gone: " + run.status().message());
        Log(d, out.outcome.reason);
        return out;
      } else {
        const std::string problem = run.status().message();
        lock.unlock();
        Log(d, "could not read run " + std::to_string(id) + ": " + problem);
        lock.lock();
      }
    }
    Watch& w = watches_[id];
    std::vector<std::string> jobs = std::exchange(w.jobs, {});
    if (w.changed || !jobs.empty()) {
      w.changed = false;
      const Watch seen = w;
      lock.unlock();
      for (std::string& job : jobs) Log(d, std::move(job));
      if (!seen.status.empty()) {
        Log(d, "run " + std::to_string(id) + " " + seen.status +
                   (seen.conclusion.empty() ? "" : " (" + seen.conclusion + ")"));
      }
      lock.lock();
      if (seen.status == "completed") {
        watches_.erase(id);
        lock.unlock();
        out.outcome.succeeded = seen.conclusion == "success";
        out.outcome.exit_code = out.outcome.succeeded ? 0 : 1;
        if (!out.outcome.succeeded) {
          out.outcome.reason =
              "GitHub Actions run " + std::to_string(id) + " concluded " +
              (seen.conclusion.empty() ? "without a conclusion" : seen.conclusion) +
              (seen.html_url.empty() ? "" : " (" + seen.html_url + ")");
        }
        return out;
      }
      continue;
    }
    if (stopping_) {
      watches_.erase(id);
      out.in_flight = true;
      return out;
    }
    if (cancel.cancelled()) {
      watches_.erase(id);
      lock.unlock();
      out.outcome = Failed("cancelled; GitHub Actions run " + std::to_string(id) +
                           " is not stopped by odmd and may still finish");
      out.outcome.cancelled = true;
      Log(d, out.outcome.reason);
      return out;
    }
    poll = !cv_.wait_for(lock, options_.poll_interval, [&] {
      const Watch& now = watches_[id];
      return stopping_ || cancel.cancelled() || now.changed || !now.jobs.empty();
    });
  }
}

bool GitHubRuns::Deliver(const WorkflowRunEvent& event) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = watches_.find(event.run_id);
  if (it == watches_.end()) return false;
  Watch& w = it->second;
  if (!event.job_name.empty()) {
    w.jobs.push_back("job " + Quote(event.job_name) + " " + event.status +
                     (event.conclusion.empty() ? "" : " (" + event.conclusion + ")") +
                     (event.html_url.empty() ? "" : ": " + event.html_url));
  } else if (event.status != w.status || event.conclusion != w.conclusion) {
    w.status = event.status;
    w.conclusion = event.conclusion;
    if (!event.html_url.empty()) w.html_url = event.html_url;
    w.changed = true;
  }
  cv_.notify_all();
  return true;
}

void GitHubRuns::Wake() {
  std::lock_guard<std::mutex> lock(mu_);
  cv_.notify_all();
}

void GitHubRuns::Stop() {
  std::lock_guard<std::mutex> lock(mu_);
  stopping_ = true;
  cv_.notify_all();
}

}  // namespace odmd::reconcile
