// A thread that lives as long as the process, for work a caller hands to the second core
// (the canonical manifest read, libs/model/src/manifest_read.cc: the last 44% of the builds
// and the digest). A thread started per read cost its start and, measured at 1,000 builds,
// ~110 page faults each time, its allocator caches built anew (bench/README.md, "Target 1,
// fourth session").
#ifndef ODMD_BASE_SPARE_THREAD_H_
#define ODMD_BASE_SPARE_THREAD_H_

#include <sys/types.h>

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>

namespace odmd {

// One task at a time. Thread-safe.
class SpareThread {
 public:
  // The process's spare thread, started at first use and never stopped.
  static SpareThread& Get();

  // Hands `task` to the thread and returns a ticket for Wait(); returns 0, running nothing,
  // when the thread is busy with another caller's task, or in a forked child of the process
  // that started it (the thread does not exist there).
  std::uint64_t Start(std::function<void()> task);
  // Returns once the task of `ticket` has returned.
  void Wait(std::uint64_t ticket);

 private:
  SpareThread();
  void Loop();

  static constexpr std::size_t kStackSize = std::size_t{256} << 10;

  const pid_t pid_;
  bool started_ok_ = false;
  std::mutex mu_;
  std::condition_variable cv_;
  std::function<void()> task_;  // guarded by mu_; empty when idle
  std::uint64_t started_ = 0;   // guarded by mu_: tickets handed out
  std::uint64_t finished_ = 0;  // guarded by mu_: tickets whose task returned
};

}  // namespace odmd

#endif  // ODMD_BASE_SPARE_THREAD_H_
