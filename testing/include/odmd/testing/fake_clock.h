#pragma once

#include <chrono>
#include <mutex>

#include "odmd/base/clock.h"

namespace odmd::testing {

// A Clock that moves only when told to. Thread-safe.
class FakeClock final : public Clock {
 public:
  // Starts at 2026-01-01T00:00:00Z wall time and steady time zero.
  FakeClock();
  std::chrono::system_clock::time_point WallNow() const override;
  std::chrono::steady_clock::time_point SteadyNow() const override;

  // Moves both readings forward by `d`.
  void Advance(std::chrono::nanoseconds d);
  // Sets the wall reading; the steady reading is unchanged.
  void SetWall(std::chrono::system_clock::time_point t);

 private:
  mutable std::mutex mu_;
  std::chrono::system_clock::time_point wall_;
  std::chrono::steady_clock::time_point steady_;
};

}  // namespace odmd::testing
