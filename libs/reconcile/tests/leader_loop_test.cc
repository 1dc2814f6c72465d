// LeaderLoop against a scripted lease and a FakeClock: who is elected, when a leader is
// deposed (a lost lease at once; an unreachable database only at its own deadline) and what
// it releases.

#include "odmd/reconcile/leader_loop.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <deque>
#include <string>
#include <vector>

#include "odmd/testing/fake_clock.h"
#include "odmd/testing/status_matchers.h"

namespace odmd::reconcile {
namespace {

using ::odmd::testing::FakeClock;
using ::odmd::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

// A lease that answers from scripts and records the calls.
class ScriptedLease final : public store::LeaderLease {
 public:
  Result<std::optional<store::Epoch>> Acquire() override {
    calls.push_back("acquire");
    return Next(acquires, Result<std::optional<store::Epoch>>(std::optional<store::Epoch>()));
  }
  Status Renew(store::Epoch epoch) override {
    calls.push_back("renew " + std::to_string(epoch));
    return Next(renewals, Status(OkStatus()));
  }
  Status Release(store::Epoch epoch) override {
    calls.push_back("release " + std::to_string(epoch));
    return OkStatus();
  }
  Result<store::LeaseState> Current() override { return store::LeaseState{}; }
  Result<store::ConfigStorePtr> FencedStore(store::Epoch) override {
    return UnimplementedError("not scripted");
  }

  std::deque<Result<std::optional<store::Epoch>>> acquires;
  std::deque<Status> renewals;
  std::vector<std::string> calls;

 private:
  template <typename T>
  static T Next(std::deque<T>& script, T otherwise) {
    if (script.empty()) return otherwise;
    T next = std::move(script.front());
    script.pop_front();
    return next;
  }
};

class LeaderLoopTest : public ::testing::Test {
 protected:
  LeaderLoopTest()
      : loop_(lease_, clock_, {std::chrono::seconds(5), std::chrono::seconds(1)},
              {[this](store::Epoch e) { events_.push_back("elected " + std::to_string(e)); },
               [this](store::Epoch e, const Status& why) {
                 events_.push_back("deposed " + std::to_string(e) + ": " + why.message());
               }}) {}

  ScriptedLease lease_;
  FakeClock clock_;
  std::vector<std::string> events_;
  LeaderLoop loop_;
};

TEST_F(LeaderLoopTest, AFollowerIsElectedWhenTheLeaseIsGranted) {
  lease_.acquires = {std::optional<store::Epoch>(), std::optional<store::Epoch>(4)};
  ODMD_EXPECT_OK(loop_.Step());
  EXPECT_EQ(loop_.epoch(), std::nullopt);
  ODMD_EXPECT_OK(loop_.Step());
  EXPECT_EQ(loop_.epoch(), 4);
  ODMD_EXPECT_OK(loop_.Step());
  EXPECT_THAT(lease_.calls, ElementsAre("acquire", "acquire", "renew 4"));
  EXPECT_THAT(events_, ElementsAre("elected 4"));
}

TEST_F(LeaderLoopTest, ALostLeaseDeposesAtOnce) {
  lease_.acquires = {std::optional<store::Epoch>(1)};
  lease_.renewals = {AbortedError("lease lost: taken over")};
  ODMD_ASSERT_OK(loop_.Step());
  ODMD_EXPECT_OK(loop_.Step());
  EXPECT_EQ(loop_.epoch(), std::nullopt);
  EXPECT_THAT(events_, ElementsAre("elected 1", "deposed 1: lease lost: taken over"));
  ODMD_EXPECT_OK(loop_.Step());  // a follower again: it tries to take the lease
  EXPECT_THAT(lease_.calls, ElementsAre("acquire", "renew 1", "acquire"));
}

TEST_F(LeaderLoopTest, AnUnreachableDatabaseDeposesOnlyAtTheLeadersOwnDeadline) {
  lease_.acquires = {std::optional<store::Epoch>(2)};
  lease_.renewals = {OkStatus(), UnavailableError("db down"), UnavailableError("db down"),
                     UnavailableError("db down")};
  ODMD_ASSERT_OK(loop_.Step());  // granted at 0 s: deadline 5 s
  clock_.Advance(std::chrono::seconds(1));
  ODMD_ASSERT_OK(loop_.Step());  // renewed at 1 s: deadline 6 s
  clock_.Advance(std::chrono::seconds(2));
  EXPECT_THAT(loop_.Step(), StatusIs(StatusCode::kUnavailable));  // 3 s: still leads
  clock_.Advance(std::chrono::milliseconds(2999));
  EXPECT_THAT(loop_.Step(), StatusIs(StatusCode::kUnavailable));  // 5.999 s: still leads
  EXPECT_EQ(loop_.epoch(), 2);
  EXPECT_THAT(events_, ElementsAre("elected 2"));
  clock_.Advance(std::chrono::milliseconds(1));
  ODMD_EXPECT_OK(loop_.Step());  // 6 s: deposed without another call
  EXPECT_EQ(loop_.epoch(), std::nullopt);
  ASSERT_EQ(events_.size(), 2u);
  EXPECT_THAT(events_[1], HasSubstr("deposed 2: lease lost: epoch 2 was not renewed within 5000"));
  EXPECT_THAT(lease_.calls, ElementsAre("acquire", "renew 2", "renew 2", "renew 2"));
}

TEST_F(LeaderLoopTest, ReleaseGivesUpTheLeaseOnlyWhileLeading) {
  ODMD_EXPECT_OK(loop_.Release());
  lease_.acquires = {std::optional<store::Epoch>(3)};
  ODMD_ASSERT_OK(loop_.Step());
  ODMD_EXPECT_OK(loop_.Release());
  EXPECT_EQ(loop_.epoch(), std::nullopt);
  EXPECT_THAT(lease_.calls, ElementsAre("acquire", "release 3"));
}

TEST_F(LeaderLoopTest, AnAcquireErrorIsReturnedAndLeavesAFollower) {
  lease_.acquires = {UnavailableError("db down")};
  EXPECT_THAT(loop_.Step(), StatusIs(StatusCode::kUnavailable, HasSubstr("db down")));
  EXPECT_EQ(loop_.epoch(), std::nullopt);
  EXPECT_TRUE(events_.empty());
}

}  // namespace
}  // namespace odmd::reconcile
