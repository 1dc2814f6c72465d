#pragma once

// odmd serve's GitHub App options (docs/github.md, "The GitHub runner"): with
// --github-runner, the builds chosen run on GitHub Actions through the app's client.

#include <memory>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "odmd/base/clock.h"
#include "odmd/base/status.h"
#include "odmd/github/api.h"
#include "odmd/github/app_settings.h"
#include "odmd/github/client.h"
#include "odmd/github/transport.h"
#include "odmd/reconcile/github_runner.h"

namespace odmd::cli {

struct ServeGitHubOpts {
  bool runner = false;
  github::AppFlags flags;
  std::vector<std::string> builds;
  int poll_seconds = 30;
};

void AddServeGitHubOptions(CLI::App& sub, ServeGitHubOpts& o);

// The app's client and what the platform gets of it. Owns everything it hands out.
class ServeGitHub {
 public:
  // nullptr without --github-runner. kInvalidArgument naming the flag (and the variable)
  // for missing or unreadable settings, before anything starts.
  static Result<std::unique_ptr<ServeGitHub>> Create(const ServeGitHubOpts& o, const Clock& clock);

  reconcile::GitHubRunnerOptions runner_options();
  // The webhook secret of the app settings ("" when none).
  const std::string& webhook_secret() const { return settings_.webhook_secret; }
  const github::AppSettings& settings() const { return settings_; }

 private:
  ServeGitHub() = default;
  github::AppSettings settings_;
  ServeGitHubOpts opts_;
  std::unique_ptr<github::Transport> transport_;
  std::unique_ptr<github::GitHubClient> client_;
  std::unique_ptr<github::GitHubApi> api_;
};

}  // namespace odmd::cli
