#pragma once

// The Clock seam (Abseil's Clock, Envoy's TimeSource). Nothing below apps/ reads the real
// clock directly; tests use odmd::testing::FakeClock.

#include <chrono>

namespace odmd {

// Two readings: WallNow() for recorded or displayed timestamps, SteadyNow() for timeouts
// and backoff. Implementations are thread-safe.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual std::chrono::system_clock::time_point WallNow() const = 0;
  virtual std::chrono::steady_clock::time_point SteadyNow() const = 0;
};

// The real clock. Thread-safe; stateless.
class SystemClock final : public Clock {
 public:
  std::chrono::system_clock::time_point WallNow() const override;
  std::chrono::steady_clock::time_point SteadyNow() const override;
};

}  // namespace odmd
