#pragma once

// The GitHub runner (docs/github.md, "The GitHub runner"): a deployment of a build that
// runs on GitHub is a workflow_dispatch of the enver's generated workflow on the enver's
// ref, followed to its end by workflow_run deliveries (Deliver) and, when none comes, by a
// poll. The run's id is recorded with the deployment as soon as GitHub answers, so a
// restarted platform follows the run instead of dispatching it again.

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "odmd/base/clock.h"
#include "odmd/reconcile/deployer.h"
#include "odmd/reconcile/github_push.h"
#include "odmd/reconcile/github_runner.h"
#include "odmd/reconcile/queue.h"
#include "odmd/store/config_store.h"

namespace odmd::reconcile {

// How a run on GitHub ended for the platform.
struct GitHubRunOutcome {
  // The platform is stopping and the run goes on: the deployment stays running (its run is
  // followed at the next start). `outcome` is meaningless then.
  bool in_flight = false;
  DeployOutcome outcome;
};

class GitHubRuns {
 public:
  // Every reference must outlive this; options.api must be set.
  GitHubRuns(DeploymentQueue& queue, store::ConfigStore& store, Clock& clock,
             GitHubRunnerOptions options);

  // True when deployments of `build` run on GitHub.
  bool Handles(const model::Build& build) const;

  // Dispatches `d` (unless it already has a run: then it only follows it) and follows the
  // run to its end. `d.run_id`/`d.run_url` are set as recorded. Errors of GitHub become
  // failed outcomes naming the call, the repository and the workflow; 5xx, no answer and
  // rate limits are transient.
  GitHubRunOutcome Run(Deployment& d, const DeployTarget& target, const CancelFlag& cancel);

  // A workflow_run / workflow_job delivery. True when a deployment follows its run now.
  bool Deliver(const WorkflowRunEvent& event);

  // Wakes every follower to look at its cancel flag.
  void Wake();
  // Wakes every follower and makes it return in_flight. Idempotent.
  void Stop();

 private:
  struct Watch {
    std::string deployment_id;
    std::vector<std::string> jobs;  // workflow_job lines not logged yet
    std::string status;
    std::string conclusion;
    std::string html_url;
    bool changed = false;
  };
  Result<std::int64_t> Dispatch(Deployment& d, const DeployTarget& target,
                                const github::RepoRef& repo, const std::string& workflow,
                                const std::string& ref);
  GitHubRunOutcome DispatchAndFollow(Deployment& d, const DeployTarget& target,
                                     const CancelFlag& cancel);
  GitHubRunOutcome Follow(Deployment& d, const github::RepoRef& repo, const CancelFlag& cancel);
  // Appends a timestamped line to the deployment's log (kept in memory while it runs and
  // written whole to the store at every line).
  void Log(const Deployment& d, std::string line);
  // Drops the in-memory log of a deployment that ended (or left in flight).
  void Forget(const Deployment& d);

  DeploymentQueue& queue_;
  store::ConfigStore& store_;
  Clock& clock_;
  const GitHubRunnerOptions options_;

  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::map<std::int64_t, Watch> watches_;    // by run id: the runs followed now
  std::map<std::string, std::string> logs_;  // by deployment id: the log so far
};

}  // namespace odmd::reconcile
