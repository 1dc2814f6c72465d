// The Deployer on AWS targets, end to end: a real moto_server (signature and IAM checking
// on), the real sandbox, real git, the real CDK CLI (sdk/cdk/node_modules) and small CDK apps
// written by the tests. Each test names what it proves; docs/aws-targets.md, "Deploy
// targets and the CDK tail".

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <thread>

#include "nlohmann/json.hpp"
#include "odmd/aws/client.h"
#include "odmd/aws/cloudformation.h"
#include "odmd/aws/secretsmanager.h"
#include "odmd/aws/sts.h"
#include "odmd/model/naming.h"
#include "odmd/reconcile/deployer.h"
#include "odmd/store/open_config_store.h"
#include "odmd/testing/fake_clock.h"
#include "odmd/testing/moto_server.h"
#include "odmd/testing/shell.h"
#include "odmd/testing/status_matchers.h"

namespace odmd::reconcile {
namespace {

namespace fs = std::filesystem;
using ::odmd::testing::IsOk;
using ::odmd::testing::Q;
using ::odmd::testing::Sh;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using Files = std::map<std::string, std::string>;

constexpr aws::Service kIam{"IAM", "iam", "iam"};
constexpr char kIamVersion[] = "2010-05-08";
constexpr char kCentralAccount[] = "123456789012";  // moto's default account
constexpr char kTarget[] = "111111111111";          // the AWS target account
constexpr char kNoRoles[] = "222222222222";         // an AWS account nobody bootstrapped
constexpr char kRegion[] = "us-east-1";
constexpr char kSdkNodeModules[] = ODMD_SOURCE_DIR "/sdk/cdk/node_modules";
const std::string kCentralUser = std::string("arn:aws:iam::") + kCentralAccount + ":user/central";

std::string ReadAll(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The text of the first <tag>...</tag> in `xml` ("" if none).
std::string XmlText(const std::string& xml, const std::string& tag) {
  const auto start = xml.find("<" + tag + ">");
  if (start == std::string::npos) return "";
  const auto from = start + tag.size() + 2;
  const auto end = xml.find("</" + tag + ">", from);
  return end == std::string::npos ? "" : xml.substr(from, end - from);
}

std::string TrustPolicy(const std::string& principal) {
  return nlohmann::json({{"Version", "2012-10-17"},
                         {"Statement",
                          {{{"Effect", "Allow"},
                            {"Principal", {{"AWS", principal}}},
                            {"Action", "sts:AssumeRole"}}}}})
      .dump();
}

std::string Policy(const std::string& effect, const std::string& action) {
  return nlohmann::json(
             {{"Version", "2012-10-17"},
              {"Statement", {{{"Effect", effect}, {"Action", action}, {"Resource", "*"}}}}})
      .dump();
}

// A CDK app (plain JavaScript, LegacyStackSynthesizer: no bootstrap, no assets) with one
// stack per name in ODMD_stack_names: an SNS topic named `topic`, the parameters `params`,
// and the OdmdProducts output `products_output` (Fn::Sub, ${T}: the stack's topic).
std::string CdkApp(const std::string& topic, const std::vector<std::string>& params,
                   const std::string& products_output) {
  std::string js =
      "const cdk = require('aws-cdk-lib');\n"
      "const app = new cdk.App({outdir: 'cdk.out'});\n"
      "const names = process.env.ODMD_stack_names.split(' ');\n"
      "for (const name of names) {\n"
      "  const s = new cdk.Stack(app, name, {stackName: name,\n"
      "      synthesizer: new cdk.LegacyStackSynthesizer()});\n";
  for (const std::string& p : params) {
    js += "  new cdk.CfnParameter(s, '" + p + "', {type: 'String'});\n";
  }
  js += "  const t = new cdk.aws_sns.CfnTopic(s, 'T', {topicName: " + topic + "});\n";
  if (!products_output.empty()) {
    js += "  new cdk.CfnOutput(s, 'OdmdProducts', {value: cdk.Fn.sub(" + products_output +
          ", {T: t.ref})});\n";
  }
  js += "}\napp.synth();\n";
  return js;
}

// The build script of a CDK enver: synthesise cdk.out with the shared install.
std::string SynthScript() {
  return std::string("#!/bin/sh\nset -e\nNODE_PATH=") + kSdkNodeModules +
         " node app.js > synth.log 2>&1 || { cat synth.log; exit 1; }\n";
}

class AwsDeployerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    moto_ = new odmd::testing::MotoServer();
    if (!moto_->ok()) return;
    setup_error_ = SetUpAccounts();
  }
  static void TearDownTestSuite() {
    delete moto_;
    moto_ = nullptr;
  }

  static aws::AwsConfig Config(aws::Credentials c) {
    aws::AwsConfig config;
    config.region = kRegion;
    config.credentials = std::move(c);
    config.endpoint_url = moto_->url();
    return config;
  }

  static Result<std::string> Call(const aws::Credentials& c, const std::string& action,
                                  const aws::FormParams& params) {
    aws::AwsClient client(Config(c), *transport_, aws::RealSleeper());
    return client.Query(kIam, action, kIamVersion, params);
  }

  // The central user (its key is the platform's central credentials) in moto's default
  // account; in the target account the build roles of "svc" and "web" (cdk) trusting it,
  // and of "closed" trusting someone else. Then signature and IAM checking go on.
  static std::string SetUpAccounts() {
    // Exactly these unauthenticated actions; every later one is checked.
    if (!moto_->ResetAuth(12)) return "POST /moto-api/reset-auth failed";
    const aws::Credentials setup{"AKIDSETUP", "setup-secret", ""};
    for (const auto& [action, params] : std::vector<std::pair<std::string, aws::FormParams>>{
             {"CreateUser", {{"UserName", "central"}}},
             {"PutUserPolicy",
              {{"UserName", "central"},
               {"PolicyName", "all"},
               {"PolicyDocument", Policy("Allow", "*")}}}}) {
      Result<std::string> r = Call(setup, action, params);
      if (!r.ok()) return "iam " + action + ": " + r.status().ToString();
    }
    Result<std::string> key = Call(setup, "CreateAccessKey", {{"UserName", "central"}});
    if (!key.ok()) return "iam CreateAccessKey: " + key.status().ToString();
    central_ = {XmlText(*key, "AccessKeyId"), XmlText(*key, "SecretAccessKey"), ""};
    // moto gives whoever assumes a role of another account that account's credentials.
    aws::AwsClient sts_client(Config(setup), *transport_, aws::RealSleeper());
    Result<aws::AssumedRole> in_target =
        aws::StsClient(sts_client)
            .AssumeRole(std::string("arn:aws:iam::") + kTarget + ":role/setup", "setup");
    if (!in_target.ok()) return "sts AssumeRole setup: " + in_target.status().ToString();
    // "closed" deploys to the central account itself: moto 5.2.1 checks a role's trust
    // policy only when the caller is of the role's own account.
    struct Role {
      std::string build, account, trusted;
      aws::Credentials creds;
    };
    const std::vector<Role> roles = {
        {"svc", kTarget, kCentralUser, in_target->credentials},
        {"web", kTarget, kCentralUser, in_target->credentials},
        {"web2", kTarget, kCentralUser, in_target->credentials},
        {"closed", kCentralAccount,
         std::string("arn:aws:iam::") + kCentralAccount + ":user/someone-else", setup}};
    for (const auto& [build, account, trusted, creds] : roles) {
      const std::string name = model::BuildRoleName(build, kRegion, account);
      Result<std::string> r = Call(creds, "CreateRole",
                                   {{"RoleName", name},
                                    {"Path", model::RolePath(build)},
                                    {"AssumeRolePolicyDocument", TrustPolicy(trusted)}});
      if (!r.ok()) return "iam CreateRole " + name + ": " + r.status().ToString();
      r = Call(
          creds, "PutRolePolicy",
          {{"RoleName", name}, {"PolicyName", "all"}, {"PolicyDocument", Policy("Allow", "*")}});
      if (!r.ok()) return "iam PutRolePolicy " + name + ": " + r.status().ToString();
    }
    return "";
  }

  void SetUp() override {
    ASSERT_TRUE(moto_->ok()) << moto_->error();
    ASSERT_TRUE(setup_error_.empty()) << setup_error_;
    ASSERT_TRUE(fs::exists(std::string(kSdkNodeModules) + "/.bin/cdk"))
        << "the shared CDK install is missing: run `npm ci` in sdk/cdk (scripts/install-deps.sh)";
    std::random_device rd;
    root_ = fs::temp_directory_path() / ("odmd-aws-deployer-test-" + std::to_string(rd()));
    fs::create_directories(root_);
    ::setenv("GIT_CONFIG_NOSYSTEM", "1", 1);
    ::setenv("GIT_AUTHOR_NAME", "Test", 1);
    ::setenv("GIT_AUTHOR_EMAIL", "t@example.com", 1);
    ::setenv("GIT_COMMITTER_NAME", "Test", 1);
    ::setenv("GIT_COMMITTER_EMAIL", "t@example.com", 1);
    repo_ = (root_ / "repo").string();
    Sh("git -c init.defaultBranch=main init -q " + Q(repo_));
    store::StoreOptions so;
    so.url = "sqlite:" + (root_ / "s.db").string();
    auto store = store::OpenConfigStore(so);
    ASSERT_THAT(store, IsOk());
    store_ = std::move(store).value();
    git_ = NewCliGit();
    runner_ = NewProcessRunner(system_clock_, std::chrono::milliseconds(200));

    org_.name = "t";
    org_.central_account = "central";
    org_.accounts = {{"central", kCentralAccount}, {"ws1", kTarget}, {"ws2", kNoRoles}};
    AddBuild("svc", model::BuildKind::kCmd, "ws1", {"identity"});
    AddBuild("web", model::BuildKind::kCdk, "ws1", {"topicArn", "srcRev"});
    AddBuild("closed", model::BuildKind::kCmd, "central", {});
    AddBuild("lost", model::BuildKind::kCmd, "ws2", {});
    AddBuild("web2", model::BuildKind::kCdk, "ws1", {"topicArn"});
    org_.builds.back().envers.front().stacks = {"web2", "web2-share"};
  }

  void TearDown() override {
    std::error_code ec;
    fs::remove_all(root_, ec);
  }

  void AddBuild(const std::string& id, model::BuildKind kind, const std::string& account,
                std::vector<std::string> products) {
    model::Build b;
    b.id = id;
    b.kind = kind;
    b.repo = {"acme", id, 0};
    model::Enver e;
    e.rev = model::RevRef::Branch("main");
    e.account = account;
    e.region = kRegion;
    for (const std::string& p : products) e.products.push_back({p});
    b.envers = {e};
    org_.builds.push_back(b);
  }

  std::string Commit(const Files& files) {
    const std::string w = "git -C " + Q(repo_) + " ";
    Sh(w + "rm -rq --ignore-unmatch .");
    for (const auto& [path, content] : files) {
      const fs::path file = fs::path(repo_) / path;
      fs::create_directories(file.parent_path());
      std::ofstream(file, std::ios::binary) << content;
    }
    Sh(w + "add -A");
    Sh(w + "commit -q --allow-empty -m test");
    return Sh(w + "rev-parse HEAD");
  }

  AwsSettings Settings(aws::Credentials central) {
    AwsSettings s;
    s.central = Config(std::move(central));
    s.aws_accounts = {kCentralAccount, kTarget, kNoRoles};
    return s;
  }

  DeployerOptions Options() {
    DeployerOptions o;
    o.state_dir = (root_ / "state").string();
    o.api_url = "http://127.0.0.1:4321";
    o.time_limit = std::chrono::seconds(60);
    o.aws = Settings(central_);
    o.cdk_binary = std::string(kSdkNodeModules) + "/.bin/cdk";
    o.tool_dirs = {kSdkNodeModules};
    o.stack_poll = std::chrono::milliseconds(100);
    return o;
  }

  // The awscli of this machine's Python (its prefix becomes a tool dir of `o`, so the
  // sandboxed script can run it); "" with a failure naming it when it is missing.
  static std::string AwsCli(DeployerOptions& o) {
    const std::string python = Sh("python3 -c 'import sys; print(sys.prefix)'");
    const std::string aws_cli = python + "/bin/aws";
    if (!fs::exists(aws_cli)) {
      ADD_FAILURE() << "awscli is missing: " << aws_cli;
      return "";
    }
    o.tool_dirs.push_back(python);
    return aws_cli;
  }

  std::unique_ptr<Deployer> NewDeployer(DeployerOptions o) {
    return std::make_unique<Deployer>(*store_, *git_, *runner_, fake_clock_, std::move(o));
  }

  DeployTarget Target(const std::string& build) {
    DeployTarget t;
    t.org = &org_;
    t.build = org_.FindBuild(build);
    t.enver = &t.build->envers.front();
    t.repo_path = repo_;
    t.token = "odmd_t_secret";
    return t;
  }

  DeployOutcome Deploy(Deployer& deployer, const std::string& build, const std::string& id,
                       const std::string& sha) {
    Deployment d;
    d.id = id;
    d.enver_id = build + "/b..main";
    d.sha = sha;
    Result<DeployOutcome> out = deployer.Deploy(d, Target(build), nullptr);
    EXPECT_THAT(out, IsOk());
    return out.ok() ? *out : DeployOutcome{};
  }

  std::string Log(const std::string& id) {
    return ReadAll(root_ / "state" / "logs" / (id + ".log"));
  }

  // Every key under the enver's product prefix.
  std::vector<std::string> ProductKeys(const std::string& build) {
    Result<std::vector<store::Entry>> all = store_->List("/odmd-share/" + build + "/");
    std::vector<std::string> keys;
    if (all.ok()) {
      for (const store::Entry& e : *all) keys.push_back(e.key);
    }
    return keys;
  }

  // The build role's credentials in the target account (for checks only).
  static aws::Credentials RoleCredentials(const std::string& build) {
    aws::AwsClient client(Config(central_), *transport_, aws::RealSleeper());
    Result<aws::AssumedRole> r = aws::StsClient(client).AssumeRole(
        model::RoleArn(kTarget, build, model::BuildRoleName(build, kRegion, kTarget)), "check");
    EXPECT_THAT(r, IsOk());
    return r.ok() ? r->credentials : aws::Credentials{};
  }

  static Result<aws::Stack> DescribeStack(const std::string& build, const std::string& stack) {
    aws::AwsClient client(Config(RoleCredentials(build)), *transport_, aws::RealSleeper());
    return aws::CloudFormationClient(client).DescribeStack(stack);
  }

  static inline odmd::testing::MotoServer* moto_ = nullptr;
  static inline std::string setup_error_;
  static inline aws::Credentials central_;
  static inline std::unique_ptr<aws::Transport> transport_ = aws::NewCurlTransport();

  fs::path root_;
  std::string repo_;
  SystemClock system_clock_;
  odmd::testing::FakeClock fake_clock_;
  store::ConfigStorePtr store_;
  std::unique_ptr<Git> git_;
  std::unique_ptr<Runner> runner_;
  model::Org org_;
};

// The platform's own credentials (its environment, its shared credentials file) never reach
// a build script: the script sees the build role's session and nothing else of AWS.
TEST_F(AwsDeployerTest, HostileScriptSeesOnlyTheBuildRolesCredentials) {
  // The serve process's own AWS configuration, as an operator would have it.
  const fs::path home = root_ / "serve-home";
  fs::create_directories(home / ".aws");
  std::ofstream(home / ".aws" / "credentials")
      << "[default]\naws_access_key_id = " << central_.access_key_id
      << "\naws_secret_access_key = " << central_.secret_access_key << "\n";
  ::setenv("AWS_ACCESS_KEY_ID", central_.access_key_id.c_str(), 1);
  ::setenv("AWS_SECRET_ACCESS_KEY", central_.secret_access_key.c_str(), 1);
  ::setenv("AWS_SHARED_CREDENTIALS_FILE", (home / ".aws" / "credentials").c_str(), 1);
  DeployerOptions o = Options();
  const std::string aws_cli = AwsCli(o);
  ASSERT_FALSE(aws_cli.empty());

  const std::string script =
      "#!/bin/sh\n"
      "echo '== env'; env\n"
      "echo '== serve credentials file'; cat " +
      Q((home / ".aws" / "credentials").string()) +
      " 2>&1\n"
      "echo '== every environ'; for f in /proc/[0-9]*/environ; do tr '\\0' '\\n' < $f; done 2>&1\n"
      "echo '== parent'; cat /proc/$PPID/environ 2>&1 | tr '\\0' '\\n'\n"
      "echo '== root'; ls -a /root /root/.aws 2>&1; cat /root/.aws/credentials 2>&1\n"
      "echo '== identity'\n" +
      Q(aws_cli) +
      " sts get-caller-identity --query Arn --output text > \"$ODMD_PRODUCTS_DIR/identity\"\n"
      "cat \"$ODMD_PRODUCTS_DIR/identity\"\n";
  const std::string sha = Commit({{".scripts/build.sh", script}});
  auto deployer = NewDeployer(o);
  DeployOutcome out = Deploy(*deployer, "svc", "d1", sha);
  ::unsetenv("AWS_ACCESS_KEY_ID");
  ::unsetenv("AWS_SECRET_ACCESS_KEY");
  ::unsetenv("AWS_SHARED_CREDENTIALS_FILE");

  const std::string log = Log("d1");
  ASSERT_TRUE(out.succeeded) << out.reason << "\n" << log;
  EXPECT_THAT(log, Not(HasSubstr(central_.access_key_id)));
  EXPECT_THAT(log, Not(HasSubstr(central_.secret_access_key)));
  EXPECT_THAT(log, HasSubstr("== serve credentials file"));
  // The build role's assumed identity, session named after the deployment.
  const std::string role = model::BuildRoleName("svc", kRegion, kTarget);
  const std::string identity =
      std::string("arn:aws:sts::") + kTarget + ":assumed-role/" + role + "/odmd-d1";
  EXPECT_EQ(store_->Get("/odmd-share/svc/b..main/identity")->value, identity + "\n");
  // Exactly these AWS variables.
  std::string env_part = log.substr(0, log.find("== serve credentials file"));
  std::vector<std::string> aws_vars;
  std::istringstream lines(env_part);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("AWS_", 0) == 0 || line.rfind("CDK_", 0) == 0) {
      aws_vars.push_back(line.substr(0, line.find('=')));
    }
  }
  EXPECT_THAT(aws_vars, ::testing::UnorderedElementsAre(
                            "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
                            "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ENDPOINT_URL"));
  EXPECT_THAT(env_part, HasSubstr("AWS_ENDPOINT_URL=" + moto_->url() + "\n"));
  EXPECT_THAT(env_part, HasSubstr(std::string("AWS_REGION=") + kRegion + "\n"));
}

// A CDK enver: the build script synthesises, the platform deploys the stack with exactly the
// parameters its template declares, the OdmdProducts output becomes product versions, and
// the teardown deletes the stack.
TEST_F(AwsDeployerTest, CdkEnverDeploysItsStackAndPublishesItsOutputs) {
  const std::string sha =
      Commit({{".scripts/build.sh", SynthScript()},
              {"app.js", CdkApp("name + '-topic'", {"odmdBuildId", "buildSrcRev", "buildSrcRef"},
                                R"('{"topicArn":"${T}","srcRev":"${buildSrcRev}"}')")}});
  auto deployer = NewDeployer(Options());
  DeployOutcome out = Deploy(*deployer, "web", "d2", sha);
  const std::string log = Log("d2");
  ASSERT_TRUE(out.succeeded) << out.reason << "\n" << log;
  // Only the declared parameters, by the original's names.
  EXPECT_THAT(log, HasSubstr("--parameters buildSrcRef=b..main --parameters buildSrcRev=" + sha +
                             " --parameters odmdBuildId=web"));
  EXPECT_THAT(log, Not(HasSubstr("buildSrcRepo=")));
  EXPECT_THAT(log, Not(HasSubstr("odmdDepRev=")));
  EXPECT_THAT(log, HasSubstr("--exclusively --require-approval never --method=direct"));
  const std::string topic =
      std::string("arn:aws:sns:") + kRegion + ":" + kTarget + ":web--main-topic";
  EXPECT_EQ(store_->Get("/odmd-share/web/b..main/topicArn")->value, topic);
  EXPECT_EQ(store_->Get("/odmd-share/web/b..main/srcRev")->value, sha);
  EXPECT_THAT(out.published, ::testing::UnorderedElementsAre("/odmd-share/web/b..main/topicArn",
                                                             "/odmd-share/web/b..main/srcRev"));
  Result<aws::Stack> stack = DescribeStack("web", "web--main");
  ASSERT_THAT(stack, IsOk());
  EXPECT_EQ(stack->status, "CREATE_COMPLETE");

  Result<DeployOutcome> down = deployer->Teardown(Target("web"), sha, "t2");
  ASSERT_THAT(down, IsOk());
  EXPECT_TRUE(down->succeeded) << down->reason;
  EXPECT_THAT(DescribeStack("web", "web--main").status(),
              ::odmd::testing::StatusIs(StatusCode::kNotFound));
}

TEST_F(AwsDeployerTest, CdkEnverWithoutCloudAssemblyFailsNamingIt) {
  const std::string sha = Commit({{".scripts/build.sh", "#!/bin/sh\necho no synth\n"}});
  auto deployer = NewDeployer(Options());
  DeployOutcome out = Deploy(*deployer, "web", "d3", sha);
  EXPECT_FALSE(out.succeeded);
  EXPECT_FALSE(out.transient);
  EXPECT_THAT(out.reason, HasSubstr("stack \"web--main\" (account 111111111111)"));
  EXPECT_THAT(out.reason, HasSubstr("cdk.out\" does not exist"));
  EXPECT_THAT(ProductKeys("web"), IsEmpty());
}

TEST_F(AwsDeployerTest, StackOutputOfAnUndeclaredProductFailsNamingIt) {
  const std::string sha =
      Commit({{".scripts/build.sh", SynthScript()},
              {"app.js", CdkApp("name + '-undeclared'", {}, R"('{"secretThing":"${T}"}')")}});
  auto deployer = NewDeployer(Options());
  DeployOutcome out = Deploy(*deployer, "web", "d4", sha);
  EXPECT_FALSE(out.succeeded);
  EXPECT_THAT(out.reason,
              HasSubstr("stack \"web--main\" (account 111111111111) outputs undeclared product "
                        "\"secretThing\""));
  EXPECT_THAT(ProductKeys("web"), IsEmpty());
}

// CloudFormation refuses to create the stack: a failed deployment naming the stack, and no
// product version from it.
TEST_F(AwsDeployerTest, StackThatFailsToCreateFailsTheDeployment) {
  const std::string sha =
      Commit({{".scripts/build.sh", SynthScript()},
              {"app.js", CdkApp("'not a valid topic name!'", {}, R"('{"topicArn":"${T}"}')")}});
  auto deployer = NewDeployer(Options());
  DeployOutcome out = Deploy(*deployer, "web", "d5", sha);
  EXPECT_FALSE(out.succeeded);
  EXPECT_FALSE(out.transient);
  EXPECT_THAT(out.reason, HasSubstr("cdk deploy of stack \"web--main\" (account 111111111111) "
                                    "exited with"));
  EXPECT_THAT(Log("d5"), HasSubstr("Topic names must be made up of"));
  EXPECT_THAT(ProductKeys("web"), IsEmpty());
}

// The build role trusts someone else: AssumeRole is refused, nothing runs, nothing recorded.
TEST_F(AwsDeployerTest, RoleThatDoesNotTrustThePlatformFails) {
  const std::string sha = Commit({{".scripts/build.sh", "#!/bin/sh\ntouch ran\n"}});
  auto deployer = NewDeployer(Options());
  DeployOutcome out = Deploy(*deployer, "closed", "d6", sha);
  EXPECT_FALSE(out.succeeded);
  EXPECT_FALSE(out.transient);
  const std::string role = model::RoleArn(kCentralAccount, "closed",
                                          model::BuildRoleName("closed", kRegion, kCentralAccount));
  EXPECT_THAT(out.reason, HasSubstr(std::string("account ") + kCentralAccount + ", build role " +
                                    role + ": cannot assume the build role"));
  EXPECT_THAT(out.reason, HasSubstr("AccessDenied"));
  EXPECT_FALSE(fs::exists(root_ / "state" / "logs" / "d6.log"));  // the script never ran
  EXPECT_THAT(ProductKeys("closed"), IsEmpty());
}

// An account of the settings where nobody created the build role: moto hands out
// credentials anyway, and the probe with them fails naming account and role.
TEST_F(AwsDeployerTest, AccountWithoutTheBuildRoleFails) {
  const std::string sha = Commit({{".scripts/build.sh", "#!/bin/sh\ntrue\n"}});
  auto deployer = NewDeployer(Options());
  DeployOutcome out = Deploy(*deployer, "lost", "d7", sha);
  EXPECT_FALSE(out.succeeded);
  const std::string role =
      model::RoleArn(kNoRoles, "lost", model::BuildRoleName("lost", kRegion, kNoRoles));
  EXPECT_THAT(out.reason, HasSubstr(std::string("account ") + kNoRoles + ", build role " + role));
  EXPECT_FALSE(fs::exists(root_ / "state" / "logs" / "d7.log"));
}

// Central credentials that are wrong (a forged secret) or carry a forged session token.
TEST_F(AwsDeployerTest, ForgedCentralCredentialsFail) {
  const std::string sha = Commit({{".scripts/build.sh", "#!/bin/sh\ntrue\n"}});
  aws::Credentials wrong_secret = central_;
  wrong_secret.secret_access_key = "forged-secret-not-to-be-shown";
  aws::Credentials forged_token = central_;
  forged_token.session_token = "forged-token";
  int n = 0;
  for (const aws::Credentials& c : {wrong_secret, forged_token}) {
    DeployerOptions o = Options();
    o.aws = Settings(c);
    auto deployer = NewDeployer(o);
    const std::string id = "d8-" + std::to_string(n++);
    DeployOutcome out = Deploy(*deployer, "svc", id, sha);
    EXPECT_FALSE(out.succeeded);
    EXPECT_FALSE(out.transient);
    EXPECT_THAT(out.reason, HasSubstr(std::string("account ") + kTarget +
                                      ", build role arn:aws:iam::" + kTarget + ":role/svc/"));
    EXPECT_THAT(out.reason, Not(HasSubstr(c.secret_access_key)));
    EXPECT_FALSE(fs::exists(root_ / "state" / "logs" / (id + ".log")));
  }
}

// An expired central credential: moto never expires one, so the endpoint here answers every
// call as AWS answers a request signed with an expired session token. The deployment fails
// at once (not retried), naming the account and the role, with no log and nothing recorded.
TEST_F(AwsDeployerTest, ExpiredCentralCredentialFailsNamingTheAccountAndRole) {
  httplib::Server expired;
  int calls = 0;
  expired.Post(".*", [&calls](const httplib::Request&, httplib::Response& res) {
    ++calls;
    res.status = 403;
    res.set_content(
        "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><Error>"
        "<Type>Sender</Type><Code>ExpiredToken</Code><Message>The security token included in "
        "the request is expired</Message></Error><RequestId>r1</RequestId></ErrorResponse>",
        "text/xml");
  });
  const int port = expired.bind_to_any_port("127.0.0.1");
  ASSERT_GT(port, 0);
  std::thread serving([&expired] { expired.listen_after_bind(); });
  DeployerOptions o = Options();
  o.aws->central.endpoint_url = "http://127.0.0.1:" + std::to_string(port);
  o.aws->central.credentials.session_token = "an-expired-session-token";
  auto deployer = NewDeployer(o);
  const std::string sha = Commit({{".scripts/build.sh", "#!/bin/sh\necho ran\n"}});
  DeployOutcome out = Deploy(*deployer, "svc", "x1", sha);
  expired.stop();
  serving.join();
  EXPECT_FALSE(out.succeeded);
  EXPECT_FALSE(out.transient);
  EXPECT_EQ(calls, 1);  // not retried
  EXPECT_THAT(out.reason, HasSubstr(std::string("account ") + kTarget +
                                    ", build role arn:aws:iam::" + kTarget + ":role/svc/"));
  EXPECT_THAT(out.reason, HasSubstr("ExpiredToken"));
  EXPECT_THAT(out.reason, Not(HasSubstr("an-expired-session-token")));
  EXPECT_FALSE(fs::exists(root_ / "state" / "logs" / "x1.log"));
  EXPECT_TRUE(ProductKeys("svc").empty());
}

// With secrets_manager, an enver's secrets are its own Secrets Manager secret
// odmd/<build>/<rev> in the target account, written before its build script runs (which
// reads it with the build role's session through ODMD_secret_id); a changed set is a new
// value, an empty set deletes it, the teardown deletes it, and a secret the platform cannot
// open fails the deployment naming it. No value reaches the log.
TEST_F(AwsDeployerTest, EnverSecretsAreItsOwnSecretInTheTargetAccount) {
  std::map<std::string, std::string> secrets = {{"dbPassword", "s3cret-1"}};
  std::vector<std::string> asked;
  Status fail_with = OkStatus();
  DeployerOptions o = Options();
  o.aws->secrets_manager = true;
  o.enver_secrets = [&](std::string_view enver_id) -> Result<std::map<std::string, std::string>> {
    asked.push_back(std::string(enver_id));
    if (!fail_with.ok()) return fail_with;
    return secrets;
  };
  const std::string aws_cli = AwsCli(o);
  ASSERT_FALSE(aws_cli.empty());
  auto deployer = NewDeployer(o);
  const std::string sha =
      Commit({{".scripts/build.sh",
               "#!/bin/sh\nset -eu\necho \"secret id $ODMD_secret_id\"\n" + Q(aws_cli) +
                   " secretsmanager get-secret-value --secret-id \"$ODMD_secret_id\" "
                   "--query SecretString --output text > \"$ODMD_PRODUCTS_DIR/"
                   "identity\" || echo none > \"$ODMD_PRODUCTS_DIR/identity\"\n"}});
  const aws::Credentials as_role = RoleCredentials("svc");
  aws::AwsClient client(Config(as_role), *transport_, aws::RealSleeper());
  aws::SecretsManagerClient sm(client);
  auto product = [&] { return store_->Get("/odmd-share/svc/b..main/identity")->value; };

  DeployOutcome out = Deploy(*deployer, "svc", "s1", sha);
  ASSERT_TRUE(out.succeeded) << out.reason << "\n" << Log("s1");
  EXPECT_EQ(asked, std::vector<std::string>{"svc/b..main"});
  EXPECT_EQ(product(), "{\"dbPassword\":\"s3cret-1\"}\n") << Log("s1");
  EXPECT_EQ(sm.GetSecretValue("odmd/svc/b..main").value(), "{\"dbPassword\":\"s3cret-1\"}");
  EXPECT_THAT(Log("s1"), HasSubstr("secret id odmd/svc/b..main"));
  EXPECT_THAT(Log("s1"), Not(HasSubstr("s3cret")));

  secrets = {{"dbPassword", "s3cret-2"}, {"apiKey", "k"}};
  out = Deploy(*deployer, "svc", "s2", sha);
  ASSERT_TRUE(out.succeeded) << out.reason << "\n" << Log("s2");
  EXPECT_EQ(product(), "{\"apiKey\":\"k\",\"dbPassword\":\"s3cret-2\"}\n");

  secrets.clear();
  out = Deploy(*deployer, "svc", "s3", sha);
  ASSERT_TRUE(out.succeeded) << out.reason << "\n" << Log("s3");
  EXPECT_EQ(product(), "none\n");
  EXPECT_THAT(sm.GetSecretValue("odmd/svc/b..main").status(),
              ::odmd::testing::StatusIs(StatusCode::kNotFound));

  fail_with = FailedPreconditionError("secret \"dbPassword\" of svc/b..main cannot be opened");
  out = Deploy(*deployer, "svc", "s4", sha);
  EXPECT_FALSE(out.succeeded);
  EXPECT_THAT(out.reason, HasSubstr("secret \"dbPassword\" of svc/b..main cannot be opened"));

  fail_with = OkStatus();
  secrets = {{"x", "y"}};
  out = Deploy(*deployer, "svc", "s5", sha);
  ASSERT_TRUE(out.succeeded) << out.reason;
  ODMD_ASSERT_OK(sm.GetSecretValue("odmd/svc/b..main"));
  Result<DeployOutcome> down = deployer->Teardown(Target("svc"), sha, "t-s5");
  ASSERT_THAT(down, IsOk());
  EXPECT_TRUE(down->succeeded) << down->reason;
  EXPECT_THAT(sm.GetSecretValue("odmd/svc/b..main").status(),
              ::odmd::testing::StatusIs(StatusCode::kNotFound));
}

// Two stacks: deployed in order; CloudFormation refuses the deletion (the role may not
// delete stacks): the teardown fails naming the LAST stack (reverse order) and the reason,
// both stacks stay; once allowed, a retry deletes both.
TEST_F(AwsDeployerTest, StacksDeployInOrderAndAFailedDeletionIsReportedAndRetried) {
  const std::string sha =
      Commit({{".scripts/build.sh", SynthScript()},
              {"app.js", CdkApp("name + '-topic'", {}, R"('{"topicArn":"${T}"}')")}});
  auto deployer = NewDeployer(Options());
  DeployOutcome out = Deploy(*deployer, "web2", "d9", sha);
  const std::string log = Log("d9");
  ASSERT_TRUE(out.succeeded) << out.reason << "\n" << log;
  const auto first = log.find("cdk deploy of stack \"web2--main\"");
  const auto second = log.find("cdk deploy of stack \"web2-share--main\"");
  ASSERT_NE(first, std::string::npos) << log;
  ASSERT_NE(second, std::string::npos) << log;
  EXPECT_LT(first, second);
  EXPECT_THAT(log, Not(HasSubstr("--parameters")));  // these templates declare none
  EXPECT_THAT(DescribeStack("web2", "web2--main"), IsOk());
  EXPECT_THAT(DescribeStack("web2", "web2-share--main"), IsOk());
  // Both stacks output topicArn: the first stack's value stands.
  EXPECT_EQ(store_->Get("/odmd-share/web2/b..main/topicArn")->value,
            std::string("arn:aws:sns:") + kRegion + ":" + kTarget + ":web2--main-topic");

  const std::string role = model::BuildRoleName("web2", kRegion, kTarget);
  const aws::Credentials as_role = RoleCredentials("web2");
  ASSERT_THAT(Call(as_role, "PutRolePolicy",
                   {{"RoleName", role},
                    {"PolicyName", "no-delete"},
                    {"PolicyDocument", Policy("Deny", "cloudformation:DeleteStack")}}),
              IsOk());
  Result<DeployOutcome> down = deployer->Teardown(Target("web2"), sha, "t9a");
  ASSERT_THAT(down, IsOk());
  EXPECT_FALSE(down->succeeded);
  EXPECT_THAT(down->reason, HasSubstr("cannot delete stack \"web2-share--main\" in account " +
                                      std::string(kTarget)));
  EXPECT_THAT(down->reason, HasSubstr("AccessDenied"));
  EXPECT_THAT(DescribeStack("web2", "web2--main"), IsOk());
  EXPECT_THAT(DescribeStack("web2", "web2-share--main"), IsOk());

  ASSERT_THAT(Call(as_role, "DeleteRolePolicy", {{"RoleName", role}, {"PolicyName", "no-delete"}}),
              IsOk());
  down = deployer->Teardown(Target("web2"), sha, "t9b");
  ASSERT_THAT(down, IsOk());
  EXPECT_TRUE(down->succeeded) << down->reason;
  for (const char* stack : {"web2--main", "web2-share--main"}) {
    EXPECT_THAT(DescribeStack("web2", stack).status(),
                ::odmd::testing::StatusIs(StatusCode::kNotFound))
        << stack;
  }
}

}  // namespace
}  // namespace odmd::reconcile
