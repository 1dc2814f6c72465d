// The request each call sends (protocol, action, version, target, body, signing scope) and
// how the answers and errors are read, against a recording transport.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "fake_transport.h"
#include "odmd/aws/cloudformation.h"
#include "odmd/aws/eventbridge.h"
#include "odmd/aws/secretsmanager.h"
#include "odmd/aws/ssm.h"
#include "odmd/aws/sts.h"
#include "odmd/testing/status_matchers.h"

namespace odmd::aws {
namespace {

using ::odmd::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::Not;

class RequestShapeTest : public ::testing::Test {
 protected:
  static AwsConfig Config() {
    AwsConfig c;
    c.region = "eu-west-1";
    c.credentials = {"AKIDEXAMPLE", "s3cr3t-value", ""};
    return c;
  }
  testing::FakeTransport transport_;
  AwsClient client_{Config(), transport_, [](std::chrono::milliseconds) {}};
};

TEST_F(RequestShapeTest, AssumeRoleIsAFormPostToRegionalSts) {
  transport_.Answer(200, R"(<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <AssumeRoleResult><Credentials><AccessKeyId>ASIA1</AccessKeyId>
  <SecretAccessKey>tmp</SecretAccessKey><SessionToken>tok</SessionToken>
  <Expiration>2026-01-01T01:00:00Z</Expiration></Credentials>
  <AssumedRoleUser><Arn>arn:aws:sts::1:assumed-role/r/s</Arn></AssumedRoleUser>
  </AssumeRoleResult></AssumeRoleResponse>)");
  StsClient sts(client_);
  Result<AssumedRole> r = sts.AssumeRole("arn:aws:iam::111111111111:role/build", "odmd-1");
  ODMD_ASSERT_OK(r);
  EXPECT_EQ(r->credentials.access_key_id, "ASIA1");
  EXPECT_EQ(r->credentials.secret_access_key, "tmp");
  EXPECT_EQ(r->credentials.session_token, "tok");
  EXPECT_EQ(r->expiration, "2026-01-01T01:00:00Z");
  EXPECT_EQ(r->assumed_role_arn, "arn:aws:sts::1:assumed-role/r/s");
  const HttpRequest& req = transport_.requests.at(0);
  EXPECT_EQ(req.url, "https://sts.eu-west-1.amazonaws.com/");
  EXPECT_EQ(req.region, "eu-west-1");
  EXPECT_EQ(req.signing_service, "sts");
  EXPECT_EQ(req.body,
            "Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A111111111111%3Arole"
            "%2Fbuild&RoleSessionName=odmd-1&DurationSeconds=3600");
  EXPECT_EQ(transport_.Header(0, "Content-Type"),
            "application/x-www-form-urlencoded; charset=utf-8");
  EXPECT_EQ(req.credentials.access_key_id, "AKIDEXAMPLE");
}

TEST_F(RequestShapeTest, AssumeRoleWithSessionTagsSendsThemAsTagsMembers) {
  transport_.Answer(200, R"(<AssumeRoleResponse><AssumeRoleResult><Credentials>
  <AccessKeyId>ASIA1</AccessKeyId><SecretAccessKey>tmp</SecretAccessKey>
  <SessionToken>tok</SessionToken></Credentials></AssumeRoleResult></AssumeRoleResponse>)");
  ODMD_ASSERT_OK(StsClient(client_).AssumeRole("arn:aws:iam::111111111111:role/build", "odmd-1",
                                               900, {{"odmd-rev", "b..main-_b..x"}}));
  EXPECT_EQ(transport_.requests.at(0).body,
            "Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A111111111111%3Arole"
            "%2Fbuild&RoleSessionName=odmd-1&DurationSeconds=900&Tags.member.1.Key=odmd-rev&"
            "Tags.member.1.Value=b..main-_b..x");
}

TEST_F(RequestShapeTest, GetCallerIdentityReadsTheIdentity) {
  transport_.Answer(200, R"(<GetCallerIdentityResponse><GetCallerIdentityResult>
  <Arn>arn:aws:iam::123:user/u</Arn><UserId>AID</UserId><Account>123</Account>
  </GetCallerIdentityResult></GetCallerIdentityResponse>)");
  StsClient sts(client_);
  Result<CallerIdentity> r = sts.GetCallerIdentity();
  ODMD_ASSERT_OK(r);
  EXPECT_EQ(r->account, "123");
  EXPECT_EQ(r->arn, "arn:aws:iam::123:user/u");
  EXPECT_EQ(r->user_id, "AID");
  EXPECT_EQ(transport_.requests.at(0).body, "Action=GetCallerIdentity&Version=2011-06-15");
}

TEST_F(RequestShapeTest, AssumeRoleRefusalNamesServiceActionAndRole) {
  transport_.Answer(403, R"(<ErrorResponse><Error><Code>AccessDenied</Code>
<Message>User: arn:aws:iam::1:user/u is not authorized to perform: sts:AssumeRole</Message>
</Error></ErrorResponse>)");
  StsClient sts(client_);
  Result<AssumedRole> r = sts.AssumeRole("arn:aws:iam::1:role/x", "s1");
  EXPECT_THAT(r.status(), StatusIs(StatusCode::kPermissionDenied,
                                   HasSubstr("sts AssumeRole role \"arn:aws:iam::1:role/x\": "
                                             "AccessDenied: User: arn:aws:iam::1:user/u")));
  EXPECT_THAT(r.status().message(), Not(HasSubstr("s3cr3t-value")));
}

TEST_F(RequestShapeTest, DescribeStackReadsStatusAndOutputs) {
  transport_.Answer(200, R"(<DescribeStacksResponse><DescribeStacksResult><Stacks><member>
  <StackName>net--abc</StackName><StackId>arn:stack/net--abc/1</StackId>
  <StackStatus>CREATE_COMPLETE</StackStatus><Outputs>
  <member><OutputKey>VpcId</OutputKey><OutputValue>vpc-1</OutputValue></member>
  <member><OutputKey>Url</OutputKey><OutputValue>https://x/?a=1&amp;b=2</OutputValue></member>
  </Outputs></member></Stacks></DescribeStacksResult></DescribeStacksResponse>)");
  CloudFormationClient cfn(client_);
  Result<Stack> s = cfn.DescribeStack("net--abc");
  ODMD_ASSERT_OK(s);
  EXPECT_EQ(s->name, "net--abc");
  EXPECT_EQ(s->id, "arn:stack/net--abc/1");
  EXPECT_EQ(s->status, "CREATE_COMPLETE");
  EXPECT_EQ(s->outputs, (std::map<std::string, std::string>{{"VpcId", "vpc-1"},
                                                            {"Url", "https://x/?a=1&b=2"}}));
  EXPECT_EQ(transport_.requests.at(0).body,
            "Action=DescribeStacks&Version=2010-05-15&StackName=net--abc");
  EXPECT_EQ(transport_.requests.at(0).url, "https://cloudformation.eu-west-1.amazonaws.com/");
  EXPECT_EQ(transport_.requests.at(0).signing_service, "cloudformation");
}

TEST_F(RequestShapeTest, MissingStackIsNotFound) {
  transport_.Answer(400, R"(<ErrorResponse><Error><Type>Sender</Type><Code>ValidationError</Code>
<Message>Stack with id gone does not exist</Message></Error></ErrorResponse>)");
  CloudFormationClient cfn(client_);
  EXPECT_THAT(cfn.DescribeStack("gone").status(),
              StatusIs(StatusCode::kNotFound, HasSubstr("cloudformation DescribeStacks stack "
                                                        "\"gone\": ValidationError")));
}

TEST_F(RequestShapeTest, DeleteStackShape) {
  transport_.Answer(200, "<DeleteStackResponse/>");
  CloudFormationClient cfn(client_);
  ODMD_EXPECT_OK(cfn.DeleteStack("net--abc"));
  EXPECT_EQ(transport_.requests.at(0).body,
            "Action=DeleteStack&Version=2010-05-15&StackName=net--abc");
}

TEST_F(RequestShapeTest, CreateStackSendsTheTemplateAndNamedIamCapability) {
  transport_.Answer(200, R"(<CreateStackResponse><CreateStackResult>
  <StackId>arn:aws:cloudformation:eu-west-1:1:stack/r/9</StackId>
  </CreateStackResult></CreateStackResponse>)");
  CloudFormationClient cfn(client_);
  Result<std::string> id = cfn.CreateStack({"r", R"({"Resources": {}})", true});
  ODMD_ASSERT_OK(id);
  EXPECT_EQ(*id, "arn:aws:cloudformation:eu-west-1:1:stack/r/9");
  EXPECT_EQ(transport_.requests.at(0).body,
            "Action=CreateStack&Version=2010-05-15&StackName=r&TemplateBody=%7B%22Resources%22%3A+"
            "%7B%7D%7D&Capabilities.member.1=CAPABILITY_NAMED_IAM");
}

TEST_F(RequestShapeTest, UpdateStackWithNothingToUpdateIsFalse) {
  transport_.Answer(400, R"(<ErrorResponse><Error><Type>Sender</Type><Code>ValidationError</Code>
<Message>No updates are to be performed.</Message></Error></ErrorResponse>)");
  transport_.Answer(200, "<UpdateStackResponse/>");
  CloudFormationClient cfn(client_);
  Result<bool> none = cfn.UpdateStack({"r", "{}", false});
  ODMD_ASSERT_OK(none);
  EXPECT_FALSE(*none);
  Result<bool> updating = cfn.UpdateStack({"r", "{}", false});
  ODMD_ASSERT_OK(updating);
  EXPECT_TRUE(*updating);
  EXPECT_EQ(transport_.requests.at(1).body,
            "Action=UpdateStack&Version=2010-05-15&StackName=r&TemplateBody=%7B%7D");
}

std::string DescribeAnswer(const std::string& status, const std::string& reason = "") {
  return "<DescribeStacksResponse><DescribeStacksResult><Stacks><member><StackName>r"
         "</StackName><StackStatus>" +
         status + "</StackStatus><StackStatusReason>" + reason +
         "</StackStatusReason></member></Stacks></DescribeStacksResult>"
         "</DescribeStacksResponse>";
}

constexpr char kMissingStack[] = R"(<ErrorResponse><Error><Code>ValidationError</Code>
<Message>Stack with id r does not exist</Message></Error></ErrorResponse>)";

TEST_F(RequestShapeTest, DeployStackCreatesAndWaitsThroughTheSleeper) {
  std::vector<std::chrono::milliseconds> slept;
  Sleeper sleeper = [&](std::chrono::milliseconds d) { slept.push_back(d); };
  transport_.Answer(400, kMissingStack);
  transport_.Answer(200, "<CreateStackResponse><StackId>s</StackId></CreateStackResponse>");
  transport_.Answer(200, DescribeAnswer("CREATE_IN_PROGRESS"));
  transport_.Answer(200, DescribeAnswer("CREATE_COMPLETE"));
  CloudFormationClient cfn(client_);
  Result<StackChange> change =
      cfn.DeployStack({"r", "{}", true}, sleeper, {std::chrono::milliseconds(7), 10});
  ODMD_ASSERT_OK(change);
  EXPECT_EQ(StackChangeName(*change), "created");
  EXPECT_EQ(slept, std::vector<std::chrono::milliseconds>{std::chrono::milliseconds(7)});
}

TEST_F(RequestShapeTest, DeployStackLeavesTheSameTemplateAlone) {
  transport_.Answer(200, DescribeAnswer("CREATE_COMPLETE"));
  transport_.Answer(
      200,
      R"(<GetTemplateResponse><GetTemplateResult><TemplateBody>{"a": 1}</TemplateBody></GetTemplateResult></GetTemplateResponse>)");
  CloudFormationClient cfn(client_);
  Result<StackChange> change = cfn.DeployStack({"r", R"({"a": 1})", true}, [](auto) {});
  ODMD_ASSERT_OK(change);
  EXPECT_EQ(*change, StackChange::kUnchanged);
  EXPECT_EQ(transport_.requests.size(), 2u);  // no UpdateStack
}

TEST_F(RequestShapeTest, DeployStackThatRollsBackNamesStackStatusAndReason) {
  transport_.Answer(400, kMissingStack);
  transport_.Answer(200, "<CreateStackResponse><StackId>s</StackId></CreateStackResponse>");
  transport_.Answer(200, DescribeAnswer("ROLLBACK_COMPLETE", "Role already exists"));
  CloudFormationClient cfn(client_);
  EXPECT_THAT(cfn.DeployStack({"r", "{}", true}, [](auto) {}),
              StatusIs(StatusCode::kFailedPrecondition,
                       HasSubstr("stack \"r\" ended ROLLBACK_COMPLETE: Role already exists")));
}

TEST_F(RequestShapeTest, WaitForStackGivesUpAfterItsPolls) {
  for (int i = 0; i < 3; ++i) transport_.Answer(200, DescribeAnswer("UPDATE_IN_PROGRESS"));
  CloudFormationClient cfn(client_);
  EXPECT_THAT(cfn.WaitForStack("r", [](auto) {}, {std::chrono::milliseconds(1), 3}),
              StatusIs(StatusCode::kUnavailable,
                       HasSubstr("stack \"r\" is still UPDATE_IN_PROGRESS after 3 polls")));
}

TEST_F(RequestShapeTest, PutParameterIsJsonWithTarget) {
  transport_.Answer(200, R"({"Version": 3, "Tier": "Standard"})");
  SsmClient ssm(client_);
  Result<int64_t> v = ssm.PutParameter("/odmd/products/a/b", "v1");
  ODMD_ASSERT_OK(v);
  EXPECT_EQ(*v, 3);
  const HttpRequest& req = transport_.requests.at(0);
  EXPECT_EQ(req.url, "https://ssm.eu-west-1.amazonaws.com/");
  EXPECT_EQ(req.signing_service, "ssm");
  EXPECT_EQ(transport_.Header(0, "X-Amz-Target"), "AmazonSSM.PutParameter");
  EXPECT_EQ(transport_.Header(0, "Content-Type"), "application/x-amz-json-1.1");
  EXPECT_EQ(nlohmann::json::parse(req.body), nlohmann::json({{"Name", "/odmd/products/a/b"},
                                                             {"Value", "v1"},
                                                             {"Type", "String"},
                                                             {"Overwrite", true}}));
}

TEST_F(RequestShapeTest, GetParametersByPathFollowsNextToken) {
  transport_.Answer(200, R"({"Parameters": [{"Name": "/p/a", "Value": "1", "Version": 1,
    "Type": "String"}], "NextToken": "t2"})");
  transport_.Answer(200, R"({"Parameters": [{"Name": "/p/b", "Value": "2", "Version": 4,
    "Type": "String"}]})");
  SsmClient ssm(client_);
  Result<std::vector<Parameter>> ps = ssm.GetParametersByPath("/p");
  ODMD_ASSERT_OK(ps);
  ASSERT_EQ(ps->size(), 2u);
  EXPECT_EQ((*ps)[1].name, "/p/b");
  EXPECT_EQ((*ps)[1].version, 4);
  ASSERT_EQ(transport_.requests.size(), 2u);
  EXPECT_EQ(transport_.Header(1, "X-Amz-Target"), "AmazonSSM.GetParametersByPath");
  EXPECT_EQ(nlohmann::json::parse(transport_.requests[1].body),
            nlohmann::json({{"Path", "/p"}, {"Recursive", true}, {"NextToken", "t2"}}));
}

TEST_F(RequestShapeTest, MissingParameterIsNotFound) {
  transport_.Answer(400,
                    R"({"__type": "ParameterNotFound", "message": "Parameter /x not found."})");
  SsmClient ssm(client_);
  EXPECT_THAT(ssm.GetParameter("/x").status(),
              StatusIs(StatusCode::kNotFound,
                       HasSubstr("ssm GetParameter parameter \"/x\": ParameterNotFound")));
}

TEST_F(RequestShapeTest, PutEventsShapeAndIds) {
  transport_.Answer(200, R"({"FailedEntryCount": 0, "Entries": [{"EventId": "e1"}]})");
  EventBridgeClient events(client_);
  Result<std::vector<std::string>> ids =
      events.PutEvents({{"odmd.platform", "product.published", R"({"a":1})", ""}});
  ODMD_ASSERT_OK(ids);
  EXPECT_EQ(*ids, std::vector<std::string>{"e1"});
  EXPECT_EQ(transport_.requests.at(0).url, "https://events.eu-west-1.amazonaws.com/");
  EXPECT_EQ(transport_.requests.at(0).signing_service, "events");
  EXPECT_EQ(transport_.Header(0, "X-Amz-Target"), "AWSEvents.PutEvents");
  EXPECT_EQ(nlohmann::json::parse(transport_.requests.at(0).body),
            nlohmann::json::parse(R"({"Entries": [{"Source": "odmd.platform",
              "DetailType": "product.published", "Detail": "{\"a\":1}"}]})"));
}

TEST_F(RequestShapeTest, PutEventsFailedEntryIsAnError) {
  transport_.Answer(200, R"({"FailedEntryCount": 1, "Entries": [{"ErrorCode": "InternalFailure",
    "ErrorMessage": "boom"}]})");
  EventBridgeClient events(client_);
  EXPECT_THAT(events.PutEvents({{"s", "d", "{}", ""}}).status(),
              StatusIs(StatusCode::kFailedPrecondition, HasSubstr("InternalFailure: boom")));
}

TEST_F(RequestShapeTest, SecretsManagerShapes) {
  transport_.Answer(200, R"({"ARN": "arn:secret:x", "Name": "x", "VersionId": "v1",
    "SecretString": "hunter2"})");
  SecretsManagerClient sm(client_);
  ODMD_ASSERT_OK(sm.CreateSecret("x", "hunter2"));
  ODMD_ASSERT_OK(sm.PutSecretValue("x", "hunter3"));
  Result<std::string> v = sm.GetSecretValue("x");
  ODMD_ASSERT_OK(v);
  EXPECT_EQ(*v, "hunter2");
  ODMD_ASSERT_OK(sm.DeleteSecret("x"));
  ASSERT_EQ(transport_.requests.size(), 4u);
  EXPECT_EQ(transport_.requests[0].signing_service, "secretsmanager");
  EXPECT_EQ(transport_.Header(0, "X-Amz-Target"), "secretsmanager.CreateSecret");
  EXPECT_EQ(transport_.Header(1, "X-Amz-Target"), "secretsmanager.PutSecretValue");
  EXPECT_EQ(transport_.Header(2, "X-Amz-Target"), "secretsmanager.GetSecretValue");
  EXPECT_EQ(transport_.Header(3, "X-Amz-Target"), "secretsmanager.DeleteSecret");
  EXPECT_EQ(nlohmann::json::parse(transport_.requests[1].body),
            nlohmann::json({{"SecretId", "x"}, {"SecretString", "hunter3"}}));
  EXPECT_EQ(nlohmann::json::parse(transport_.requests[3].body),
            nlohmann::json({{"SecretId", "x"}, {"ForceDeleteWithoutRecovery", true}}));
}

TEST_F(RequestShapeTest, SignatureErrorInXmlFromAJsonServiceIsUnauthenticated) {
  transport_.Answer(403, R"(<?xml version="1.0" encoding="utf-8"?>
<ErrorResponse><Errors><Error><Code>SignatureDoesNotMatch</Code><Message>bad sig</Message>
</Error></Errors></ErrorResponse>)");
  SecretsManagerClient sm(client_);
  EXPECT_THAT(sm.GetSecretValue("x").status(),
              StatusIs(StatusCode::kUnauthenticated,
                       HasSubstr("secretsmanager GetSecretValue secret \"x\": "
                                 "SignatureDoesNotMatch: bad sig")));
}

TEST(FormEncodeTest, IsPythonsUrlencode) {
  EXPECT_EQ(FormEncode("a b+c/d:e~f_g.h-i&j=k\n\xc3\xa9"),
            "a+b%2Bc%2Fd%3Ae~f_g.h-i%26j%3Dk%0A%C3%A9");
}

TEST_F(RequestShapeTest, EndpointOverridesPerServiceAndGlobal) {
  AwsConfig c = Config();
  c.endpoint_url = "http://localhost:5000";
  c.service_endpoints["SSM"] = "http://localhost:6000/";
  EXPECT_EQ(c.EndpointFor(kSts), "http://localhost:5000/");
  EXPECT_EQ(c.EndpointFor(kSsm), "http://localhost:6000/");
  EXPECT_EQ(Config().EndpointFor(kSecretsManager),
            "https://secretsmanager.eu-west-1.amazonaws.com/");
}

TEST_F(RequestShapeTest, UnreachableEndpointNamesServiceAndAction) {
  SsmClient ssm(client_);  // nothing scripted: the fake answers UNAVAILABLE
  EXPECT_THAT(ssm.GetParameter("/x").status(),
              StatusIs(StatusCode::kUnavailable, HasSubstr("ssm GetParameter: ")));
}

}  // namespace
}  // namespace odmd::aws
