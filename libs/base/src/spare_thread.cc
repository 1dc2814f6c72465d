#include "odmd/base/spare_thread.h"

#include <unistd.h>

#include <utility>

namespace odmd {

SpareThread& SpareThread::Get() {
  // Never destroyed: the thread waits for work until the process exits.
  static SpareThread* const spare = new SpareThread();
  return *spare;
}

SpareThread::SpareThread() : pid_(getpid()), thread_([this] { Loop(); }) { thread_.detach(); }

std::uint64_t SpareThread::Start(std::function<void()> task) {
  if (getpid() != pid_) return 0;  // a fork: the thread (and maybe mu_'s owner) is not here
  std::unique_lock lock(mu_);
  if (started_ != finished_) return 0;  // busy
  task_ = std::move(task);
  std::uint64_t ticket = ++started_;
  lock.unlock();
  cv_.notify_all();
  return ticket;
}

void SpareThread::Wait(std::uint64_t ticket) {
  std::unique_lock lock(mu_);
  cv_.wait(lock, [&] { return finished_ >= ticket; });
}

void SpareThread::Loop() {
  std::unique_lock lock(mu_);
  for (;;) {
    cv_.wait(lock, [&] { return static_cast<bool>(task_); });
    std::function<void()> task = std::move(task_);
    task_ = nullptr;
    lock.unlock();
    task();
    task = nullptr;  // its captures go before the caller hears it returned
    lock.lock();
    ++finished_;
    cv_.notify_all();
  }
}

}  // namespace odmd
