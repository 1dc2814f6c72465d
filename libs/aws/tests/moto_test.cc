// The same calls, signed by libcurl, against moto_server with its signature and IAM policy
// checking on: a central IAM user with a policy, a build role that trusts it and one that
// does not. A wrong secret is refused by every service; the untrusted role is refused.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>

#include "odmd/aws/cloudformation.h"
#include "odmd/aws/eventbridge.h"
#include "odmd/aws/secretsmanager.h"
#include "odmd/aws/ssm.h"
#include "odmd/aws/sts.h"
#include "odmd/testing/moto_server.h"
#include "odmd/testing/status_matchers.h"
#include "xml.h"

namespace odmd::aws {
namespace {

using ::odmd::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::UnorderedElementsAre;

constexpr Service kIam{"IAM", "iam", "iam"};
constexpr char kIamVersion[] = "2010-05-08";
constexpr char kAccount[] = "123456789012";  // moto's default account
const std::string kUserArn = std::string("arn:aws:iam::") + kAccount + ":user/odmd-central";
const std::string kTrustedRole = std::string("arn:aws:iam::") + kAccount + ":role/odmd-build";
const std::string kUntrustedRole = std::string("arn:aws:iam::") + kAccount + ":role/other-build";

std::string TrustPolicy(const std::string& principal) {
  return nlohmann::json({{"Version", "2012-10-17"},
                         {"Statement",
                          {{{"Effect", "Allow"},
                            {"Principal", {{"AWS", principal}}},
                            {"Action", "sts:AssumeRole"}}}}})
      .dump();
}

class MotoTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    moto_ = new odmd::testing::MotoServer();
    if (!moto_->ok()) return;
    // Five unauthenticated IAM actions set the account up; everything after is checked.
    if (!moto_->ResetAuth(5)) {
      setup_error_ = "POST /moto-api/reset-auth failed";
      return;
    }
    AwsClient admin(Config({"AKIDSETUP", "setup-secret", ""}), *transport_, RealSleeper());
    const std::string policy =
        R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]})";
    const std::vector<std::pair<std::string, FormParams>> setup = {
        {"CreateUser", {{"UserName", "odmd-central"}}},
        {"CreateAccessKey", {{"UserName", "odmd-central"}}},
        {"PutUserPolicy",
         {{"UserName", "odmd-central"}, {"PolicyName", "all"}, {"PolicyDocument", policy}}},
        {"CreateRole",
         {{"RoleName", "odmd-build"}, {"AssumeRolePolicyDocument", TrustPolicy(kUserArn)}}},
        {"CreateRole",
         {{"RoleName", "other-build"},
          {"AssumeRolePolicyDocument",
           TrustPolicy(std::string("arn:aws:iam::") + kAccount + ":user/someone-else")}}}};
    for (const auto& [action, params] : setup) {
      Result<std::string> r = admin.Query(kIam, action, kIamVersion, params);
      if (!r.ok()) {
        setup_error_ = "iam " + action + ": " + r.status().ToString();
        return;
      }
      if (action == "CreateAccessKey") {
        Result<internal::XmlElement> xml = internal::ParseXml(*r, "iam CreateAccessKey");
        const internal::XmlElement* key = xml.ok() ? xml->Find("AccessKey") : nullptr;
        if (key == nullptr) {
          setup_error_ = "iam CreateAccessKey: no AccessKey in " + *r;
          return;
        }
        central_ = {key->ChildText("AccessKeyId"), key->ChildText("SecretAccessKey"), ""};
      }
    }
  }
  static void TearDownTestSuite() {
    delete moto_;
    moto_ = nullptr;
  }

  void SetUp() override {
    ASSERT_TRUE(moto_->ok()) << moto_->error();
    ASSERT_TRUE(setup_error_.empty()) << setup_error_;
  }

  static AwsConfig Config(Credentials credentials) {
    AwsConfig c;
    c.region = "us-east-1";
    c.credentials = std::move(credentials);
    c.endpoint_url = moto_->url();
    return c;
  }
  static std::unique_ptr<AwsClient> Client(Credentials credentials) {
    return std::make_unique<AwsClient>(Config(std::move(credentials)), *transport_, RealSleeper());
  }

  static inline odmd::testing::MotoServer* moto_ = nullptr;
  static inline std::string setup_error_;
  static inline Credentials central_;
  static inline std::unique_ptr<Transport> transport_ = NewCurlTransport();
};

TEST_F(MotoTest, StsCallerIdentityAndTrustedRole) {
  auto client = Client(central_);
  StsClient sts(*client);
  Result<CallerIdentity> me = sts.GetCallerIdentity();
  ODMD_ASSERT_OK(me);
  EXPECT_EQ(me->arn, kUserArn);
  EXPECT_EQ(me->account, kAccount);

  Result<AssumedRole> role = sts.AssumeRole(kTrustedRole, "odmd-deploy-1", 900);
  ODMD_ASSERT_OK(role);
  EXPECT_THAT(role->credentials.session_token, Not(::testing::IsEmpty()));
  EXPECT_EQ(role->assumed_role_arn,
            std::string("arn:aws:sts::") + kAccount + ":assumed-role/odmd-build/odmd-deploy-1");
  // The temporary credentials work (the session token is sent) ...
  auto as_role = Client(role->credentials);
  StsClient role_sts(*as_role);
  Result<CallerIdentity> who = role_sts.GetCallerIdentity();
  ODMD_ASSERT_OK(who);
  EXPECT_EQ(who->arn, role->assumed_role_arn);
  // ... and a forged token is refused.
  Credentials forged = role->credentials;
  forged.session_token = "forged";
  auto as_forged = Client(forged);
  EXPECT_THAT(StsClient(*as_forged).GetCallerIdentity().status(),
              StatusIs(StatusCode::kUnauthenticated, HasSubstr("InvalidClientTokenId")));
}

TEST_F(MotoTest, UntrustedRoleIsRefused) {
  auto client = Client(central_);
  Result<AssumedRole> r = StsClient(*client).AssumeRole(kUntrustedRole, "odmd-deploy-2");
  EXPECT_THAT(r.status(),
              StatusIs(StatusCode::kPermissionDenied,
                       HasSubstr("sts AssumeRole role \"" + kUntrustedRole + "\": AccessDenied")));
  EXPECT_THAT(r.status().message(), Not(HasSubstr(central_.secret_access_key)));
}

TEST_F(MotoTest, WrongSecretIsRefusedByEveryServiceAndNeverShown) {
  Credentials wrong = central_;
  wrong.secret_access_key = "wrong-secret-not-to-be-shown";
  auto client = Client(wrong);
  const std::vector<Status> refusals = {
      StsClient(*client).GetCallerIdentity().status(),
      CloudFormationClient(*client).DescribeStack("any").status(),
      SsmClient(*client).GetParameter("/any").status(),
      EventBridgeClient(*client).PutEvents({{"odmd.platform", "t", "{}", ""}}).status(),
      SecretsManagerClient(*client).GetSecretValue("any").status()};
  for (const Status& s : refusals) {
    EXPECT_THAT(s, StatusIs(StatusCode::kUnauthenticated, HasSubstr("SignatureDoesNotMatch")));
    EXPECT_THAT(s.message(), Not(HasSubstr(wrong.secret_access_key)));
    EXPECT_THAT(s.message(), Not(HasSubstr(central_.secret_access_key)));
  }
}

TEST_F(MotoTest, SsmProductsMirror) {
  auto client = Client(central_);
  SsmClient ssm(*client);
  {
    auto r = ssm.PutParameter("/odmd/products/a/url", "v1");
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(*r, 1);
  }
  EXPECT_EQ(ssm.PutParameter("/odmd/products/a/url", "v2").value(), 2);
  EXPECT_THAT(ssm.PutParameter("/odmd/products/a/url", "v3", /*overwrite=*/false).status(),
              StatusIs(StatusCode::kAlreadyExists));
  ODMD_ASSERT_OK(ssm.PutParameter("/odmd/products/a/deep/bucket", "b1"));
  ODMD_ASSERT_OK(ssm.PutParameter("/odmd/products/b/url", "other"));

  Result<Parameter> p = ssm.GetParameter("/odmd/products/a/url");
  ODMD_ASSERT_OK(p);
  EXPECT_EQ(p->value, "v2");
  EXPECT_EQ(p->version, 2);
  Result<std::vector<Parameter>> history = ssm.GetParameterHistory("/odmd/products/a/url");
  ODMD_ASSERT_OK(history);
  ASSERT_EQ(history->size(), 2u);
  EXPECT_EQ((*history)[0].value, "v1");
  EXPECT_EQ((*history)[1].value, "v2");

  Result<std::vector<Parameter>> under_a = ssm.GetParametersByPath("/odmd/products/a");
  ODMD_ASSERT_OK(under_a);
  std::vector<std::string> names;
  for (const Parameter& q : *under_a) names.push_back(q.name);
  EXPECT_THAT(names, UnorderedElementsAre("/odmd/products/a/url", "/odmd/products/a/deep/bucket"));
  EXPECT_THAT(ssm.GetParameter("/odmd/products/none").status(),
              StatusIs(StatusCode::kNotFound, HasSubstr("ParameterNotFound")));
}

TEST_F(MotoTest, EventsSecretsAndStacks) {
  auto client = Client(central_);
  Result<std::vector<std::string>> ids = EventBridgeClient(*client).PutEvents(
      {{"odmd.platform", "product.published", R"({"product":"a/url"})", ""},
       {"odmd.platform", "deployment.succeeded", R"({"enver":"a..main"})", ""}});
  ODMD_ASSERT_OK(ids);
  ASSERT_EQ(ids->size(), 2u);
  EXPECT_FALSE((*ids)[0].empty());

  SecretsManagerClient sm(*client);
  Result<std::string> arn = sm.CreateSecret("odmd/a/token", "t1");
  ODMD_ASSERT_OK(arn);
  EXPECT_THAT(*arn, HasSubstr("odmd/a/token"));
  EXPECT_THAT(sm.CreateSecret("odmd/a/token", "t1").status(), StatusIs(StatusCode::kAlreadyExists));
  ODMD_ASSERT_OK(sm.PutSecretValue("odmd/a/token", "t2"));
  EXPECT_EQ(sm.GetSecretValue("odmd/a/token").value(), "t2");
  ODMD_ASSERT_OK(sm.DeleteSecret("odmd/a/token"));
  EXPECT_THAT(sm.GetSecretValue("odmd/a/token").status(), StatusIs(StatusCode::kNotFound));

  const std::string tmpl = R"({"Resources": {"P": {"Type": "AWS::SSM::Parameter",
    "Properties": {"Name": "/cfn/net", "Type": "String", "Value": "vpc-1"}}},
    "Outputs": {"ParamName": {"Value": {"Ref": "P"}}, "Static": {"Value": "fixed"}}})";
  ODMD_ASSERT_OK(client->Query(kCloudFormation, "CreateStack", "2010-05-15",
                               {{"StackName", "net--abc"}, {"TemplateBody", tmpl}}));
  CloudFormationClient cfn(*client);
  Result<Stack> stack = cfn.DescribeStack("net--abc");
  ODMD_ASSERT_OK(stack);
  EXPECT_EQ(stack->name, "net--abc");
  EXPECT_EQ(stack->status, "CREATE_COMPLETE");
  EXPECT_EQ(stack->outputs,
            (std::map<std::string, std::string>{{"ParamName", "/cfn/net"}, {"Static", "fixed"}}));
  ODMD_ASSERT_OK(cfn.DeleteStack("net--abc"));
  Result<Stack> gone = cfn.DescribeStack("net--abc");
  EXPECT_THAT(gone.status(), StatusIs(StatusCode::kNotFound, HasSubstr("net--abc")));
  EXPECT_THAT(cfn.DescribeStack("never-was").status(),
              StatusIs(StatusCode::kNotFound,
                       HasSubstr("cloudformation DescribeStacks stack \"never-was\"")));
}

TEST_F(MotoTest, DeployStackCreatesLeavesAloneAndUpdates) {
  auto client = Client(central_);
  CloudFormationClient cfn(*client);
  auto role = [](const std::string& description) {
    return R"({"Resources": {"R": {"Type": "AWS::IAM::Role", "Properties": {
      "RoleName": "deployed-by-stack", "Description": ")" +
           description + R"(", "AssumeRolePolicyDocument": {"Version": "2012-10-17",
      "Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
      "Action": "sts:AssumeRole"}]}}}}})";
  };
  StackWait fast{std::chrono::milliseconds(50), 200};
  Result<StackChange> first = cfn.DeployStack({"roles--a", role("one"), true}, RealSleeper(), fast);
  ODMD_ASSERT_OK(first);
  EXPECT_EQ(*first, StackChange::kCreated);
  Result<StackChange> again = cfn.DeployStack({"roles--a", role("one"), true}, RealSleeper(), fast);
  ODMD_ASSERT_OK(again);
  EXPECT_EQ(*again, StackChange::kUnchanged);
  Result<StackChange> changed =
      cfn.DeployStack({"roles--a", role("two"), true}, RealSleeper(), fast);
  ODMD_ASSERT_OK(changed);
  EXPECT_EQ(*changed, StackChange::kUpdated);
  EXPECT_EQ(cfn.DescribeStack("roles--a")->status, "UPDATE_COMPLETE");
  ODMD_ASSERT_OK(cfn.DeleteStack("roles--a"));
}

}  // namespace
}  // namespace odmd::aws
