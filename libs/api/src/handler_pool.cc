#include "handler_pool.h"

#include <algorithm>
#include <utility>

namespace odmd::api {

HandlerPool::HandlerPool(int threads) {
  threads_.reserve(static_cast<size_t>(std::max(0, threads)));
  for (int i = 0; i < threads; ++i) threads_.emplace_back([this] { Loop(); });
}

HandlerPool::~HandlerPool() { Drain(); }

bool HandlerPool::Enter() {
  std::lock_guard lock(mu_);
  if (draining_ || threads_.empty()) return false;
  ++pending_;
  return true;
}

void HandlerPool::Post(std::function<void()> task) {
  {
    std::lock_guard lock(mu_);
    tasks_.push_back(std::move(task));
  }
  work_.notify_one();
}

void HandlerPool::Drain() {
  {
    std::unique_lock lock(mu_);
    draining_ = true;
    idle_.wait(lock, [this] { return pending_ == 0; });
  }
  work_.notify_all();
  for (std::thread& t : threads_) {
    if (t.joinable()) t.join();
  }
}

void HandlerPool::Loop() {
  std::unique_lock lock(mu_);
  for (;;) {
    work_.wait(lock, [this] { return !tasks_.empty() || (draining_ && pending_ == 0); });
    if (tasks_.empty()) return;
    std::function<void()> task = std::move(tasks_.front());
    tasks_.pop_front();
    lock.unlock();
    task();
    task = nullptr;  // its captures go before the task counts as returned
    lock.lock();
    if (--pending_ == 0) idle_.notify_all();
  }
}

}  // namespace odmd::api
