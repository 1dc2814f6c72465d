#include "odmd/access/principal.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "odmd/testing/status_matchers.h"

namespace odmd::access {
namespace {

using ::odmd::testing::IsOk;
using ::odmd::testing::StatusIs;
using ::testing::HasSubstr;

TEST(PrincipalTest, ToStringAndParseRoundTrip) {
  for (const Principal& p :
       {Principal::Admin(), Principal::Viewer(), Principal::Enver("svcA/b..main"),
        Principal::Enver("svcA/b..main-_b..feat1"), Principal::Enver("svcA/t..v1.0.0")}) {
    Result<Principal> parsed = Principal::Parse(p.ToString());
    ASSERT_THAT(parsed, IsOk()) << p.ToString();
    EXPECT_EQ(*parsed, p);
  }
  EXPECT_EQ(Principal::Admin().ToString(), "admin");
  EXPECT_EQ(Principal::Viewer().ToString(), "viewer");
  EXPECT_EQ(Principal::Enver("svcA/b..main").ToString(), "enver:svcA/b..main");
}

TEST(PrincipalTest, ParseRejectsMalformedTextNamingIt) {
  for (const char* text : {"", "root", "Admin", "enver:", "enver:svcA", "enver:/b..main",
                           "enver:svcA/main", "enver:svcA/b..a..b", "enver svcA/b..main"}) {
    EXPECT_THAT(Principal::Parse(text),
                StatusIs(StatusCode::kInvalidArgument, HasSubstr("\"" + std::string(text) + "\"")))
        << text;
  }
}

}  // namespace
}  // namespace odmd::access
