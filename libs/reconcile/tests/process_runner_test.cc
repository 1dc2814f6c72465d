// ProcessRunner against real processes: /bin/sh scripts written to a temp dir. Nothing
// sleeps: time limits are driven either by a real short limit against a child that would
// run forever, or by a test clock that moves only once the child has said "started".

#include <errno.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "odmd/base/clock.h"
#include "odmd/reconcile/runner.h"
#include "odmd/testing/fake_clock.h"
#include "odmd/testing/status_matchers.h"

namespace odmd::reconcile {
namespace {

using ::odmd::testing::FakeClock;
using ::odmd::testing::IsOk;
using ::odmd::testing::StatusIs;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::UnorderedElementsAre;

class TempDir {
 public:
  TempDir() {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "odmd-runner-test-XXXXXX").string();
    EXPECT_NE(mkdtemp(pattern.data()), nullptr);
    path_ = std::filesystem::canonical(pattern).string();
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

  // Writes `text` to `name` in this directory; returns its path.
  std::string Write(const std::string& name, const std::string& text) const {
    std::string p = path_ + "/" + name;
    std::ofstream(p) << text;
    return p;
  }

 private:
  std::string path_;
};

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// True when `pid` has exited (or exits within a generous failure guard). A killed process
// closes its files (so the runner sees the end of its log) just before it finishes exiting,
// so this waits on a pidfd, which becomes readable when the process has exited.
bool HasExited(int pid) {
  int fd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  if (fd < 0) return errno == ESRCH;
  pollfd p = {fd, POLLIN, 0};
  int ready = ::poll(&p, 1, 30000);
  ::close(fd);
  return ready == 1;
}

// A steady clock that stands still until Arm(), then moves 10 ms on every reading: time
// limits and grace periods pass only after the child has started, whatever the load.
class SteppingClock final : public Clock {
 public:
  std::chrono::system_clock::time_point WallNow() const override { return {}; }
  std::chrono::steady_clock::time_point SteadyNow() const override {
    std::lock_guard<std::mutex> lock(mu_);
    if (armed_) now_ += std::chrono::milliseconds(10);
    return now_;
  }
  void Arm() {
    std::lock_guard<std::mutex> lock(mu_);
    armed_ = true;
  }

 private:
  mutable std::mutex mu_;
  bool armed_ = false;
  mutable std::chrono::steady_clock::time_point now_;
};

class ProcessRunnerTest : public ::testing::Test {
 protected:
  // A request running `script` (written to the temp dir) with /bin/sh in the temp dir,
  // its log collected in log_.
  RunRequest Script(const std::string& script) {
    RunRequest r;
    r.argv = {"/bin/sh", dir_.Write("script" + std::to_string(++scripts_) + ".sh", script)};
    r.working_dir = dir_.path();
    r.log_sink = [this](std::string_view chunk) { log_ += chunk; };
    return r;
  }

  TempDir dir_;
  SystemClock clock_;
  std::unique_ptr<Runner> runner_ = NewProcessRunner(clock_);
  std::string log_;
  int scripts_ = 0;
};

TEST_F(ProcessRunnerTest, ReportsExitCode) {
  Result<RunResult> r = runner_->Run(Script("exit 3\n"));
  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->exit_code, 3);
  EXPECT_EQ(r->term_signal, 0);
  EXPECT_FALSE(r->timed_out);
  EXPECT_FALSE(r->cancelled);
  EXPECT_FALSE(r->succeeded());

  r = runner_->Run(Script("exit 0\n"));
  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->exit_code, 0);
  EXPECT_TRUE(r->succeeded());
}

TEST_F(ProcessRunnerTest, ReportsTerminatingSignal) {
  Result<RunResult> r = runner_->Run(Script("kill -USR1 $$\n"));
  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->exit_code, -1);
  EXPECT_EQ(r->term_signal, SIGUSR1);
  EXPECT_FALSE(r->timed_out);
  EXPECT_FALSE(r->succeeded());
}

TEST_F(ProcessRunnerTest, EnvironmentIsExactlyWhatWasGivenPlusDefaultPath) {
  RunRequest r;
  r.argv = {"/usr/bin/env"};
  r.env = {{"A", "1"}, {"B", "two words"}};
  r.log_sink = [this](std::string_view chunk) { log_ += chunk; };
  ASSERT_THAT(runner_->Run(r), IsOk());
  std::vector<std::string> lines;
  std::istringstream in(log_);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  EXPECT_THAT(lines, UnorderedElementsAre("A=1", "B=two words",
                                          std::string("PATH=") + RunRequest::kDefaultPath));
}

TEST_F(ProcessRunnerTest, GivenPathIsKeptAndUsedToFindTheProgram) {
  RunRequest r;
  r.argv = {"env"};
  r.env = {{"PATH", "/nowhere:/usr/bin:/bin"}};
  r.log_sink = [this](std::string_view chunk) { log_ += chunk; };
  Result<RunResult> result = runner_->Run(r);
  ASSERT_THAT(result, IsOk());
  EXPECT_EQ(log_, "PATH=/nowhere:/usr/bin:/bin\n");
}

TEST_F(ProcessRunnerTest, RunsInTheWorkingDirectory) {
  std::filesystem::create_directory(dir_.path() + "/sub");
  RunRequest r = Script("pwd\nls\n");
  r.working_dir = dir_.path() + "/sub";
  std::ofstream(dir_.path() + "/sub/marker") << "x";
  ASSERT_THAT(runner_->Run(r), IsOk());
  EXPECT_EQ(log_, dir_.path() + "/sub\nmarker\n");
}

TEST_F(ProcessRunnerTest, LogHasBothStreamsInOrderAndGoesToTheLogFile) {
  RunRequest r = Script("echo out1\necho err1 >&2\necho out2\necho err2 >&2\n");
  r.log_path = dir_.path() + "/build.log";
  Result<RunResult> result = runner_->Run(r);
  ASSERT_THAT(result, IsOk());
  const std::string want = "out1\nerr1\nout2\nerr2\n";
  EXPECT_EQ(log_, want);
  EXPECT_EQ(ReadFile(r.log_path), want);
  EXPECT_EQ(result->log_bytes, want.size());
}

TEST_F(ProcessRunnerTest, StdinTextIsGivenToTheChild) {
  RunRequest r;
  r.argv = {"cat"};
  r.log_sink = [this](std::string_view chunk) { log_ += chunk; };
  r.stdin_text = "hello\nworld";
  ASSERT_THAT(runner_->Run(r), IsOk());
  EXPECT_EQ(log_, "hello\nworld");

  // More than a pipe holds, so it is written while the log is read.
  log_.clear();
  std::string big;
  for (int i = 0; i < 200000; ++i) big += "line " + std::to_string(i) + "\n";
  r.stdin_text = big;
  Result<RunResult> result = runner_->Run(r);
  ASSERT_THAT(result, IsOk());
  EXPECT_EQ(result->log_bytes, big.size());
  EXPECT_TRUE(log_ == big);
}

TEST_F(ProcessRunnerTest, WithoutStdinTextTheChildReadsEndOfFile) {
  ASSERT_THAT(runner_->Run(Script("if read x; then echo got; else echo eof; fi\n")), IsOk());
  EXPECT_EQ(log_, "eof\n");
}

TEST_F(ProcessRunnerTest, ChildGetsDefaultSignalDispositions) {
  // A signal this process ignores is not ignored by the child (an ignored disposition would
  // otherwise survive exec).
  struct sigaction ignore = {}, old = {};
  ignore.sa_handler = SIG_IGN;
  ASSERT_EQ(::sigaction(SIGUSR1, &ignore, &old), 0);
  Result<RunResult> r = runner_->Run(Script("kill -USR1 $$\necho survived\n"));
  ::sigaction(SIGUSR1, &old, nullptr);
  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->term_signal, SIGUSR1);
  EXPECT_EQ(log_, "");
}

TEST_F(ProcessRunnerTest, TimeLimitKillsAChildThatWouldRunForever) {
  RunRequest r = Script("exec sleep 1000\n");
  r.time_limit = std::chrono::milliseconds(200);
  Result<RunResult> result = runner_->Run(r);
  ASSERT_THAT(result, IsOk());
  EXPECT_TRUE(result->timed_out);
  EXPECT_FALSE(result->cancelled);
  EXPECT_EQ(result->term_signal, SIGTERM);
  EXPECT_FALSE(result->succeeded());
}

TEST_F(ProcessRunnerTest, TimeLimitKillsTheWholeProcessGroup) {
  SteppingClock clock;
  std::unique_ptr<Runner> runner = NewProcessRunner(clock);
  RunRequest r = Script("sleep 1000 &\necho $! > grandchild.pid\necho started\nsleep 1000\n");
  r.time_limit = std::chrono::milliseconds(200);
  r.log_sink = [&](std::string_view chunk) {
    log_ += chunk;
    if (log_.find("started") != std::string::npos) clock.Arm();
  };
  Result<RunResult> result = runner->Run(r);
  ASSERT_THAT(result, IsOk());
  EXPECT_TRUE(result->timed_out);
  EXPECT_EQ(result->term_signal, SIGTERM);
  int grandchild = std::stoi(ReadFile(dir_.path() + "/grandchild.pid"));
  EXPECT_TRUE(HasExited(grandchild)) << "grandchild " << grandchild << " still runs";
}

TEST_F(ProcessRunnerTest, ChildIgnoringSigtermIsKilledAfterTheGracePeriod) {
  SteppingClock clock;
  std::unique_ptr<Runner> runner = NewProcessRunner(clock, std::chrono::milliseconds(100));
  RunRequest r = Script("trap '' TERM\necho started\nexec sleep 1000\n");
  r.time_limit = std::chrono::milliseconds(200);
  r.log_sink = [&](std::string_view chunk) {
    log_ += chunk;
    if (log_.find("started") != std::string::npos) clock.Arm();
  };
  Result<RunResult> result = runner->Run(r);
  ASSERT_THAT(result, IsOk());
  EXPECT_TRUE(result->timed_out);
  EXPECT_EQ(result->term_signal, SIGKILL);
}

TEST_F(ProcessRunnerTest, BackgroundProcessesDieWhenTheScriptExits) {
  Result<RunResult> result =
      runner_->Run(Script("sleep 1000 &\necho $! > background.pid\nexit 0\n"));
  ASSERT_THAT(result, IsOk());
  EXPECT_EQ(result->exit_code, 0);
  int background = std::stoi(ReadFile(dir_.path() + "/background.pid"));
  EXPECT_TRUE(HasExited(background)) << "background " << background << " still runs";
}

TEST_F(ProcessRunnerTest, CancelStopsARunningProcessGroup) {
  CancelFlag cancel;
  RunRequest r = Script("sleep 1000 &\necho $! > grandchild.pid\necho started\nsleep 1000\n");
  r.cancel = &cancel;
  r.log_sink = [&](std::string_view chunk) {
    log_ += chunk;
    if (log_.find("started") != std::string::npos) cancel.Cancel();
  };
  Result<RunResult> result = runner_->Run(r);
  ASSERT_THAT(result, IsOk());
  EXPECT_TRUE(result->cancelled);
  EXPECT_FALSE(result->timed_out);
  EXPECT_EQ(result->term_signal, SIGTERM);
  EXPECT_FALSE(result->succeeded());
  int grandchild = std::stoi(ReadFile(dir_.path() + "/grandchild.pid"));
  EXPECT_TRUE(HasExited(grandchild)) << "grandchild " << grandchild << " still runs";
}

TEST_F(ProcessRunnerTest, CancelFromAnotherThread) {
  CancelFlag cancel;
  RunRequest r = Script("echo started\nexec sleep 1000\n");
  r.cancel = &cancel;
  std::mutex mu;
  std::condition_variable cv;
  bool started = false;
  r.log_sink = [&](std::string_view) {
    std::lock_guard<std::mutex> lock(mu);
    started = true;
    cv.notify_all();
  };
  std::thread canceller([&] {
    std::unique_lock<std::mutex> lock(mu);
    cv.wait_for(lock, std::chrono::seconds(60), [&] { return started; });
    cancel.Cancel();
  });
  Result<RunResult> result = runner_->Run(r);
  canceller.join();
  ASSERT_THAT(result, IsOk());
  EXPECT_TRUE(result->cancelled);
  EXPECT_EQ(result->term_signal, SIGTERM);
}

TEST_F(ProcessRunnerTest, AlreadyCancelledDoesNotStart) {
  CancelFlag cancel;
  cancel.Cancel();
  RunRequest r = Script("echo ran > ran.txt\n");
  r.cancel = &cancel;
  EXPECT_THAT(runner_->Run(r), StatusIs(StatusCode::kAborted, HasSubstr("cancelled")));
  EXPECT_FALSE(std::filesystem::exists(dir_.path() + "/ran.txt"));
}

TEST_F(ProcessRunnerTest, DurationComesFromTheClock) {
  FakeClock clock;
  std::unique_ptr<Runner> runner = NewProcessRunner(clock);
  RunRequest r = Script("echo hi\n");
  bool advanced = false;
  r.log_sink = [&](std::string_view) {
    if (!advanced) clock.Advance(std::chrono::seconds(5));
    advanced = true;
  };
  Result<RunResult> result = runner->Run(r);
  ASSERT_THAT(result, IsOk());
  EXPECT_EQ(result->duration, std::chrono::seconds(5));
}

TEST_F(ProcessRunnerTest, MissingProgramIsNotFoundNamingProgramAndDirectory) {
  RunRequest r;
  r.argv = {dir_.path() + "/no-such-build.sh"};
  r.working_dir = dir_.path();
  EXPECT_THAT(runner_->Run(r),
              StatusIs(StatusCode::kNotFound, AllOf(HasSubstr("no-such-build.sh"),
                                                    HasSubstr("in \"" + dir_.path() + "\""))));

  r.argv = {"odmd-no-such-program"};
  EXPECT_THAT(runner_->Run(r),
              StatusIs(StatusCode::kNotFound, AllOf(HasSubstr("\"odmd-no-such-program\""),
                                                    HasSubstr("not found in PATH"))));
}

TEST_F(ProcessRunnerTest, NonExecutableProgramIsPermissionDenied) {
  RunRequest r;
  std::string path = dir_.Write("build.sh", "echo hi\n");
  ::chmod(path.c_str(), 0644);
  r.argv = {path};
  r.working_dir = dir_.path();
  EXPECT_THAT(runner_->Run(r),
              StatusIs(StatusCode::kPermissionDenied, HasSubstr("\"" + path + "\"")));

  r.argv = {"build.sh"};
  r.env = {{"PATH", dir_.path()}};
  EXPECT_THAT(runner_->Run(r), StatusIs(StatusCode::kPermissionDenied,
                                        AllOf(HasSubstr(path), HasSubstr("not executable"))));
}

TEST_F(ProcessRunnerTest, MissingWorkingDirectoryIsNotFoundNamingIt) {
  RunRequest r = Script("echo hi\n");
  r.working_dir = dir_.path() + "/gone";
  EXPECT_THAT(runner_->Run(r), StatusIs(StatusCode::kNotFound,
                                        AllOf(HasSubstr("/bin/sh"), HasSubstr("working directory"),
                                              HasSubstr(dir_.path() + "/gone"))));
}

TEST_F(ProcessRunnerTest, EmptyArgvIsInvalid) {
  RunRequest r;
  EXPECT_THAT(runner_->Run(r), StatusIs(StatusCode::kInvalidArgument, HasSubstr("argv")));
}

TEST_F(ProcessRunnerTest, UnopenableLogFileIsAnErrorNamingIt) {
  RunRequest r = Script("echo hi > ran.txt\n");
  r.log_path = dir_.path() + "/missing-dir/build.log";
  EXPECT_THAT(runner_->Run(r), StatusIs(StatusCode::kNotFound, HasSubstr(r.log_path)));
  EXPECT_FALSE(std::filesystem::exists(dir_.path() + "/ran.txt"));
}

TEST_F(ProcessRunnerTest, EightConcurrentRuns) {
  constexpr int kRuns = 8;
  std::vector<RunRequest> requests;
  std::vector<std::string> logs(kRuns);
  for (int i = 0; i < kRuns; ++i) {
    RunRequest r = Script("i=" + std::to_string(i) +
                          "\nfor n in 1 2 3 4 5; do echo \"$i.$n\"; echo \"$i.$n\" >&2; done\n"
                          "exit $i\n");
    r.log_sink = [&logs, i](std::string_view chunk) { logs[i] += chunk; };
    requests.push_back(std::move(r));
  }
  std::vector<std::optional<Result<RunResult>>> results(kRuns);
  std::vector<std::thread> threads;
  for (int i = 0; i < kRuns; ++i) {
    threads.emplace_back([&, i] { results[i] = runner_->Run(requests[i]); });
  }
  for (std::thread& t : threads) t.join();
  for (int i = 0; i < kRuns; ++i) {
    ASSERT_TRUE(results[i].has_value());
    ASSERT_THAT(*results[i], IsOk());
    EXPECT_EQ((*results[i])->exit_code, i);
    std::string want;
    for (int n = 1; n <= 5; ++n) {
      std::string line = std::to_string(i) + "." + std::to_string(n) + "\n";
      want += line + line;
    }
    EXPECT_EQ(logs[i], want);
  }
}

}  // namespace
}  // namespace odmd::reconcile
