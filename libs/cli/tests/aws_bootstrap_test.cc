// `odmd aws bootstrap` against a real moto_server: the role stacks are created in their
// accounts, a second run leaves them unchanged, the build role in the workspace account has
// the template's trust policy, and bad input (a missing manifest, a bad settings key)
// names what is wrong and creates nothing. The IAM reads go through boto3 in a subprocess.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "odmd/base/clock.h"
#include "odmd/cli/main.h"
#include "odmd/testing/moto_server.h"

namespace odmd::cli {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

constexpr char kCentral[] = "123456789012";  // moto's account of unknown access keys
constexpr char kWorkspace[] = "111111111111";

constexpr char kManifest[] = R"({
  "schema": "odmd.manifest/v1", "org": "boot", "version": "1.0.0",
  "centralAccount": "central",
  "accounts": [{"name": "central", "id": "123456789012"},
               {"name": "workspace", "id": "111111111111"}],
  "builds": [
    {"id": "contracts", "kind": "contracts", "repo": {"owner": "boot", "name": "contracts"},
     "envers": [{"rev": "b..main", "account": "central", "region": "us-west-1",
                 "products": [{"name": "contractsLibLatest"}]}]},
    {"id": "web", "kind": "cdk", "repo": {"owner": "boot", "name": "web"},
     "envers": [{"rev": "b..main", "account": "workspace", "region": "us-west-1"}]}
  ]
})";

// What the emulator holds, read through boto3 in one run (python3 starts slowly):
// {"central": [stack names], "workspace": [stack names], "trust": the trust policy of web's
// build role in the workspace account, or null}. With "occupy", first creates a role of
// the build role's name in the workspace account.
constexpr char kProbe[] = R"(
import boto3, json, sys
endpoint = sys.argv[1]
def clients(account):
    kw = dict(endpoint_url=endpoint, region_name='us-west-1')
    if account != '123456789012':
        c = boto3.client('sts', **kw).assume_role(
            RoleArn='arn:aws:iam::%s:role/OrganizationAccountAccessRole' % account,
            RoleSessionName='probe')['Credentials']
        kw.update(aws_access_key_id=c['AccessKeyId'], aws_secret_access_key=c['SecretAccessKey'],
                  aws_session_token=c['SessionToken'])
    return boto3.client('cloudformation', **kw), boto3.client('iam', **kw)
def stacks(cfn):
    try:
        return sorted(s['StackName'] for s in cfn.describe_stacks()['Stacks'])
    except Exception as e:  # moto answers 500 for the stack of a refused CreateStack
        return 'DescribeStacks failed: %s' % e
central, _ = clients('123456789012')
workspace, iam = clients('111111111111')
if sys.argv[2:] == ['occupy']:  # a role of the build role's name, outside CloudFormation
    iam.create_role(RoleName='web-us-west-1111111111111-buildRole', Path='/web/',
                    AssumeRolePolicyDocument='{}')
try:
    trust = iam.get_role(RoleName='web-us-west-1111111111111-buildRole')['Role'][
        'AssumeRolePolicyDocument']
except iam.exceptions.NoSuchEntityException:
    trust = None
print(json.dumps({'central': stacks(central), 'workspace': stacks(workspace), 'trust': trust}))
)";

struct Output {
  int code = 0;
  std::string out, err;
};

// One moto_server for the suite (it starts slowly); SetUp empties it.
class AwsBootstrapTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { moto_ = new testing::MotoServer(); }
  static void TearDownTestSuite() {
    delete moto_;
    moto_ = nullptr;
  }

  void SetUp() override {
    ASSERT_TRUE(moto_->ok()) << moto_->error();
    const std::string reset = "curl -sf -o /dev/null -X POST " + moto_->url() + "/moto-api/reset";
    ASSERT_EQ(std::system(reset.c_str()), 0) << reset;
    std::random_device rd;
    root_ = fs::temp_directory_path() / ("odmd-aws-bootstrap-" + std::to_string(rd()));
    fs::create_directories(root_);
    manifest_ = Write("manifest.json", kManifest);
    config_ = Write("aws.json", R"({"endpoint_url": ")" + moto_->url() +
                                    R"(", "region": "us-east-1", "accounts": ["111111111111"]})");
    probe_ = Write("probe.py", kProbe);
    ::setenv("AWS_ACCESS_KEY_ID", "AKIDBOOTSTRAPTEST", 1);
    ::setenv("AWS_SECRET_ACCESS_KEY", "bootstrap-test-secret", 1);
    ::setenv("AWS_REGION", "us-east-1", 1);
  }
  void TearDown() override {
    ::unsetenv("AWS_ACCESS_KEY_ID");
    ::unsetenv("AWS_SECRET_ACCESS_KEY");
    ::unsetenv("AWS_REGION");
    std::error_code ec;
    fs::remove_all(root_, ec);
  }

  std::string Write(const std::string& name, const std::string& text) {
    const fs::path p = root_ / name;
    std::ofstream(p) << text;
    return p.string();
  }

  Output Odmd(std::vector<std::string> args) {
    args.insert(args.begin(), "odmd");
    std::vector<char*> argv;
    for (std::string& a : args) argv.push_back(a.data());
    std::ostringstream out, err;
    SystemClock clock;
    Output r;
    r.code = Main(static_cast<int>(argv.size()), argv.data(), out, err, clock);
    r.out = out.str();
    r.err = err.str();
    return r;
  }

  // The probe's answer; fails the test naming the command when python3 fails.
  nlohmann::json Probe(const std::string& extra = "") {
    const std::string cmd = "python3 " + probe_ + " " + moto_->url() + " " + extra + " 2>&1";
    FILE* pipe = ::popen(cmd.c_str(), "r");
    if (pipe == nullptr) {
      ADD_FAILURE() << "cannot run " << cmd;
      return nullptr;
    }
    std::string text;
    std::array<char, 4096> buf;
    while (std::size_t n = std::fread(buf.data(), 1, buf.size(), pipe)) text.append(buf.data(), n);
    if (::pclose(pipe) != 0) {
      ADD_FAILURE() << cmd << " failed (python3 with boto3 is required): " << text;
      return nullptr;
    }
    return nlohmann::json::parse(text);
  }

  void ExpectNothingCreated() {
    const nlohmann::json state = Probe();
    EXPECT_EQ(state["central"], nlohmann::json::array()) << state;
    EXPECT_EQ(state["workspace"], nlohmann::json::array()) << state;
    EXPECT_TRUE(state["trust"].is_null()) << state;
  }

  // The trust policy of web's build-role template, as `odmd gen roles` writes it.
  nlohmann::json TemplateTrust() {
    Output gen = Odmd({"gen", "roles", manifest_, "--out", (root_ / "gen").string()});
    EXPECT_EQ(gen.code, 0) << gen.err;
    std::ifstream in(root_ / "gen/roles/web/workspace-us-west-1-build-role.json");
    const nlohmann::json tmpl = nlohmann::json::parse(in);
    EXPECT_EQ(tmpl["Resources"].size(), 1u);
    return tmpl["Resources"].begin().value()["Properties"]["AssumeRolePolicyDocument"];
  }

  static testing::MotoServer* moto_;
  fs::path root_;
  std::string manifest_, config_, probe_;
};

testing::MotoServer* AwsBootstrapTest::moto_ = nullptr;

const std::string kBuildStack = "odmd-roles-web-us-west-1-111111111111-build";
const std::string kCentralStack = "odmd-roles-web-us-west-1-111111111111-central";

TEST_F(AwsBootstrapTest, CreatesTheRoleStacksThenLeavesThemUnchanged) {
  Output first = Odmd({"aws", "bootstrap", manifest_, "--aws-config", config_});
  ASSERT_EQ(first.code, 0) << first.out << first.err;
  EXPECT_THAT(first.out, HasSubstr("created  account 111111111111  region us-west-1  stack " +
                                   kBuildStack + "\n"));
  EXPECT_THAT(first.out, HasSubstr("created  account 123456789012  region us-west-1  stack " +
                                   kCentralStack + "\n"));
  // Build roles first: the central role's trust names the build role.
  EXPECT_LT(first.out.find(kBuildStack), first.out.find(kCentralStack));

  const nlohmann::json state = Probe();
  EXPECT_EQ(state["workspace"], nlohmann::json::array({kBuildStack})) << state;
  // The contracts build's account (central) is not an AWS target: only web's central role.
  EXPECT_EQ(state["central"], nlohmann::json::array({kCentralStack})) << state;
  // The build role exists in the workspace account with the template's trust policy, which
  // admits the platform's own principal.
  EXPECT_EQ(state["trust"], TemplateTrust());
  EXPECT_THAT(state["trust"].dump(), HasSubstr("arn:aws:iam::123456789012:role/odmd-platform"));

  Output second = Odmd({"aws", "bootstrap", manifest_, "--aws-config", config_, "--json"});
  ASSERT_EQ(second.code, 0) << second.out << second.err;
  const nlohmann::json stacks = nlohmann::json::parse(second.out);
  ASSERT_EQ(stacks.size(), 2u) << second.out;
  for (const nlohmann::json& s : stacks) EXPECT_EQ(s["status"], "unchanged") << second.out;
  EXPECT_EQ(stacks[0]["account"], kWorkspace);
  EXPECT_EQ(stacks[0]["region"], "us-west-1");
  EXPECT_EQ(stacks[0]["stack"], kBuildStack);
  EXPECT_EQ(stacks[1]["account"], kCentral);
  EXPECT_EQ(stacks[1]["stack"], kCentralStack);
  EXPECT_THAT(first.out + first.err + second.out + second.err,
              ::testing::Not(HasSubstr("bootstrap-test-secret")));
}

TEST_F(AwsBootstrapTest, AStackThatFailsIsNamedAndNothingAfterItIsDeployed) {
  // CloudFormation cannot create the build role: a role of its name exists already.
  ASSERT_TRUE(Probe("occupy")["trust"].is_object());
  Output r = Odmd({"aws", "bootstrap", manifest_, "--aws-config", config_});
  EXPECT_EQ(r.code, 1) << r.out << r.err;
  EXPECT_THAT(r.err, HasSubstr("account 111111111111, region us-west-1, stack \"" + kBuildStack));
  EXPECT_THAT(r.err, HasSubstr("EntityAlreadyExists"));
  EXPECT_EQ(r.out, "");
  // The central role's stack, next in line, was not deployed.
  EXPECT_EQ(Probe()["central"], nlohmann::json::array());
}

TEST_F(AwsBootstrapTest, AMissingManifestIsNamedAndCreatesNothing) {
  const std::string missing = (root_ / "absent.json").string();
  Output r = Odmd({"aws", "bootstrap", missing, "--aws-config", config_});
  EXPECT_NE(r.code, 0);
  EXPECT_THAT(r.err, HasSubstr(missing));
  ExpectNothingCreated();
}

TEST_F(AwsBootstrapTest, ABadSettingsKeyIsNamedAndCreatesNothing) {
  const std::string bad =
      Write("bad.json", R"({"endpoint_url": ")" + moto_->url() +
                            R"(", "accounts": ["111111111111"], "acounts": []})");
  Output r = Odmd({"aws", "bootstrap", manifest_, "--aws-config", bad});
  EXPECT_NE(r.code, 0);
  EXPECT_THAT(r.err, HasSubstr(bad));
  EXPECT_THAT(r.err, HasSubstr("acounts"));
  ExpectNothingCreated();
}

TEST_F(AwsBootstrapTest, ASettingsAccountThatIsNotInTheContractsIsNamedAndCreatesNothing) {
  const std::string other =
      Write("other.json", R"({"endpoint_url": ")" + moto_->url() +
                              R"(", "accounts": ["111111111111", "999999999999"]})");
  Output r = Odmd({"aws", "bootstrap", manifest_, "--aws-config", other});
  EXPECT_NE(r.code, 0);
  EXPECT_THAT(r.err, HasSubstr(other));
  EXPECT_THAT(r.err, HasSubstr("account 999999999999 is not an account of the contracts"));
  ExpectNothingCreated();
}

TEST_F(AwsBootstrapTest, AnAdminRoleThatIsNoRoleNameIsRefusedBeforeAnything) {
  Output r =
      Odmd({"aws", "bootstrap", manifest_, "--aws-config", config_, "--admin-role", "admin role*"});
  EXPECT_NE(r.code, 0);
  EXPECT_THAT(r.err, HasSubstr("--admin-role \"admin role*\" is not an IAM role name"));
  ExpectNothingCreated();
}

}  // namespace
}  // namespace odmd::cli
