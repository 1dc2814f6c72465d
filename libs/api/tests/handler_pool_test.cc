// HandlerPool (the API server's worker threads): every task counted in runs on a thread of
// the pool, and Drain waits for each of them, including one counted in but not yet posted.
#include "handler_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <mutex>
#include <set>
#include <thread>

namespace odmd::api {
namespace {

TEST(HandlerPoolTest, RunsEveryTaskOnItsThreads) {
  std::atomic<int> ran{0};
  std::mutex mu;
  std::set<std::thread::id> threads;
  {
    HandlerPool pool(4);
    for (int i = 0; i < 200; ++i) {
      ASSERT_TRUE(pool.Enter());
      pool.Post([&] {
        {
          std::lock_guard lock(mu);
          threads.insert(std::this_thread::get_id());
        }
        ++ran;
      });
    }
    pool.Drain();
    EXPECT_EQ(ran.load(), 200);
  }
  EXPECT_EQ(threads.count(std::this_thread::get_id()), 0u);
  EXPECT_GE(threads.size(), 1u);
  EXPECT_LE(threads.size(), 4u);
}

TEST(HandlerPoolTest, DrainWaitsForATaskEnteredButNotYetPostedThenRefuses) {
  HandlerPool pool(2);
  ASSERT_TRUE(pool.Enter());  // as the server does before it suspends the connection
  std::future<void> drained = std::async(std::launch::async, [&] { pool.Drain(); });
  ASSERT_EQ(drained.wait_for(std::chrono::milliseconds(50)), std::future_status::timeout)
      << "Drain returned with a task counted in";
  std::atomic<bool> ran{false};
  pool.Post([&] { ran = true; });
  drained.wait();
  EXPECT_TRUE(ran.load());
  EXPECT_FALSE(pool.Enter()) << "a drained pool took a task";
  pool.Drain();  // idempotent
}

TEST(HandlerPoolTest, APoolWithoutThreadsTakesNothing) {
  HandlerPool pool(0);
  EXPECT_FALSE(pool.Enter());
  pool.Drain();
}

}  // namespace
}  // namespace odmd::api
