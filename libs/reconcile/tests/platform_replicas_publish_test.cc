// A contracts publish received by a follower replica (docs/platform.md, "Replicas"): the
// follower checks it as the leader would (the same errors, nothing recorded when refused),
// records it in the inbox with the manifest in a value of its own, and the leader publishes
// it as a direct publish (same events, same sync), deleting the record in the publish's
// commit; two records of one manifest publish once; a record the leader refuses is deleted
// with its manifest and an alert. A teardown retry or forget and a workflow token rotation
// received by a follower: checked there, done by the leader.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

#include "odmd/reconcile/state.h"
#include "odmd/testing/forwarding_config_store.h"
#include "platform_fixture.h"

namespace odmd::reconcile {
namespace {

using ::odmd::testing::StatusIs;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::StartsWith;

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
    if (!cv.wait_for(lock, std::chrono::seconds(60), [&] { return changes != seen; })) return false;
  }
}

// acme 1.0.0: the contracts and svc/b..main; Next() adds web/b..main under `version`.
model::Org Org(const std::string& version = "1.0.0", bool with_web = false) {
  model::Org org = OrgWithContracts("acme", version);
  org.builds.push_back(
      MakeBuild("svc", "svc", {MakeEnver(model::RevRef::Branch("main"), {"url"}, {})}));
  if (with_web) {
    org.builds.push_back(
        MakeBuild("web", "web", {MakeEnver(model::RevRef::Branch("main"), {"page"}, {})}));
  }
  model::Canonicalize(org);
  return org;
}
std::string Next(const std::string& version = "2.0.0") {
  return model::WriteManifest(Org(version, true));
}

class PlatformReplicasPublishTest : public PlatformFixture {
 protected:
  void StartLeader() {
    NewContractsRepo("acme/contracts", Org());
    NewServiceRepo("acme/svc");
    NewServiceRepo("acme/web");
    PlatformOptions o = Options();
    o.contracts_repo = "acme/contracts";
    StartPlatform(o);
    Drain();
    ASSERT_EQ(Ran("svc/b..main").size(), 1u);
  }

  std::unique_ptr<Platform> StartFollower(const std::string& name) {
    PlatformOptions o = Options();
    o.state_dir = (root_ / ("state-" + name)).string();
    o.replica_id = name;
    auto follower = std::make_unique<Platform>(*store_, *git_, *runner_, clock_, *box_, o);
    EXPECT_TRUE(follower->Serve().ok());
    return follower;
  }

  // The keys under `prefix`.
  size_t Count(std::string_view prefix) {
    Result<std::vector<store::Entry>> list = store_->List(prefix);
    EXPECT_TRUE(list.ok()) << list.status().ToString();
    return list.ok() ? list->size() : 0;
  }

  bool InboxEmpty() {
    return WaitForStore(*store_, kInboxPrefix, [&] { return Count(kInboxPrefix) == 0; });
  }

  // web/b..main's teardown fails while its stack holds a file "fail-destroy": published by
  // 2.0.0, dropped by 3.0.0, left as a failed teardown. Returns the stack's directory.
  fs::path FailWebsTeardown() {
    Push("acme/web", "main",
         {{".scripts/destroy.sh",
           "#!/bin/sh\nif [ -f \"$ODMD_account_dir/$ODMD_stack_names/fail-destroy\" ]; then\n"
           "  echo 'web is still in use' >&2; exit 3\nfi\n"}},
         "destroy can fail");
    ODMD_EXPECT_OK(platform_->PublishManifest(access::Principal::Admin(), Next()));
    Drain();
    fs::path stack;
    for (const auto& d : fs::directory_iterator(AccountDir("workspace", "us-east-1"))) {
      if (d.path().filename().string().find("web") != std::string::npos) stack = d.path();
    }
    EXPECT_FALSE(stack.empty()) << "web's stack was not deployed";
    WriteFile(stack / "fail-destroy", "x");
    ODMD_EXPECT_OK(
        platform_->PublishManifest(access::Principal::Admin(), model::WriteManifest(Org("3.0.0"))));
    Drain();
    return stack;
  }

  // The events of `kind` as `p` lists them.
  static std::vector<nlohmann::json> EventsOf(Platform& p, const std::string& kind) {
    std::vector<nlohmann::json> out;
    Result<nlohmann::json> events = p.ListEvents(0, 100000);
    EXPECT_TRUE(events.ok());
    if (!events.ok()) return out;
    for (const auto& e : (*events)["events"]) {
      if (e["kind"] == kind) out.push_back(e);
    }
    return out;
  }
};

TEST_F(PlatformReplicasPublishTest, AFollowerRefusesWhatTheLeaderWouldWithTheSameErrors) {
  StartLeader();
  std::unique_ptr<Platform> follower = StartFollower("f");
  const access::Principal admin = access::Principal::Admin();
  model::Org changed = Org("1.0.0", true);  // other content under the published version
  const std::vector<std::pair<access::Principal, std::string>> refused = {
      {admin, "{}"},
      {admin, "{\"name\": 1}"},
      {access::Principal::Enver("svc/b..main"), Next()},
      {admin, model::WriteManifest(changed)},
  };
  for (const auto& [who, text] : refused) {
    Result<PublishReport> on_follower = follower->PublishManifest(who, text);
    Result<PublishReport> on_leader = platform_->PublishManifest(who, text);
    ASSERT_FALSE(on_leader.ok()) << text;
    EXPECT_EQ(on_follower.status(), on_leader.status()) << text;
  }
  EXPECT_THAT(follower->PublishManifest(admin, "{}"), StatusIs(StatusCode::kInvalidArgument));
  EXPECT_THAT(follower->PublishManifest(access::Principal::Enver("svc/b..main"), Next()),
              StatusIs(StatusCode::kPermissionDenied));
  EXPECT_THAT(follower->PublishManifest(admin, model::WriteManifest(changed)),
              StatusIs(StatusCode::kFailedPrecondition, HasSubstr("already published")));
  // The current manifest: nothing to publish, nothing recorded.
  Result<PublishReport> same = follower->PublishManifest(admin, model::WriteManifest(Org()));
  ODMD_ASSERT_OK(same);
  EXPECT_FALSE(same->changed);
  EXPECT_EQ(same->inbox, "");
  EXPECT_EQ(Count(kInboxPrefix), 0u);
  EXPECT_EQ(Count(kInboxDataPrefix), 0u);
  follower->Stop();
}

TEST_F(PlatformReplicasPublishTest, TheLeaderPublishesWhatAFollowerRecordedAsADirectPublish) {
  StartLeader();
  std::unique_ptr<Platform> follower = StartFollower("f");
  const std::string manifest = Next();
  Result<PublishReport> accepted = follower->PublishManifest(access::Principal::Admin(), manifest);
  ODMD_ASSERT_OK(accepted);
  EXPECT_THAT(accepted->inbox, StartsWith(std::string(kInboxPrefix)));
  EXPECT_EQ(accepted->version, "2.0.0");
  EXPECT_FALSE(accepted->changed);
  ASSERT_TRUE(InboxEmpty());
  ASSERT_TRUE(WaitForStore(*store_, kEventsPrefix, [&] {
    for (const auto& e : Events("contracts.published")) {
      if (e["fields"]["version"] == "2.0.0") return true;
    }
    return false;
  }));
  Drain();

  // Published once, synced as a direct publish: the new enver deployed, the follower's
  // world follows.
  const std::vector<nlohmann::json> published = Events("contracts.published");
  ASSERT_FALSE(published.empty());
  EXPECT_EQ(published.back()["fields"]["version"], "2.0.0");
  EXPECT_EQ(published.back()["fields"]["digest"], accepted->digest);
  int v2 = 0;
  for (const auto& e : published) v2 += e["fields"]["version"] == "2.0.0" ? 1 : 0;
  EXPECT_EQ(v2, 1);
  EXPECT_EQ(Ran("web/b..main").size(), 1u);
  EXPECT_THAT(store_->Get(kContractsSyncKey), StatusIs(StatusCode::kNotFound));
  EXPECT_EQ(Count(kInboxDataPrefix), 0u);
  // The follower's world follows through its own watch, which no later store change
  // orders after a wait's: polled.
  bool followed = false;
  for (auto until = std::chrono::steady_clock::now() + std::chrono::seconds(60);
       !followed && std::chrono::steady_clock::now() < until;) {
    followed = follower->GetEnver("web/b..main").ok();
    if (!followed) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ASSERT_TRUE(followed);
  // The record and its manifest were deleted in the publish's commit, just before the sync
  // intent it writes last (a batch's ops take consecutive revisions).
  Result<std::vector<store::Entry>> intents = store_->History(kContractsSyncKey);
  ODMD_ASSERT_OK(intents);
  store::Revision intent = 0;
  for (const store::Entry& e : *intents) {
    if (e.value.find("\"2.0.0\"") != std::string::npos) intent = e.revision;
  }
  Result<std::vector<store::Entry>> record = store_->History(accepted->inbox);
  ODMD_ASSERT_OK(record);
  ASSERT_FALSE(record->empty());
  EXPECT_TRUE(record->back().tombstone);
  EXPECT_EQ(record->back().revision, intent - 2);
  follower->Stop();
}

TEST_F(PlatformReplicasPublishTest, TwoRecordsOfOneManifestPublishItOnce) {
  StartLeader();
  platform_->Stop();  // nobody leads
  std::unique_ptr<Platform> next = StartFollower("next");
  const std::string manifest = Next();
  // A client that sent it twice (its first answer lost).
  ODMD_ASSERT_OK(next->PublishManifest(access::Principal::Admin(), manifest));
  Result<PublishReport> again = next->PublishManifest(access::Principal::Admin(), manifest);
  ODMD_ASSERT_OK(again);
  EXPECT_NE(again->inbox, "");
  EXPECT_EQ(Count(kInboxPrefix), 2u);
  EXPECT_EQ(Count(kInboxDataPrefix), 2u);
  // The record holds who and where the manifest is, not the manifest.
  Result<store::Entry> record = store_->Get(again->inbox);
  ODMD_ASSERT_OK(record);
  EXPECT_LT(record->value.size(), 1024u) << record->value;
  const nlohmann::json j = nlohmann::json::parse(record->value);
  EXPECT_EQ(j["kind"], "publish");
  EXPECT_EQ(j["payload"]["who"], "admin");
  Result<store::Entry> data = store_->Get(j["data"].get<std::string>());
  ODMD_ASSERT_OK(data);
  EXPECT_EQ(data->value, manifest);

  ODMD_ASSERT_OK(next->Lead(std::make_unique<::odmd::testing::ForwardingConfigStore>(*store_)));
  ASSERT_TRUE(InboxEmpty());
  ODMD_ASSERT_OK(next->RunOnce());
  int v2 = 0;
  for (const auto& e : EventsOf(*next, "contracts.published")) {
    v2 += e["fields"]["version"] == "2.0.0" ? 1 : 0;
  }
  EXPECT_EQ(v2, 1);
  EXPECT_EQ(Count(kInboxDataPrefix), 0u);
  Result<nlohmann::json> web = next->ListDeployments("web/b..main", 100);
  ODMD_ASSERT_OK(web);
  EXPECT_EQ((*web)["deployments"].size(), 1u);
  EXPECT_TRUE(EventsOf(*next, "alert").empty());
  next->Stop();
}

TEST_F(PlatformReplicasPublishTest, ARecordTheLeaderRefusesGoesWithItsManifestAndAnAlert) {
  StartLeader();
  std::unique_ptr<Platform> follower = StartFollower("f");
  // Recorded unchecked (RecordInbox trusts its caller): the leader's own checks refuse it.
  Result<std::string> key =
      follower->RecordInbox({"publish", {{"who", "admin"}}, "", "{\"not\": \"a manifest\"}"});
  ODMD_ASSERT_OK(key);
  ASSERT_TRUE(InboxEmpty());
  EXPECT_EQ(Count(kInboxDataPrefix), 0u);
  const std::vector<nlohmann::json> alerts = Events("alert");
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_THAT(alerts[0]["message"].get<std::string>(),
              AllOf(HasSubstr(*key), HasSubstr("publish from replica f"), HasSubstr("failed")));
  EXPECT_EQ(Events("contracts.refused").size(), 1u);
  follower->Stop();
}

TEST_F(PlatformReplicasPublishTest, ATeardownRetryOrForgetOnAFollowerIsTheLeaders) {
  StartLeader();
  const fs::path stack = FailWebsTeardown();
  ASSERT_EQ(Events("teardown.failed").size(), 1u);
  std::unique_ptr<Platform> follower = StartFollower("f");

  // Refused as the leader refuses, nothing recorded.
  for (const auto& [who, enver] : std::vector<std::pair<access::Principal, std::string>>{
           {access::Principal::Viewer(), "web/b..main"},
           {access::Principal::Admin(), "nope/b..main"},
           {access::Principal::Admin(), "svc/b..main"}}) {
    for (const bool retry : {true, false}) {
      Result<nlohmann::json> on_follower =
          retry ? follower->RetryTeardown(who, enver) : follower->ForgetTeardown(who, enver);
      Result<nlohmann::json> on_leader =
          retry ? platform_->RetryTeardown(who, enver) : platform_->ForgetTeardown(who, enver);
      ASSERT_FALSE(on_leader.ok()) << enver;
      EXPECT_EQ(on_follower.status(), on_leader.status()) << enver << " retry " << retry;
    }
  }
  EXPECT_EQ(Count(kInboxPrefix), 0u);

  // A retry, still failing: the leader's attempt 2.
  Result<nlohmann::json> retry = follower->RetryTeardown(access::Principal::Admin(), "web/b..main");
  ODMD_ASSERT_OK(retry);
  EXPECT_EQ((*retry)["accepted"], true);
  EXPECT_EQ((*retry)["enver"], "web/b..main");
  ASSERT_TRUE(InboxEmpty());
  const std::vector<nlohmann::json> failed = Events("teardown.failed");
  ASSERT_EQ(failed.size(), 2u);
  EXPECT_THAT(failed.back()["message"].get<std::string>(), HasSubstr("attempt 2"));
  EXPECT_TRUE(fs::exists(stack));

  // Forgotten by the leader; a record of a teardown that is gone changes nothing.
  Result<nlohmann::json> forget =
      follower->ForgetTeardown(access::Principal::Admin(), "web/b..main");
  ODMD_ASSERT_OK(forget);
  EXPECT_EQ((*forget)["accepted"], true);
  ASSERT_TRUE(InboxEmpty());
  EXPECT_EQ(Events("teardown.forgotten").size(), 1u);
  EXPECT_TRUE((*follower->ListTeardowns())["teardowns"].empty());
  ODMD_ASSERT_OK(follower->RecordInbox(
      {"teardown", {{"enver", "web/b..main"}, {"action", "forget"}, {"who", "admin"}}, ""}));
  ASSERT_TRUE(InboxEmpty());
  EXPECT_EQ(Events("teardown.forgotten").size(), 1u);
  EXPECT_TRUE(Events("alert").empty());
  follower->Stop();
}

TEST_F(PlatformReplicasPublishTest, AWorkflowRotationOnAFollowerIsTheLeadersOnce) {
  StartLeader();
  Result<std::vector<store::Entry>> groups = store_->List("/odmd/workflow-tokens/");
  ODMD_ASSERT_OK(groups);
  std::string workflow;
  for (const store::Entry& e : *groups) {
    if (e.key.find("svc") != std::string::npos) workflow = e.key.substr(e.key.rfind('/') + 1);
  }
  ASSERT_FALSE(workflow.empty());
  std::unique_ptr<Platform> follower = StartFollower("f");
  for (const auto& [who, name] : std::vector<std::pair<access::Principal, std::string>>{
           {access::Principal::Viewer(), workflow},
           {access::Principal::Admin(), "ODMD_nope"},
           {access::Principal::Admin(), "not a workflow"}}) {
    Result<nlohmann::json> on_follower = follower->RotateWorkflowSecret(who, name);
    Result<nlohmann::json> on_leader = platform_->RotateWorkflowSecret(who, name);
    ASSERT_FALSE(on_leader.ok()) << name;
    EXPECT_EQ(on_follower.status(), on_leader.status()) << name;
  }
  EXPECT_EQ(Count(kInboxPrefix), 0u);

  Result<store::Entry> before = store_->Get("/odmd/workflow-tokens/" + workflow);
  ODMD_ASSERT_OK(before);
  Result<nlohmann::json> accepted =
      follower->RotateWorkflowSecret(access::Principal::Admin(), workflow);
  ODMD_ASSERT_OK(accepted);
  EXPECT_EQ((*accepted)["accepted"], true);
  EXPECT_EQ((*accepted)["workflow"], workflow);
  ASSERT_TRUE(InboxEmpty());
  EXPECT_EQ(Events("workflow.token.rotated").size(), 1u);
  Result<store::Entry> after = store_->Get("/odmd/workflow-tokens/" + workflow);
  ODMD_ASSERT_OK(after);
  EXPECT_NE(after->value, before->value);
  // The record was deleted in the rotation's commit: just after the sealed token's put.
  Result<std::vector<store::Entry>> record =
      store_->History((*accepted)["inbox"].get<std::string>());
  ODMD_ASSERT_OK(record);
  EXPECT_TRUE(record->back().tombstone);
  EXPECT_EQ(record->back().revision, after->revision + 1);
  follower->Stop();
}

}  // namespace
}  // namespace odmd::reconcile
