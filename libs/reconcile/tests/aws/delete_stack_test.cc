// DeleteStackAndWait against scripted CloudFormation answers: the poll, its deadline on the
// Clock seam (FakeClock, no sleeping), DELETE_FAILED and a refused DeleteStack.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <deque>
#include <string>
#include <utility>

#include "aws_target.h"
#include "odmd/testing/fake_clock.h"
#include "odmd/testing/status_matchers.h"

namespace odmd::reconcile {
namespace {

using ::odmd::testing::FakeClock;
using ::odmd::testing::IsOk;
using ::odmd::testing::StatusIs;
using ::testing::HasSubstr;

// Answers requests in order with scripted responses; records each request's Action.
class ScriptedTransport : public aws::Transport {
 public:
  void Answer(long status, std::string body) { answers_.push_back({status, std::move(body)}); }
  Result<aws::HttpResponse> Send(const aws::HttpRequest& request) override {
    const auto at = request.body.find("Action=");
    actions_.push_back(request.body.substr(at + 7, request.body.find('&', at) - at - 7));
    if (answers_.empty()) return UnavailableError("no scripted answer left");
    aws::HttpResponse r = answers_.front();
    answers_.pop_front();
    return r;
  }
  const std::vector<std::string>& actions() const { return actions_; }

 private:
  std::deque<aws::HttpResponse> answers_;
  std::vector<std::string> actions_;
};

std::string Stack(const std::string& status, const std::string& reason = "") {
  return "<DescribeStacksResponse><DescribeStacksResult><Stacks><member>"
         "<StackName>web--main</StackName><StackId>id-1</StackId><StackStatus>" +
         status + "</StackStatus><StackStatusReason>" + reason +
         "</StackStatusReason></member></Stacks></DescribeStacksResult></DescribeStacksResponse>";
}
constexpr char kDeleted[] =
    "<DeleteStackResponse><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata>"
    "</DeleteStackResponse>";
constexpr char kGone[] =
    "<ErrorResponse><Error><Type>Sender</Type><Code>ValidationError</Code>"
    "<Message>Stack with id web--main does not exist</Message></Error></ErrorResponse>";

class DeleteStackTest : public ::testing::Test {
 protected:
  DeleteStackTest() {
    session_.account_id = "111111111111";
    session_.role_arn = "arn:aws:iam::111111111111:role/web/web-us-east-1111111111111-buildRole";
    session_.config.region = "us-east-1";
    session_.config.credentials = {"ASIAX", "secret", "token"};
    session_.config.endpoint_url = "http://localhost:1";
  }
  Status Delete(std::chrono::seconds limit) {
    return DeleteStackAndWait(transport_, session_, "web--main", clock_, clock_.SteadyNow() + limit,
                              std::chrono::seconds(2), [this](std::chrono::milliseconds d) {
                                ++sleeps_;
                                clock_.Advance(d);
                              });
  }
  AwsTargetSession session_;
  ScriptedTransport transport_;
  FakeClock clock_;
  int sleeps_ = 0;
};

TEST_F(DeleteStackTest, PollsUntilTheStackIsGone) {
  transport_.Answer(200, kDeleted);
  transport_.Answer(200, Stack("DELETE_IN_PROGRESS"));
  transport_.Answer(200, Stack("DELETE_IN_PROGRESS"));
  transport_.Answer(400, kGone);
  EXPECT_THAT(Delete(std::chrono::seconds(60)), IsOk());
  EXPECT_EQ(sleeps_, 2);
  EXPECT_THAT(transport_.actions(), ::testing::ElementsAre("DeleteStack", "DescribeStacks",
                                                           "DescribeStacks", "DescribeStacks"));
}

TEST_F(DeleteStackTest, DeleteCompleteIsDone) {
  transport_.Answer(200, kDeleted);
  transport_.Answer(200, Stack("DELETE_COMPLETE"));
  EXPECT_THAT(Delete(std::chrono::seconds(60)), IsOk());
  EXPECT_EQ(sleeps_, 0);
}

TEST_F(DeleteStackTest, DeleteFailedNamesTheStackAndCloudFormationsReason) {
  transport_.Answer(200, kDeleted);
  transport_.Answer(200, Stack("DELETE_IN_PROGRESS"));
  transport_.Answer(200, Stack("DELETE_FAILED", "The bucket you tried to delete is not empty"));
  EXPECT_THAT(Delete(std::chrono::seconds(60)),
              StatusIs(StatusCode::kFailedPrecondition,
                       HasSubstr("CloudFormation could not delete stack \"web--main\" in account "
                                 "111111111111, build role arn:aws:iam::111111111111:role/web/"
                                 "web-us-east-1111111111111-buildRole: The bucket you tried to "
                                 "delete is not empty")));
}

TEST_F(DeleteStackTest, AStackThatNeverGoesAwayHitsTheDeadline) {
  transport_.Answer(200, kDeleted);
  for (int i = 0; i < 100; ++i) transport_.Answer(200, Stack("DELETE_IN_PROGRESS"));
  EXPECT_THAT(Delete(std::chrono::seconds(10)),
              StatusIs(StatusCode::kUnavailable,
                       HasSubstr("the deletion of stack \"web--main\" in account 111111111111")));
  EXPECT_EQ(sleeps_, 5);  // 2 s polls within 10 s
}

TEST_F(DeleteStackTest, RefusedDeleteNamesTheStack) {
  transport_.Answer(403,
                    "<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code>"
                    "<Message>not allowed</Message></Error></ErrorResponse>");
  EXPECT_THAT(Delete(std::chrono::seconds(10)),
              StatusIs(StatusCode::kPermissionDenied,
                       HasSubstr("cannot delete stack \"web--main\" in account 111111111111")));
  EXPECT_THAT(transport_.actions(), ::testing::ElementsAre("DeleteStack"));
}

}  // namespace
}  // namespace odmd::reconcile
