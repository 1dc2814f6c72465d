#pragma once

// Shared by the store-backed command tests (store, secret, token, contracts): a temporary
// directory holding a SQLite store, odmd::cli::Main run in process with a FakeClock, a
// thread-safe output stream for commands that run on another thread (watch), and the real
// odmd binary as a child process.

#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>
#include <streambuf>
#include <string>
#include <thread>
#include <vector>

#include "odmd/cli/main.h"
#include "odmd/store/open_config_store.h"
#include "odmd/testing/fake_clock.h"
#include "odmd/testing/testdata.h"

extern char** environ;

namespace odmd::cli {

// Generous: only reached when something is broken.
inline constexpr std::chrono::seconds kWaitLimit{60};

// A stream buffer that other threads may read while a command writes to it.
class SyncBuf : public std::streambuf {
 public:
  std::string str() const {
    std::lock_guard lock(mu_);
    return data_;
  }
  // Waits until `done(text so far)` holds; false after kWaitLimit.
  bool WaitFor(const std::function<bool(const std::string&)>& done) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, kWaitLimit, [&] { return done(data_); });
  }
  bool WaitForText(const std::string& needle) {
    return WaitFor([&](const std::string& s) { return s.find(needle) != std::string::npos; });
  }

 protected:
  int_type overflow(int_type ch) override {
    if (ch != traits_type::eof()) {
      const char c = traits_type::to_char_type(ch);
      xsputn(&c, 1);
    }
    return ch;
  }
  std::streamsize xsputn(const char* s, std::streamsize n) override {
    std::lock_guard lock(mu_);
    data_.append(s, static_cast<std::size_t>(n));
    cv_.notify_all();
    return n;
  }

 private:
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::string data_;
};

inline int CountLines(const std::string& s) {
  return static_cast<int>(std::count(s.begin(), s.end(), '\n'));
}

inline std::vector<std::string> Lines(const std::string& s) {
  std::vector<std::string> lines;
  std::istringstream in(s);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// A finished child process.
struct ChildResult {
  int exit_code = -1;  // -1 when it did not exit normally
  std::string out, err;
};

// The real odmd binary as a child process with piped stdin, stdout and stderr.
class Child {
 public:
  explicit Child(std::vector<std::string> args) {
    args.insert(args.begin(), ODMD_BINARY);
    int in[2], out[2], err[2];
    if (::pipe(in) != 0 || ::pipe(out) != 0 || ::pipe(err) != 0) {
      ADD_FAILURE() << "pipe failed";
      return;
    }
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, in[0], 0);
    posix_spawn_file_actions_adddup2(&actions, out[1], 1);
    posix_spawn_file_actions_adddup2(&actions, err[1], 2);
    for (int fd : {in[0], in[1], out[0], out[1], err[0], err[1]}) {
      posix_spawn_file_actions_addclose(&actions, fd);
    }
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    if (posix_spawn(&pid_, ODMD_BINARY, &actions, nullptr, argv.data(), environ) != 0) {
      ADD_FAILURE() << "cannot start " << ODMD_BINARY;
      pid_ = -1;
    }
    posix_spawn_file_actions_destroy(&actions);
    ::close(in[0]);
    ::close(out[1]);
    ::close(err[1]);
    in_ = in[1];
    out_fd_ = out[0];
    err_fd_ = err[0];
  }
  ~Child() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    for (int fd : {in_, out_fd_, err_fd_}) {
      if (fd >= 0) ::close(fd);
    }
  }
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

  pid_t pid() const { return pid_; }

  void WriteStdin(std::string_view data) {
    while (!data.empty()) {
      const ssize_t n = ::write(in_, data.data(), data.size());
      if (n <= 0) break;
      data.remove_prefix(static_cast<std::size_t>(n));
    }
  }
  void CloseStdin() {
    ::close(in_);
    in_ = -1;
  }

  // Reads stdout and stderr until `done(out, err)` holds or both reach end of file; false
  // if kWaitLimit passes first.
  bool ReadUntil(const std::function<bool(const std::string&, const std::string&)>& done) {
    const auto deadline = std::chrono::steady_clock::now() + kWaitLimit;
    while (!done(out_, err_)) {
      if (out_fd_ < 0 && err_fd_ < 0) return false;
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return false;
      pollfd fds[2] = {{out_fd_, POLLIN, 0}, {err_fd_, POLLIN, 0}};
      if (::poll(fds, 2, static_cast<int>(left.count())) < 0) return false;
      Drain(fds[0], out_fd_, out_);
      Drain(fds[1], err_fd_, err_);
    }
    return true;
  }

  // Closes stdin, reads everything and waits for the exit. A child that has not closed
  // its output within kWaitLimit is killed (exit_code -1).
  ChildResult Finish() {
    if (in_ >= 0) CloseStdin();
    ReadUntil(
        [this](const std::string&, const std::string&) { return out_fd_ < 0 && err_fd_ < 0; });
    if (pid_ > 0 && (out_fd_ >= 0 || err_fd_ >= 0)) ::kill(pid_, SIGKILL);
    ChildResult result;
    int status = 0;
    if (pid_ > 0 && ::waitpid(pid_, &status, 0) == pid_ && WIFEXITED(status)) {
      result.exit_code = WEXITSTATUS(status);
    }
    pid_ = -1;
    result.out = out_;
    result.err = err_;
    return result;
  }

  const std::string& out() const { return out_; }
  const std::string& err() const { return err_; }

 private:
  static void Drain(const pollfd& p, int& fd, std::string& into) {
    if (fd < 0 || (p.revents & (POLLIN | POLLHUP | POLLERR)) == 0) return;
    char buf[4096];
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n > 0) {
      into.append(buf, static_cast<std::size_t>(n));
    } else {
      ::close(fd);
      fd = -1;
    }
  }

  pid_t pid_ = -1;
  int in_ = -1, out_fd_ = -1, err_fd_ = -1;
  std::string out_, err_;
};

class StoreCliFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    // The developer's own settings must not leak into the tests (or their children).
    for (const char* var : {"ODMD_STORE", "ODMD_TOKEN", "ODMD_SECRET_KEY"}) ::unsetenv(var);
    dir_ = std::filesystem::temp_directory_path() /
           ("odmd_store_cli_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    url_ = "sqlite:" + (dir_ / "state.db").string();
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string Write(const std::string& name, const std::string& bytes) {
    std::string path = (dir_ / name).string();
    std::ofstream(path, std::ios::binary) << bytes;
    return path;
  }

  static std::vector<char*> Argv(std::vector<std::string>& args) {
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    return argv;
  }

  // Runs odmd with `args` exactly; returns the exit code and fills out_/err_.
  int RunRaw(std::vector<std::string> args) {
    args.insert(args.begin(), "odmd");
    std::vector<char*> argv = Argv(args);
    std::ostringstream out, err;
    const int code = Main(static_cast<int>(argv.size()), argv.data(), out, err, clock_);
    out_ = out.str();
    err_ = err.str();
    return code;
  }

  // Runs odmd with `args` plus "--store <the test's store>".
  int Run(std::vector<std::string> args) {
    args.push_back("--store");
    args.push_back(url_);
    return RunRaw(std::move(args));
  }

  // Starts odmd `args` --store <the test's store> on a thread writing to out/err.
  std::thread RunAsync(std::vector<std::string> args, SyncBuf& out, SyncBuf& err, int& code) {
    args.insert(args.begin(), "odmd");
    args.push_back("--store");
    args.push_back(url_);
    return std::thread([this, args, &out, &err, &code]() mutable {
      std::vector<char*> argv = Argv(args);
      std::ostream out_stream(&out), err_stream(&err);
      code = Main(static_cast<int>(argv.size()), argv.data(), out_stream, err_stream, clock_);
    });
  }

  nlohmann::json Json() const { return nlohmann::json::parse(out_); }
  // The error code of a --json failure.
  std::string JsonErrorCode() const { return Json()["error"]["code"]; }

  // A separate store object on the test's store file.
  store::ConfigStorePtr OpenStore() {
    store::StoreOptions options;
    options.url = url_;
    Result<store::ConfigStorePtr> s = store::OpenConfigStore(options);
    EXPECT_TRUE(s.ok()) << s.status();
    return s.ok() ? std::move(s).value() : nullptr;
  }

  store::Revision Latest() {
    store::ConfigStorePtr s = OpenStore();
    if (!s) return -1;
    Result<store::Revision> r = s->LatestRevision();
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *r : -1;
  }

  static std::string SampleManifest() {
    return testing::SourcePath("examples/sandbox/manifest.golden.json");
  }

  // Publishes the sample org's manifest as admin.
  void PublishSample() { ASSERT_EQ(Run({"contracts", "publish", SampleManifest()}), 0) << err_; }

  // Issues a token as admin; "" (and a test failure) if that fails.
  std::string Issue(const std::string& principal) {
    if (Run({"token", "issue", principal}) != 0) {
      ADD_FAILURE() << "token issue " << principal << ": " << err_;
      return "";
    }
    std::string token = out_;
    if (!token.empty() && token.back() == '\n') token.pop_back();
    return token;
  }

  testing::FakeClock clock_;
  std::filesystem::path dir_;
  std::string url_;
  std::string out_, err_;
};

}  // namespace odmd::cli
