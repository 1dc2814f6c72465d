// Throttling is retried with exponential backoff through the Sleeper seam (a FakeClock
// advanced by the test, no real sleeps); other errors are not retried.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "fake_transport.h"
#include "odmd/aws/ssm.h"
#include "odmd/testing/fake_clock.h"
#include "odmd/testing/status_matchers.h"

namespace odmd::aws {
namespace {

using ::odmd::testing::StatusIs;
using std::chrono::milliseconds;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

class RetryTest : public ::testing::Test {
 protected:
  RetryTest() {
    config_.region = "us-east-1";
    config_.credentials = {"AKID", "secret", ""};
  }
  AwsClient Client(RetryPolicy policy = {}) {
    return AwsClient(
        config_, transport_,
        [this](milliseconds d) {
          waits_.push_back(d);
          clock_.Advance(d);
        },
        policy);
  }
  AwsConfig config_;
  testing::FakeTransport transport_;
  odmd::testing::FakeClock clock_;
  std::vector<milliseconds> waits_;
};

TEST_F(RetryTest, ThrottlingIsRetriedWithDoublingDelays) {
  transport_.Answer(400, R"({"__type": "ThrottlingException", "message": "Rate exceeded"})");
  transport_.Answer(429, "");
  transport_.Answer(503, "");
  transport_.Answer(200, R"({"Version": 1})");
  AwsClient client = Client();
  SsmClient ssm(client);
  const auto start = clock_.SteadyNow();
  ODMD_ASSERT_OK(ssm.PutParameter("/a", "1"));
  EXPECT_EQ(transport_.requests.size(), 4u);
  EXPECT_THAT(waits_, ElementsAre(milliseconds(100), milliseconds(200), milliseconds(400)));
  EXPECT_EQ(clock_.SteadyNow() - start, milliseconds(700));
}

TEST_F(RetryTest, DelaysAreCappedAndAttemptsBounded) {
  transport_.Answer(400, R"(<ErrorResponse><Error><Code>Throttling</Code>
<Message>Rate exceeded</Message></Error></ErrorResponse>)");
  AwsClient client =
      Client({.max_attempts = 4, .first_delay = milliseconds(300), .max_delay = milliseconds(500)});
  SsmClient ssm(client);
  EXPECT_THAT(ssm.GetParameter("/a").status(),
              StatusIs(StatusCode::kResourceExhausted,
                       HasSubstr("ssm GetParameter parameter \"/a\": Throttling: Rate exceeded")));
  EXPECT_EQ(transport_.requests.size(), 4u);
  EXPECT_THAT(waits_, ElementsAre(milliseconds(300), milliseconds(500), milliseconds(500)));
}

TEST_F(RetryTest, OtherErrorsAreNotRetried) {
  transport_.Answer(400, R"({"__type": "AccessDeniedException", "message": "no"})");
  AwsClient client = Client();
  SsmClient ssm(client);
  EXPECT_THAT(ssm.GetParameter("/a").status(), StatusIs(StatusCode::kPermissionDenied));
  EXPECT_EQ(transport_.requests.size(), 1u);
  EXPECT_TRUE(waits_.empty());
}

}  // namespace
}  // namespace odmd::aws
