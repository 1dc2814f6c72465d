#include "fake_github.h"

#include <curl/curl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>

#include "odmd/testing/testdata.h"

namespace odmd::github::testing {
namespace {

size_t Append(char* data, size_t size, size_t n, void* out) {
  static_cast<std::string*>(out)->append(data, size * n);
  return size * n;
}

// Reads a line from `fd` within `deadline`; false on timeout or end of file.
bool ReadLine(int fd, std::string& line, std::chrono::steady_clock::time_point deadline) {
  line.clear();
  while (std::chrono::steady_clock::now() < deadline) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 100) <= 0) continue;
    char c = 0;
    if (::read(fd, &c, 1) != 1) return false;
    if (c == '\n') return true;
    line += c;
  }
  return false;
}

}  // namespace

FakeGitHub::FakeGitHub(const std::string& prefix) {
  const std::string dir = odmd::testing::SourcePath("tools/github-fake");
  if (::access((dir + "/node_modules/@octokit/openapi").c_str(), R_OK) != 0) {
    error_ = dir +
             "/node_modules is missing: run scripts/install-deps.sh (npm ci --prefix "
             "tools/github-fake)";
    return;
  }
  int in[2], out[2];
  if (::pipe(in) != 0 || ::pipe(out) != 0) {
    error_ = "pipe failed";
    return;
  }
  const std::string script = dir + "/src/server.mjs";
  const pid_t parent = ::getpid();
  pid_ = ::fork();
  if (pid_ == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);  // dies with the test even when it aborts
    if (::getppid() != parent) ::_exit(127);
    ::dup2(in[0], 0);
    ::dup2(out[1], 1);
    ::close(in[1]);
    ::close(out[0]);
    if (prefix.empty()) {
      ::execlp("node", "node", script.c_str(), "--port", "0", "--unseal", ODMD_GITHUB_FAKE_UNSEAL,
               nullptr);
    } else {
      ::execlp("node", "node", script.c_str(), "--port", "0", "--prefix", prefix.c_str(),
               "--unseal", ODMD_GITHUB_FAKE_UNSEAL, nullptr);
    }
    ::_exit(127);
  }
  ::close(in[0]);
  ::close(out[1]);
  stdin_fd_ = in[1];
  std::string line;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  const bool got = ReadLine(out[0], line, deadline);
  ::close(out[0]);
  if (!got || !line.starts_with("listening ")) {
    error_ = "the fake GitHub (node " + script + ") did not start within 30 s (is node on PATH?)";
    return;
  }
  base_ = "http://127.0.0.1:" + line.substr(10);
  api_url_ = base_ + prefix;
}

FakeGitHub::~FakeGitHub() {
  if (stdin_fd_ >= 0) ::close(stdin_fd_);  // the server exits when its stdin ends
  if (pid_ > 0) {
    ::kill(pid_, SIGTERM);
    ::waitpid(pid_, nullptr, 0);
  }
}

nlohmann::json FakeGitHub::Control(const std::string& method, const std::string& path,
                                   const nlohmann::json& body) {
  CURL* c = curl_easy_init();
  std::string answer;
  const std::string url = base_ + path;
  const std::string text = body.dump();
  curl_slist* headers = curl_slist_append(nullptr, "Content-Type: application/json");
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method.c_str());
  if (method != "GET") curl_easy_setopt(c, CURLOPT_POSTFIELDS, text.c_str());
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, &Append);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &answer);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
  const CURLcode rc = curl_easy_perform(c);
  long status = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
  curl_easy_cleanup(c);
  curl_slist_free_all(headers);
  if (rc != CURLE_OK || status != 200) {
    return {{"error", method + " " + path + ": " + std::to_string(status) + " " + answer}};
  }
  return nlohmann::json::parse(answer, nullptr, false);
}

void FakeGitHub::SetApp(long long app_id, const std::string& public_key_pem) {
  Control("POST", "/__fake/app", {{"id", app_id}, {"public_key_pem", public_key_pem}});
}

void FakeGitHub::AddInstallation(long long id, const std::string& account,
                                 const std::vector<std::string>& repositories,
                                 const nlohmann::json& permissions) {
  nlohmann::json body{{"id", id}, {"account", account}, {"repositories", repositories}};
  if (!permissions.is_null()) body["permissions"] = permissions;
  Control("POST", "/__fake/installations", body);
}

std::string FakeGitHub::CommitFiles(const std::string& repo, const std::string& branch,
                                    const nlohmann::json& files) {
  const auto r =
      Control("POST", "/__fake/repos/" + repo + "/files", {{"branch", branch}, {"files", files}});
  return r.value("sha", "");
}

void FakeGitHub::Inject(const std::string& path_regex, int status, const nlohmann::json& headers,
                        const nlohmann::json& body, int times) {
  Control("POST", "/__fake/inject",
          {{"path", path_regex},
           {"status", status},
           {"headers", headers},
           {"body", body},
           {"times", times}});
}

nlohmann::json FakeGitHub::State() { return Control("GET", "/__fake/state"); }

nlohmann::json FakeGitHub::Log() {
  return Control("GET", "/__fake/log").value("log", nlohmann::json::array());
}

std::vector<std::string> FakeGitHub::Violations() {
  const auto r = Control("GET", "/__fake/violations");
  if (r.contains("error")) return {"cannot read the fake's violations: " + r["error"].dump()};
  return r.value("violations", std::vector<std::string>{});
}

std::string FakeGitHub::GitDir(const std::string& repo) {
  const auto state = State();
  if (!state.contains("repos") || !state["repos"].contains(repo)) return "";
  return state["repos"][repo].value("git_dir", "");
}

bool FakeGitHub::NotifyPush(const std::string& repo, const std::string& ref,
                            const std::string& before) {
  nlohmann::json body{{"ref", ref}};
  if (!before.empty()) body["before"] = before;
  return !Control("POST", "/__fake/repos/" + repo + "/push", body).contains("error");
}

void FakeGitHub::SetWebhook(const std::string& url, const std::string& secret) {
  Control("POST", "/__fake/webhooks", {{"url", url}, {"secret", secret}});
}

void FakeGitHub::PauseWebhooks(bool paused) {
  Control("POST", "/__fake/webhooks", {{"paused", paused}});
}

nlohmann::json FakeGitHub::Deliveries() {
  return Control("GET", "/__fake/deliveries").value("deliveries", nlohmann::json::array());
}

void FakeGitHub::EnableRunner(const nlohmann::json& config) {
  nlohmann::json body = config;
  body["enabled"] = true;
  Control("POST", "/__fake/runner", body);
}

nlohmann::json FakeGitHub::Run(const std::string& repo, long long run_id) {
  const auto state = State();
  if (!state.contains("repos") || !state["repos"].contains(repo)) return nullptr;
  for (const auto& run : state["repos"][repo]["runs"]) {
    if (run.value("id", 0LL) == run_id) return run;
  }
  return nullptr;
}

std::string FakeGitHub::RunLog(const std::string& repo, long long run_id) {
  const auto r =
      Control("GET", "/__fake/repos/" + repo + "/runs/" + std::to_string(run_id) + "/log");
  return r.contains("error") ? r["error"].dump() : r.value("log", "");
}

void FakeGitHub::SetVariable(const std::string& repo, const std::string& name,
                             const std::string& value) {
  Control("POST", "/__fake/repos/" + repo + "/variables", {{name, value}});
}

}  // namespace odmd::github::testing
