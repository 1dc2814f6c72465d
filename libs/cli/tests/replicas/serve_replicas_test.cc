// Replicas of `odmd serve` on one PostgreSQL store (docs/platform.md, "Replicas"): every
// replica listens and serves reads and the event stream; a follower records a notify, a
// contracts publish, a signed push delivery and a teardown forget for the leader, which acts
// on each (a redelivery once); a record made while the leader is paused is acted on by the replica
// that takes over when it is killed. Real binary, real processes, real git,
// the suite's throwaway PostgreSQL cluster (fixture "postgres").
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <signal.h>

#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <mutex>
#include <random>
#include <string>
#include <thread>

#include "httplib.h"
#include "nlohmann/json.hpp"
#include "odmd/model/manifest.h"
#include "odmd/model/org.h"
#include "odmd/store/open_config_store.h"
#include "odmd/testing/serve_replica.h"
#include "postgres_test_db.h"
#include "store_cli_fixture.h"

namespace odmd::cli {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::StartsWith;

std::string Sh(const std::string& command) {
  std::string out;
  FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
  char buf[4096];
  size_t n;
  while (pipe && (n = std::fread(buf, 1, sizeof buf, pipe)) > 0) out.append(buf, n);
  const int rc = pipe ? ::pclose(pipe) : -1;
  EXPECT_EQ(rc, 0) << command << "\n" << out;
  return out;
}

void WriteFile(const fs::path& p, const std::string& content, bool executable = false) {
  fs::create_directories(p.parent_path());
  std::ofstream(p) << content;
  if (executable) fs::permissions(p, fs::perms::owner_all, fs::perm_options::add);
}

std::string ReadLine(const fs::path& p) {
  std::ifstream in(p);
  std::string line;
  std::getline(in, line);
  return line;
}

// The org: the contracts and svc/b..main, which publishes "url" = https://svc/<its version
// file>.
model::Org ReplicasOrg() {
  model::Org org;
  org.name = "replicas";
  org.version = "1.0.0";
  org.accounts = {{"central", "111111111111"}, {"workspace", "222222222222"}};
  model::Build contracts;
  contracts.id = "contracts";
  contracts.kind = model::BuildKind::kContracts;
  contracts.repo = {"acme", "contracts", 1};
  model::Enver ce;
  ce.rev = model::RevRef::Branch("main");
  ce.account = "central";
  ce.region = "us-east-1";
  contracts.envers = {ce};
  model::Build svc;
  svc.id = "svc";
  svc.repo = {"acme", "svc", 1};
  model::Enver se = ce;
  se.account = "workspace";
  se.products = {{"url"}};
  svc.envers = {se};
  org.builds = {contracts, svc};
  model::Canonicalize(org);
  return org;
}

// Blocks until `done()` holds, checked at every change under `prefix` (a store watch wakes
// the wait), or 60 s pass: false.
bool WaitForStore(store::ConfigStore& store, std::string_view prefix,
                  const std::function<bool()>& done) {
  std::mutex mu;
  std::condition_variable cv;
  int changes = 0;
  Result<store::WatchHandlePtr> watch = store.Watch(prefix, 0, [&](const store::ChangeEvent&) {
    std::lock_guard<std::mutex> lock(mu);
    ++changes;
    cv.notify_all();
  });
  if (!watch.ok()) return false;
  std::unique_lock<std::mutex> lock(mu);
  for (;;) {
    const int seen = changes;
    lock.unlock();
    const bool ok = done();
    lock.lock();
    if (ok) return true;
    if (!cv.wait_for(lock, kWaitLimit, [&] { return changes != seen; })) return false;
  }
}

class ServeReplicasTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ::setenv("GIT_CONFIG_NOSYSTEM", "1", 1);
    std::random_device rd;
    root_ = fs::temp_directory_path() / ("odmd-serve-replicas-" + std::to_string(rd()));
    fs::create_directories(root_);
    Result<std::unique_ptr<testing::PostgresTestDb>> db = testing::PostgresTestDb::Create();
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    db_ = std::move(db).value();
    Result<store::ConfigStorePtr> store = store::OpenConfigStore({db_->Url()});
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(store).value();
    MakeRepo("contracts", {{".scripts/build.sh",
                            {"#!/bin/sh\ncp manifest.json \"$ODMD_MANIFEST_FILE\"\n", true}},
                           {"manifest.json", {model::WriteManifest(ReplicasOrg()), false}}});
    MakeRepo("svc", {{".scripts/build.sh",
                      {"#!/bin/sh\nset -eu\nprintf 'https://svc/%s' \"$(cat version)\" > "
                       "\"$ODMD_PRODUCTS_DIR/url\"\n",
                       true}},
                     {"version", {"v1", false}}});
  }
  void TearDown() override {
    store_.reset();
    std::error_code ec;
    fs::remove_all(root_, ec);
  }

  // A bare repo root/<name>.git whose main holds `files`, with a work clone to commit in.
  void MakeRepo(const std::string& name,
                const std::map<std::string, std::pair<std::string, bool>>& files) {
    const fs::path work = root_ / "work" / name;
    Sh("git -c init.defaultBranch=main init -q --bare '" + Bare(name) + "'");
    Sh("git -c init.defaultBranch=main init -q '" + work.string() + "'");
    for (const auto& [path, content] : files) WriteFile(work / path, content.first, content.second);
    Commit(name, "init");
  }
  std::string Bare(const std::string& name) { return (root_ / (name + ".git")).string(); }
  // Commits the work clone's changes and pushes main; the new sha.
  std::string Commit(const std::string& name, const std::string& message) {
    const std::string in = "cd '" + (root_ / "work" / name).string() + "' && ";
    Sh(in + "git add -A && git -c user.name=d -c user.email=d@x commit -q -m '" + message +
       "' && git push -q '" + Bare(name) + "' HEAD:refs/heads/main");
    std::string sha = Sh(in + "git rev-parse HEAD");
    while (!sha.empty() && sha.back() == '\n') sha.pop_back();
    return sha;
  }
  // A new version of svc, pushed.
  std::string PushSvc(const std::string& version) {
    // On top of the workflow files the platform committed into main.
    Sh("cd '" + (root_ / "work" / "svc").string() + "' && git pull -q --ff-only '" + Bare("svc") +
       "' main");
    WriteFile(root_ / "work" / "svc" / "version", version);
    return Commit("svc", version);
  }

  testing::ReplicaOptions Replica(const std::string& id) {
    testing::ReplicaOptions o;
    o.binary = ODMD_BINARY;
    o.store_url = db_->Url();
    o.state_dir = root_ / id;
    o.replica_id = id;
    o.extra_args = {"--repo",           "acme/contracts=" + Bare("contracts"),
                    "--repo",           "acme/svc=" + Bare("svc"),
                    "--contracts-repo", "acme/contracts"};
    return o;
  }

  // Waits until svc's product is https://svc/<version>.
  bool WaitForProduct(const std::string& version) {
    return WaitForStore(*store_, "/odmd-share/", [&] {
      Result<store::Entry> url = store_->Get("/odmd-share/svc/b..main/url");
      return url.ok() && url->value == "https://svc/" + version;
    });
  }

  // Waits until svc/b..main's last deployment, of `sha`, succeeded.
  bool WaitForDeployed(const std::string& sha) {
    return WaitForStore(*store_, "/odmd/envers/", [&] {
      Result<store::Entry> state = store_->Get("/odmd/envers/svc/b..main");
      if (!state.ok()) return false;
      const nlohmann::json j = nlohmann::json::parse(state->value, nullptr, false);
      return j.is_object() && j.value("sha", "") == sha && j.value("status", "") == "succeeded";
    });
  }

  httplib::Headers Auth() const { return {{"Authorization", "Bearer " + token_}}; }

  nlohmann::json GetJson(const std::string& url, const std::string& path) {
    httplib::Client client(url);
    httplib::Result r = client.Get(path, Auth());
    EXPECT_TRUE(r) << "GET " << url << path << " failed";
    if (!r) return {};
    EXPECT_EQ(r->status, 200) << path << ": " << r->body;
    return nlohmann::json::parse(r->body, nullptr, false);
  }

  httplib::Result Post(const std::string& url, const std::string& path, const std::string& body) {
    httplib::Client client(url);
    return client.Post(path, Auth(), body, "application/json");
  }

  fs::path root_;
  std::unique_ptr<testing::PostgresTestDb> db_;
  store::ConfigStorePtr store_;
  std::string token_;
};

TEST_F(ServeReplicasTest, EveryReplicaServesAndWhatAFollowerRecordsTheLeaderDeploys) {
  testing::ServeReplica a(Replica("a"));
  const std::string url_a = a.WaitListening();
  ASSERT_FALSE(url_a.empty());
  ASSERT_TRUE(a.WaitLeads()) << a.output();
  ASSERT_TRUE(WaitForProduct("v1")) << a.output();
  token_ = ReadLine(root_ / "a" / "admin.token");

  testing::ReplicaOptions ob = Replica("b");
  ob.secret_key_from = root_ / "a" / "secret.key";
  testing::ServeReplica b(ob);
  const std::string url_b = b.WaitListening();
  ASSERT_FALSE(url_b.empty());
  EXPECT_THAT(b.output(), HasSubstr("follower replica \"b\""));

  // Reads on the follower: who leads, the envers.
  const nlohmann::json health = GetJson(url_b, "/api/health");
  EXPECT_EQ(health["replica"], "b");
  EXPECT_EQ(health["leader"]["replica"], "a");
  EXPECT_EQ(health["leader"]["address"], url_a);
  EXPECT_EQ(health["leader"]["is_this_replica"], false);
  const nlohmann::json svc = GetJson(url_b, "/api/envers/svc/b..main");
  EXPECT_EQ(svc["status"], "succeeded");
  EXPECT_EQ(GetJson(url_b, "/api/envers"), GetJson(url_a, "/api/envers"));

  // The follower's event stream, while the leader works.
  Child events({"events", "--follow", "--server", url_b, "--token", token_});

  // A push told to the follower: recorded, acted on by the leader.
  const std::string v2 = PushSvc("v2");
  httplib::Result notified = Post(url_b, "/api/notify", R"({"repo":"acme/svc"})");
  ASSERT_TRUE(notified);
  EXPECT_EQ(notified->status, 202) << notified->body;
  const nlohmann::json accepted = nlohmann::json::parse(notified->body, nullptr, false);
  EXPECT_EQ(accepted["accepted"], true);
  EXPECT_THAT(accepted["inbox"].get<std::string>(), StartsWith("/odmd/inbox/"));
  EXPECT_EQ(accepted["leader"]["address"], url_a);
  ASSERT_TRUE(WaitForDeployed(v2)) << a.output();
  EXPECT_TRUE(WaitForProduct("v2"));
  EXPECT_TRUE(events.ReadUntil([](const std::string& out, const std::string&) {
    return out.find("published url version 2") != std::string::npos;
  })) << events.out()
      << events.err();
  EXPECT_EQ(GetJson(url_b, "/api/envers/svc/b..main")["sha"], v2);

  // What the leader would refuse the follower refuses itself (a rotation of no workflow).
  httplib::Result rotate = Post(url_b, "/api/workflows/rotate", R"({"workflow":"ODMD_nope"})");
  ASSERT_TRUE(rotate);
  EXPECT_EQ(rotate->status, 404) << rotate->body;

  // Recorded while the leader is paused, then the leader dies: the next one acts on it.
  a.Signal(SIGSTOP);
  const std::string v3 = PushSvc("v3");
  notified = Post(url_b, "/api/notify", R"({"repo":"acme/svc"})");
  ASSERT_TRUE(notified);
  EXPECT_EQ(notified->status, 202) << notified->body;
  Result<std::vector<store::Entry>> waiting = store_->List("/odmd/inbox/");
  ASSERT_TRUE(waiting.ok());
  EXPECT_EQ(waiting->size(), 1u);
  a.Signal(SIGKILL);
  ASSERT_TRUE(b.WaitLeads()) << b.output();
  ASSERT_TRUE(WaitForDeployed(v3)) << b.output();
  EXPECT_TRUE(WaitForProduct("v3"));
  EXPECT_EQ(GetJson(url_b, "/api/envers/svc/b..main")["sha"], v3);
  EXPECT_EQ(GetJson(url_b, "/api/health")["leader"]["is_this_replica"], true);
  ASSERT_TRUE(WaitForStore(*store_, "/odmd/inbox/", [&] {
    Result<std::vector<store::Entry>> left = store_->List("/odmd/inbox/");
    return left.ok() && left->empty();
  }));
}

// "sha256=<hex HMAC-SHA256(secret, body)>", as GitHub signs deliveries.
std::string GitHubSignature(const std::string& secret, const std::string& body) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(body.data()), body.size(), mac, &len);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "sha256=";
  for (unsigned int i = 0; i < len; ++i) {
    out += kHex[mac[i] >> 4];
    out += kHex[mac[i] & 0xf];
  }
  return out;
}

TEST_F(ServeReplicasTest, APublishAndASignedPushToAFollowerAreActedOnByTheLeaderOnce) {
  const std::string secret = "replicas-webhook-secret";
  WriteFile(root_ / "webhook.secret", secret + "\n");
  testing::ReplicaOptions oa = Replica("a");
  oa.extra_args.insert(oa.extra_args.end(),
                       {"--webhook-secret-file", (root_ / "webhook.secret").string()});
  testing::ServeReplica a(oa);
  const std::string url_a = a.WaitListening();
  ASSERT_FALSE(url_a.empty());
  ASSERT_TRUE(a.WaitLeads()) << a.output();
  ASSERT_TRUE(WaitForProduct("v1")) << a.output();
  token_ = ReadLine(root_ / "a" / "admin.token");
  testing::ReplicaOptions ob = Replica("b");
  ob.extra_args = oa.extra_args;
  ob.secret_key_from = root_ / "a" / "secret.key";
  testing::ServeReplica b(ob);
  const std::string url_b = b.WaitListening();
  ASSERT_FALSE(url_b.empty());

  // odmd contracts publish to the follower: checked there, published by the leader.
  model::Org next = ReplicasOrg();
  next.version = "2.0.0";
  WriteFile(root_ / "manifest-2.json", model::WriteManifest(next));
  Child publish({"contracts", "publish", (root_ / "manifest-2.json").string(), "--server", url_b,
                 "--token", token_, "--json"});
  ChildResult published = publish.Finish();
  ASSERT_EQ(published.exit_code, 0) << published.out << published.err;
  const nlohmann::json reply = nlohmann::json::parse(published.out, nullptr, false);
  EXPECT_EQ(reply["accepted"], true) << published.out;
  EXPECT_EQ(reply["version"], "2.0.0");
  EXPECT_THAT(reply["inbox"].get<std::string>(), StartsWith("/odmd/inbox/"));
  EXPECT_EQ(reply["leader"]["address"], url_a);
  ASSERT_TRUE(WaitForStore(*store_, "/odmd/contracts/", [&] {
    Result<store::Entry> m = store_->Get("/odmd/contracts/manifest");
    Result<model::Org> org =
        m.ok() ? model::ReadManifest(m->value, nullptr) : Result<model::Org>(m.status());
    return org.ok() && org->version == "2.0.0";
  })) << a.output();
  // Published now: the follower says so itself, once its watch reloaded its world (no
  // store change follows that reload to wake a wait: polled).
  bool follower_has_it = false;
  for (auto until = std::chrono::steady_clock::now() + kWaitLimit;
       !follower_has_it && std::chrono::steady_clock::now() < until;) {
    follower_has_it = GetJson(url_b, "/api/contracts")["latest"] == "2.0.0";
    if (!follower_has_it) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_TRUE(follower_has_it) << b.output();
  Child again({"contracts", "publish", (root_ / "manifest-2.json").string(), "--server", url_b,
               "--token", token_});
  ChildResult unchanged = again.Finish();
  ASSERT_EQ(unchanged.exit_code, 0) << unchanged.out << unchanged.err;
  EXPECT_THAT(unchanged.out, HasSubstr("2.0.0 (sha256:"));
  EXPECT_THAT(unchanged.out, HasSubstr("is already the published manifest: nothing written"));
  // A manifest the leader would refuse is refused by the follower, with the leader's error.
  WriteFile(root_ / "bad.json", R"({"org": "replicas"})");
  Child bad({"contracts", "publish", (root_ / "bad.json").string(), "--server", url_b, "--token",
             token_});
  ChildResult refused = bad.Finish();
  EXPECT_NE(refused.exit_code, 0);
  EXPECT_THAT(refused.err, HasSubstr("missing required field"));

  // A signed push delivery to the follower: recorded, deployed by the leader; delivered
  // again (GitHub retries a delivery it got no answer for), deployed once.
  Result<std::vector<store::Entry>> before_push = store_->List("/odmd/intake/");
  ASSERT_TRUE(before_push.ok());
  std::string old_sha;
  for (const store::Entry& e : *before_push) {
    const nlohmann::json j = nlohmann::json::parse(e.value, nullptr, false);
    if (e.key == "/odmd/intake/acme/svc") old_sha = j["refs"].value("refs/heads/main", "");
  }
  ASSERT_FALSE(old_sha.empty());
  const std::string v2 = PushSvc("v2");
  const std::string body = nlohmann::json{
      {"ref", "refs/heads/main"},
      {"before", old_sha},
      {"after", v2},
      {"created", false},
      {"deleted", false},
      {"forced", false},
      {"repository", {{"full_name", "acme/svc"}}},
      {"commits", nlohmann::json::array()},
      {"head_commit", nullptr}}.dump();
  auto deliver = [&] {
    httplib::Client client(url_b);
    return client.Post("/webhooks/github",
                       {{"X-GitHub-Event", "push"},
                        {"X-GitHub-Delivery", "delivery-1"},
                        {"X-Hub-Signature-256", GitHubSignature(secret, body)}},
                       body, "application/json");
  };
  httplib::Result delivered = deliver();
  ASSERT_TRUE(delivered);
  EXPECT_EQ(delivered->status, 202) << delivered->body;
  EXPECT_EQ(nlohmann::json::parse(delivered->body)["accepted"], true);
  ASSERT_TRUE(WaitForDeployed(v2)) << a.output();
  EXPECT_TRUE(WaitForProduct("v2"));
  httplib::Result redelivered = deliver();
  ASSERT_TRUE(redelivered);
  EXPECT_EQ(redelivered->status, 202) << redelivered->body;
  ASSERT_TRUE(WaitForStore(*store_, "/odmd/inbox/", [&] {
    Result<std::vector<store::Entry>> left = store_->List("/odmd/inbox/");
    return left.ok() && left->empty();
  }));
  int of_v2 = 0;
  const nlohmann::json deployments = GetJson(url_b, "/api/deployments?enver=svc/b..main&limit=100");
  for (const nlohmann::json& d : deployments["deployments"]) of_v2 += d["sha"] == v2 ? 1 : 0;
  EXPECT_EQ(of_v2, 1) << deployments.dump(1);

  // odmd teardown forget to the follower: checked there, done by the leader.
  ASSERT_TRUE(store_
                  ->Put("/odmd/teardowns/gone/b..main",
                        R"({"sha":"0123456789abcdef","contracts_version":"1.0.0",)"
                        R"("reason":"cannot delete stack \"gone--main\"","attempts":1,)"
                        R"("failed_at_ms":0})",
                        std::nullopt)
                  .ok());
  Child forget({"teardown", "forget", "gone/b..main", "--server", url_b, "--token", token_});
  ChildResult forgot = forget.Finish();
  ASSERT_EQ(forgot.exit_code, 0) << forgot.out << forgot.err;
  EXPECT_THAT(forgot.out, StartsWith("accepted: forgetting the failed teardown of gone/b..main "
                                     "recorded as /odmd/inbox/"));
  EXPECT_THAT(forgot.out, HasSubstr("for the leader at " + url_a));
  ASSERT_TRUE(WaitForStore(*store_, "/odmd/teardowns/", [&] {
    return IsNotFound(store_->Get("/odmd/teardowns/gone/b..main").status());
  })) << a.output();
  Child missing({"teardown", "retry", "gone/b..main", "--server", url_b, "--token", token_});
  ChildResult none = missing.Finish();
  EXPECT_EQ(none.exit_code, 1);
  EXPECT_THAT(none.err, HasSubstr("no failed teardown of \"gone/b..main\""));
}

}  // namespace
}  // namespace odmd::cli
