// workflow_run / workflow_job deliveries: they move the deployments the GitHub runner
// follows (github_runs.h).
#include "github_runs.h"
#include "impl.h"
#include "odmd/base/strings.h"

namespace odmd::reconcile {

Result<nlohmann::json> Platform::Impl::IngestWorkflowRun(const WorkflowRunEvent& run) {
  WorldPtr w = world();
  const model::Build* build = nullptr;
  for (const model::Build& b : w->org().builds) {
    if (b.repo.FullName() == run.repository) build = &b;
  }
  if (build == nullptr) {
    // The app may be installed on repositories the contracts do not build: not an error.
    return nlohmann::json{
        {"run_id", run.run_id},
        {"followed", false},
        {"reason", "repository " + Quote(run.repository) + " hosts no build of the contracts"}};
  }
  if (run.installation_id != 0 && run.installation_id != build->repo.installation_id) {
    return NotFoundError("workflow run " + std::to_string(run.run_id) + " of " + run.repository +
                         ": installation " + std::to_string(run.installation_id) +
                         " is not the installationId the contracts give " + run.repository + " (" +
                         std::to_string(build->repo.installation_id) + ")");
  }
  const bool followed = github_runs_ != nullptr && github_runs_->Deliver(run);
  return nlohmann::json{{"run_id", run.run_id}, {"followed", followed}};
}

}  // namespace odmd::reconcile
