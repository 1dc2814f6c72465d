// A GitHub Actions run followed across a failover (issue 18): two `odmd serve` replicas on
// the suite's PostgreSQL cluster with the GitHub runner, GitHub played by the validating
// fake (tools/github-fake), whose webhooks and runs talk to the follower. A contracts
// publish sent to the follower adds an enver; the leader syncs and dispatches its workflow.
// The run's completion, delivered to the follower, ends the leader's deployment; or the
// leader is killed while the run is in flight and the follower takes over and follows the
// same run to its end. Either way: dispatched once, the deployment succeeds once.
#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <string>

#include "fake_github.h"
#include "httplib.h"
#include "nlohmann/json.hpp"
#include "odmd/model/manifest.h"
#include "odmd/model/org.h"
#include "odmd/testing/serve_replica.h"
#include "odmd/testing/shell.h"
#include "postgres_test_db.h"
#include "store_cli_fixture.h"
#include "test_keys.h"

namespace odmd::cli {
namespace {

namespace fs = std::filesystem;
using ::odmd::github::testing::AppKey;
using ::odmd::github::testing::FakeGitHub;
using ::odmd::testing::Q;
using ::odmd::testing::Sh;
using ::testing::HasSubstr;
using json = nlohmann::json;

constexpr char kSecret[] = "replicas-github-webhook-secret";

// svc's build script: waits for the file BLOCK_FILE names (the run stays in flight until the
// test releases it), then publishes one product.
constexpr char kBuildScript[] = R"SH(#!/bin/bash
set -euo pipefail
while [ ! -f "$BLOCK_FILE" ]; do sleep 0.05; done
printf '%s' "url-$ODMD_build_id-$ODMD_rev_ref" > "$ODMD_PRODUCTS_DIR/url"
)SH";

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

// The contracts (built locally); with `svc`, svc/b..main built on GitHub too.
model::Org Org(const std::string& version, bool svc) {
  model::Org org;
  org.name = "acme";
  org.version = version;
  org.accounts = {{"central", "111111111111"}, {"workspace", "222222222222"}};
  model::Build contracts;
  contracts.id = "contracts";
  contracts.kind = model::BuildKind::kContracts;
  contracts.repo = {"acme", "contracts", 0};
  model::Enver ce;
  ce.rev = model::RevRef::Branch("main");
  ce.account = "central";
  ce.region = "us-east-1";
  contracts.envers = {ce};
  org.builds = {contracts};
  if (svc) {
    model::Build b;
    b.id = "svc";
    b.kind = model::BuildKind::kCmd;
    b.repo = {"acme", "svc", 7};
    model::Enver e = ce;
    e.account = "workspace";
    e.products = {{"url"}};
    b.envers = {e};
    org.builds.push_back(b);
  }
  model::Canonicalize(org);
  return org;
}

class ServeReplicasGitHubTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::random_device rd;
    root_ = fs::temp_directory_path() / ("odmd-replicas-github-" + std::to_string(rd()));
    fs::create_directories(root_);
    ::setenv("GIT_CONFIG_NOSYSTEM", "1", 1);
    ::setenv("HOME", root_.c_str(), 1);
    for (const char* v : {"GIT_AUTHOR_NAME", "GIT_COMMITTER_NAME"}) ::setenv(v, "Dev", 1);
    for (const char* v : {"GIT_AUTHOR_EMAIL", "GIT_COMMITTER_EMAIL"}) {
      ::setenv(v, "dev@example.com", 1);
    }
    Result<std::unique_ptr<testing::PostgresTestDb>> db = testing::PostgresTestDb::Create();
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    db_ = std::move(db).value();
    ASSERT_TRUE(fake_.ok()) << fake_.error();
    fake_.SetApp(42, AppKey().public_pem);
    fake_.AddInstallation(7, "acme", {"svc"});
    fake_.CommitFiles("acme/svc", "main", {{".scripts/build.sh", kBuildScript}});
  }
  void TearDown() override {
    a_.reset();
    b_.reset();
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
    WriteFile("contracts/.scripts/build.sh",
              "#!/bin/sh\nset -eu\ncp manifest.json \"$ODMD_MANIFEST_FILE\"\n");
    fs::permissions(work + "/.scripts/build.sh", fs::perms::owner_all, fs::perm_options::add);
    WriteFile("contracts/manifest.json", model::WriteManifest(org));
    Sh("git -C " + Q(work) + " checkout -q -B main && git -C " + Q(work) + " add -A && git -C " +
       Q(work) + " commit -q -m contracts && git -C " + Q(work) + " push -q origin main");
    return bare;
  }

  // `poll_seconds`: how long a followed run waits for its workflow_run webhook before the
  // replica asks GitHub.
  testing::ReplicaOptions Replica(const std::string& id, int port, const std::string& contracts,
                                  int poll_seconds = 5) {
    testing::ReplicaOptions o;
    o.binary = ODMD_BINARY;
    o.store_url = db_->Url();
    o.state_dir = root_ / id;
    o.replica_id = id;
    o.listen = "127.0.0.1:" + std::to_string(port);
    o.extra_args = {"--repo",
                    "acme/contracts=" + contracts,
                    "--contracts-repo",
                    "acme/contracts",
                    "--repo",
                    "acme/svc=" + fake_.GitDir("acme/svc"),
                    "--webhook-secret-file",
                    WriteFile("webhook.secret", std::string(kSecret) + "\n"),
                    "--github-runner",
                    "--github-builds",
                    "svc",
                    "--github-api-url",
                    fake_.api_url(),
                    "--github-app-id",
                    "42",
                    "--github-app-key-file",
                    WriteFile("app.pem", AppKey().private_pem),
                    "--github-poll-interval",
                    std::to_string(poll_seconds)};
    return o;
  }

  // GET `path` of the replica at `url` as admin: the parsed body, null on any failure.
  json Get(const std::string& url, const std::string& path) {
    httplib::Client c(url);
    c.set_read_timeout(30, 0);
    auto res = c.Get(path, {{"Authorization", "Bearer " + admin_}});
    if (!res || res->status != 200) return nullptr;
    return json::parse(res->body, nullptr, false);
  }

  // The deployments of svc/b..main, newest first.
  json Deployments(const std::string& url) {
    json ds = Get(url, "/api/deployments?enver=svc/b..main&limit=100");
    return ds.is_object() ? ds["deployments"] : json::array();
  }

  int Dispatches() {
    int n = 0;
    const json state = fake_.State();
    for (const json& d : state["dispatches"]) n += d["repo"] == "acme/svc" ? 1 : 0;
    return n;
  }

  fs::path root_;
  std::unique_ptr<testing::PostgresTestDb> db_;
  FakeGitHub fake_;
  std::string admin_;

  // Starts replica a (the leader) and b (a follower) on the GitHub runner, GitHub talking to
  // b only (webhooks, and the runs' calls to the API); publishes svc through b and waits
  // until its run, dispatched by a, is in flight (its build script waits for "release").
  void StartWithARunInFlight(int poll_seconds) {
    const std::string contracts = ContractsRepo(Org("1.0.0", false));
    const int port_b = FreePort();
    url_b_ = "http://127.0.0.1:" + std::to_string(port_b);
    fake_.SetVariable("acme/svc", "ODMD_API_URL", url_b_);
    fake_.SetWebhook(url_b_ + "/webhooks/github", kSecret);
    fake_.EnableRunner(
        {{"env",
          {{"BLOCK_FILE", (root_ / "release").string()}, {"PATH", std::string(::getenv("PATH"))}}},
         {"timeout_seconds", 60}});
    a_ = std::make_unique<testing::ServeReplica>(Replica("a", FreePort(), contracts, poll_seconds));
    ASSERT_FALSE(a_->WaitListening().empty());
    ASSERT_TRUE(a_->WaitLeads()) << a_->output();
    std::ifstream(root_ / "a" / "admin.token") >> admin_;
    testing::ReplicaOptions ob = Replica("b", port_b, contracts, poll_seconds);
    ob.secret_key_from = root_ / "a" / "secret.key";
    b_ = std::make_unique<testing::ServeReplica>(ob);
    ASSERT_EQ(b_->WaitListening(), url_b_);
    ASSERT_TRUE(
        FakeGitHub::WaitFor([&] { return Get(url_b_, "/api/contracts")["latest"] == "1.0.0"; },
                            std::chrono::seconds(60)))
        << a_->output();

    // svc arrives by a publish sent to the follower; the leader syncs it and dispatches.
    WriteFile("manifest-2.json", model::WriteManifest(Org("2.0.0", true)));
    Child publish({"contracts", "publish", (root_ / "manifest-2.json").string(), "--server", url_b_,
                   "--token", admin_});
    ChildResult published = publish.Finish();
    ASSERT_EQ(published.exit_code, 0) << published.out << published.err;
    EXPECT_THAT(published.out, HasSubstr("accepted: 2.0.0"));
    ASSERT_TRUE(FakeGitHub::WaitFor(
        [&] {
          const json ds = Deployments(url_b_);
          if (ds.empty() || ds[0]["state"] != "running") return false;
          run_id_ = ds[0].value("run_id", 0LL);
          return run_id_ != 0;
        },
        std::chrono::seconds(60)))
        << a_->output() << "\ndeliveries: " << fake_.Deliveries().dump();
    EXPECT_EQ(Dispatches(), 1);
  }

  // svc's one deployment succeeded with run `run_id_`, dispatched once, its product there.
  void ExpectOneRunDeployedOnce() {
    const json ds = Deployments(url_b_);
    ASSERT_EQ(ds.size(), 1u) << ds.dump(1);
    EXPECT_EQ(ds[0].value("run_id", 0LL), run_id_);
    EXPECT_EQ(Dispatches(), 1) << fake_.State()["dispatches"].dump();
    const json url = Get(url_b_, "/api/products/svc/b..main/url");
    EXPECT_EQ(url.is_object() ? url.value("value", "") : "", "url-svc-b..main");
  }

  bool WaitSucceeded(testing::ServeReplica& leader) {
    const bool done = FakeGitHub::WaitFor(
        [&] {
          const json ds = Deployments(url_b_);
          return !ds.empty() && ds[0]["state"] == "succeeded";
        },
        std::chrono::seconds(90));
    EXPECT_TRUE(done) << leader.output() << "\nfake: " << fake_.State()["dispatches"].dump()
                      << "\nrun log: " << fake_.RunLog("acme/svc", run_id_);
    return done;
  }

  std::unique_ptr<testing::ServeReplica> a_, b_;
  std::string url_b_;
  long long run_id_ = 0;
};

// The run's completion reaches the follower (a workflow_run delivery): recorded in the inbox,
// the leader finishes the deployment. The replicas ask GitHub about a run only once an hour
// here, so the deployment can only end through the delivery.
TEST_F(ServeReplicasGitHubTest, ARunsCompletionDeliveredToTheFollowerEndsTheLeadersDeployment) {
  StartWithARunInFlight(/*poll_seconds=*/3600);
  WriteFile("release", "go\n");
  ASSERT_TRUE(WaitSucceeded(*a_));
  ExpectOneRunDeployedOnce();
  int completed = 0;
  for (const json& d : fake_.Deliveries()) {
    completed +=
        d["event"] == "workflow_run" && d["action"] == "completed" && d["status"] == 202 ? 1 : 0;
  }
  EXPECT_GE(completed, 1) << fake_.Deliveries().dump();
  EXPECT_EQ(Get(url_b_, "/api/health")["leader"]["replica"], "a");
}

TEST_F(ServeReplicasGitHubTest, ARunInFlightWhenTheLeaderDiesIsFollowedByTheNextLeader) {
  StartWithARunInFlight(/*poll_seconds=*/5);
  testing::ServeReplica& a = *a_;
  testing::ServeReplica& b = *b_;
  const std::string& url_b = url_b_;

  // The leader dies with the run in flight; the follower leads and follows the same run.
  a.Signal(SIGKILL);
  ASSERT_TRUE(b.WaitLeads()) << b.output();
  WriteFile("release", "go\n");
  ASSERT_TRUE(WaitSucceeded(b));
  ExpectOneRunDeployedOnce();
  int resumed = 0;
  const json events = Get(url_b, "/api/events?after=0&limit=1000");
  for (const json& e : events["events"]) {
    resumed += e["kind"] == "deployment.resumed" &&
               e["message"].get<std::string>().find("GitHub Actions run") != std::string::npos;
  }
  EXPECT_EQ(resumed, 1) << events.dump(1);
}

}  // namespace
}  // namespace odmd::cli
