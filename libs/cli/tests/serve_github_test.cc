// Issue 14 end to end: a real `odmd serve --github-runner` with GitHub played by the
// validating fake GitHub (tools/github-fake), which executes the generated workflows' steps
// in a shell against serve's API and sends its webhooks to serve. The contracts sync writes
// the workflows into the repositories and the group token into each workflow's secret; a
// push dispatches one run per affected enver; the run resolves its context and publishes its
// products with the group token; workflow_run completes the deployment; a clone made by
// "odmd: create@main" runs with the same token; another group's token is refused.
#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <string>

#include "fake_github.h"
#include "odmd/base/strings.h"
#include "odmd/model/manifest.h"
#include "odmd/model/org.h"
#include "odmd/testing/moto_server.h"
#include "odmd/testing/shell.h"
#include "store_cli_fixture.h"
#include "test_keys.h"

namespace odmd::cli {
namespace {

namespace fs = std::filesystem;
using ::odmd::github::testing::AppKey;
using ::odmd::github::testing::FakeGitHub;
using ::odmd::testing::Q;
using ::odmd::testing::Sh;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;
using json = nlohmann::json;

constexpr char kSecret[] = "e2e-webhook-secret";

// The service repos' build script: one product, its value telling which enver and commit.
constexpr char kBuildScript[] = R"SH(#!/bin/bash
set -euo pipefail
# A run that must stay in flight (the restart test) waits for the file BLOCK_FILE names.
if [ -n "${BLOCK_FILE:-}" ]; then
  while [ ! -f "$BLOCK_FILE" ]; do sleep 0.05; done
fi
printf '%s' "url-$ODMD_build_id-$ODMD_rev_ref-$(cat config)" > "$ODMD_PRODUCTS_DIR/url"
echo "built $ODMD_build_id/$ODMD_rev_ref"
)SH";

constexpr char kContractsScript[] = R"SH(#!/bin/sh
set -eu
cp manifest.json "$ODMD_MANIFEST_FILE"
)SH";

std::string ReadFileOrEmpty(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

int FreePort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

model::Enver Enver(const std::string& branch, const std::string& account, const std::string& region,
                   std::vector<std::string> products) {
  model::Enver e;
  e.rev = model::RevRef::Branch(branch);
  e.account = account;
  e.region = region;
  for (auto& p : products) e.products.push_back({std::move(p)});
  return e;
}

model::Org E2eOrg() {
  model::Org org;
  org.name = "acme";
  org.version = "1.0.0";
  org.accounts = {
      {"central", "111111111111"}, {"workspace", "222222222222"}, {"second", "333333333333"}};
  model::Build contracts;
  contracts.id = "contracts";
  contracts.kind = model::BuildKind::kContracts;
  contracts.repo = {"acme", "contracts", 0};
  contracts.envers = {Enver("main", "central", "us-east-1", {})};
  model::Build svc;
  svc.id = "svc";
  svc.kind = model::BuildKind::kCmd;
  svc.repo = {"acme", "svc", 7};
  // Two envers of one group (build, account, region): one workflow, one secret.
  svc.envers = {Enver("main", "workspace", "us-east-1", {"url"}),
                Enver("dev", "workspace", "us-east-1", {"url"})};
  model::Build other;
  other.id = "other";
  other.kind = model::BuildKind::kCmd;
  other.repo = {"acme", "other", 7};
  // Another account: another group, another workflow and secret.
  other.envers = {Enver("main", "second", "us-east-1", {"url"})};
  org.builds = {contracts, svc, other};
  model::Canonicalize(org);
  return org;
}

class ServeGitHubTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::random_device rd;
    root_ = fs::temp_directory_path() / ("odmd-serve-github-" + std::to_string(rd()));
    fs::create_directories(root_);
    ::setenv("GIT_CONFIG_NOSYSTEM", "1", 1);
    ::setenv("HOME", root_.c_str(), 1);
    for (const char* v : {"GIT_AUTHOR_NAME", "GIT_COMMITTER_NAME"}) ::setenv(v, "Dev", 1);
    for (const char* v : {"GIT_AUTHOR_EMAIL", "GIT_COMMITTER_EMAIL"}) {
      ::setenv(v, "dev@example.com", 1);
    }
    ASSERT_TRUE(fake_.ok()) << fake_.error();
    fake_.SetApp(42, AppKey().public_pem);
    fake_.AddInstallation(7, "acme", {"svc", "other", "img"});
  }
  void TearDown() override {
    serve_.reset();
    EXPECT_THAT(fake_.Violations(), ::testing::IsEmpty());
    std::error_code ec;
    fs::remove_all(root_, ec);
  }

  std::string WriteFile(const std::string& name, const std::string& text) {
    const fs::path p = root_ / name;
    fs::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary) << text;
    return p.string();
  }

  // A local bare contracts repo holding `org`'s manifest and the contracts build script.
  std::string ContractsRepo(const model::Org& org) {
    const std::string bare = (root_ / "contracts.git").string();
    const std::string work = (root_ / "contracts").string();
    Sh("git -c init.defaultBranch=main init -q --bare " + Q(bare));
    Sh("git clone -q " + Q(bare) + " " + Q(work) + " 2>/dev/null");
    WriteFile("contracts/.scripts/build.sh", kContractsScript);
    fs::permissions(work + "/.scripts/build.sh", fs::perms::owner_all, fs::perm_options::add);
    WriteFile("contracts/manifest.json", model::WriteManifest(org));
    Sh("git -C " + Q(work) + " checkout -q -B main && git -C " + Q(work) + " add -A && git -C " +
       Q(work) + " commit -q -m contracts && git -C " + Q(work) + " push -q origin main");
    return bare;
  }

  // A push of a commit with `message` onto `branch` (from `from`) of the fake's repo, as a
  // developer would: clone, commit, push; then GitHub's push webhook.
  std::string PushToFake(const std::string& repo, const std::string& branch,
                         const std::string& from, const std::string& message) {
    const std::string git_dir = fake_.GitDir(repo);
    const std::string work = (root_ / ("work-" + branch)).string();
    if (!fs::exists(work)) Sh("git clone -q " + Q(git_dir) + " " + Q(work) + " 2>/dev/null");
    const std::string g = "git -C " + Q(work) + " ";
    Sh(g + "fetch -q origin");
    std::string before;
    if (Sh(g + "ls-remote origin " + Q("refs/heads/" + branch)).empty()) {
      Sh(g + "checkout -q -B " + Q(branch) + " " + Q("origin/" + from));
    } else {
      Sh(g + "checkout -q -B " + Q(branch) + " " + Q("origin/" + branch));
      before = Sh(g + "rev-parse HEAD");
    }
    Sh(g + "commit -q --allow-empty -m " + Q(message));
    Sh(g + "push -q origin " + Q(branch));
    EXPECT_TRUE(fake_.NotifyPush(repo, "refs/heads/" + branch, before));
    return Sh(g + "rev-parse HEAD");
  }

  // The svc and other repos of E2eOrg, seeded in the fake.
  void SeedServiceRepos() {
    fake_.CommitFiles("acme/svc", "main", {{".scripts/build.sh", kBuildScript}, {"config", "v1"}});
    fake_.CommitFiles("acme/svc", "dev", {{"config", "v1-dev"}});
    fake_.CommitFiles("acme/other", "main",
                      {{".scripts/build.sh", kBuildScript}, {"config", "o1"}});
  }

  // Starts odmd serve on the contracts of `org` with `repos` (in the fake) on the GitHub
  // runner; the fake runs their workflows with `runner` (its env gets PATH when it has none).
  // `mirror`: serve keeps its own mirrors of the fake's repositories (--mirror, fetched at
  // every push webhook) instead of reading them in place (--repo).
  void StartServe(const model::Org& org,
                  const std::vector<std::string>& repos = {"acme/svc", "acme/other"},
                  json runner = json::object(), bool mirror = false) {
    const std::string contracts = ContractsRepo(org);
    if (repos.size() == 2 && repos[0] == "acme/svc") SeedServiceRepos();
    const int port = FreePort();
    url_ = "http://127.0.0.1:" + std::to_string(port);
    std::vector<std::string> builds;
    for (const std::string& repo : repos) {
      fake_.SetVariable(repo, "ODMD_API_URL", url_);
      builds.push_back(repo.substr(repo.find('/') + 1));
    }
    fake_.SetWebhook(url_ + "/webhooks/github", kSecret);
    if (!runner.contains("env")) runner["env"] = json::object();
    if (!runner["env"].contains("PATH")) runner["env"]["PATH"] = std::string(::getenv("PATH"));
    runner["timeout_seconds"] = 60;
    fake_.EnableRunner(runner);
    const std::string state = (root_ / "state").string();
    state_ = state;
    std::vector<std::string> args = {"serve",
                                     "--state-dir",
                                     state,
                                     "--listen",
                                     "127.0.0.1:" + std::to_string(port),
                                     "--sandbox",
                                     "none",
                                     "--repo",
                                     "acme/contracts=" + contracts,
                                     "--contracts-repo",
                                     "acme/contracts",
                                     "--webhook-secret-file",
                                     WriteFile("webhook.secret", std::string(kSecret) + "\n"),
                                     "--github-runner",
                                     "--github-builds",
                                     StrJoin(builds, ","),
                                     "--github-api-url",
                                     fake_.api_url(),
                                     "--github-app-id",
                                     "42",
                                     "--github-app-key-file",
                                     WriteFile("app.pem", AppKey().private_pem),
                                     "--github-poll-interval",
                                     "5"};
    for (const std::string& repo : repos) {
      args.insert(args.end(), {mirror ? "--mirror" : "--repo", repo + "=" + fake_.GitDir(repo)});
    }
    serve_args_ = args;
    serve_ = std::make_unique<Child>(args);
    WaitListening(state);
  }

  // odmd serve again on the same state directory and port, after a SIGTERM stopped it.
  void RestartServe() {
    ::kill(serve_->pid(), SIGTERM);
    ChildResult stopped = serve_->Finish();
    ASSERT_EQ(stopped.exit_code, 0) << stopped.err;
    ASSERT_THAT(stopped.err, HasSubstr("odmd serve: stopped"));
    first_err_ = stopped.err;
    serve_ = std::make_unique<Child>(serve_args_);
    WaitListening(state_);
  }

  void WaitListening(const std::string& state) {
    ASSERT_TRUE(serve_->ReadUntil([](const std::string& out, const std::string& err) {
      return out.find("listening on") != std::string::npos ||
             err.find("odmd: ") != std::string::npos;
    })) << serve_->err();
    ASSERT_THAT(serve_->out(), HasSubstr("listening on " + url_)) << serve_->err();
    std::ifstream token_file(fs::path(state) / "admin.token");
    std::getline(token_file, admin_);
  }

  json Get(const std::string& path) { return GetAs(path, admin_).second; }

  // {status, body} of a GET with `token`.
  std::pair<int, json> GetAs(const std::string& path, const std::string& token) {
    httplib::Client c(url_);
    c.set_read_timeout(30, 0);
    auto res = c.Get(path, {{"Authorization", "Bearer " + token}});
    if (!res) return {0, json{{"error", "no answer"}}};
    json body = json::parse(res->body, nullptr, false);
    if (body.is_discarded()) body = res->body;
    return {res->status, body};
  }

  std::string SecretValue() {
    const json state = fake_.State();
    return state["repos"]["acme/svc"]["secrets"]["ODMD_SECRETS_ODMD_SVC_CMDSGHUS_EAST_1_WORKSPACE"]
        .value("encrypted_value", "");
  }

  std::string EnverStatus(const std::string& id) {
    json e = Get("/api/envers/" + id);
    return e.is_object() ? e.value("status", "") : "";
  }

  // Runs of `repo` on `branch` that the platform dispatched.
  int Dispatches(const std::string& repo, const std::string& branch) {
    int n = 0;
    const json state = fake_.State();
    for (const json& d : state["dispatches"]) {
      n += d["repo"] == repo && d["ref"] == branch;
    }
    return n;
  }

  bool AllSucceeded(const std::vector<std::string>& envers) {
    return FakeGitHub::WaitFor(
        [&] {
          for (const std::string& e : envers) {
            if (EnverStatus(e) != "succeeded") return false;
          }
          return true;
        },
        std::chrono::seconds(90));
  }

  std::string Diagnose() {
    // A serve that died: its whole stderr (a sanitizer report, a signal) and its exit.
    siginfo_t info{};
    if (::waitid(P_PID, static_cast<id_t>(serve_->pid()), &info, WEXITED | WNOHANG | WNOWAIT) ==
            0 &&
        info.si_pid == serve_->pid()) {
      const int code = info.si_code == CLD_EXITED ? info.si_status : -info.si_status;
      ChildResult died = serve_->Finish();
      return "odmd serve DIED (exit " + std::to_string(code) + ", " +
             (info.si_code == CLD_EXITED ? "exited" : "signal") + "):\n" + died.out + died.err;
    }
    std::string out = "serve stderr:\n" + serve_->err() + "\nevents:\n" +
                      Get("/api/events?after=0&limit=200").dump(1) + "\nfake state:\n" +
                      fake_.State()["dispatches"].dump() + "\ndeliveries:\n" +
                      fake_.Deliveries().dump() + "\n";
    const json state = fake_.State();
    for (const char* repo : {"acme/svc", "acme/other", "acme/img"}) {
      if (!state["repos"].contains(repo)) continue;
      for (const json& r : state["repos"][repo]["runs"]) {
        out += std::string(repo) + " run " + r.dump() + "\n" +
               fake_.RunLog(repo, r["id"].get<long long>()) + "\n";
      }
    }
    return out;
  }

  fs::path root_;
  FakeGitHub fake_;
  std::unique_ptr<Child> serve_;
  std::string url_;
  std::string admin_;
  std::string state_;
  std::vector<std::string> serve_args_;
  std::string first_err_;  // the stopped serve's stderr (RestartServe)
};

TEST_F(ServeGitHubTest, WorkflowsSyncDispatchRunPublishAndCompleteWithTheGroupToken) {
  const model::Org org = E2eOrg();
  StartServe(org, {"acme/svc", "acme/other"}, json::object(), /*mirror=*/true);
  EXPECT_THAT(serve_->err(), HasSubstr("registered repo acme/svc at " + state_ +
                                       "/mirrors/acme/svc.git (mirror of "));
  ASSERT_TRUE(AllSucceeded({"svc/b..main", "svc/b..dev", "other/b..main"})) << Diagnose();

  // The sync wrote the workflow to the default branch and both enver branches, and the
  // group's token into the workflow's secret.
  const json repo = fake_.State()["repos"]["acme/svc"];
  const std::string path = ".github/workflows/ODMD_svc-CmdsGHus-east-1-workspace.yaml";
  for (const char* ref : {"refs/heads/main", "refs/heads/dev"}) {
    EXPECT_TRUE(repo["files"][ref].contains(path)) << ref << " " << repo["files"][ref].dump();
  }
  EXPECT_TRUE(repo["secrets"].contains("ODMD_SECRETS_ODMD_SVC_CMDSGHUS_EAST_1_WORKSPACE"))
      << repo["secrets"].dump();
  // One run per enver; the runs' steps published the products with the group token.
  EXPECT_EQ(Dispatches("acme/svc", "main"), 1) << Diagnose();
  EXPECT_EQ(Dispatches("acme/svc", "dev"), 1) << Diagnose();
  EXPECT_EQ(Get("/api/products/svc/b..main/url").value("value", ""), "url-svc-b..main-v1");
  EXPECT_EQ(Get("/api/products/svc/b..dev/url").value("value", ""), "url-svc-b..dev-v1-dev");
  EXPECT_EQ(Get("/api/products/other/b..main/url").value("value", ""), "url-other-b..main-o1");

  // A push to dev dispatches exactly one run, of dev's enver only.
  PushToFake("acme/svc", "dev", "dev", "change dev");
  ASSERT_TRUE(FakeGitHub::WaitFor([&] { return Dispatches("acme/svc", "dev") == 2; },
                                  std::chrono::seconds(60)))
      << Diagnose();
  ASSERT_TRUE(FakeGitHub::WaitFor(
      [&] {
        json ds = Get("/api/deployments?enver=svc/b..dev&limit=1");
        return ds.is_object() && !ds["deployments"].empty() &&
               ds["deployments"][0]["state"] == "succeeded" &&
               ds["deployments"][0]["cause"]["kind"] == "push";
      },
      std::chrono::seconds(90)))
      << Diagnose();
  EXPECT_EQ(Dispatches("acme/svc", "main"), 1);

  // A clone made by a commit command gets its run on its own branch with the same token.
  PushToFake("acme/svc", "feat", "main", "try feat\n\nodmd: create@main");
  ASSERT_TRUE(AllSucceeded({"svc/b..main-_b..feat"})) << Diagnose();
  EXPECT_EQ(Dispatches("acme/svc", "feat"), 1);
  EXPECT_EQ(Get("/api/products/svc/b..main-_b..feat/url").value("value", ""),
            "url-svc-b..main-_b..feat-v1");
  EXPECT_TRUE(fake_.State()["repos"]["acme/svc"]["files"]["refs/heads/feat"].contains(path));
  // The platform wrote one commit per branch that lacked the workflow (main, dev), none on
  // the clone's branch (made from main, it has it) and none for the second push.
  int commits = 0;
  for (const json& e : fake_.Log()) {
    commits += e["method"] == "POST" && e["path"] == "/repos/acme/svc/git/commits";
  }
  EXPECT_EQ(commits, 2) << fake_.Log().dump();

  // The group's token serves every enver of the group; another group's context is refused.
  const std::string workflow = "ODMD_svc-CmdsGHus-east-1-workspace";
  Child issue(
      {"token", "issue", "workflow:" + workflow, "--store", "sqlite:" + state_ + "/state.db"});
  ChildResult issued = issue.Finish();
  ASSERT_EQ(issued.exit_code, 0) << issued.err;
  const std::string token = issued.out.substr(0, issued.out.find('\n'));
  auto own = GetAs("/api/ci/context?build=svc&workflow=" + workflow + "&ref=refs/heads/dev", token);
  EXPECT_EQ(own.first, 200) << own.second.dump();
  auto other = GetAs(
      "/api/ci/context?build=other&workflow=ODMD_other-CmdsGHus-east-1-second&ref=refs/heads/main",
      token);
  EXPECT_EQ(other.first, 403) << other.second.dump();
  EXPECT_THAT(other.second.dump(), HasSubstr(workflow));

  // Rotation puts a new token into the secret; the next run works with it.
  const std::string sealed = SecretValue();
  Child rotate({"workflow", "rotate", workflow, "--server", url_, "--token", admin_});
  ChildResult rotated = rotate.Finish();
  ASSERT_EQ(rotated.exit_code, 0) << rotated.out << rotated.err;
  EXPECT_THAT(rotated.out, HasSubstr("set the repository secret"));
  EXPECT_NE(SecretValue(), sealed);
  PushToFake("acme/svc", "main", "main", "after the rotation");
  ASSERT_TRUE(FakeGitHub::WaitFor([&] { return Dispatches("acme/svc", "main") == 2; },
                                  std::chrono::seconds(60)))
      << Diagnose();
  ASSERT_TRUE(FakeGitHub::WaitFor(
      [&] {
        json ds = Get("/api/deployments?enver=svc/b..main&limit=1");
        long long run = 0;
        const json state = fake_.State();
        for (const json& d : state["dispatches"]) {
          if (d["repo"] == "acme/svc" && d["ref"] == "main") run = d["run_id"];
        }
        return ds.is_object() && !ds["deployments"].empty() &&
               ds["deployments"][0].value("run_id", 0LL) == run &&
               ds["deployments"][0]["state"] == "succeeded";
      },
      std::chrono::seconds(90)))
      << Diagnose();
  EXPECT_EQ(Dispatches("acme/svc", "main"), 2);
}

// A restart of odmd serve while runs are in flight: the runs go on at GitHub, the new
// serve follows them (no second dispatch) and their deployments end as the runs do.
TEST_F(ServeGitHubTest, ARestartWhileRunsAreInFlightFollowsThemWithoutDispatchingAgain) {
  const std::string release = (root_ / "release").string();
  StartServe(E2eOrg(), {"acme/svc", "acme/other"}, {{"env", {{"BLOCK_FILE", release}}}});
  auto dispatched = [&](const std::string& enver) {
    json ds = Get("/api/deployments?enver=" + enver + "&limit=1");
    return ds.is_object() && !ds["deployments"].empty() &&
           ds["deployments"][0].value("run_id", 0) != 0 &&
           ds["deployments"][0]["state"] == "running";
  };
  // Two workers: two runs in flight, the third deployment queued behind them.
  ASSERT_TRUE(FakeGitHub::WaitFor(
      [&] {
        int n = 0;
        for (const char* e : {"svc/b..main", "svc/b..dev", "other/b..main"}) n += dispatched(e);
        return n == 2;
      },
      std::chrono::seconds(60)))
      << Diagnose();
  RestartServe();
  WriteFile("release", "go\n");
  ASSERT_TRUE(AllSucceeded({"svc/b..main", "svc/b..dev", "other/b..main"})) << Diagnose();
  EXPECT_EQ(Dispatches("acme/svc", "main"), 1) << Diagnose();
  EXPECT_EQ(Dispatches("acme/svc", "dev"), 1) << Diagnose();
  EXPECT_EQ(Dispatches("acme/other", "main"), 1) << Diagnose();
  int resumed = 0;
  const json events = Get("/api/events?after=0&limit=500");
  for (const json& e : events["events"]) {
    resumed += e["kind"] == "deployment.resumed" &&
               e["message"].get<std::string>().find("GitHub Actions run") != std::string::npos;
  }
  EXPECT_EQ(resumed, 2) << events.dump(1);
  EXPECT_EQ(Get("/api/products/svc/b..dev/url").value("value", ""), "url-svc-b..dev-v1-dev");
}

// The image kind on GitHub: the context names the image repository, the repository is
// created in the registry (ECR in moto) before the build script, and the products are
// published both when the tail builds the Dockerfile and when the script pushed the image
// itself (as the sample repos' Maven/Jib builds do). The Docker daemon is not available here:
// `docker` is a recording stand-in whose inspect answers a digest.
constexpr char kImageScript[] = R"SH(#!/bin/bash
set -euo pipefail
if [ ! -f Dockerfile ]; then
  # Builds and pushes the image itself, e.g. mvn jib:build -Dimage=$ODMD_REGISTRY/$ODMD_image_repo
  digest="sha256:$(printf '%s' "$ODMD_rev_ref" | sha256sum | cut -c1-64)"
  echo "$ODMD_REGISTRY/$ODMD_image_repo@$digest" > "$ODMD_PRODUCTS_DIR/imageUri"
fi
)SH";

constexpr char kDockerStandIn[] = R"SH(#!/bin/bash
echo "docker $*" >> "$FAKE_DOCKER_LOG"
if [ "$1" = inspect ]; then
  image="${!#}"
  echo "${image%:*}@sha256:$(printf '%s' "$image" | sha256sum | cut -c1-64)"
fi
)SH";

TEST_F(ServeGitHubTest, TheImageKindRunsWithAndWithoutADockerfile) {
  odmd::testing::MotoServer moto;
  ASSERT_TRUE(moto.ok()) << moto.error();
  model::Org org = E2eOrg();
  model::Build img;
  img.id = "img";
  img.kind = model::BuildKind::kImage;
  img.repo = {"acme", "img", 7};
  img.envers = {Enver("main", "workspace", "us-east-1", {"imageUri", "imageDigest"}),
                Enver("dev", "workspace", "us-east-1", {"imageUri", "imageDigest"})};
  org.builds = {org.builds[0], img};
  model::Canonicalize(org);
  fake_.CommitFiles("acme/img", "main",
                    {{".scripts/build.sh", kImageScript}, {"Dockerfile", "FROM scratch\n"}});
  fake_.CommitFiles("acme/img", "dev", {{"Dockerfile", nullptr}});
  const std::string docker = WriteFile("bin/docker", kDockerStandIn);
  fs::permissions(docker, fs::perms::owner_all, fs::perm_options::add);
  const std::string registry = "222222222222.dkr.ecr.us-east-1.amazonaws.com";
  StartServe(org, {"acme/img"},
             {{"env",
               {{"PATH", (root_ / "bin").string() + ":" + ::getenv("PATH")},
                {"FAKE_DOCKER_LOG", (root_ / "docker.log").string()}}},
              {"aws",
               {{"AWS_ACCESS_KEY_ID", "testing"},
                {"AWS_SECRET_ACCESS_KEY", "testing"},
                {"AWS_ENDPOINT_URL", moto.url()}}},
              {"registry", registry}});
  ASSERT_TRUE(AllSucceeded({"img/b..main", "img/b..dev"})) << Diagnose();

  // With a Dockerfile: the tail built, pushed and published it under the commit's tag.
  const std::string main_uri = Get("/api/products/img/b..main/imageUri").value("value", "");
  EXPECT_THAT(main_uri, ::testing::StartsWith(registry + "/img/bmain/img:"));
  EXPECT_THAT(Get("/api/products/img/b..main/imageDigest").value("value", ""),
              ::testing::MatchesRegex("sha256:[0-9a-f]{64}"));
  const std::string docker_log = ReadFileOrEmpty(root_ / "docker.log");
  EXPECT_THAT(docker_log, AllOf(HasSubstr("docker build --file Dockerfile --tag " + main_uri),
                                HasSubstr("docker push " + main_uri)));
  // Without one: the script's own push is published, its digest taken from the URI.
  // (the script wrote it with echo: the value keeps its newline, the digest does not)
  std::string dev_uri = Get("/api/products/img/b..dev/imageUri").value("value", "");
  if (!dev_uri.empty() && dev_uri.back() == '\n') dev_uri.pop_back();
  EXPECT_THAT(dev_uri, ::testing::StartsWith(registry + "/img/bdev/img@sha256:"));
  EXPECT_EQ(Get("/api/products/img/b..dev/imageDigest").value("value", ""),
            dev_uri.substr(dev_uri.find('@') + 1));
  EXPECT_THAT(docker_log, Not(HasSubstr("img/bdev/img")));
  // Both image repositories were created in the registry before the build scripts ran.
  const std::string repos =
      Sh("AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_DEFAULT_REGION=us-east-1 "
         "aws --endpoint-url " +
         Q(moto.url()) +
         " ecr describe-repositories --query 'repositories[].repositoryName' --output text");
  EXPECT_THAT(repos, AllOf(HasSubstr("img/bmain/img"), HasSubstr("img/bdev/img")));
}

}  // namespace
}  // namespace odmd::cli
