// odmd serve's GitHub App options (serve_github.h).
#include "serve_github.h"

#include <utility>

namespace odmd::cli {

void AddServeGitHubOptions(CLI::App& sub, ServeGitHubOpts& o) {
  sub.add_flag("--github-runner", o.runner,
               "Deploy builds by workflow_dispatch of their generated GitHub Actions workflow "
               "(docs/github.md); needs the GitHub App settings below");
  sub.add_option("--github-builds", o.builds,
                 "The builds that run on GitHub (comma-separated; default: every build whose "
                 "repo has an installationId)")
      ->delimiter(',');
  sub.add_option("--github-poll-interval", o.poll_seconds,
                 "Seconds a run in flight waits for a workflow_run webhook before asking GitHub")
      ->capture_default_str()
      ->check(CLI::Range(1, 3600));
  sub.add_option("--github-api-url", o.flags.api_url,
                 "GitHub's REST API (env ODMD_GITHUB_API_URL; default https://api.github.com; "
                 "Enterprise Server: https://HOST/api/v3)");
  sub.add_option("--github-app-id", o.flags.app_id, "The GitHub App's id (env ODMD_GITHUB_APP_ID)");
  sub.add_option("--github-app-key-file", o.flags.private_key_file,
                 "The GitHub App's private key, PEM (env ODMD_GITHUB_APP_KEY_FILE)");
  sub.add_option("--github-webhook-secret-file", o.flags.webhook_secret_file,
                 "The GitHub App's webhook secret (env ODMD_GITHUB_WEBHOOK_SECRET_FILE or "
                 "ODMD_GITHUB_WEBHOOK_SECRET); used when --webhook-secret-file is not given");
}

Result<std::unique_ptr<ServeGitHub>> ServeGitHub::Create(const ServeGitHubOpts& o,
                                                         const Clock& clock) {
  if (!o.runner) return std::unique_ptr<ServeGitHub>();
  std::unique_ptr<ServeGitHub> out(new ServeGitHub());
  Result<github::AppSettings> settings = github::LoadAppSettings(o.flags, github::ProcessEnv());
  if (!settings.ok()) return settings.status().WithContext("--github-runner");
  out->settings_ = std::move(settings).value();
  out->opts_ = o;
  out->transport_ = github::NewCurlTransport();
  Result<std::unique_ptr<github::GitHubClient>> client =
      github::GitHubClient::Create(out->settings_, *out->transport_, clock, github::RealSleeper());
  if (!client.ok()) return client.status().WithContext("--github-app-key-file");
  out->client_ = std::move(client).value();
  out->api_ = std::make_unique<github::GitHubApi>(*out->client_);
  return out;
}

reconcile::GitHubRunnerOptions ServeGitHub::runner_options() {
  reconcile::GitHubRunnerOptions r;
  r.api = api_.get();
  r.builds = {opts_.builds.begin(), opts_.builds.end()};
  r.poll_interval = std::chrono::seconds(opts_.poll_seconds);
  github::GitHubClient* client = client_.get();
  r.installation_token = [client](std::int64_t installation) {
    return client->InstallationToken(installation);
  };
  return r;
}

}  // namespace odmd::cli
