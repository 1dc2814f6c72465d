#pragma once

// Load for a benchmark (issue 17, target 5: "measured while another process keeps one core
// busy"): a forked child that spins on the CPU until the BusyCore is destroyed (or this
// process dies: the child gets SIGKILL with its parent). Create it before any thread.
//
//   bench::BusyCore busy(1);  // one spinning process
//   ... measure ...
//   // destroyed: the child is killed and reaped

#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <vector>

namespace odmd::bench {

class BusyCore {
 public:
  explicit BusyCore(int processes) {
    const pid_t parent = ::getpid();
    for (int i = 0; i < processes; ++i) {
      const pid_t pid = ::fork();
      if (pid < 0) {
        std::perror("bench: fork of the busy process");
        std::exit(1);
      }
      if (pid == 0) Spin(parent);
      children_.push_back(pid);
    }
  }
  ~BusyCore() {
    for (pid_t pid : children_) ::kill(pid, SIGKILL);
    for (pid_t pid : children_) ::waitpid(pid, nullptr, 0);
  }
  BusyCore(const BusyCore&) = delete;
  BusyCore& operator=(const BusyCore&) = delete;

  int processes() const { return static_cast<int>(children_.size()); }

 private:
  [[noreturn]] static void Spin(pid_t parent) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(0);  // the parent died before prctl
    for (;;) asm volatile("" ::: "memory");
  }

  std::vector<pid_t> children_;
};

}  // namespace odmd::bench
