#pragma once

// Status matchers in the style of Abseil's: assert the specific error, never just "not OK".
//   EXPECT_THAT(store.Put("k", "v", 7), StatusIs(StatusCode::kAborted));
//   ODMD_ASSERT_OK(result);

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "odmd/base/status.h"

namespace odmd::testing {

inline const Status& GetStatus(const Status& s) { return s; }
template <typename T>
const Status& GetStatus(const Result<T>& r) {
  return r.status();
}

MATCHER_P(StatusIs, code, "has status code " + std::string(::odmd::StatusCodeName(code))) {
  const ::odmd::Status& s = ::odmd::testing::GetStatus(arg);
  *result_listener << "status is " << s.ToString();
  return s.code() == code;
}

MATCHER_P2(StatusIs, code, message_matcher, "") {
  const ::odmd::Status& s = ::odmd::testing::GetStatus(arg);
  *result_listener << "status is " << s.ToString();
  return s.code() == code &&
         ::testing::ExplainMatchResult(message_matcher, s.message(), result_listener);
}

MATCHER(IsOk, "is OK") {
  const ::odmd::Status& s = ::odmd::testing::GetStatus(arg);
  *result_listener << "status is " << s.ToString();
  return s.ok();
}

}  // namespace odmd::testing

#define ODMD_ASSERT_OK(expr) ASSERT_THAT((expr), ::odmd::testing::IsOk())
#define ODMD_EXPECT_OK(expr) EXPECT_THAT((expr), ::odmd::testing::IsOk())
