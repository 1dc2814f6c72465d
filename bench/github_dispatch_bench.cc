// GitHub runner figures (issue 14): push intake -> workflow_dispatch sent, against the
// validating fake GitHub (tools/github-fake) and a real Platform (SQLite store, CliGit,
// its workers) whose build "svc" runs on GitHub Actions.
//
// The registered repository of svc is the fake's own bare git dir, so a `git push` there is
// what intake sees. Each of --pushes sequential pushes to svc's main branch is delivered
// as Platform::IngestPush (the PushEvent GitHub would send) and timed from that call to the
// moment the platform SENDS the dispatch (a Transport decorator timestamps the POST
// .../dispatches before forwarding it); the run is then completed (the fake's control API
// and a workflow_run delivery) before the next push, so each push meets an idle enver and
// the figure is the intake -> dispatch path, not the queue's wait behind a run in flight.
// The fake's own answer time to the dispatch (sent -> answered) is printed as context:
// GitHub's latency, excluded from the target (p99 < 50 ms). No assertion on times; exit 1
// only when a push did not lead to exactly one dispatch.
//
//   odmd_github_dispatch_bench [--pushes N] [--json] [--trace] [--dir=/tmp]
// --trace prints, per push, every call into the Git, store and GitHub seams (with its
// thread: the IngestPush caller or a worker) between IngestPush and the dispatch.
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "fake_github.h"
#include "github_dispatch_spans.h"
#include "nlohmann/json.hpp"
#include "odmd/access/secrets.h"
#include "odmd/github/api.h"
#include "odmd/github/client.h"
#include "odmd/github/transport.h"
#include "odmd/model/manifest.h"
#include "odmd/model/org.h"
#include "odmd/reconcile/git.h"
#include "odmd/reconcile/platform.h"
#include "odmd/reconcile/runner.h"
#include "odmd/store/open_config_store.h"
#include "test_keys.h"

namespace {

using ::odmd::bench::Spans;
using ::odmd::bench::Steady;
using ::odmd::bench::TimedTransport;
namespace fs = std::filesystem;
using namespace odmd;

constexpr std::int64_t kInstallation = 7;
constexpr auto kWait = std::chrono::seconds(30);

double Ms(Steady::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

double Percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  const size_t i = std::min(v.size() - 1, static_cast<size_t>(p * (v.size() - 1) + 0.5));
  return v[i];
}

// `s` as one word of a shell command line.
std::string Q(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// Runs `command`; its output without trailing newlines, or nullopt (printed) when it fails.
std::optional<std::string> Sh(const std::string& command) {
  std::string out;
  FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return std::nullopt;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), pipe)) > 0) out.append(buf.data(), n);
  if (::pclose(pipe) != 0) {
    std::fprintf(stderr, "github dispatch bench: %s failed:\n%s\n", command.c_str(), out.c_str());
    return std::nullopt;
  }
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

struct Args {
  int pushes = 100;
  bool json = false;
  bool trace = false;  // print every push's calls into the seams until the dispatch
  std::string dir = fs::temp_directory_path().string();
};

model::Enver MainEnver(const std::string& account) {
  model::Enver e;
  e.rev = model::RevRef::Branch("main");
  e.account = account;
  e.region = "us-east-1";
  return e;
}

// The contracts build (built locally) and svc, whose repo has an installationId.
model::Org BenchOrg() {
  model::Org org;
  org.name = "acme";
  org.version = "1.0.0";
  org.accounts = {{"central", "111111111111"}, {"workspace", "222222222222"}};
  model::Build contracts;
  contracts.id = "contracts";
  contracts.kind = model::BuildKind::kContracts;
  contracts.repo = {"acme", "contracts", 1};
  contracts.envers = {MainEnver("central")};
  model::Build svc;
  svc.id = "svc";
  svc.kind = model::BuildKind::kCmd;
  svc.repo = {"acme", "svc", 1};
  svc.repo.installation_id = kInstallation;
  svc.envers = {MainEnver("workspace")};
  org.builds = {contracts, svc};
  model::Canonicalize(org);
  return org;
}

// A local bare contracts repository holding the manifest and the build script that
// publishes it; its path, or "" after printing why not.
std::string NewContractsRepo(const fs::path& root, const model::Org& org) {
  const std::string bare = (root / "repos" / "contracts.git").string();
  const fs::path work = root / "work" / "contracts";
  fs::create_directories(work / ".scripts");
  std::ofstream(work / ".scripts" / "build.sh")
      << "#!/bin/sh\nset -eu\ncp manifest.json \"$ODMD_MANIFEST_FILE\"\n";
  fs::permissions(work / ".scripts" / "build.sh", fs::perms::owner_all, fs::perm_options::add);
  std::ofstream(work / "manifest.json") << model::WriteManifest(org);
  const std::string w = "git -C " + Q(work.string()) + " ";
  const bool ok = Sh("git -c init.defaultBranch=main init -q --bare " + Q(bare)) &&
                  Sh("git -c init.defaultBranch=main init -q " + Q(work.string())) &&
                  Sh(w + "add -A") && Sh(w + "commit -q -m contracts") &&
                  Sh(w + "push -q " + Q(bare) + " main");
  return ok ? bare : "";
}

void SetGitEnvironment(const fs::path& home) {
  ::setenv("GIT_CONFIG_NOSYSTEM", "1", 1);
  ::setenv("HOME", home.c_str(), 1);
  ::setenv("GIT_AUTHOR_NAME", "Dev", 1);
  ::setenv("GIT_AUTHOR_EMAIL", "dev@example.com", 1);
  ::setenv("GIT_COMMITTER_NAME", "Dev", 1);
  ::setenv("GIT_COMMITTER_EMAIL", "dev@example.com", 1);
}

// The delivery GitHub sends for a push of one commit onto main.
reconcile::PushEvent Delivery(const std::string& before, const std::string& after,
                              const std::string& message, int n) {
  reconcile::PushEvent push;
  push.repository = "acme/svc";
  push.ref = "refs/heads/main";
  push.before = before;
  push.after = after;
  push.commits.push_back({after, message, "2026-12-06T00:00:00Z"});
  push.head_commit = push.commits.back();
  push.delivery = "bench-" + std::to_string(::getpid()) + "-" + std::to_string(n);
  return push;
}

reconcile::WorkflowRunEvent Completed(std::int64_t run_id) {
  reconcile::WorkflowRunEvent e;
  e.repository = "acme/svc";
  e.installation_id = kInstallation;
  e.action = "completed";
  e.run_id = run_id;
  e.status = "completed";
  e.conclusion = "success";
  e.html_url = "https://github.example/acme/svc/actions/runs/" + std::to_string(run_id);
  return e;
}

struct Figures {
  std::vector<double> intake_to_sent;   // IngestPush called -> dispatch sent
  std::vector<double> ingest_returned;  // IngestPush called -> it returned
  std::vector<double> github_answer;    // dispatch sent -> the fake answered
  // Within IngestPush called -> dispatch sent, on every thread: the time inside calls to
  // git (CliGit: one process each), durable store writes (each a SQLite commit) and GitHub.
  std::vector<double> git_ms, store_write_ms, github_ms;
  std::vector<double> git_calls, store_writes, github_calls;
  int exactly_one = 0;                  // pushes that led to exactly one dispatch
  std::vector<std::string> violations;  // of the fake's OpenAPI validation
};

class Bench {
 public:
  Bench(const Args& args, fs::path root) : args_(args), root_(std::move(root)) {}

  // Everything up to the first (bootstrap) dispatch completed; "" or why not.
  std::string SetUp() {
    if (!fake_.ok()) return "fake GitHub: " + fake_.error();
    fake_.SetApp(42, github::testing::AppKey().public_pem);
    fake_.AddInstallation(kInstallation, "acme", {"svc"});
    github::AppSettings settings;
    settings.api_url = fake_.api_url();
    settings.app_id = "42";
    settings.private_key_pem = github::testing::AppKey().private_pem;
    auto client = github::GitHubClient::Create(settings, timed_, clock_, github::RealSleeper());
    if (!client.ok()) return client.status().ToString();
    client_ = std::move(client).value();
    api_ = std::make_unique<github::GitHubApi>(*client_);
    const std::string contracts = NewContractsRepo(root_, BenchOrg());
    if (contracts.empty()) return "could not make the contracts repository";
    auto store = store::OpenConfigStore({"sqlite:" + (root_ / "state.db").string()});
    if (!store.ok()) return store.status().ToString();
    store_ = std::move(store).value();
    if (std::string e = StartPlatform(contracts); !e.empty()) return e;
    // The bootstrap deployment of svc main is the first dispatch: complete it.
    if (std::string e = CompleteDispatch(0); !e.empty()) return "bootstrap: " + e;
    const std::string svc_git = fake_.GitDir("acme/svc");
    work_ = (root_ / "work" / "svc").string();
    if (!Sh("git clone -q " + Q(svc_git) + " " + Q(work_))) return "could not clone acme/svc";
    return "";
  }

  // --pushes sequential pushes, each timed and completed; "" or why the bench failed.
  std::string Run(Figures& f) {
    const std::string w = "git -C " + Q(work_) + " ";
    for (int i = 0; i < args_.pushes; ++i) {
      const std::string message = "push " + std::to_string(i);
      auto before = Sh(w + "rev-parse HEAD");
      if (!before || !Sh(w + "commit -q --allow-empty -m " + Q(message)) ||
          !Sh(w + "push -q origin main")) {
        return "git push " + std::to_string(i) + " failed";
      }
      auto after = Sh(w + "rev-parse HEAD");
      if (!after) return "rev-parse failed";
      const size_t n = timed_.Count();
      spans_.Clear();
      const Steady::time_point start = Steady::now();
      Result<reconcile::IntakeReport> r =
          platform_->IngestPush(Delivery(*before, *after, message, i));
      const Steady::time_point returned = Steady::now();
      if (!r.ok()) return "IngestPush " + std::to_string(i) + ": " + r.status().ToString();
      std::optional<TimedTransport::Dispatch> d = timed_.Await(n, kWait);
      if (!d) return "push " + std::to_string(i) + " led to no dispatch within 30 s";
      f.intake_to_sent.push_back(Ms(d->sent - start));
      f.ingest_returned.push_back(Ms(returned - start));
      f.github_answer.push_back(Ms(d->answered - d->sent));
      AddBreakdown(f, spans_.Within(start, d->sent));
      if (args_.trace) Trace(i, start, d->sent);
      if (std::string e = CompleteDispatch(n); !e.empty()) return e;
      f.exactly_one += timed_.Count() == n + 1;
    }
    return "";
  }

  // Stops the platform; the dispatches the fake recorded and its violations.
  size_t Finish(Figures& f) {
    if (platform_) platform_->Stop();
    platform_.reset();
    f.violations = fake_.Violations();
    return fake_.State()["dispatches"].size();
  }

 private:
  void Trace(int push, Steady::time_point start, Steady::time_point sent) {
    std::printf("push %d: dispatch sent at %.2f ms\n", push, Ms(sent - start));
    for (const Spans::Span& s : spans_.All()) {
      if (s.start < start || s.start > sent) continue;
      std::printf("  %7.2f ms %-6s %6.2f ms  %s\n", Ms(s.start - start),
                  s.thread == std::this_thread::get_id() ? "intake" : "worker", Ms(s.end - s.start),
                  s.what.c_str());
    }
  }

  static void AddBreakdown(Figures& f, const std::vector<Spans::Total>& t) {
    f.git_ms.push_back(t[Spans::kGit].ms);
    f.git_calls.push_back(t[Spans::kGit].calls);
    f.store_write_ms.push_back(t[Spans::kStoreWrite].ms);
    f.store_writes.push_back(t[Spans::kStoreWrite].calls);
    f.github_ms.push_back(t[Spans::kGitHub].ms);
    f.github_calls.push_back(t[Spans::kGitHub].calls);
  }

  std::string StartPlatform(const std::string& contracts) {
    std::array<unsigned char, 32> key{};
    key[0] = 7;
    box_ = std::make_unique<access::SecretBox>(access::SecretBox::FromKey(key));
    cli_git_ = reconcile::NewCliGit();
    git_ = std::make_unique<bench::TimedGit>(*cli_git_, spans_);
    timed_store_ = std::make_unique<bench::TimedStore>(*store_, spans_);
    runner_ = reconcile::NewProcessRunner(clock_, std::chrono::milliseconds(200));
    reconcile::PlatformOptions o;
    o.state_dir = (root_ / "state").string();
    o.api_url = "http://127.0.0.1:1";
    o.contracts_repo = "acme/contracts";
    o.start_workers = true;
    o.max_attempts = 1;
    // Only the workflow_run delivery ends a run: no poll in the figures.
    o.github = reconcile::GitHubRunnerOptions{api_.get(), {"svc"}, std::chrono::hours(1), nullptr};
    platform_ =
        std::make_unique<reconcile::Platform>(*timed_store_, *git_, *runner_, clock_, *box_, o);
    for (const reconcile::RepoRegistration& r :
         {reconcile::RepoRegistration{"acme/contracts", contracts},
          reconcile::RepoRegistration{"acme/svc", fake_.GitDir("acme/svc")}}) {
      if (Status s = platform_->RegisterRepo(r); !s.ok()) return s.ToString();
    }
    Status s = platform_->Start();
    return s.ok() ? "" : s.ToString();
  }

  // Waits (bounded) until svc main's latest deployment carries `run_id`: the platform
  // records the run after GitHub answered the dispatch.
  bool Recorded(std::int64_t run_id) {
    const Steady::time_point deadline = Steady::now() + kWait;
    while (Steady::now() < deadline) {
      Result<nlohmann::json> ds = platform_->ListDeployments("svc/b..main", 1);
      if (ds.ok() && !(*ds)["deployments"].empty() &&
          (*ds)["deployments"][0].value("run_id", std::int64_t{0}) == run_id) {
        return true;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    return false;
  }

  // Waits for dispatch `i`, completes its run at the fake, delivers the completion and
  // waits until the platform is idle.
  std::string CompleteDispatch(size_t i) {
    std::optional<TimedTransport::Dispatch> d = timed_.Await(i, kWait);
    if (!d) return "no dispatch " + std::to_string(i) + " within 30 s";
    if (d->run_id == 0) return "dispatch " + std::to_string(i) + " answered no run id";
    const std::string id = std::to_string(d->run_id);
    if (!Recorded(d->run_id)) return "run " + id + " not recorded with a deployment in 30 s";
    nlohmann::json done = fake_.Control("POST", "/__fake/repos/acme/svc/runs/" + id,
                                        {{"status", "completed"}, {"conclusion", "success"}});
    if (done.contains("error")) return "completing run " + id + ": " + done.dump();
    // The delivery may come before the follower watches the run (followed: false); its
    // first look at the run then finds the completion.
    Result<nlohmann::json> delivered = platform_->IngestWorkflowRun(Completed(d->run_id));
    if (!delivered.ok()) return "workflow_run " + id + ": " + delivered.status().ToString();
    if (!platform_->WaitIdle(kWait)) return "the platform was not idle 30 s after run " + id;
    Result<nlohmann::json> ds = platform_->ListDeployments("svc/b..main", 1);
    if (!ds.ok() || (*ds)["deployments"].empty()) return "no deployment of svc/b..main";
    const nlohmann::json& last = (*ds)["deployments"][0];
    if (last["state"] != "succeeded") return "run " + id + " ended " + last.dump();
    return "";
  }

  Args args_;
  fs::path root_;
  github::testing::FakeGitHub fake_;
  std::unique_ptr<github::Transport> curl_ = github::NewCurlTransport();
  Spans spans_;
  TimedTransport timed_{*curl_, spans_};
  SystemClock clock_;
  std::unique_ptr<github::GitHubClient> client_;
  std::unique_ptr<github::GitHubApi> api_;
  store::ConfigStorePtr store_;
  std::unique_ptr<store::ConfigStore> timed_store_;
  std::unique_ptr<access::SecretBox> box_;
  std::unique_ptr<reconcile::Git> cli_git_;
  std::unique_ptr<reconcile::Git> git_;
  std::unique_ptr<reconcile::Runner> runner_;
  std::unique_ptr<reconcile::Platform> platform_;
  std::string work_;
};

// p50/p90/p99/max of `v`, each named with `unit` ("_ms": milliseconds, "": counts).
nlohmann::json Summary(const std::vector<double>& v, const std::string& unit = "_ms") {
  if (v.empty()) return {{"count", 0}};
  return {{"count", v.size()},
          {"p50" + unit, Percentile(v, 0.5)},
          {"p90" + unit, Percentile(v, 0.9)},
          {"p99" + unit, Percentile(v, 0.99)},
          {"max" + unit, *std::max_element(v.begin(), v.end())}};
}

void PrintLine(const char* what, const std::vector<double>& v) {
  if (v.empty()) return;
  std::printf("  %-34s p50 %6.1f  p90 %6.1f  p99 %6.1f  max %6.1f ms  (n=%zu)\n", what,
              Percentile(v, 0.5), Percentile(v, 0.9), Percentile(v, 0.99),
              *std::max_element(v.begin(), v.end()), v.size());
}

void PrintBreakdown(const char* what, const std::vector<double>& ms,
                    const std::vector<double>& calls) {
  if (ms.empty()) return;
  std::printf("    %-34s p50 %6.1f  p99 %6.1f ms  (calls per push: p50 %.0f, max %.0f)\n", what,
              Percentile(ms, 0.5), Percentile(ms, 0.99), Percentile(calls, 0.5),
              *std::max_element(calls.begin(), calls.end()));
}

void Report(const Args& args, const Figures& f, size_t fake_dispatches, bool ok) {
  if (args.json) {
    nlohmann::json out = {{"pushes", args.pushes},
                          {"intake_to_dispatch_sent", Summary(f.intake_to_sent)},
                          {"ingest_push_returned", Summary(f.ingest_returned)},
                          {"github_dispatch_answer", Summary(f.github_answer)},
                          {"within_intake_to_sent",
                           {{"git_ms", Summary(f.git_ms)},
                            {"git_calls", Summary(f.git_calls, "")},
                            {"store_write_ms", Summary(f.store_write_ms)},
                            {"store_writes", Summary(f.store_writes, "")},
                            {"github_ms", Summary(f.github_ms)},
                            {"github_calls", Summary(f.github_calls, "")}}},
                          {"exactly_one_dispatch", f.exactly_one},
                          {"fake_dispatches", fake_dispatches},
                          {"fake_violations", f.violations.size()},
                          {"target_p99_ms", 50},
                          {"ok", ok}};
    std::printf("%s\n", out.dump().c_str());
    return;
  }
  std::printf(
      "github dispatch bench: %d sequential pushes to svc main -> workflow_dispatch "
      "(fake GitHub)\n",
      args.pushes);
  PrintLine("IngestPush -> dispatch sent", f.intake_to_sent);
  std::printf("  (target p99 < 50 ms, excluding GitHub's own latency)\n");
  PrintLine("IngestPush -> it returned", f.ingest_returned);
  std::printf("  within IngestPush -> dispatch sent (time inside calls, all threads):\n");
  PrintBreakdown("git (one process per call)", f.git_ms, f.git_calls);
  PrintBreakdown("durable store writes", f.store_write_ms, f.store_writes);
  PrintBreakdown("GitHub calls before the dispatch", f.github_ms, f.github_calls);
  const size_t slowest =
      static_cast<size_t>(std::max_element(f.intake_to_sent.begin(), f.intake_to_sent.end()) -
                          f.intake_to_sent.begin());
  if (slowest < f.git_ms.size()) {
    std::printf("    slowest push (%.1f ms): git %.1f ms, store writes %.1f ms, GitHub %.1f ms\n",
                f.intake_to_sent[slowest], f.git_ms[slowest], f.store_write_ms[slowest],
                f.github_ms[slowest]);
  }
  PrintLine("dispatch sent -> fake answered", f.github_answer);
  std::printf("  pushes with exactly one dispatch: %d of %d; dispatches at the fake: %zu\n",
              f.exactly_one, args.pushes, fake_dispatches);
  if (!f.violations.empty()) {
    std::printf("  fake GitHub OpenAPI violations: %zu (first: %s)\n", f.violations.size(),
                f.violations[0].c_str());
  }
  std::printf("github dispatch bench %s\n", ok ? "done" : "FAILED");
}

bool ParseArgs(int argc, char** argv, Args& args) {
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--pushes" && i + 1 < argc) {
      args.pushes = std::atoi(argv[++i]);
    } else if (a.rfind("--pushes=", 0) == 0) {
      args.pushes = std::atoi(a.c_str() + 9);
    } else if (a == "--json") {
      args.json = true;
    } else if (a == "--trace") {
      args.trace = true;
    } else if (a.rfind("--dir=", 0) == 0) {
      args.dir = a.substr(6);
    } else {
      std::fprintf(stderr, "github dispatch bench: unknown argument %s\n", a.c_str());
      return false;
    }
  }
  if (args.pushes < 1) std::fprintf(stderr, "github dispatch bench: --pushes must be >= 1\n");
  return args.pushes >= 1;
}

}  // namespace

int main(int argc, char** argv) {
  Args args;
  if (!ParseArgs(argc, argv, args)) {
    std::fprintf(stderr,
                 "usage: odmd_github_dispatch_bench [--pushes N] [--json] [--trace] [--dir=D]\n");
    return 2;
  }
  const fs::path root =
      fs::path(args.dir) / ("odmd-github-dispatch-bench-" + std::to_string(::getpid()));
  fs::create_directories(root / "state");
  SetGitEnvironment(root);
  Figures f;
  size_t fake_dispatches = 0;
  std::string error;
  {
    Bench bench(args, root);
    error = bench.SetUp();
    if (error.empty()) error = bench.Run(f);
    fake_dispatches = bench.Finish(f);
  }
  // The bootstrap deployment's dispatch comes on top of one per push.
  const bool ok = error.empty() && f.exactly_one == args.pushes &&
                  fake_dispatches == static_cast<size_t>(args.pushes) + 1;
  if (!error.empty()) std::fprintf(stderr, "github dispatch bench: %s\n", error.c_str());
  Report(args, f, fake_dispatches, ok);
  std::error_code ec;
  fs::remove_all(root, ec);
  return ok ? 0 : 1;
}
