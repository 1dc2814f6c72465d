#pragma once

// GitHub Actions as the runner (docs/github.md, "The GitHub runner"): the settings of
// `odmd serve` that make chosen builds deploy by workflow_dispatch of their generated
// workflow instead of running their build script locally.

#include <chrono>
#include <cstdint>
#include <functional>
#include <set>
#include <string>

#include "odmd/base/status.h"
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
  // An access token of an installation, for fetching an https mirror of its repositories
  // (RepoRegistration::remote); unset: fetches carry no credentials.
  std::function<Result<std::string>(std::int64_t installation_id)> installation_token;
};

}  // namespace odmd::reconcile
