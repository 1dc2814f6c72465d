// WithRetries: the transient failures `odmd product put` waits out (a concurrent writer's
// ABORTED, an unreachable or restarting server's UNAVAILABLE) and the ones it does not.
#include <gtest/gtest.h>

#include <chrono>
#include <vector>

#include "api_client.h"

namespace odmd::cli {
namespace {

using std::chrono::milliseconds;

struct Recorder {
  std::vector<Status> answers;  // one per call; OK ends with {"version": calls}
  int calls = 0;
  std::vector<milliseconds> slept;

  Result<nlohmann::json> Call() {
    const Status s = answers.at(static_cast<size_t>(calls++));
    if (s.ok()) return nlohmann::json{{"version", calls}};
    return s;
  }
};

Result<nlohmann::json> Retried(Recorder& r, RetryPolicy policy = {}) {
  return WithRetries([&r] { return r.Call(); }, policy,
                     [&r](milliseconds d) { r.slept.push_back(d); });
}

TEST(WithRetriesTest, TransientFailuresAreRetriedWithDoublingBackoff) {
  Recorder r;
  r.answers = {AbortedError("compare-and-set lost"), UnavailableError("503"), OkStatus()};
  Result<nlohmann::json> result = Retried(r);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ((*result)["version"], 3);
  EXPECT_EQ(r.slept, (std::vector<milliseconds>{milliseconds(100), milliseconds(200)}));
}

TEST(WithRetriesTest, OtherFailuresAreNotRetried) {
  for (const Status& s : {PermissionDeniedError("not yours"), InvalidArgumentError("bad"),
                          NotFoundError("no product"), UnauthenticatedError("token")}) {
    Recorder r;
    r.answers = {s, OkStatus()};
    EXPECT_EQ(Retried(r).status().code(), s.code());
    EXPECT_EQ(r.calls, 1);
    EXPECT_TRUE(r.slept.empty());
  }
}

TEST(WithRetriesTest, GivesUpAfterTheAttemptsWithTheLastError) {
  Recorder r;
  r.answers = std::vector<Status>(6, UnavailableError("cannot reach"));
  r.answers[4] = AbortedError("the last one");
  Result<nlohmann::json> result = Retried(
      r, RetryPolicy{
             .attempts = 5, .first_backoff = milliseconds(100), .max_backoff = milliseconds(300)});
  EXPECT_EQ(result.status().code(), StatusCode::kAborted);
  EXPECT_EQ(r.calls, 5);
  EXPECT_EQ(r.slept, (std::vector<milliseconds>{milliseconds(100), milliseconds(200),
                                                milliseconds(300), milliseconds(300)}));
}

}  // namespace
}  // namespace odmd::cli
