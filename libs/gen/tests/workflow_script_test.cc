// Runs the `run:` scripts of a generated workflow with bash, the way a runner would, against
// a fake `curl` on PATH (no network): the context step must accept a well-formed enver
// context and refuse anything that could hijack the run; the publish step must PUT exactly
// the declared products.

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "odmd/gen/workflows.h"
#include "odmd/model/contracts.h"
#include "odmd/testing/shell.h"
#include "workflow_yaml.h"

namespace odmd::gen {
namespace {

namespace fs = std::filesystem;

using ::odmd::testing::Q;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

// Records every call in $FAKE_CURL_LOG: the URL, the query data, the Authorization header
// and the body; a GET (-G) answers with the file $FAKE_CONTEXT.
constexpr char kFakeCurl[] = R"sh(#!/bin/bash
out="" method=GET url="" body="" data=()
while [ $# -gt 0 ]; do
  case "$1" in
    -o) out="$2"; shift ;;
    -X) method="$2"; shift ;;
    -H) case "$2" in @*) echo "header $(cat "${2#@}")" >> "$FAKE_CURL_LOG" ;; esac; shift ;;
    --data-urlencode) data+=("$2"); shift ;;
    --data-binary) body="$(cat "${2#@}")"; shift ;;
    --retry) shift ;;
    -*) ;;
    *) url="$1" ;;
  esac
  shift
done
echo "$method $url ${data[*]}" >> "$FAKE_CURL_LOG"
if [ "$method" = PUT ]; then echo "body $body" >> "$FAKE_CURL_LOG"; fi
if [ -n "$out" ]; then cp "$FAKE_CONTEXT" "$out"; fi
)sh";

class WorkflowScriptTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("odmd_workflow_script_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    for (const char* d : {"bin", "workspace", "temp"}) fs::create_directories(dir_ / d);
    Write("bin/curl", kFakeCurl);
    fs::permissions(dir_ / "bin/curl", fs::perms::owner_all);
    Write("github_env", "");
    Write("curl.log", "");

    model::Contracts c("demo", "1.0.0");
    c.AddAccount("central", "111111111111");
    auto ws1 = c.AddAccount("workspace1", "333333333333");
    auto repo = c.AddRepo("acme", "repo", 7);
    c.AddBuild("contracts", model::BuildKind::kContracts, repo).Branch("main", ws1, "us-west-1");
    c.AddBuild("svc", model::BuildKind::kCmd, repo).Branch("main", ws1, "us-west-1");
    c.AddBuild("net", model::BuildKind::kNetworking, repo)
        .Branch("main", ws1, "us-west-1")
        .Stacks({"net", "net-share-nat"});
    auto img = c.AddBuild("img", model::BuildKind::kImage, repo).Branch("main", ws1, "us-west-1");
    img.Produces("imageUri");
    img.Produces("imageDigest");
    Result<std::vector<GeneratedFile>> files = GenerateWorkflows(c.Finish());
    ASSERT_TRUE(files.ok()) << files.status().ToString();
    for (const GeneratedFile& f : *files) {
      testing::YamlToJson parser;
      std::optional<nlohmann::json> doc = parser.Parse(f.content);
      ASSERT_TRUE(doc.has_value()) << parser.error();
      jobs_[f.build_id] = (*doc)["jobs"]["deploy"];
    }
    job_ = jobs_["svc"];
    ASSERT_TRUE(job_.is_object());
    ASSERT_TRUE(jobs_["net"].is_object());
  }
  void TearDown() override { fs::remove_all(dir_); }

  void Write(const std::string& relative, const std::string& content) {
    fs::create_directories((dir_ / relative).parent_path());
    std::ofstream(dir_ / relative, std::ios::binary) << content;
  }
  std::string Read(const std::string& relative) const {
    std::ifstream in(dir_ / relative, std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }

  const nlohmann::json& Step(const std::string& name) const {
    for (const nlohmann::json& step : job_["steps"]) {
      if (step["name"] == name) return step;
    }
    ADD_FAILURE() << "no step " << name;
    return job_;
  }

  // Runs step `name` with the job's and the step's env (expressions replaced by test
  // values) plus `extra`, like the runner's `bash -e {0}`. Returns the exit code; output_
  // gets stdout and stderr.
  int RunStep(const std::string& name, const std::map<std::string, std::string>& extra = {}) {
    const nlohmann::json& step = Step(name);
    std::map<std::string, std::string> env;
    for (const auto& [k, v] : job_["env"].items()) env[k] = v.get<std::string>();
    if (step.contains("env")) {
      for (const auto& [k, v] : step["env"].items()) env[k] = v.get<std::string>();
    }
    env["ODMD_API"] = "https://odmd.test";
    if (env.contains("ODMD_TOKEN")) env["ODMD_TOKEN"] = "tok-123";
    env["GITHUB_REF"] = "refs/heads/main";
    env["GITHUB_WORKSPACE"] = (dir_ / "workspace").string();
    env["RUNNER_TEMP"] = (dir_ / "temp").string();
    env["GITHUB_ENV"] = (dir_ / "github_env").string();
    env["FAKE_CURL_LOG"] = (dir_ / "curl.log").string();
    env["FAKE_CONTEXT"] = (dir_ / "context.env").string();
    env["PATH"] = (dir_ / "bin").string() + ":/usr/bin:/bin";
    for (const auto& [k, v] : extra) env[k] = v;
    Write("step.sh", step["run"].get<std::string>());
    std::string command = "env -i";
    for (const auto& [k, v] : env) command += " " + k + "=" + Q(v);
    command += " bash --noprofile --norc -eo pipefail " + Q((dir_ / "step.sh").string()) + " > " +
               Q((dir_ / "step.log").string()) + " 2>&1";
    int status = std::system(command.c_str());
    output_ = Read("step.log");
    return (status != -1 && WIFEXITED(status)) ? WEXITSTATUS(status) : -1;
  }

  static std::string Context(const std::string& extra_lines = "") {
    return "ODMD_build_id=svc\n"
           "ODMD_rev_ref=b..main\n"
           "ODMD_awsRegion=us-west-1\n"
           "ODMD_awsAccount=333333333333\n"
           "ODMD_work_dir=\n"
           "ODMD_build_script=.scripts/build.sh\n"
           "ODMD_products=apiUrl api/schema\n" +
           extra_lines;
  }

  fs::path dir_;
  std::map<std::string, nlohmann::json> jobs_;
  nlohmann::json job_;
  std::string output_;
};

TEST_F(WorkflowScriptTest, ContextStepExportsAWellFormedContext) {
  std::string context = Context(
      "ODMD_consumer_db=postgres://x\nODMD_consumer_cfg<<ODMD_EOF_ab12\nline 1\n"
      "PATH=/evil\nODMD_EOF_ab12\n");
  Write("context.env", context);
  ASSERT_EQ(RunStep("Resolve the enver context"), 0) << output_;
  EXPECT_EQ(Read("github_env"),
            context + "ODMD_PRODUCTS_DIR=" + (dir_ / "temp/odmd-products").string() + "\n");
  EXPECT_THAT(output_, HasSubstr("odmd: enver svc/b..main"));
  std::string log = Read("curl.log");
  EXPECT_THAT(log, AllOf(HasSubstr("header Authorization: Bearer tok-123"),
                         HasSubstr("GET https://odmd.test/api/ci/context build=svc "
                                   "workflow=ODMD_svc-CmdsGHus-west-1-workspace1 "
                                   "ref=refs/heads/main")));
  EXPECT_TRUE(fs::is_directory(dir_ / "temp/odmd-products"));
}

// ODMD_config (docs/manifest.md, Config) is compact JSON on one line: the context step passes
// it to the job as it is, even with "<<" or "=" inside its strings.
TEST_F(WorkflowScriptTest, ContextStepExportsTheConfigToTheJob) {
  std::string context = Context(R"(ODMD_config={"cidr":"10.1.0.0/16","note":"a<<b=c"})"
                                "\n");
  Write("context.env", context);
  ASSERT_EQ(RunStep("Resolve the enver context"), 0) << output_;
  EXPECT_EQ(Read("github_env"),
            context + "ODMD_PRODUCTS_DIR=" + (dir_ / "temp/odmd-products").string() + "\n");
}

struct BadContext {
  std::string what;
  std::string context;
  std::string message;
};

TEST_F(WorkflowScriptTest, ContextStepRefusesAnythingThatCouldHijackTheRun) {
  const std::vector<BadContext> cases = {
      {"foreign variable", Context("LD_PRELOAD=/tmp/x.so\n"), "line 8 of the enver context"},
      {"workflow's own name", Context("ODMD_TOKEN=x\n"), "line 8 of the enver context"},
      {"repeated name", Context("ODMD_build_id=other\n"), "sets ODMD_build_id twice"},
      {"unterminated value", Context("ODMD_consumer_x<<ODMD_EOF_1\nLD_PRELOAD=x\n"),
       "ends inside a multi-line value"},
      {"other region",
       "ODMD_build_id=svc\nODMD_rev_ref=b..main\nODMD_awsRegion=us-east-1\n"
       "ODMD_awsAccount=333333333333\nODMD_work_dir=\nODMD_build_script=b.sh\nODMD_products=\n",
       "ODMD_awsRegion=us-east-1; this workflow is for us-west-1"},
      {"missing key", "ODMD_build_id=svc\n", "the enver context has no ODMD_rev_ref"},
      {"work dir outside the repo",
       "ODMD_build_id=svc\nODMD_rev_ref=b..main\nODMD_awsRegion=us-west-1\n"
       "ODMD_awsAccount=333333333333\nODMD_work_dir=a/../..\nODMD_build_script=b.sh\n"
       "ODMD_products=\n",
       "ODMD_work_dir a/../.. must be a relative path inside the repository"},
      {"not a rev",
       "ODMD_build_id=svc\nODMD_rev_ref=main;rm\nODMD_awsRegion=us-west-1\n"
       "ODMD_awsAccount=333333333333\nODMD_work_dir=\nODMD_build_script=b.sh\nODMD_products=\n",
       "ODMD_rev_ref main;rm is not a rev"},
  };
  for (const BadContext& c : cases) {
    SCOPED_TRACE(c.what);
    Write("context.env", c.context);
    Write("github_env", "");
    EXPECT_EQ(RunStep("Resolve the enver context"), 1) << output_;
    EXPECT_THAT(output_, HasSubstr(c.message));
    EXPECT_THAT(Read("github_env"), IsEmpty());
  }
}

TEST_F(WorkflowScriptTest, ContextStepNeedsTheApiUrlAndTheToken) {
  Write("context.env", Context());
  EXPECT_EQ(RunStep("Resolve the enver context", {{"ODMD_API", ""}}), 1);
  EXPECT_THAT(output_, HasSubstr("ODMD_API_URL"));
  EXPECT_EQ(RunStep("Resolve the enver context", {{"ODMD_TOKEN", ""}}), 1);
  EXPECT_THAT(output_, HasSubstr("ODMD_SECRETS_ODMD_svc_CmdsGHus_west_1_workspace1"));
  EXPECT_THAT(Read("curl.log"), IsEmpty());
}

TEST_F(WorkflowScriptTest, BuildScriptRunsInTheWorkDirWhenPresent) {
  Write("workspace/sub/.scripts/build.sh", "#!/bin/bash\npwd > \"$RUNNER_TEMP/ran\"\n");
  std::map<std::string, std::string> env = {{"ODMD_work_dir", "sub"},
                                            {"ODMD_build_script", ".scripts/build.sh"},
                                            {"ODMD_build_id", "svc"},
                                            {"ODMD_rev_ref", "b..main"}};
  ASSERT_EQ(RunStep("Run the build script", env), 0) << output_;
  EXPECT_EQ(Read("temp/ran"), (dir_ / "workspace/sub").string() + "\n");
}

// As in a local deployment (DeployerTest.MissingBuildScriptFailsNamingItAndTheCommit).
TEST_F(WorkflowScriptTest, AMissingBuildScriptFailsTheRunNamingItAndTheCommit) {
  fs::create_directories(dir_ / "workspace/sub");
  std::map<std::string, std::string> env = {{"ODMD_work_dir", "sub"},
                                            {"ODMD_build_script", ".scripts/missing.sh"},
                                            {"ODMD_build_id", "svc"},
                                            {"ODMD_rev_ref", "b..main"},
                                            {"GITHUB_SHA", "0123456789abcdef"}};
  EXPECT_EQ(RunStep("Run the build script", env), 1) << output_;
  EXPECT_THAT(output_, HasSubstr("::error::odmd: build script .scripts/missing.sh not found in "
                                 "commit 0123456 (work dir ./sub)"));
}

TEST_F(WorkflowScriptTest, PublishPutsEachDeclaredProductWithItsValue) {
  Write("temp/odmd-products/apiUrl", "https://api");
  Write("temp/odmd-products/api+schema", "s1");
  std::map<std::string, std::string> env = {
      {"ODMD_PRODUCTS_DIR", (dir_ / "temp/odmd-products").string()},
      {"ODMD_products", "apiUrl api/schema other"},
      {"ODMD_build_id", "svc"},
      {"ODMD_rev_ref", "b..main"}};
  ASSERT_EQ(RunStep("Publish the products", env), 0) << output_;
  EXPECT_EQ(Read("curl.log"),
            "header Authorization: Bearer tok-123\n"
            "PUT https://odmd.test/api/ci/products/svc/b..main/api/schema \n"
            "body s1\n"
            "header Authorization: Bearer tok-123\n"
            "PUT https://odmd.test/api/ci/products/svc/b..main/apiUrl \n"
            "body https://api\n");
  EXPECT_THAT(output_, HasSubstr("published 2 product(s)"));
}

TEST_F(WorkflowScriptTest, PublishRefusesAnUndeclaredProductBeforePublishingAny) {
  Write("temp/odmd-products/apiUrl", "https://api");
  Write("temp/odmd-products/secretStuff", "x");
  std::map<std::string, std::string> env = {
      {"ODMD_PRODUCTS_DIR", (dir_ / "temp/odmd-products").string()},
      {"ODMD_products", "apiUrl"},
      {"ODMD_build_id", "svc"},
      {"ODMD_rev_ref", "b..main"}};
  EXPECT_EQ(RunStep("Publish the products", env), 1);
  EXPECT_THAT(output_, HasSubstr("secretStuff is not a product of svc/b..main"));
  EXPECT_THAT(Read("curl.log"), Not(HasSubstr("PUT")));
}

// A fake `npx`: logs its arguments to $FAKE_NPX_LOG (one line per call, arguments between
// brackets); `cdk deploy <stack> ... --outputs-file F` copies $FAKE_OUTPUTS_DIR/<stack>.json
// to F when it exists.
constexpr char kFakeNpx[] = R"sh(#!/bin/bash
line="" stack="" out=""
prev=""
for a in "$@"; do
  line+="[$a]"
  if [ "$prev" = "--outputs-file" ]; then out="$a"; fi
  if [ "$prev" = "deploy" ]; then stack="$a"; fi
  prev="$a"
done
echo "$line" >> "$FAKE_NPX_LOG"
if [ -n "$out" ] && [ -f "$FAKE_OUTPUTS_DIR/$stack.json" ]; then cp "$FAKE_OUTPUTS_DIR/$stack.json" "$out"; fi
)sh";

class CdkTailScriptTest : public WorkflowScriptTest {
 protected:
  void SetUp() override {
    WorkflowScriptTest::SetUp();
    job_ = jobs_["net"];
    Write("bin/npx", kFakeNpx);
    fs::permissions(dir_ / "bin/npx", fs::perms::owner_all);
    Write("npx.log", "");
    fs::create_directories(dir_ / "temp/odmd-products");
    // The cloud assembly `cdk synth` left: the first stack declares three of the
    // parameters, the second (construct id differs from its stack name) none.
    Write("workspace/cdk.out/manifest.json", R"({"artifacts": {
      "net--main": {"type": "aws:cloudformation:stack",
                    "properties": {"templateFile": "net--main.template.json"}},
      "Nat": {"type": "aws:cloudformation:stack",
              "properties": {"templateFile": "Nat.template.json",
                             "stackName": "net-share-nat--main"}},
      "Tree": {"type": "cdk:tree"}}})");
    Write("workspace/cdk.out/net--main.template.json",
          R"({"Parameters": {"odmdBuildId": {"Type": "String"}, "buildSrcRev": {"Type": "String"},
              "odmdDepRev": {"Type": "String"}}, "Resources": {}})");
    Write("workspace/cdk.out/Nat.template.json", R"({"Resources": {}})");
  }

  std::map<std::string, std::string> Env() const {
    return {{"ODMD_work_dir", ""},
            {"ODMD_build_id", "net"},
            {"ODMD_rev_ref", "b..main"},
            {"ODMD_stack_names", "net--main net-share-nat--main"},
            {"ODMD_products", "natId vpc/cidr"},
            {"ODMD_PRODUCTS_DIR", (dir_ / "temp/odmd-products").string()},
            {"GITHUB_SHA", "abc123"},
            {"GITHUB_REPOSITORY", "acme/repo"},
            {"FAKE_NPX_LOG", (dir_ / "npx.log").string()},
            {"FAKE_OUTPUTS_DIR", (dir_ / "outputs").string()}};
  }
};

TEST_F(CdkTailScriptTest, DeploysEveryStackInOrderWithOnlyTheDeclaredParameters) {
  ASSERT_EQ(RunStep("Deploy the stacks in order", Env()), 0) << output_;
  std::string outputs = (dir_ / "temp/odmd-outputs").string();
  EXPECT_EQ(Read("npx.log"),
            "[--no][--][cdk][synth][--quiet]\n"
            "[--no][--][cdk][deploy][net--main][--app][cdk.out][--exclusively]"
            "[--require-approval][never][--outputs-file][" +
                outputs +
                "/net--main.json]"
                "[--parameters][net--main:odmdBuildId=net]"
                "[--parameters][net--main:buildSrcRev=abc123]"
                "[--parameters][net--main:odmdDepRev=none]\n"
                "[--no][--][cdk][deploy][net-share-nat--main][--app][cdk.out][--exclusively]"
                "[--require-approval][never][--outputs-file][" +
                outputs + "/net-share-nat--main.json]\n");
  EXPECT_THAT(output_, AllOf(HasSubstr("odmd: deploying net--main"),
                             HasSubstr("odmd: deploying net-share-nat--main")));
}

TEST_F(CdkTailScriptTest, DependencyRevisionFollowsTheConsumedValues) {
  std::map<std::string, std::string> env = Env();
  env["ODMD_consumer_logBucket"] = "arn:aws:s3:::b1";
  ASSERT_EQ(RunStep("Deploy the stacks in order", env), 0) << output_;
  std::string first = Read("npx.log");
  Write("npx.log", "");
  ASSERT_EQ(RunStep("Deploy the stacks in order", env), 0) << output_;
  EXPECT_EQ(Read("npx.log"), first);  // same values, same revision
  EXPECT_THAT(first, Not(HasSubstr("odmdDepRev=none")));
  Write("npx.log", "");
  env["ODMD_consumer_logBucket"] = "arn:aws:s3:::b2";
  ASSERT_EQ(RunStep("Deploy the stacks in order", env), 0) << output_;
  EXPECT_NE(Read("npx.log"), first);
}

TEST_F(CdkTailScriptTest, OdmdProductsOutputBecomesProductsUnlessTheBuildWroteThem) {
  Write(
      "outputs/net--main.json",
      R"({"net--main": {"OdmdProducts": "{\"natId\": \"nat-1\", \"vpc/cidr\": \"10.0.0.0/16\"}"}})");
  Write("temp/odmd-products/natId", "from-the-build-script");
  ASSERT_EQ(RunStep("Deploy the stacks in order", Env()), 0) << output_;
  EXPECT_EQ(Read("temp/odmd-products/natId"), "from-the-build-script");
  EXPECT_EQ(Read("temp/odmd-products/vpc+cidr"), "10.0.0.0/16");
}

TEST_F(CdkTailScriptTest, AnUndeclaredOutputProductOrAMissingStackFails) {
  Write("outputs/net--main.json", R"({"net--main": {"OdmdProducts": "{\"secret\": \"x\"}"}})");
  EXPECT_EQ(RunStep("Deploy the stacks in order", Env()), 1);
  EXPECT_THAT(output_, HasSubstr("stack net--main outputs secret, which is not a product"));
  EXPECT_FALSE(fs::exists(dir_ / "temp/odmd-products/secret"));

  fs::remove(dir_ / "outputs/net--main.json");
  Write("npx.log", "");
  std::map<std::string, std::string> env = Env();
  env["ODMD_stack_names"] = "net--main net-missing--main";
  EXPECT_EQ(RunStep("Deploy the stacks in order", env), 1);
  EXPECT_THAT(output_, HasSubstr("the CDK app synthesised no stack net-missing--main"));
  EXPECT_THAT(Read("npx.log"), Not(HasSubstr("deploy")));  // not even the first stack
}

// Record every call in $FAKE_TOOL_LOG as <tool>[arg][arg]...; `aws ecr describe-repositories`
// fails (no such repository) unless $FAKE_ECR_HAS names it; `docker inspect` prints the
// pushed image's repo digest.
constexpr char kFakeAws[] = R"sh(#!/bin/bash
line="aws"
for a in "$@"; do line+="[$a]"; done
echo "$line" >> "$FAKE_TOOL_LOG"
if [ "$2" = describe-repositories ] && [ "$4" != "${FAKE_ECR_HAS:-}" ]; then exit 254; fi
)sh";
constexpr char kFakeDocker[] = R"sh(#!/bin/bash
line="docker"
for a in "$@"; do line+="[$a]"; done
echo "$line" >> "$FAKE_TOOL_LOG"
last="${*: -1}"
if [ "$1" = inspect ]; then echo "${last%:*}@sha256:feed"; fi
)sh";

class ImageScriptTest : public WorkflowScriptTest {
 protected:
  static constexpr char kRegistry[] = "333333333333.dkr.ecr.us-west-1.amazonaws.com";
  static constexpr char kRepo[] = "img/bmain/img";

  void SetUp() override {
    WorkflowScriptTest::SetUp();
    job_ = jobs_["img"];
    ASSERT_TRUE(job_.is_object());
    for (const char* tool : {"aws", "docker"}) {
      Write(std::string("bin/") + tool, std::string(tool) == "aws" ? kFakeAws : kFakeDocker);
      fs::permissions(dir_ / "bin" / tool, fs::perms::owner_all);
    }
    Write("tools.log", "");
    fs::create_directories(dir_ / "temp/odmd-products");
  }

  std::map<std::string, std::string> Env() const {
    return {{"ODMD_work_dir", ""},
            {"ODMD_build_id", "img"},
            {"ODMD_rev_ref", "b..main"},
            {"ODMD_image_repo", kRepo},
            {"ODMD_products", "imageUri imageDigest"},
            {"ODMD_PRODUCTS_DIR", (dir_ / "temp/odmd-products").string()},
            {"ODMD_REGISTRY", kRegistry},
            {"GITHUB_SHA", "abc123"},
            {"FAKE_TOOL_LOG", (dir_ / "tools.log").string()}};
  }
  std::string Product(const std::string& name) const { return Read("temp/odmd-products/" + name); }
  std::string Image() const { return std::string(kRegistry) + "/" + kRepo + ":abc123"; }
};

TEST_F(ImageScriptTest, TheContextMustNameTheImageRepository) {
  const std::string common =
      "ODMD_build_id=img\nODMD_rev_ref=b..main\nODMD_awsRegion=us-west-1\n"
      "ODMD_awsAccount=333333333333\nODMD_work_dir=\nODMD_build_script=.scripts/build.sh\n"
      "ODMD_products=imageUri imageDigest\n";
  Write("context.env", common);
  EXPECT_EQ(RunStep("Resolve the enver context"), 1) << output_;
  EXPECT_THAT(output_, HasSubstr("the enver context has no ODMD_image_repo"));
  Write("context.env", common + "ODMD_image_repo=" + kRepo + "\n");
  EXPECT_EQ(RunStep("Resolve the enver context"), 0) << output_;
  EXPECT_THAT(Read("github_env"), HasSubstr("ODMD_image_repo=img/bmain/img\n"));
}

TEST_F(ImageScriptTest, TheRegistryIsReadyBeforeTheBuildScriptWhichMayPushItself) {
  std::vector<std::string> names;
  for (const nlohmann::json& step : job_["steps"]) names.push_back(step["name"]);
  EXPECT_THAT(
      names, ::testing::ElementsAre("Check out the dispatched ref", "Assume the build role",
                                    "Resolve the enver context", "Log in to the container registry",
                                    "Prepare the image repository", "Run the build script",
                                    "Build and push the image", "Publish the products"));
  ASSERT_EQ(RunStep("Prepare the image repository", Env()), 0) << output_;
  EXPECT_EQ(Read("tools.log"),
            "aws[ecr][describe-repositories][--repository-names][img/bmain/img]\n"
            "aws[ecr][create-repository][--repository-name][img/bmain/img]\n");
  EXPECT_EQ(Read("github_env"), std::string("ODMD_REGISTRY=") + kRegistry + "\n");

  Write("tools.log", "");
  auto env = Env();
  env["FAKE_ECR_HAS"] = kRepo;
  ASSERT_EQ(RunStep("Prepare the image repository", env), 0) << output_;
  EXPECT_THAT(Read("tools.log"), Not(HasSubstr("create-repository")));

  Write("tools.log", "");
  env["ODMD_image_repo"] = "Img/$(id)";
  EXPECT_EQ(RunStep("Prepare the image repository", env), 1);
  EXPECT_THAT(output_, HasSubstr("ODMD_image_repo Img/$(id) is not a repository name"));
  EXPECT_EQ(Read("tools.log"), "");
}

TEST_F(ImageScriptTest, WithADockerfileTheTailBuildsPushesAndPublishesTheImage) {
  Write("workspace/Dockerfile", "FROM scratch\n");
  ASSERT_EQ(RunStep("Build and push the image", Env()), 0) << output_;
  EXPECT_EQ(Read("tools.log"), "docker[build][--file][Dockerfile][--tag][" + Image() +
                                   "][.]\ndocker[push][" + Image() +
                                   "]\ndocker[inspect][--format][{{index .RepoDigests 0}}][" +
                                   Image() + "]\n");
  EXPECT_EQ(Product("imageUri"), Image());
  EXPECT_EQ(Product("imageDigest"), "sha256:feed");
  // The publish step puts both declared products.
  ASSERT_EQ(RunStep("Publish the products", Env()), 0) << output_;
  EXPECT_THAT(Read("curl.log"),
              AllOf(HasSubstr("PUT https://odmd.test/api/ci/products/img/b..main/imageUri"),
                    HasSubstr("body " + Image()),
                    HasSubstr("PUT https://odmd.test/api/ci/products/img/b..main/imageDigest"),
                    HasSubstr("body sha256:feed")));
}

TEST_F(ImageScriptTest, AnImageTheBuildScriptPushedIsNotBuiltAgainAndIsPublished) {
  const std::string pushed = std::string(kRegistry) + "/img/bmain/img@sha256:cafe";
  for (bool dockerfile : {false, true}) {
    SCOPED_TRACE(dockerfile ? "with a Dockerfile" : "without a Dockerfile");
    if (dockerfile) Write("workspace/Dockerfile", "FROM scratch\n");
    fs::remove(dir_ / "temp/odmd-products/imageDigest");
    Write("temp/odmd-products/imageUri", pushed + "\n");  // as `echo` writes it
    ASSERT_EQ(RunStep("Build and push the image", Env()), 0) << output_;
    EXPECT_EQ(Read("tools.log"), "");
    EXPECT_THAT(output_, HasSubstr("the build script pushed " + pushed + "; no Dockerfile build"));
    EXPECT_EQ(Product("imageDigest"), "sha256:cafe");
  }
  ASSERT_EQ(RunStep("Publish the products", Env()), 0) << output_;
  EXPECT_THAT(Read("curl.log"),
              AllOf(HasSubstr("products/img/b..main/imageUri"),
                    HasSubstr("products/img/b..main/imageDigest"), HasSubstr("body sha256:cafe")));
}

TEST_F(ImageScriptTest, APushedImageWithoutItsDeclaredDigestFailsNamingIt) {
  Write("temp/odmd-products/imageUri", std::string(kRegistry) + "/img/bmain/img:abc123");
  EXPECT_EQ(RunStep("Build and push the image", Env()), 1) << output_;
  EXPECT_THAT(output_, HasSubstr("wrote the product imageUri " + std::string(kRegistry) +
                                 "/img/bmain/img:abc123 but not imageDigest"));
  EXPECT_FALSE(fs::exists(dir_ / "temp/odmd-products/imageDigest"));
  // A script that writes both is fine; an enver that does not declare the digest too.
  Write("temp/odmd-products/imageDigest", "sha256:beef");
  EXPECT_EQ(RunStep("Build and push the image", Env()), 0) << output_;
  EXPECT_EQ(Product("imageDigest"), "sha256:beef");
  fs::remove(dir_ / "temp/odmd-products/imageDigest");
  auto env = Env();
  env["ODMD_products"] = "imageUri";
  EXPECT_EQ(RunStep("Build and push the image", env), 0) << output_;
}

TEST_F(ImageScriptTest, NeitherADockerfileNorAPushedImageFailsNamingBoth) {
  EXPECT_EQ(RunStep("Build and push the image", Env()), 1) << output_;
  EXPECT_THAT(output_, AllOf(HasSubstr("::error::odmd: nothing built the image of img/b..main"),
                             HasSubstr("no Dockerfile in ./"),
                             HasSubstr("the build script wrote no imageUri product")));
  EXPECT_EQ(Read("tools.log"), "");
  EXPECT_TRUE(fs::is_empty(dir_ / "temp/odmd-products"));
}

// Records every npm call in $FAKE_NPM_LOG as [arg][arg]...; `npm view <name@version> version`
// prints the version when the registry "has" it: a line of $FAKE_NPM_PUBLISHED.
constexpr char kFakeNpm[] = R"sh(#!/bin/bash
line=""
for a in "$@"; do line+="[$a]"; done
echo "$line" >> "$FAKE_NPM_LOG"
if [ "$1" = view ] && grep -qxF -- "$2" "$FAKE_NPM_PUBLISHED"; then echo "${2##*@}"; fi
)sh";

class ContractsPackageScriptTest : public WorkflowScriptTest {
 protected:
  static constexpr char kStep[] = "Publish the per-org package";

  void SetUp() override {
    WorkflowScriptTest::SetUp();
    job_ = jobs_["contracts"];
    ASSERT_TRUE(job_.is_object());
    Write("bin/npm", kFakeNpm);
    fs::permissions(dir_ / "bin/npm", fs::perms::owner_all);
    Write("npm.log", "");
    Write("published", "");
    fs::create_directories(dir_ / "temp/odmd-package");
  }

  // A tarball as `npm pack` makes it (package/package.json) in the package dir.
  void Pack(const std::string& name, const std::string& version) {
    Write("src/package/package.json",
          nlohmann::json({{"name", name}, {"version", version}}).dump());
    const std::string tgz = (dir_ / "temp/odmd-package/p.tgz").string();
    ASSERT_EQ(
        std::system(
            ("tar -czf " + Q(tgz) + " -C " + Q((dir_ / "src").string()) + " package").c_str()),
        0);
  }

  std::map<std::string, std::string> Env(const std::string& registry = "") const {
    // GitHub gives an unset repository variable as "".
    return {{"ODMD_PACKAGE_DIR", (dir_ / "temp/odmd-package").string()},
            {"ODMD_NPM_REGISTRY", registry},
            {"NODE_AUTH_TOKEN", "ghs_job_token_1"},
            {"FAKE_NPM_LOG", (dir_ / "npm.log").string()},
            {"FAKE_NPM_PUBLISHED", (dir_ / "published").string()}};
  }
};

TEST_F(ContractsPackageScriptTest, TheJobMayWritePackagesAndTheContextNamesThePackageDir) {
  EXPECT_EQ(job_["permissions"]["packages"], "write");
  EXPECT_EQ(jobs_["svc"]["permissions"].count("packages"), 0u);
  EXPECT_EQ(Step(kStep)["env"]["NODE_AUTH_TOKEN"], "${{ secrets.GITHUB_TOKEN }}");
  EXPECT_THAT(Step("Resolve the enver context")["run"].get<std::string>(),
              HasSubstr("ODMD_PACKAGE_DIR=$RUNNER_TEMP/odmd-package"));
}

TEST_F(ContractsPackageScriptTest, NoPackedPackageIsNothingToPublish) {
  ASSERT_EQ(RunStep(kStep, Env()), 0) << output_;
  EXPECT_THAT(output_, HasSubstr("nothing to publish"));
  EXPECT_EQ(Read("npm.log"), "");
}

TEST_F(ContractsPackageScriptTest, PublishesThePackageWithTheJobsTokenNeverOnDisk) {
  Pack("@demo/contracts", "1.2.0");
  ASSERT_EQ(RunStep(kStep, Env()), 0) << output_;
  const std::string npmrc = (dir_ / "temp/odmd-npmrc").string();
  const std::string registry = "[--registry][https://npm.pkg.github.com][--userconfig][" + npmrc;
  EXPECT_EQ(Read("npm.log"), "[view][@demo/contracts@1.2.0][version]" + registry + "]\n" +
                                 "[publish][" + (dir_ / "temp/odmd-package/p.tgz").string() + "]" +
                                 registry + "]\n");
  EXPECT_EQ(Read("temp/odmd-npmrc"), "//npm.pkg.github.com/:_authToken=${NODE_AUTH_TOKEN}\n");
  EXPECT_THAT(output_, HasSubstr("publishing @demo/contracts@1.2.0 to https://npm.pkg.github.com"));
  EXPECT_THAT(output_ + Read("temp/odmd-npmrc"), Not(HasSubstr("ghs_job_token_1")));
}

TEST_F(ContractsPackageScriptTest, AVersionTheRegistryHasIsLeftAlone) {
  Pack("@demo/contracts", "1.2.0");
  Write("published", "@demo/contracts@1.2.0\n");
  ASSERT_EQ(RunStep(kStep, Env("https://npm.example.com/odmd/")), 0) << output_;
  EXPECT_THAT(Read("npm.log"), AllOf(HasSubstr("[view]"), Not(HasSubstr("[publish]"))));
  EXPECT_THAT(output_,
              HasSubstr("@demo/contracts@1.2.0 is in https://npm.example.com/odmd/ already"));
  EXPECT_EQ(Read("temp/odmd-npmrc"), "//npm.example.com/odmd/:_authToken=${NODE_AUTH_TOKEN}\n");
}

TEST_F(ContractsPackageScriptTest, ARegistryThatIsNotAnHttpsUrlFailsBeforeAnyCall) {
  Pack("@demo/contracts", "1.2.0");
  for (const char* bad : {"http://npm.example.com", "https://x y", "https://a/$(id)"}) {
    EXPECT_EQ(RunStep(kStep, Env(bad)), 1) << bad;
    EXPECT_THAT(output_, HasSubstr("is not an https URL")) << bad;
  }
  EXPECT_EQ(Read("npm.log"), "");
}

}  // namespace
}  // namespace odmd::gen
