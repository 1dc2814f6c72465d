#include "odmd/testing/fake_clock.h"

namespace odmd::testing {

FakeClock::FakeClock()
    : wall_(std::chrono::system_clock::time_point(std::chrono::seconds(1767225600))) {}

std::chrono::system_clock::time_point FakeClock::WallNow() const {
  std::lock_guard<std::mutex> lock(mu_);
  return wall_;
}

std::chrono::steady_clock::time_point FakeClock::SteadyNow() const {
  std::lock_guard<std::mutex> lock(mu_);
  return steady_;
}

void FakeClock::Advance(std::chrono::nanoseconds d) {
  std::lock_guard<std::mutex> lock(mu_);
  wall_ += std::chrono::duration_cast<std::chrono::system_clock::duration>(d);
  steady_ += d;
}

void FakeClock::SetWall(std::chrono::system_clock::time_point t) {
  std::lock_guard<std::mutex> lock(mu_);
  wall_ = t;
}

}  // namespace odmd::testing
