// A counter threads sleep on until it moves (Linux futex): the wake-up of a group commit's
// writers (libs/store/src/sqlite/sqlite_config_store.cc), one system call for the whole batch.
//
// std::atomic::wait would do the same but first spins and calls sched_yield four times
// (libstdc++ 12): with 16 writers on 2 cores those yields cost 7% of the group commit's rate
// (bench/README.md, "Target 4, fifth session").
#ifndef ODMD_BASE_WAKEUP_COUNTER_H_
#define ODMD_BASE_WAKEUP_COUNTER_H_

#include <atomic>
#include <cstdint>

namespace odmd {

// Thread-safe. A waiter reads Seen(), checks its own condition and, if it does not hold yet,
// calls Wait(seen): no wake-up between the two is lost.
class WakeupCounter {
 public:
  std::uint32_t Seen() const { return count_.load(std::memory_order_acquire); }
  // Returns once the counter is no longer `seen`, or spuriously: callers check again.
  void Wait(std::uint32_t seen);
  // Moves the counter on and wakes every thread in Wait (no system call when none is).
  void WakeAll();

 private:
  std::atomic<std::uint32_t> count_{0};
  std::atomic<int> sleepers_{0};
};

}  // namespace odmd

#endif  // ODMD_BASE_WAKEUP_COUNTER_H_
