#include "odmd/testing/serve_replica.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <utility>

extern char** environ;

namespace odmd::testing {

ServeReplica::ServeReplica(ReplicaOptions options) : options_(std::move(options)) {
  std::error_code ec;
  std::filesystem::create_directories(options_.state_dir, ec);
  if (!options_.secret_key_from.empty()) {
    std::filesystem::copy_file(options_.secret_key_from, options_.state_dir / "secret.key",
                               std::filesystem::copy_options::overwrite_existing, ec);
    if (ec) ADD_FAILURE() << "cannot copy " << options_.secret_key_from << ": " << ec.message();
  }
  std::vector<std::string> args = {options_.binary,
                                   "serve",
                                   "--store",
                                   options_.store_url,
                                   "--state-dir",
                                   options_.state_dir.string(),
                                   "--listen",
                                   options_.listen,
                                   "--sandbox",
                                   "none",
                                   "--lease-duration-ms",
                                   std::to_string(options_.lease_duration_ms),
                                   "--lease-renew-ms",
                                   std::to_string(options_.lease_renew_ms)};
  if (!options_.replica_id.empty()) {
    args.push_back("--replica-id");
    args.push_back(options_.replica_id);
  }
  args.insert(args.end(), options_.extra_args.begin(), options_.extra_args.end());
  int out[2];
  if (::pipe2(out, O_CLOEXEC) != 0) {
    ADD_FAILURE() << "pipe failed";
    return;
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, out[1], 1);
  posix_spawn_file_actions_adddup2(&actions, out[1], 2);
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  if (posix_spawn(&pid_, options_.binary.c_str(), &actions, nullptr, argv.data(), environ) != 0) {
    ADD_FAILURE() << "cannot start " << options_.binary;
    pid_ = -1;
  }
  posix_spawn_file_actions_destroy(&actions);
  ::close(out[1]);
  std::thread(ReadLoop, out[0], out_).detach();
}

ServeReplica::~ServeReplica() {
  if (pid_ > 0 && !reaped_) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
}

void ServeReplica::ReadLoop(int fd, std::shared_ptr<Output> out) {
  char buf[4096];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    std::lock_guard<std::mutex> lock(out->mu);
    out->text.append(buf, static_cast<size_t>(n));
    out->cv.notify_all();
  }
  ::close(fd);
}

bool ServeReplica::WaitForOutput(std::string_view text, std::chrono::milliseconds limit) {
  std::unique_lock<std::mutex> lock(out_->mu);
  return out_->cv.wait_for(lock, limit, [&] { return out_->text.find(text) != std::string::npos; });
}

std::string ServeReplica::WaitListening(std::chrono::milliseconds limit) {
  const std::string marker = "listening on ";
  std::unique_lock<std::mutex> lock(out_->mu);
  const std::string& text = out_->text;
  const bool listening = out_->cv.wait_for(lock, limit, [&] {
    const size_t at = text.find(marker);
    return at != std::string::npos && text.find(" (state ", at) != std::string::npos;
  });
  if (!listening) {
    ADD_FAILURE() << "replica " << options_.replica_id << " never listened: " << text;
    return "";
  }
  const size_t start = text.find(marker) + marker.size();
  return text.substr(start, text.find(' ', start) - start);
}

bool ServeReplica::WaitLeads(std::chrono::milliseconds limit) {
  return WaitForOutput(" leads (epoch ", limit);
}

void ServeReplica::Signal(int sig) {
  if (pid_ > 0 && !reaped_) ::kill(pid_, sig);
}

int ServeReplica::Wait(std::chrono::milliseconds limit) {
  if (pid_ <= 0 || reaped_) return -1;
  const auto deadline = std::chrono::steady_clock::now() + limit;
  for (;;) {
    int status = 0;
    const pid_t got = ::waitpid(pid_, &status, WNOHANG);
    if (got == pid_) {
      reaped_ = true;
      return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    }
    if (got < 0 || std::chrono::steady_clock::now() >= deadline) return -1;
    // Nothing tells a parent that a child exited but SIGCHLD, which a test does not own.
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

std::string ServeReplica::output() const {
  std::lock_guard<std::mutex> lock(out_->mu);
  return out_->text;
}

}  // namespace odmd::testing
