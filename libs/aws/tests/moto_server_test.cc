// The tests' moto_server helper (testing/moto): it never outlives the test process, even one
// that ends without running destructors (an abort, an ASan report).
#include "odmd/testing/moto_server.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <string>
#include <thread>

namespace odmd::aws {
namespace {

// True while `pid` runs: its /proc entry exists and it is not a zombie.
bool Running(int pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string pid_field, comm, state;
  if (!(stat >> pid_field >> comm >> state)) return false;
  return state != "Z" && state != "X";
}

TEST(MotoServerTest, DiesWithTheProcessThatStartedIt) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::close(fds[0]);
    odmd::testing::MotoServer moto;
    const int pid = moto.ok() ? moto.pid() : -1;
    if (::write(fds[1], &pid, sizeof pid) != sizeof pid) ::_exit(2);
    ::_exit(0);  // no destructor runs, as when a test binary aborts
  }
  ::close(fds[1]);
  int moto_pid = -1;
  const ssize_t n = ::read(fds[0], &moto_pid, sizeof moto_pid);
  ::close(fds[0]);
  ::waitpid(child, nullptr, 0);
  ASSERT_EQ(n, static_cast<ssize_t>(sizeof moto_pid));
  ASSERT_GT(moto_pid, 0) << "moto_server did not start (is it installed? see docs/aws.md)";
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (Running(moto_pid) && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  const bool still_running = Running(moto_pid);
  if (still_running) ::kill(moto_pid, SIGKILL);
  EXPECT_FALSE(still_running) << "moto_server outlived the process that started it";
}

}  // namespace
}  // namespace odmd::aws
