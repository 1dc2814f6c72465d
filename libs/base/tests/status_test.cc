#include "odmd/base/status.h"

#include <gtest/gtest.h>

#include "odmd/testing/status_matchers.h"

namespace odmd {
namespace {

using ::odmd::testing::StatusIs;
using ::testing::HasSubstr;

Result<int> Half(int x) {
  if (x % 2 != 0) return InvalidArgumentError("odd value " + std::to_string(x));
  return x / 2;
}

Result<int> Quarter(int x) {
  ODMD_ASSIGN_OR_RETURN(int h, Half(x));
  ODMD_ASSIGN_OR_RETURN(int q, Half(h));
  return q;
}

Status CheckEven(int x) {
  ODMD_RETURN_IF_ERROR(Half(x));
  return OkStatus();
}

TEST(StatusTest, OkHasNoMessage) {
  Status s(StatusCode::kOk, "ignored");
  EXPECT_TRUE(s.ok());
  EXPECT_EQ(s.message(), "");
  EXPECT_EQ(s.ToString(), "OK");
}

TEST(StatusTest, ToStringNamesCode) {
  EXPECT_EQ(NotFoundError("enver \"a\" not found").ToString(), "NOT_FOUND: enver \"a\" not found");
  EXPECT_EQ(StatusCodeName(StatusCode::kFailedPrecondition), "FAILED_PRECONDITION");
  EXPECT_EQ(ResourceExhaustedError("payload is 9 bytes").ToString(),
            "RESOURCE_EXHAUSTED: payload is 9 bytes");
}

TEST(StatusTest, WithContextPrefixesMessageAndKeepsCode) {
  Status s = AbortedError("revision 7").WithContext("put \"k\"");
  EXPECT_THAT(s, StatusIs(StatusCode::kAborted, "put \"k\": revision 7"));
  EXPECT_TRUE(OkStatus().WithContext("x").ok());
}

TEST(StatusTest, AssignOrReturnPropagatesFirstError) {
  EXPECT_EQ(*Quarter(8), 2);
  EXPECT_THAT(Quarter(6), StatusIs(StatusCode::kInvalidArgument, HasSubstr("odd value 3")));
  EXPECT_THAT(Quarter(5), StatusIs(StatusCode::kInvalidArgument, HasSubstr("odd value 5")));
}

TEST(StatusTest, ReturnIfErrorAcceptsResult) {
  ODMD_EXPECT_OK(CheckEven(4));
  EXPECT_THAT(CheckEven(3), StatusIs(StatusCode::kInvalidArgument));
}

TEST(StatusDeathTest, ValueOfErrorResultAborts) {
  Result<int> r = NotFoundError("x");
  EXPECT_DEATH((void)r.value(), "ODMD_CHECK failed");
}

}  // namespace
}  // namespace odmd
