// The server's worker threads: they run the handlers that wait (on the store's commits, a
// repository, a long computation) so that the event-loop threads never do, and a request
// that waits holds no connection but its own (server.cc).
#ifndef ODMD_API_HANDLER_POOL_H_
#define ODMD_API_HANDLER_POOL_H_

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace odmd::api {

// A fixed set of threads taking tasks in order. Thread-safe.
//
//   if (pool.Enter()) {        // false once Drain began: run the task yourself
//     Prepare();               // what must happen before the task may run
//     pool.Post(std::move(task));
//   }
class HandlerPool {
 public:
  explicit HandlerPool(int threads);
  // Drains first.
  ~HandlerPool();
  HandlerPool(const HandlerPool&) = delete;
  HandlerPool& operator=(const HandlerPool&) = delete;

  // Counts a task in, to be handed over with Post; false (nothing counted) once Drain began
  // or when the pool has no threads.
  bool Enter();
  // Queues the task of an Enter that returned true.
  void Post(std::function<void()> task);
  // Refuses further tasks, returns once every task counted in has returned, and ends the
  // threads. Idempotent.
  void Drain();

 private:
  void Loop();

  std::mutex mu_;
  std::condition_variable work_;  // a task, or the end
  std::condition_variable idle_;  // pending_ reached 0
  std::deque<std::function<void()>> tasks_;
  size_t pending_ = 0;  // entered, not yet returned
  bool draining_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace odmd::api

#endif  // ODMD_API_HANDLER_POOL_H_
