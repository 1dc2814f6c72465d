// Build scripts run sandboxed (docs/platform.md, "Threat model"): a hostile build script,
// run by the real Deployer through the real ProcessRunner under the real bubblewrap, tries
// to read the state directory, another process's environment, another enver's worktree,
// products and account directory, to signal a process of the platform's user and to write
// outside its directories; every attempt fails while its own work succeeds. The same
// script without the sandbox (SandboxMode::kNone, what every run was before) reads them.

#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "odmd/reconcile/deployer.h"
#include "odmd/reconcile/runner.h"
#include "odmd/store/open_config_store.h"
#include "odmd/testing/fake_clock.h"
#include "odmd/testing/processes.h"
#include "odmd/testing/shell.h"
#include "odmd/testing/status_matchers.h"

namespace odmd::reconcile {
namespace {

namespace fs = std::filesystem;
using ::odmd::testing::FakeClock;
using ::odmd::testing::IsOk;
using ::odmd::testing::Q;
using ::odmd::testing::Sh;
using ::odmd::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kToken[] = "odmd_t_attacker_token";
constexpr char kSecret[] = "the-other-envers-secret";

std::string ReadAll(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void WriteFile(const fs::path& path, const std::string& content) {
  fs::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary) << content;
}

// One-request HTTP server on 127.0.0.1: answers 200 "ok" and keeps the request it read.
class TinyApi {
 public:
  TinyApi() {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    EXPECT_EQ(::listen(fd_, 4), 0);
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    url_ = "http://127.0.0.1:" + std::to_string(ntohs(addr.sin_port));
    thread_ = std::thread([this] { Serve(); });
  }
  ~TinyApi() {
    Stop();
    ::close(fd_);
  }
  const std::string& url() const { return url_; }
  // Stops serving; the request it read, if any.
  std::string Stop() {
    ::shutdown(fd_, SHUT_RDWR);
    if (thread_.joinable()) thread_.join();
    return request_;
  }

 private:
  void Serve() {
    pollfd p = {fd_, POLLIN, 0};
    if (::poll(&p, 1, 60000) != 1) return;
    const int c = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (c < 0) return;
    char buf[4096];
    while (request_.find("\r\n\r\n") == std::string::npos) {
      pollfd q = {c, POLLIN, 0};
      if (::poll(&q, 1, 10000) != 1) break;
      const ssize_t n = ::read(c, buf, sizeof buf);
      if (n <= 0) break;
      request_.append(buf, static_cast<size_t>(n));
    }
    const std::string answer = "HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok";
    [[maybe_unused]] ssize_t w = ::write(c, answer.data(), answer.size());
    ::close(c);
  }

  int fd_ = -1;
  std::string url_;
  std::string request_;
  std::thread thread_;
};

class SandboxTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::random_device rd;
    root_ = fs::temp_directory_path() / ("odmd-sandbox-test-" + std::to_string(rd()));
    fs::create_directories(root_);
    ::setenv("GIT_CONFIG_NOSYSTEM", "1", 1);
    ::setenv("GIT_AUTHOR_NAME", "Test", 1);
    ::setenv("GIT_AUTHOR_EMAIL", "t@example.com", 1);
    ::setenv("GIT_COMMITTER_NAME", "Test", 1);
    ::setenv("GIT_COMMITTER_EMAIL", "t@example.com", 1);
    state_ = root_ / "state";
    fs::create_directories(state_);
    fs::permissions(state_, fs::perms::owner_all, fs::perm_options::replace);
    // What `odmd serve` keeps in its state directory.
    for (const char* f : {"admin.token", "secret.key", "state.db"}) {
      WriteFile(state_ / f, std::string("platform-") + f + "-content");
      fs::permissions(state_ / f, fs::perms::owner_read | fs::perms::owner_write,
                      fs::perm_options::replace);
    }
    repo_ = (root_ / "repo").string();
    Sh("git -c init.defaultBranch=main init -q " + Q(repo_));
    auto store = store::OpenConfigStore({"sqlite:" + (root_ / "s.db").string()});
    ASSERT_THAT(store, IsOk());
    store_ = std::move(store).value();
    git_ = NewCliGit();

    org_.name = "t";
    org_.accounts = {{"ws1", "111111111111"}};
    for (const char* id : {"svc", "other"}) {
      model::Build b;
      b.id = id;
      b.kind = model::BuildKind::kCmd;
      model::Enver e;
      e.rev = model::RevRef::Branch("main");
      e.account = "ws1";
      e.region = "us-west-1";
      e.products = {{"url"}};
      e.build_script = std::string(".scripts/") + id + ".sh";
      b.envers = {e};
      org_.builds.push_back(b);
    }
  }

  void TearDown() override {
    if (leaked_fd_ >= 0) ::close(leaked_fd_);
    if (victim_ > 0) {
      ::kill(victim_, SIGKILL);
      ::waitpid(victim_, nullptr, 0);
    }
    std::error_code ec;
    fs::remove_all(root_, ec);
  }

  DeployTarget Target(const std::string& build) {
    DeployTarget t;
    t.org = &org_;
    t.build = org_.FindBuild(build);
    t.enver = &t.build->envers.front();
    t.repo_path = repo_;
    t.token = kToken;
    return t;
  }

  std::unique_ptr<Deployer> NewDeployer(Runner& runner, const std::string& api,
                                        DeployerOptions o = {}) {
    o.state_dir = state_.string();
    o.api_url = api;
    o.time_limit = std::chrono::seconds(60);
    return std::make_unique<Deployer>(*store_, *git_, runner, clock_, o);
  }

  // An open descriptor without close-on-exec, as a library might leave one.
  void LeakADescriptor() {
    leaked_fd_ = ::open((state_ / "secret.key").c_str(), O_RDONLY);
    ASSERT_GE(leaked_fd_, 0);
  }

  std::string Commit(const std::map<std::string, std::string>& files) {
    for (const auto& [path, content] : files) WriteFile(fs::path(repo_) / path, content);
    Sh("git -C " + Q(repo_) + " add -A && git -C " + Q(repo_) + " commit -q -m t");
    return Sh("git -C " + Q(repo_) + " rev-parse HEAD");
  }

  // A process of the platform's user with a secret in its environment ("the server").
  void StartVictim() {
    victim_ = ::fork();
    if (victim_ == 0) {
      char* const argv[] = {const_cast<char*>("sleep"), const_cast<char*>("1000"), nullptr};
      char* const envp[] = {const_cast<char*>("ODMD_SERVER_SECRET=the-servers-secret"), nullptr};
      ::execve("/bin/sleep", argv, envp);
      ::_exit(127);
    }
  }

  // The hostile build script: each attempt prints "LEAK <what>" when it worked.
  std::string HostileScript() const {
    const std::string s = state_.string();
    const std::string other_stack = s + "/enver-accounts/ws1/us-west-1/other--main/other--main";
    std::string script =
        "#!/bin/sh\n"
        "try() { what=$1; shift; if \"$@\" > /dev/null 2>&1; then echo \"LEAK $what\"; "
        "else echo \"DENIED $what\"; fi; }\n"
        // A write may land in the sandbox's own throwaway root: the test looks on the host.
        "trywrite() { if sh -c \"echo x > $1\" 2> /dev/null; then echo \"WROTE-INSIDE $1\"; "
        "else echo \"DENIED write $1\"; fi; }\n"
        "S=" +
        Q(s) + "\n" +
        "try admin.token cat \"$S/admin.token\"\n"
        "try admin.token-relative cat \"$ODMD_account_dir/../../../admin.token\"\n"
        "try secret.key cat \"$S/secret.key\"\n"
        "try state.db cat \"$S/state.db\"\n"
        "try logs ls \"$S/logs\"\n"
        // ls's own /proc/self/fd holds 0, 1, 2 and the directory it reads: more is inherited.
        "try inherited-fds test \"$(ls /proc/self/fd | wc -l)\" -gt 4\n"
        "try server-environ cat /proc/" +
        std::to_string(::getpid()) + "/environ\n" + "try victim-environ cat /proc/" +
        std::to_string(victim_) + "/environ\n" + "try signal-victim kill -TERM " +
        std::to_string(victim_) + "\n" + "try signal-server kill -0 " + std::to_string(::getpid()) +
        "\n" +
        "try other-worktree cat \"$S/work/d-other/secret.txt\"\n"
        "try other-products cat \"$S/work/d-other.products/url\"\n"
        "try other-account cat \"$ODMD_account_dir/other--main/resources.json\"\n"
        "try other-account-direct cat " +
        Q(other_stack + "/resources.json") + "\n" +
        "trywrite \"$S/pwned\"\n"
        "trywrite " +
        Q(other_stack + "/pwned") + "\n" +
        "trywrite \"$S/work/d-other/pwned\"\n"
        "trywrite " +
        Q((root_ / "pwned").string()) + "\n" +
        "trywrite \"$HOME/../pwned\"\n"
        // Its own work.
        "set -e\n"
        "mkdir -p \"$ODMD_account_dir/$ODMD_stack_names\"\n"
        "echo deployed > \"$ODMD_account_dir/$ODMD_stack_names/deployed\"\n"
        "echo built > \"$HOME/built.txt\"\n"
        "t=$(mktemp) && echo scratch > \"$t\" && cat \"$t\" && rm \"$t\"\n"
        "printf 'https://svc' > \"$ODMD_PRODUCTS_DIR/url\"\n"
        "curl -sf -H \"Authorization: Bearer $ODMD_TOKEN\" \"$ODMD_API/api/health\"\n"
        "echo; echo OWN-WORK-DONE\n";
    return script;
  }

  // Deploys "other" (it leaves its stack in the account directory), lays out a running
  // deployment of it (worktree and products), starts the victim, then deploys the hostile
  // svc with `runner`. Returns the svc outcome; `log` gets its log, `request` what the API saw.
  DeployOutcome Attack(Runner& runner, std::string& log, std::string& request) {
    const std::string sha =
        Commit({{".scripts/other.sh",
                 "#!/bin/sh\nset -e\nmkdir -p \"$ODMD_account_dir/$ODMD_stack_names\"\n"
                 "echo '" +
                     std::string(kSecret) +
                     "' > \"$ODMD_account_dir/$ODMD_stack_names/resources.json\"\n"
                     "printf '" +
                     kSecret + "' > \"$ODMD_PRODUCTS_DIR/url\"\n"},
                {".scripts/svc.sh", "#!/bin/sh\necho placeholder\n"}});
    {
      auto deployer = NewDeployer(runner, "http://127.0.0.1:9");
      Deployment d{};
      d.id = "d-other-1";
      d.enver_id = "other/b..main";
      d.sha = sha;
      Result<DeployOutcome> other = deployer->Deploy(d, Target("other"), nullptr);
      EXPECT_THAT(other, IsOk());
      EXPECT_TRUE(other.ok() && other->succeeded) << (other.ok() ? other->reason : "");
    }
    WriteFile(state_ / "work" / "d-other" / "secret.txt", kSecret);
    WriteFile(state_ / "work" / "d-other.products" / "url", kSecret);
    StartVictim();
    const std::string hostile = Commit({{".scripts/svc.sh", HostileScript()}});
    TinyApi api;
    auto deployer = NewDeployer(runner, api.url());
    Deployment d{};
    d.id = "d-svc-1";
    d.enver_id = "svc/b..main";
    d.sha = hostile;
    Result<DeployOutcome> out = deployer->Deploy(d, Target("svc"), nullptr);
    EXPECT_THAT(out, IsOk());
    request = api.Stop();
    Result<store::Entry> stored = store_->Get(LogKey("d-svc-1"));
    log = stored.ok() ? stored->value : "";
    return out.ok() ? *out : DeployOutcome{};
  }

  fs::path root_, state_;
  std::string repo_;
  FakeClock clock_;
  store::ConfigStorePtr store_;
  std::unique_ptr<Git> git_;
  model::Org org_;
  pid_t victim_ = -1;
  int leaked_fd_ = -1;
};

TEST_F(SandboxTest, HostileBuildScriptReachesNothingButItsOwnEnver) {
  SystemClock clock;
  std::unique_ptr<Runner> runner = NewProcessRunner(clock, std::chrono::milliseconds(200));
  LeakADescriptor();
  std::string log, request;
  DeployOutcome out = Attack(*runner, log, request);
  ASSERT_TRUE(out.succeeded) << out.reason << "\n" << log;

  // Every attempt failed.
  EXPECT_THAT(log, Not(HasSubstr("LEAK"))) << log;
  for (const char* what :
       {"admin.token", "admin.token-relative", "secret.key", "state.db", "logs", "inherited-fds",
        "server-environ", "victim-environ", "signal-victim", "signal-server", "other-worktree",
        "other-products", "other-account", "other-account-direct"}) {
    EXPECT_THAT(log, HasSubstr(std::string("DENIED ") + what + "\n")) << log;
  }
  EXPECT_THAT(log, Not(HasSubstr("platform-")));
  EXPECT_THAT(log, Not(HasSubstr(kSecret)));
  EXPECT_THAT(log, Not(HasSubstr("the-servers-secret")));
  // Nothing was written outside its directories; the victim still runs.
  for (const fs::path& p :
       {state_ / "pwned", state_ / "work" / "pwned", state_ / "work" / "d-other" / "pwned",
        state_ / "enver-accounts" / "ws1" / "us-west-1" / "other--main" / "other--main" / "pwned",
        root_ / "pwned"}) {
    EXPECT_FALSE(fs::exists(p)) << p;
  }
  EXPECT_EQ(::waitpid(victim_, nullptr, WNOHANG), 0) << "the victim process was signalled";
  EXPECT_EQ(ReadAll(state_ / "admin.token"), "platform-admin.token-content");

  // Its own work succeeded: stack dir, worktree, private /tmp, product, the API with its token.
  EXPECT_THAT(log, HasSubstr("scratch\nok\nOWN-WORK-DONE\n"));
  const fs::path stack = state_ / "accounts" / "ws1" / "us-west-1" / "svc--main";
  EXPECT_EQ(ReadAll(stack / "deployed"), "deployed\n");
  EXPECT_EQ(store_->Get("/odmd-share/svc/b..main/url")->value, "https://svc");
  EXPECT_THAT(request, HasSubstr("Authorization: Bearer " + std::string(kToken)));
  EXPECT_FALSE(fs::exists(stack.parent_path() / "other--main" / "pwned"));
  EXPECT_EQ(ReadAll(stack.parent_path() / "other--main" / "resources.json"),
            std::string(kSecret) + "\n");
  if (::geteuid() == 0) {
    // Run as root, the script ran as the enver's own unprivileged uid.
    struct stat st;
    ASSERT_EQ(::stat((stack / "deployed").c_str(), &st), 0);
    EXPECT_EQ(st.st_uid, SandboxUid("svc/b..main"));
    EXPECT_NE(SandboxUid("svc/b..main"), SandboxUid("other/b..main"));
  }
}

TEST_F(SandboxTest, WithoutTheSandboxTheSameScriptReadsThePlatformsSecrets) {
  // What every build script could do before (and still can with --sandbox=none).
  SystemClock clock;
  ProcessRunnerOptions o;
  o.grace = std::chrono::milliseconds(200);
  o.sandbox = SandboxMode::kNone;
  std::unique_ptr<Runner> runner = NewProcessRunner(clock, o);
  std::string log, request;
  DeployOutcome out = Attack(*runner, log, request);
  EXPECT_TRUE(out.succeeded) << out.reason;
  EXPECT_THAT(log, HasSubstr("LEAK admin.token\n"));
  EXPECT_THAT(log, HasSubstr("LEAK admin.token-relative\n"));
  EXPECT_THAT(log, HasSubstr("LEAK other-account\n"));
  EXPECT_THAT(log, HasSubstr("LEAK server-environ\n"));
  EXPECT_TRUE(fs::exists(state_ / "pwned"));
}

// `odmd serve --cdk-sdk DIR`: the shared install is read-only in the sandbox at its own path,
// ODMD_CDK_SDK names it, and an extra variable never overrides the platform's own.
TEST_F(SandboxTest, ToolDirsAreReadOnlyAndScriptEnvNeverOverridesThePlatformsVariables) {
  SystemClock clock;
  std::unique_ptr<Runner> runner = NewProcessRunner(clock, std::chrono::milliseconds(200));
  const fs::path tools = root_ / "tools";
  WriteFile(tools / "lib.txt", "shared-install");
  const std::string sha =
      Commit({{".scripts/svc.sh",
               "#!/bin/sh\n"
               "echo \"SDK=$ODMD_CDK_SDK ENVER=$ODMD_enver_id\"\n"
               "echo \"READ=$(cat \"$ODMD_CDK_SDK/lib.txt\")\"\n"
               "if sh -c \"echo x > $ODMD_CDK_SDK/lib.txt\" 2> /dev/null; then echo WROTE; fi\n"
               "printf u > \"$ODMD_PRODUCTS_DIR/url\"\n"}});
  DeployerOptions o;
  o.tool_dirs = {tools.string()};
  o.script_env = {{"ODMD_CDK_SDK", tools.string()}, {"ODMD_enver_id", "forged/b..x"}};
  auto deployer = NewDeployer(*runner, "http://127.0.0.1:9", o);
  Deployment d{};
  d.id = "d-svc-1";
  d.enver_id = "svc/b..main";
  d.sha = sha;
  Result<DeployOutcome> out = deployer->Deploy(d, Target("svc"), nullptr);
  ASSERT_THAT(out, IsOk());
  Result<store::Entry> log = store_->Get(LogKey("d-svc-1"));
  ASSERT_THAT(log, IsOk());
  EXPECT_TRUE(out->succeeded) << out->reason << log->value;
  EXPECT_THAT(log->value, HasSubstr("SDK=" + tools.string() + " ENVER=svc/b..main\n"));
  EXPECT_THAT(log->value, HasSubstr("READ=shared-install\n"));
  EXPECT_THAT(log->value, Not(HasSubstr("WROTE")));
  std::ifstream in(tools / "lib.txt");
  EXPECT_EQ(std::string(std::istreambuf_iterator<char>(in), {}), "shared-install");
}

TEST_F(SandboxTest, MissingBubblewrapFailsTheDeploymentNamingIt) {
  SystemClock clock;
  ProcessRunnerOptions o;
  o.bwrap = (root_ / "no-such-bwrap").string();
  std::unique_ptr<Runner> runner = NewProcessRunner(clock, o);
  const std::string sha = Commit({{".scripts/svc.sh", "#!/bin/sh\necho ran\n"}});
  auto deployer = NewDeployer(*runner, "http://127.0.0.1:9");
  Deployment d{};
  d.id = "d1";
  d.enver_id = "svc/b..main";
  d.sha = sha;
  Result<DeployOutcome> out = deployer->Deploy(d, Target("svc"), nullptr);
  ASSERT_THAT(out, IsOk());
  EXPECT_FALSE(out->succeeded);
  EXPECT_FALSE(out->transient) << "retrying does not install bubblewrap";
  EXPECT_THAT(out->reason, HasSubstr("bubblewrap"));
  EXPECT_THAT(out->reason, HasSubstr(o.bwrap));
  EXPECT_THAT(out->reason, HasSubstr("--sandbox=none"));
  EXPECT_THAT(CheckSandbox(o), StatusIs(StatusCode::kFailedPrecondition, HasSubstr("bubblewrap")));
  o.sandbox = SandboxMode::kNone;
  EXPECT_THAT(CheckSandbox(o), IsOk());
}

TEST(SandboxRunnerTest, BubblewrapIsInstalledAndConfines) {
  EXPECT_THAT(CheckSandbox(ProcessRunnerOptions{}), IsOk())
      << "install the Debian package bubblewrap (scripts/install-deps.sh)";
}

TEST(SandboxRunnerTest, StopGivesTheSandboxedScriptItsGracePeriod) {
  SystemClock clock;
  std::unique_ptr<Runner> runner = NewProcessRunner(clock, std::chrono::seconds(10));
  CancelFlag cancel;
  RunRequest req;
  req.argv = {"/bin/sh", "-c",
              "trap 'echo trapped; exit 3' TERM; echo started; while :; do sleep 0.05; done"};
  req.sandbox = SandboxSpec{};
  req.cancel = &cancel;
  std::string log;
  req.log_sink = [&](std::string_view chunk) {
    log += chunk;
    if (log.find("started") != std::string::npos) cancel.Cancel();
  };
  Result<RunResult> r = runner->Run(req);
  ASSERT_THAT(r, IsOk());
  EXPECT_TRUE(r->cancelled);
  EXPECT_THAT(log, HasSubstr("trapped")) << "SIGTERM reached the script inside the sandbox";
  EXPECT_EQ(r->exit_code, 3);
}

TEST(SandboxRunnerTest, KillingTheRecordedGroupEndsTheWholeSandbox) {
  // What KillLeftovers does after a crash: SIGKILL to the recorded process group.
  SystemClock clock;
  std::unique_ptr<Runner> runner = NewProcessRunner(clock, std::chrono::milliseconds(200));
  RunRequest req;
  req.argv = {"/bin/sh", "-c", "sleep 1000 & sleep 1000 & echo started; wait"};
  req.sandbox = SandboxSpec{};
  std::atomic<int> pgid{0};
  req.on_started = [&](int g) { pgid = g; };
  std::atomic<bool> started{false};
  req.log_sink = [&](std::string_view chunk) {
    if (chunk.find("started") != std::string_view::npos) started = true;
  };
  Result<RunResult> r = InternalError("not run");
  std::thread t([&] { r = runner->Run(req); });
  for (int i = 0; i < 2000 && !started; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ASSERT_TRUE(started);
  ASSERT_TRUE(testing::ProcessGroupRunning(pgid));
  ::kill(-pgid, SIGKILL);
  t.join();
  ASSERT_THAT(r, IsOk());
  for (int i = 0; i < 400 && testing::ProcessGroupRunning(pgid); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  EXPECT_FALSE(testing::ProcessGroupRunning(pgid)) << "a process of the sandbox survived";
}

// True if a live process runs `sleep <arg>`.
bool SleepRuns(const std::string& arg) {
  const std::string wanted = std::string("sleep") + '\0' + arg + '\0';
  for (const auto& entry : fs::directory_iterator("/proc")) {
    const std::string name = entry.path().filename().string();
    if (name.empty() || !std::isdigit(static_cast<unsigned char>(name[0]))) continue;
    if (testing::ReadProcFile(entry.path(), "cmdline") != wanted) continue;
    const std::string stat = testing::ReadProcFile(entry.path(), "stat");
    const auto close = stat.rfind(')');
    if (close != std::string::npos && close + 2 < stat.size() && stat[close + 2] != 'Z') {
      return true;
    }
  }
  return false;
}

TEST(SandboxRunnerTest, AProcessThatLeftTheGroupDiesWithTheRun) {
  // setsid takes it out of the run's process group; the end of the sandbox's pid namespace
  // still ends it.
  SystemClock clock;
  std::unique_ptr<Runner> runner = NewProcessRunner(clock, std::chrono::milliseconds(200));
  std::random_device rd;
  const std::string arg = std::to_string(100000 + rd() % 800000);
  RunRequest req;
  req.argv = {"/bin/sh", "-c",
              "setsid sleep " + arg +
                  " > /dev/null 2>&1 < /dev/null & "
                  "while ! ps -eo args | grep -q '^sleep " +
                  arg + "'; do :; done"};
  req.sandbox = SandboxSpec{};
  req.time_limit = std::chrono::seconds(30);  // bounds the wait for the detached process
  Result<RunResult> r = runner->Run(req);
  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->exit_code, 0);
  EXPECT_FALSE(r->timed_out);
  for (int i = 0; i < 400 && SleepRuns(arg); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  EXPECT_FALSE(SleepRuns(arg)) << "the detached process outlived the sandbox";
}

}  // namespace
}  // namespace odmd::reconcile
