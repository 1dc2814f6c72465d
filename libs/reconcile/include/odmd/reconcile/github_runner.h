#pragma once

// GitHub Actions as the runner (docs/github.md, "The GitHub runner"): the settings of
// `odmd serve` that make chosen builds deploy by workflow_dispatch of their generated
// workflow instead of running their build script locally.

#include <chrono>
#include <set>
#include <string>

#include "odmd/github/api.h"

namespace odmd::reconcile {

struct GitHubRunnerOptions {
  // The app's API client. Not owned; must outlive the platform. Null: no build runs on
  // GitHub.
  github::GitHubApi* api = nullptr;
  // The builds that run on GitHub; empty: every build whose repo has an installationId in
  // the contracts.
  std::set<std::string> builds;
  // How long a run in flight waits for a workflow_run delivery before it asks GitHub
  // (a conditional GET: a 304 does not count against the rate limit).
  std::chrono::milliseconds poll_interval{std::chrono::seconds(30)};
};

}  // namespace odmd::reconcile
