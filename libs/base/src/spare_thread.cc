#include "odmd/base/spare_thread.h"

#include <pthread.h>
#include <unistd.h>

#include <utility>

namespace odmd {

SpareThread& SpareThread::Get() {
  // Never destroyed: the thread waits for work until the process exits.
  static SpareThread* const spare = new SpareThread();
  return *spare;
}

SpareThread::SpareThread() : pid_(getpid()) {
  // A small stack: its tasks need little, and on transparent huge pages a default 8 MiB stack
  // is backed by a 2 MiB page at its first touch (measured: +2 MiB of RSS per process).
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, kStackSize);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  pthread_t thread;
  started_ok_ = pthread_create(
                    &thread, &attr,
                    [](void* self) -> void* {
                      static_cast<SpareThread*>(self)->Loop();
                      return nullptr;
                    },
                    this) == 0;
  pthread_attr_destroy(&attr);
}

std::uint64_t SpareThread::Start(std::function<void()> task) {
  if (!started_ok_ || getpid() != pid_) return 0;  // no thread here (a fork: nor mu_'s owner)
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
