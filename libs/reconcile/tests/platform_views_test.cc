// The console's reads through the platform core on real git repositories and real
// processes: the graph (live, at a store revision, at a contracts version), builds, clones,
// product history, contracts versions and their diff, impact, and the events' revisions.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <condition_variable>
#include <map>
#include <mutex>
#include <set>

#include "odmd/reconcile/state.h"
#include "platform_fixture.h"

namespace odmd::reconcile {
namespace {

using ::odmd::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using json = nlohmann::json;

GraphQuery AtRevision(store::Revision r) {
  GraphQuery q;
  q.revision = r;
  return q;
}

GraphQuery AtVersion(std::string v) {
  GraphQuery q;
  q.contracts_version = std::move(v);
  return q;
}

class PlatformViewsTest : public PlatformFixture {
 protected:
  // The CycleOrg (a placeholder cycle net <-> log, branches and tags, a notify consumer)
  // plus an ignore consumer (dash consumes lib's url), bootstrapped and drained.
  void Bootstrap() {
    org_ = CycleOrg();
    org_.FindBuild("dash")->envers[0].consumers.push_back(
        Consume("lib", "lib/b..main", "url", std::nullopt, model::Reaction::kIgnore));
    model::Canonicalize(org_);
    NewContractsRepo("acme/contracts", org_);
    NewServiceRepo("acme/net");
    NewServiceRepo("acme/log");
    NewServiceRepo("acme/lib");
    NewServiceRepo("acme/app", /*echo_consumers=*/true);
    NewServiceRepo("acme/dash");
    PushTag("acme/lib", "v1");
    PushTag("acme/app", "v1");
    PlatformOptions o = Options();
    o.contracts_repo = "acme/contracts";
    StartPlatform(o);
    Drain();
  }

  json Graph(GraphQuery q = {}) {
    auto g = platform_->Graph(q);
    EXPECT_TRUE(g.ok()) << g.status().ToString();
    return g.ok() ? *g : json();
  }
  static json ById(const json& list, const std::string& id) {
    for (const json& item : list) {
      if (item["id"] == id) return item;
    }
    return json();
  }
  static std::set<std::string> Ids(const json& list) {
    std::set<std::string> out;
    for (const json& item : list) out.insert(item["id"].get<std::string>());
    return out;
  }
  store::Revision Latest() { return *store_->LatestRevision(); }
  // Creates clone feature/x of app/b..main through a commit command and deploys it.
  std::string CreateClone() {
    Sh("git -C " + Q(Work("acme/app")) + " checkout -q main");
    Push("acme/app", "feature/x", {}, "try x\n\nodmd: create@main");
    EXPECT_TRUE(platform_->Scan("").ok());
    Drain();
    return "app/b..main-_b..feature-x";
  }
  void DeleteClone() {
    Sh("git -C " + Q(Work("acme/app")) + " checkout -q feature/x");
    Push("acme/app", "feature/x", {}, "done\n\nodmd: delete");
    EXPECT_TRUE(platform_->Scan("").ok());
    Drain();
  }
  // Publishes 1.1.0: the org plus enver dash/b..next (its branch pushed first).
  void PublishNext() {
    model::Org next = org_;
    next.version = "1.1.0";
    next.FindBuild("dash")->envers.push_back(MakeEnver(model::RevRef::Branch("next"), {}, {}));
    model::Canonicalize(next);
    Sh("git -C " + Q(Work("acme/dash")) + " checkout -q main");
    Push("acme/dash", "next", {}, "a branch for the new enver");
    auto published =
        platform_->PublishManifest(access::Principal::Admin(), model::WriteManifest(next));
    ASSERT_TRUE(published.ok()) << published.status().ToString();
    Drain();
  }

  model::Org org_;
};

TEST_F(PlatformViewsTest, GraphShowsKindsOriginsAndEdgeStatesAsTheyChange) {
  Bootstrap();
  const store::Revision before = Latest();  // the reactions thread may write meanwhile
  json g = Graph();
  const store::Revision after = Latest();
  EXPECT_FALSE(g["historical"].get<bool>());
  EXPECT_EQ(g["revision"], g["latest_revision"]);
  EXPECT_GE(g["revision"].get<store::Revision>(), before);
  EXPECT_LE(g["revision"].get<store::Revision>(), after);
  EXPECT_EQ(g["contracts_version"], "1.0.0");
  EXPECT_EQ(g["contracts_digest"], model::ManifestDigest(org_));
  EXPECT_EQ(Ids(g["builds"]),
            (std::set<std::string>{"app", "contracts", "dash", "lib", "log", "net"}));
  const json app = ById(g["builds"], "app");
  EXPECT_EQ(app["repo"], "acme/app");
  EXPECT_THAT(app["envers"], ElementsAre("app/b..main", "app/t..v1"));

  ASSERT_EQ(g["envers"].size(), 8u);
  const json lib_main = ById(g["envers"], "lib/b..main");
  EXPECT_EQ(lib_main["kind"], "branch");
  EXPECT_EQ(lib_main["build"], "lib");
  EXPECT_EQ(lib_main["rev"], "b..main");
  EXPECT_EQ(lib_main["account"], "222222222222");
  EXPECT_EQ(lib_main["account_name"], "workspace");
  EXPECT_EQ(lib_main["region"], "us-east-1");
  EXPECT_EQ(lib_main["status"], "succeeded");
  EXPECT_EQ(lib_main["sha"].get<std::string>().size(), 40u);
  EXPECT_FALSE(lib_main.contains("origin"));
  EXPECT_EQ(ById(g["envers"], "lib/t..v1")["kind"], "tag");
  EXPECT_EQ(ById(g["envers"], "contracts/b..main")["account"], "111111111111");

  // One edge per consumer; after the bootstrap every edge is current (the cycle converged).
  size_t consumers = 0;
  for (const model::Build& b : org_.builds) {
    for (const model::Enver& e : b.envers) consumers += e.consumers.size();
  }
  ASSERT_EQ(g["edges"].size(), consumers);
  for (const json& edge : g["edges"]) {
    EXPECT_EQ(edge["state"], "current") << edge.dump();
    EXPECT_GE(edge["consumed"].get<int>(), 1) << edge.dump();
    EXPECT_EQ(edge["consumed"], edge["latest"]) << edge.dump();
  }
  const json logs = ById(g["edges"], "net/b..main#logs");
  EXPECT_EQ(logs["source"], "log/b..main");
  EXPECT_EQ(logs["target"], "net/b..main");
  EXPECT_EQ(logs["product"], "bucket");
  EXPECT_EQ(logs["path"], "/odmd-share/log/b..main/bucket");
  EXPECT_EQ(logs["consumer"], "logs");
  EXPECT_EQ(logs["reaction"], "redeploy");
  EXPECT_EQ(ById(g["edges"], "dash/b..main#app")["reaction"], "notify");
  EXPECT_EQ(ById(g["edges"], "dash/b..main#lib")["reaction"], "ignore");

  // A product put: its redeploy consumer is queued and outdated, the ignore one outdated.
  ODMD_ASSERT_OK(
      platform_->PutProduct(access::Principal::Admin(), "/odmd-share/lib/b..main/url", "v2"));
  g = Graph();
  const json outdated = ById(g["edges"], "app/b..main#lib");
  EXPECT_EQ(outdated["state"], "outdated");
  EXPECT_EQ(outdated["latest"].get<int>(), outdated["consumed"].get<int>() + 1);
  EXPECT_EQ(ById(g["envers"], "app/b..main")["status"], "queued");
  EXPECT_EQ(ById(g["edges"], "dash/b..main#lib")["state"], "outdated");
  EXPECT_EQ(ById(g["edges"], "app/t..v1#lib")["state"], "current");  // lib/t..v1 unchanged

  // The consumer redeploys: current again. Its own url changed, so its notify consumer is
  // outdated now, and the ignore consumer stays so.
  Drain();
  g = Graph();
  EXPECT_EQ(ById(g["edges"], "app/b..main#lib")["state"], "current");
  EXPECT_EQ(ById(g["envers"], "app/b..main")["status"], "succeeded");
  EXPECT_EQ(ById(g["edges"], "dash/b..main#app")["state"], "outdated");
  EXPECT_EQ(ById(g["edges"], "dash/b..main#lib")["state"], "outdated");

  // A clone: beside its origin in its build, with its origin's consumers as its own edges.
  const std::string clone = CreateClone();
  g = Graph();
  const json c = ById(g["envers"], clone);
  EXPECT_EQ(c["kind"], "clone");
  EXPECT_EQ(c["origin"], "app/b..main");
  EXPECT_EQ(c["status"], "succeeded");
  EXPECT_THAT(ById(g["builds"], "app")["envers"], ElementsAre("app/b..main", "app/t..v1", clone));
  const json clone_zone = ById(g["edges"], clone + "#zone");
  EXPECT_EQ(clone_zone["source"], "net/b..main");
  EXPECT_EQ(clone_zone["target"], clone);
  EXPECT_EQ(clone_zone["state"], "current");
  EXPECT_EQ(g["edges"].size(), consumers + 3);

  // Builds and clones.
  auto builds = platform_->ListBuilds();
  ODMD_ASSERT_OK(builds);
  const json app_build = ById((*builds)["builds"], "app");
  EXPECT_EQ(app_build["repo"], "acme/app");
  EXPECT_THAT(app_build["envers"], ElementsAre("app/b..main", "app/t..v1"));
  EXPECT_THAT(app_build["clones"], ElementsAre(clone));
  EXPECT_TRUE(ById((*builds)["builds"], "lib")["clones"].empty());
  auto clones = platform_->ListClones();
  ODMD_ASSERT_OK(clones);
  ASSERT_EQ((*clones)["clones"].size(), 1u);
  const json record = (*clones)["clones"][0];
  EXPECT_EQ(record["id"], clone);
  EXPECT_EQ(record["build"], "app");
  EXPECT_EQ(record["origin"], "app/b..main");
  EXPECT_EQ(record["git_ref"], "refs/heads/feature/x");
  EXPECT_GT(record["created_at"].get<std::int64_t>(), 0);
}

// The live graph's text is shared while nothing changed, and recomputed after any write.
// Two reads return the same text when no write came between them (the reactions thread may
// still write its cursor after a change: such pairs are read again).
TEST_F(PlatformViewsTest, GraphTextIsKeptUntilTheStoreChanges) {
  Bootstrap();
  auto same_text_while_quiet = [&]() -> std::shared_ptr<const std::string> {
    for (int attempt = 0; attempt < 50; ++attempt) {
      const auto before = Latest();
      auto a = platform_->GraphText({});
      auto b = platform_->GraphText({});
      if (!a.ok() || !b.ok()) {
        ADD_FAILURE() << "GraphText failed";
        return nullptr;
      }
      if (Latest() != before) continue;
      EXPECT_EQ(a->get(), b->get()) << "same revision: the same text";
      return *a;
    }
    ADD_FAILURE() << "the store never stayed still for two reads";
    return nullptr;
  };
  std::shared_ptr<const std::string> first = same_text_while_quiet();
  ASSERT_NE(first, nullptr);
  EXPECT_EQ(json::parse(*first), Graph());
  ODMD_ASSERT_OK(
      platform_->PutProduct(access::Principal::Admin(), "/odmd-share/lib/b..main/url", "v2"));
  std::shared_ptr<const std::string> after = same_text_while_quiet();
  ASSERT_NE(after, nullptr);
  EXPECT_NE(first.get(), after.get());
  EXPECT_EQ(ById(json::parse(*after)["edges"], "app/b..main#lib")["state"], "outdated");
  // A historical read is computed for its revision: the graph before the put.
  GraphQuery then;
  then.revision = json::parse(*first)["revision"].get<int64_t>();
  auto past = platform_->GraphText(then);
  ODMD_ASSERT_OK(past);
  EXPECT_EQ(ById(json::parse(**past)["edges"], "app/b..main#lib")["state"], "current");
}

TEST_F(PlatformViewsTest, GraphAtARevisionAndAtAContractsVersion) {
  Bootstrap();
  // networking first ran on the placeholder: at that revision its edge says so.
  auto net_consumed = store_->History("/odmd-share/net/b..main/share..version");
  ODMD_ASSERT_OK(net_consumed);
  const store::Revision first_net = net_consumed->front().revision;
  // The platform's reactions thread may write (its cursor) while the graph is read: the
  // latest revision the graph names lies between the store's before and after.
  const store::Revision before = Latest();
  json g = Graph(AtRevision(first_net));
  const store::Revision after = Latest();
  EXPECT_TRUE(g["historical"].get<bool>());
  EXPECT_EQ(g["revision"], first_net);
  EXPECT_GE(g["latest_revision"].get<store::Revision>(), before);
  EXPECT_LE(g["latest_revision"].get<store::Revision>(), after);
  EXPECT_EQ(ById(g["edges"], "net/b..main#logs")["state"], "placeholder");
  EXPECT_EQ(ById(Graph()["edges"], "net/b..main#logs")["state"], "current");
  // Before the first write: an empty world.
  g = Graph(AtRevision(0));
  EXPECT_TRUE(g["envers"].empty());
  EXPECT_EQ(g["contracts_version"], "");

  // A clone lives, then is deleted: present at a revision when it lived.
  const std::string clone = CreateClone();
  const store::Revision lived = Latest();
  DeleteClone();
  EXPECT_TRUE(ById(Graph()["envers"], clone).is_null());
  g = Graph(AtRevision(lived));
  EXPECT_EQ(ById(g["envers"], clone)["kind"], "clone");
  EXPECT_EQ(ById(g["envers"], clone)["status"], "succeeded");
  EXPECT_EQ(ById(g["edges"], clone + "#zone")["state"], "current");
  // A revision beyond the latest is the latest.
  const store::Revision now = Latest();
  g = Graph(AtRevision(now + 1000));
  EXPECT_GE(g["revision"].get<store::Revision>(), now);
  EXPECT_LE(g["revision"].get<store::Revision>(), Latest());
  EXPECT_TRUE(ById(g["envers"], clone).is_null());

  // A later manifest adds an enver: absent at the earlier version, present at the later.
  PublishNext();
  EXPECT_EQ(ById(Graph()["envers"], "dash/b..next")["kind"], "branch");
  g = Graph(AtVersion("1.0.0"));
  EXPECT_TRUE(g["historical"].get<bool>());
  EXPECT_EQ(g["contracts_version"], "1.0.0");
  EXPECT_TRUE(ById(g["envers"], "dash/b..next").is_null());
  EXPECT_FALSE(ById(g["envers"], "dash/b..main").is_null());
  g = Graph(AtVersion("1.1.0"));
  EXPECT_EQ(g["contracts_version"], "1.1.0");
  EXPECT_EQ(g["contracts_digest"], Graph()["contracts_digest"]);  // 1.1.0 is current
  EXPECT_FALSE(ById(g["envers"], "dash/b..next").is_null());
  EXPECT_LT(g["revision"].get<std::int64_t>(), Latest());
  // Unknown versions and bad queries name what is wrong.
  EXPECT_THAT(platform_->Graph(AtVersion("9.9.9")),
              StatusIs(StatusCode::kNotFound, HasSubstr("\"9.9.9\"")));
  EXPECT_THAT(platform_->Graph(AtRevision(-1)),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("-1")));
  EXPECT_THAT(platform_->Graph(GraphQuery{.revision = 1, .contracts_version = "1.0.0"}),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("not both")));
}

TEST_F(PlatformViewsTest, ContractsVersionsTheirManifestsAndDiff) {
  Bootstrap();
  auto before = platform_->ListContractsVersions();  // kept until the store changes
  ODMD_ASSERT_OK(before);
  EXPECT_EQ((*before)["versions"].size(), 1u);
  EXPECT_EQ(*platform_->ListContractsVersions(), *before);
  PublishNext();
  auto versions = platform_->ListContractsVersions();
  ODMD_ASSERT_OK(versions);
  EXPECT_EQ((*versions)["latest"], "1.1.0");
  ASSERT_EQ((*versions)["versions"].size(), 2u);
  const json newest = (*versions)["versions"][0];
  const json oldest = (*versions)["versions"][1];
  EXPECT_EQ(newest["version"], "1.1.0");
  EXPECT_EQ(oldest["version"], "1.0.0");
  EXPECT_GT(newest["revision"].get<std::int64_t>(), oldest["revision"].get<std::int64_t>());
  EXPECT_EQ(oldest["digest"], model::ManifestDigest(org_));
  EXPECT_NE(newest["digest"], oldest["digest"]);

  auto contracts = platform_->GetContracts("1.0.0");
  ODMD_ASSERT_OK(contracts);
  EXPECT_EQ((*contracts)["version"], "1.0.0");
  EXPECT_EQ((*contracts)["digest"], oldest["digest"]);
  EXPECT_EQ((*contracts)["revision"], oldest["revision"]);
  EXPECT_EQ((*contracts)["manifest"], json::parse(model::WriteManifest(org_)));

  auto diff = platform_->DiffContracts("1.0.0", "1.1.0");
  ODMD_ASSERT_OK(diff);
  EXPECT_EQ((*diff)["from"], "1.0.0");
  EXPECT_EQ((*diff)["to"], "1.1.0");
  bool added = false;
  for (const json& c : (*diff)["changes"]) {
    added |= c["kind"] == "added" && c["object"] == "enver" && c["what"] == "enver" &&
             c["id"] == "dash/b..next";
  }
  EXPECT_TRUE(added) << diff->dump();
  EXPECT_THAT((*diff)["impact"], ::testing::Contains("dash/b..next"));
  auto none = platform_->DiffContracts("1.1.0", "1.1.0");
  ODMD_ASSERT_OK(none);
  EXPECT_TRUE((*none)["changes"].empty());

  EXPECT_THAT(platform_->GetContracts("2.0.0"),
              StatusIs(StatusCode::kNotFound, HasSubstr("\"2.0.0\"")));
  EXPECT_THAT(platform_->DiffContracts("1.0.0", "3.0.0"),
              StatusIs(StatusCode::kNotFound, HasSubstr("\"3.0.0\"")));
  EXPECT_THAT(platform_->DiffContracts("0.9.0", "1.0.0"),
              StatusIs(StatusCode::kNotFound, HasSubstr("\"0.9.0\"")));
}

TEST_F(PlatformViewsTest, ProductHistoryNewestFirstAndAccessChecked) {
  Bootstrap();
  const std::string path = "/odmd-share/lib/b..main/url";
  auto before = store_->Get(path);
  ODMD_ASSERT_OK(before);
  ODMD_ASSERT_OK(platform_->PutProduct(access::Principal::Admin(), path, "second"));
  ODMD_ASSERT_OK(platform_->PutProduct(access::Principal::Admin(), path, "third"));
  // The producer itself and a viewer may read it.
  for (const access::Principal& who :
       {access::Principal::Enver("lib/b..main"), access::Principal::Viewer()}) {
    auto history = platform_->ProductHistory(who, path);
    ODMD_ASSERT_OK(history);
    EXPECT_EQ((*history)["path"], path);
    const json& versions = (*history)["versions"];
    ASSERT_EQ(versions.size(), static_cast<size_t>(before->version + 2));
    EXPECT_EQ(versions[0]["value"], "third");
    EXPECT_EQ(versions[0]["version"], before->version + 2);
    EXPECT_EQ(versions[1]["value"], "second");
    EXPECT_EQ(versions[2]["value"], before->value);
    EXPECT_EQ(versions[2]["revision"], before->revision);
    EXPECT_GT(versions[0]["revision"].get<std::int64_t>(),
              versions[1]["revision"].get<std::int64_t>());
    EXPECT_FALSE(versions[0]["deleted"].get<bool>());
  }
  // Another enver that does not consume it may not.
  EXPECT_THAT(platform_->ProductHistory(access::Principal::Enver("log/b..main"), path),
              StatusIs(StatusCode::kPermissionDenied));
  EXPECT_THAT(platform_->ProductHistory(access::Principal::Admin(), "/odmd/contracts/manifest"),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("/odmd/contracts/manifest")));
  EXPECT_THAT(platform_->ProductHistory(access::Principal::Admin(), "/odmd-share/lib/b..main/no"),
              StatusIs(StatusCode::kNotFound, HasSubstr("/odmd-share/lib/b..main/no")));
}

TEST_F(PlatformViewsTest, ImpactOfAProductAndOfAnEnver) {
  Bootstrap();
  auto impact = platform_->Impact("/odmd-share/lib/b..main/url", "");
  ODMD_ASSERT_OK(impact);
  EXPECT_EQ((*impact)["root"], "/odmd-share/lib/b..main/url");
  std::map<std::string, int> depth;
  for (const json& e : (*impact)["envers"]) depth[e["id"]] = e["depth"];
  EXPECT_EQ(depth, (std::map<std::string, int>{{"app/b..main", 1},
                                               {"dash/b..main", 1}}));  // dash via lib and app
  std::set<std::string> edges((*impact)["edges"].begin(), (*impact)["edges"].end());
  EXPECT_EQ(edges,
            (std::set<std::string>{"app/b..main#lib", "dash/b..main#lib", "dash/b..main#app"}));

  impact = platform_->Impact("", "log/b..main");
  ODMD_ASSERT_OK(impact);
  EXPECT_EQ((*impact)["root"], "log/b..main");
  depth.clear();
  for (const json& e : (*impact)["envers"]) depth[e["id"]] = e["depth"];
  EXPECT_EQ(depth["net/b..main"], 1);
  EXPECT_EQ(depth["app/b..main"], 1);
  EXPECT_EQ(depth["dash/b..main"], 2);
  EXPECT_EQ(depth.count("lib/b..main"), 0u);
  edges = std::set<std::string>((*impact)["edges"].begin(), (*impact)["edges"].end());
  EXPECT_TRUE(edges.count("net/b..main#logs"));
  EXPECT_TRUE(edges.count("app/b..main#bucket"));
  EXPECT_TRUE(edges.count("dash/b..main#app"));
  EXPECT_FALSE(edges.count("app/b..main#lib"));  // lib is not impacted

  EXPECT_THAT(platform_->Impact("", ""), StatusIs(StatusCode::kInvalidArgument));
  EXPECT_THAT(platform_->Impact("/odmd-share/lib/b..main/url", "log/b..main"),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("exactly one")));
  EXPECT_THAT(platform_->Impact("/odmd-share/lib/b..main/nope", ""),
              StatusIs(StatusCode::kNotFound, HasSubstr("/odmd-share/lib/b..main/nope")));
  EXPECT_THAT(platform_->Impact("", "lib/b..nope"),
              StatusIs(StatusCode::kNotFound, HasSubstr("lib/b..nope")));
}

TEST_F(PlatformViewsTest, EventsCarryRevisionsAndEachProductVersionIsPublishedOnce) {
  Bootstrap();
  auto events = platform_->ListEvents(0, 100000);
  ODMD_ASSERT_OK(events);
  ASSERT_FALSE((*events)["events"].empty());
  std::int64_t last = 0;
  for (const json& e : (*events)["events"]) {
    const std::int64_t revision = e["revision"];
    EXPECT_GT(revision, last) << e.dump();
    EXPECT_EQ(store_->Get(EventKey(e["seq"]))->revision, revision) << e.dump();
    last = revision;
  }
  // Every version of every declared product, once, with its revision; never share..version
  // nor contractsLibLatest.
  std::map<std::string, int> published;
  for (const json& e : Events("product.published")) {
    const std::string path = e["fields"]["path"];
    EXPECT_THAT(path, ::testing::Not(HasSubstr("share..version")));
    EXPECT_THAT(path, ::testing::Not(HasSubstr("contractsLibLatest")));
    auto version = store_->GetVersion(path, std::stoll(e["fields"]["version"].get<std::string>()));
    ODMD_ASSERT_OK(version);
    EXPECT_EQ(e["fields"]["revision"], std::to_string(version->revision));
    ++published[path + "@" + e["fields"]["version"].get<std::string>()];
  }
  for (const auto& [key, n] : published) EXPECT_EQ(n, 1) << key;
  auto zone = store_->History("/odmd-share/net/b..main/zone");
  ODMD_ASSERT_OK(zone);
  for (const store::Entry& v : *zone) {
    EXPECT_EQ(published.count("/odmd-share/net/b..main/zone@" + std::to_string(v.version)), 1u);
  }

  // A put through the platform: one event naming the producer; the watch seeing the same
  // version later adds none.
  ODMD_ASSERT_OK(
      platform_->PutProduct(access::Principal::Admin(), "/odmd-share/lib/b..main/url", "v9"));
  Drain();
  ASSERT_TRUE(platform_->WaitIdle(std::chrono::seconds(60)));
  int nine = 0;
  for (const json& e : Events("product.published")) {
    if (e["fields"]["path"] != "/odmd-share/lib/b..main/url") continue;
    const std::string latest = std::to_string(store_->Get("/odmd-share/lib/b..main/url")->version);
    if (e["fields"]["version"] != latest) {
      continue;
    }
    ++nine;
    EXPECT_EQ(e["enver"], "lib/b..main");
    EXPECT_THAT(e["message"].get<std::string>(), HasSubstr("lib/b..main published url version "));
  }
  EXPECT_EQ(nine, 1);

  // Following gives the same revisions as listing.
  std::mutex mu;
  std::condition_variable cv;
  std::vector<json> followed;
  auto handle = platform_->FollowEvents(0, [&](const json& e) {
    std::lock_guard<std::mutex> lock(mu);
    followed.push_back(e);
    cv.notify_all();
  });
  ODMD_ASSERT_OK(handle);
  auto listed = platform_->ListEvents(0, 100000);
  ODMD_ASSERT_OK(listed);
  const size_t n = (*listed)["events"].size();
  std::unique_lock<std::mutex> lock(mu);
  ASSERT_TRUE(cv.wait_for(lock, std::chrono::seconds(60), [&] { return followed.size() >= n; }));
  for (size_t i = 0; i < n; ++i) {
    EXPECT_EQ(followed[i]["revision"], (*listed)["events"][i]["revision"]) << i;
  }
}

}  // namespace
}  // namespace odmd::reconcile
