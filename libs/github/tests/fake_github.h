#pragma once

// The fake GitHub (tools/github-fake, a Node server) as a child process of the test: on
// 127.0.0.1, a port the kernel picks, read back from its "listening <port>" line. Every
// request it receives and every response it sends is validated against GitHub's OpenAPI
// description; violations() lists what GitHub would have refused or never sent. Fails
// (never skips) when node or the npm packages are missing.

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

namespace odmd::github::testing {

class FakeGitHub {
 public:
  // Starts the server (bounded wait); `prefix` is where the API lives ("/api/v3": GitHub
  // Enterprise Server's layout). On failure error() says why.
  explicit FakeGitHub(const std::string& prefix = "");
  ~FakeGitHub();
  FakeGitHub(const FakeGitHub&) = delete;
  FakeGitHub& operator=(const FakeGitHub&) = delete;

  bool ok() const { return error_.empty(); }
  const std::string& error() const { return error_; }
  // http://127.0.0.1:<port><prefix>: the client's api_url.
  const std::string& api_url() const { return api_url_; }

  // The control API (/__fake/...); the parsed answer, or {"error": why}.
  nlohmann::json Control(const std::string& method, const std::string& path,
                         const nlohmann::json& body = nlohmann::json::object());

  void SetApp(long long app_id, const std::string& public_key_pem);
  // `permissions` ({"contents": "write", ...}); null: contents, actions, secrets and
  // workflows write, metadata read.
  void AddInstallation(long long id, const std::string& account,
                       const std::vector<std::string>& repositories,
                       const nlohmann::json& permissions = nullptr);
  // Commits `files` (path -> text) onto `branch`; the new commit's sha.
  std::string CommitFiles(const std::string& repo, const std::string& branch,
                          const nlohmann::json& files);
  // The next `times` requests whose "METHOD path" matches `path_regex` get this answer.
  void Inject(const std::string& path_regex, int status, const nlohmann::json& headers,
              const nlohmann::json& body, int times = 1);
  nlohmann::json State();
  std::vector<std::string> Violations();
  // [{method, path, status}] of every API exchange, in order.
  nlohmann::json Log();

  // The bare git repository of `repo` ("owner/name"): a test may `git push` into it or
  // clone/fetch from it (the repository's clone URL). After a push, NotifyPush sends the
  // `push` webhook for it (`before`: the ref's old sha, empty for a new ref).
  std::string GitDir(const std::string& repo);
  bool NotifyPush(const std::string& repo, const std::string& ref, const std::string& before);

  // Webhooks (push, workflow_run, workflow_job) go to `url`, signed with `secret`
  // (X-Hub-Signature-256). Paused: every delivery is dropped (recorded with dropped=true).
  void SetWebhook(const std::string& url, const std::string& secret);
  void PauseWebhooks(bool paused);
  // [{id, event, action, repo, status, dropped}] in the order they were queued; status is
  // the receiver's HTTP status (null while in flight, 0 when it could not be reached).
  nlohmann::json Deliveries();

  // Runs dispatched from now on are executed (`config`: {env, aws, registry,
  // timeout_seconds}; see tools/github-fake/README.md). Secrets are opened with the
  // odmd_github_fake_unseal helper.
  void EnableRunner(const nlohmann::json& config = nlohmann::json::object());
  // A run from the state ({id, status, conclusion, job, ...}); null when there is none.
  nlohmann::json Run(const std::string& repo, long long run_id);
  // The simulated run's log: each step's name, output and conclusion.
  std::string RunLog(const std::string& repo, long long run_id);
  // A repository variable (vars.NAME in a workflow).
  void SetVariable(const std::string& repo, const std::string& name, const std::string& value);

  // Polls `done` every 20 ms until it is true or `timeout` passes; false on timeout.
  template <typename Pred>
  static bool WaitFor(Pred done, std::chrono::milliseconds timeout = std::chrono::seconds(30)) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!done()) {
      if (std::chrono::steady_clock::now() >= deadline) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return true;
  }

 private:
  int pid_ = -1;
  int stdin_fd_ = -1;
  std::string base_;  // http://127.0.0.1:<port>
  std::string api_url_;
  std::string error_;
};

}  // namespace odmd::github::testing
