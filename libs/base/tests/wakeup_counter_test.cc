#include "odmd/base/wakeup_counter.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

namespace odmd {
namespace {

TEST(WakeupCounterTest, AStaleSeenReturnsAtOnce) {
  WakeupCounter counter;
  const std::uint32_t seen = counter.Seen();
  counter.WakeAll();
  EXPECT_NE(counter.Seen(), seen);
  counter.Wait(seen);  // would sleep for ever if the kernel did not compare the word
}

// Many threads, each waiting for its own flag, all set before one WakeAll: every thread
// returns, however their checks and sleeps interleave with it. A lost wake-up hangs the test
// (ctest's timeout fails it).
TEST(WakeupCounterTest, OneWakeAllWakesEveryWaiterWhoseConditionHolds) {
  constexpr int kThreads = 16;
  constexpr int kRounds = 200;
  WakeupCounter counter;
  std::vector<std::atomic<int>> released(kThreads);
  std::atomic<int> finished{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int round = 1; round <= kRounds; ++round) {
        for (;;) {
          const std::uint32_t seen = counter.Seen();
          if (released[t].load(std::memory_order_acquire) >= round) break;
          counter.Wait(seen);
        }
        finished.fetch_add(1);
      }
    });
  }
  for (int round = 1; round <= kRounds; ++round) {
    for (auto& flag : released) flag.store(round, std::memory_order_release);
    counter.WakeAll();
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(finished.load(), kThreads * kRounds);
}

}  // namespace
}  // namespace odmd
