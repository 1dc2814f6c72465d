#include <gtest/gtest.h>

#include "odmd/testing/fake_clock.h"

namespace odmd {
namespace {

TEST(FakeClockTest, MovesOnlyWhenAdvanced) {
  testing::FakeClock clock;
  auto wall = clock.WallNow();
  auto steady = clock.SteadyNow();
  EXPECT_EQ(clock.WallNow(), wall);
  clock.Advance(std::chrono::seconds(5));
  EXPECT_EQ(clock.WallNow() - wall, std::chrono::seconds(5));
  EXPECT_EQ(clock.SteadyNow() - steady, std::chrono::seconds(5));
}

TEST(SystemClockTest, SteadyIsMonotonic) {
  SystemClock clock;
  auto a = clock.SteadyNow();
  EXPECT_LE(a, clock.SteadyNow());
}

}  // namespace
}  // namespace odmd
