#include "odmd/base/wakeup_counter.h"

#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <climits>

namespace odmd {
namespace {

static_assert(sizeof(std::atomic<std::uint32_t>) == sizeof(std::uint32_t) &&
                  std::atomic<std::uint32_t>::is_always_lock_free,
              "a futex is a plain 32-bit word");

long Futex(std::atomic<std::uint32_t>& word, int op, std::uint32_t value) {
  return syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(&word), op, value, nullptr, nullptr,
                 0);
}

}  // namespace

void WakeupCounter::Wait(std::uint32_t seen) {
  // Counted before the kernel compares the word: WakeAll's bump precedes its look at
  // sleepers_ (both sequentially consistent), so either it sees this sleeper or the kernel
  // sees the bump and returns at once.
  sleepers_.fetch_add(1);
  Futex(count_, FUTEX_WAIT_PRIVATE, seen);  // EAGAIN, EINTR or woken: the caller checks
  sleepers_.fetch_sub(1);
}

void WakeupCounter::WakeAll() {
  count_.fetch_add(1);
  if (sleepers_.load() > 0) Futex(count_, FUTEX_WAKE_PRIVATE, INT_MAX);
}

}  // namespace odmd
