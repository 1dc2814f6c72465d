// Commit commands on real git repositories (issue 16): one create clones every build of a
// repo, every command of a push is answered in order, two branches pushed at one commit are
// both answered, and a clone the contracts declare is a clone everywhere.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "platform_fixture.h"

namespace odmd::reconcile {
namespace {

using ::odmd::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

// A shop repo hosting two builds with the same origin branch (an image and the CDK app that
// uses it), the app declaring one clone in the contracts; a lib build in another repo.
model::Org ShopOrg() {
  model::Org org = OrgWithContracts("acme");
  org.builds.push_back(
      MakeBuild("lib", "lib", {MakeEnver(model::RevRef::Branch("main"), {"url"}, {})}));
  org.builds.push_back(
      MakeBuild("img", "shop", {MakeEnver(model::RevRef::Branch("main"), {"image"}, {}, 3)}));
  model::Enver declared = MakeEnver(
      model::RevRef::CloneOf(model::RevRef::Branch("main"), model::RevType::kBranch, "ta"), {"url"},
      {});
  declared.inherits_consumers = true;  // as read from a manifest without "consumers"
  org.builds.push_back(MakeBuild(
      "cdk", "shop",
      {MakeEnver(model::RevRef::Branch("main"), {"url"},
                 {Consume("image", "img/b..main", "image"), Consume("lib", "lib/b..main", "url")},
                 2),
       declared}));
  model::Canonicalize(org);
  return org;
}

class PlatformCommandsTest : public PlatformFixture {
 protected:
  void SetUp() override {
    PlatformFixture::SetUp();
    NewContractsRepo("acme/contracts", ShopOrg());
    NewServiceRepo("acme/lib");
    NewServiceRepo("acme/shop");
    Push("acme/shop", "ta", {}, "the declared clone's branch");
    PlatformOptions o = Options();
    o.contracts_repo = "acme/contracts";
    StartPlatform(o);
    Drain();
    Sh(Git() + "checkout -q main");
  }

  std::string Git() { return "git -C " + Q(Work("acme/shop")) + " "; }

  // The command events (accepted and rejected) in the order they were recorded.
  std::vector<std::string> CommandAnswers() {
    std::vector<std::string> out;
    auto events = platform_->ListEvents(0, 100000);
    EXPECT_TRUE(events.ok());
    if (!events.ok()) return out;
    for (const auto& e : (*events)["events"]) {
      if (e["kind"] == "command.accepted" || e["kind"] == "command.rejected") {
        out.push_back(e["kind"].get<std::string>() + " " +
                      e["fields"]["command"].get<std::string>());
      }
    }
    return out;
  }

  bool Exists(const std::string& id) { return platform_->GetEnver(id).ok(); }
};

TEST_F(PlatformCommandsTest, OneCreateClonesEveryBuildOfTheRepoAndANamedBuildOnlyItself) {
  Push("acme/shop", "feature", {}, "try\n\nodmd: create@main");
  ODMD_ASSERT_OK(platform_->Scan(""));
  Drain();
  for (const char* id : {"img/b..main-_b..feature", "cdk/b..main-_b..feature"}) {
    auto e = platform_->GetEnver(id);
    ODMD_ASSERT_OK(e);
    EXPECT_EQ((*e)["kind"], "clone");
    EXPECT_EQ((*e)["status"], "succeeded") << id;
  }
  auto accepted = Events("command.accepted");
  ASSERT_EQ(accepted.size(), 1u);  // one command, one answer naming both clones
  EXPECT_THAT(accepted[0]["message"].get<std::string>(),
              HasSubstr("cdk/b..main-_b..feature, img/b..main-_b..feature are queued"));
  EXPECT_EQ(Events("clone.created").size(), 2u);

  Sh(Git() + "checkout -q main");
  Push("acme/shop", "only-img", {}, "img only\n\nodmd: create img@main");
  ODMD_ASSERT_OK(platform_->Scan(""));
  EXPECT_TRUE(Exists("img/b..main-_b..only-img"));
  EXPECT_FALSE(Exists("cdk/b..main-_b..only-img"));
}

TEST_F(PlatformCommandsTest, ARepoWideCreateIsAllOrNothing) {
  // cdk/b..main allows 2 clones and declares one: one dynamic clone more, then it is full.
  Push("acme/shop", "one", {}, "odmd: create@main");
  ODMD_ASSERT_OK(platform_->Scan(""));
  Sh(Git() + "checkout -q main");
  Push("acme/shop", "two", {}, "odmd: create@main");
  ODMD_ASSERT_OK(platform_->Scan(""));
  auto rejected = Events("command.rejected");
  ASSERT_EQ(rejected.size(), 1u);
  EXPECT_THAT(rejected[0]["message"].get<std::string>(),
              HasSubstr("build cdk: R9: origin \"cdk/b..main\" already has 2 live clones (1 "
                        "declared in the contracts); its limit is 2"));
  EXPECT_FALSE(Exists("img/b..main-_b..two"));  // img had room, but not alone
  EXPECT_FALSE(Exists("cdk/b..main-_b..two"));
}

TEST_F(PlatformCommandsTest, EveryCommandOfAMultiCommitPushIsAnsweredInOrder) {
  Sh(Git() + "checkout -q -b multi");
  Sh(Git() + "commit -q --allow-empty -m " + Q("one\n\nodmd: create@main"));
  Sh(Git() + "commit -q --allow-empty -m " + Q("two\n\nodmd: craete@main"));
  Sh(Git() + "commit -q --allow-empty -m " + Q("three\n\nodmd: delete cdk"));
  Sh(Git() + "commit -q --allow-empty -m " + Q("four\n\nodmd: create@main\nodmd: delete img"));
  Sh(Git() + "push -q origin multi");
  auto report = platform_->Scan("acme/shop");
  ODMD_ASSERT_OK(report);
  EXPECT_THAT(
      CommandAnswers(),
      ElementsAre("command.accepted odmd: create@main", "command.rejected odmd: craete@main",
                  "command.accepted odmd: delete cdk",
                  // cdk's clone is gone, img's is still there: the whole create fails
                  "command.rejected odmd: create@main", "command.accepted odmd: delete img"));
  EXPECT_EQ(report->commands_accepted, 3);
  EXPECT_EQ(report->commands_rejected, 2);
  EXPECT_FALSE(Exists("img/b..main-_b..multi"));
  EXPECT_FALSE(Exists("cdk/b..main-_b..multi"));
  EXPECT_EQ(Events("clone.created").size(), 2u);
  EXPECT_EQ(Events("clone.deleted").size(), 2u);
}

TEST_F(PlatformCommandsTest, TwoBranchesPushedAtOneCommitAreBothAnswered) {
  Sh(Git() + "checkout -q -b left");
  Sh(Git() + "commit -q --allow-empty -m " + Q("both\n\nodmd: create img@main"));
  Sh(Git() + "branch right");
  Sh(Git() + "push -q origin left right");
  ODMD_ASSERT_OK(platform_->Scan(""));
  EXPECT_TRUE(Exists("img/b..main-_b..left"));
  EXPECT_TRUE(Exists("img/b..main-_b..right"));
  EXPECT_EQ(Events("command.accepted").size(), 2u);
}

TEST_F(PlatformCommandsTest, ASecondBranchAtOneCommitFromGitHubAnswersItsHeadCommit) {
  // GitHub lists no commits for the second branch created at a commit another has.
  Sh(Git() + "checkout -q -b gh-one");
  Sh(Git() + "commit -q --allow-empty -m " + Q("gh\n\nodmd: create img@main"));
  Sh(Git() + "branch gh-two");
  Sh(Git() + "push -q origin gh-one gh-two");
  const std::string sha = Sh(Git() + "rev-parse HEAD");
  for (const char* branch : {"gh-one", "gh-two"}) {
    PushEvent push;
    push.repository = "acme/shop";
    push.ref = std::string("refs/heads/") + branch;
    push.before = std::string(40, '0');
    push.after = sha;
    push.created = true;
    const PushCommit head{sha, "gh\n\nodmd: create img@main", "2026-12-06T06:00:00Z"};
    if (std::string(branch) == "gh-one") push.commits.push_back(head);
    push.head_commit = head;
    auto report = platform_->IngestPush(push);
    ODMD_ASSERT_OK(report);
    EXPECT_EQ(report->commands_accepted, 1) << branch;
  }
  EXPECT_TRUE(Exists("img/b..main-_b..gh-one"));
  EXPECT_TRUE(Exists("img/b..main-_b..gh-two"));
}

TEST_F(PlatformCommandsTest, ADeclaredCloneIsACloneEverywhere) {
  auto e = platform_->GetEnver("cdk/b..main-_b..ta");
  ODMD_ASSERT_OK(e);
  EXPECT_EQ((*e)["kind"], "clone");
  EXPECT_EQ((*e)["origin"], "cdk/b..main");
  EXPECT_EQ((*e)["declared"], true);
  EXPECT_EQ((*e)["status"], "succeeded");
  // It inherits its origin's consumers (it declares none).
  auto origin = platform_->GetEnver("cdk/b..main");
  ODMD_ASSERT_OK(origin);
  ASSERT_EQ((*e)["consumers"].size(), 2u);
  EXPECT_EQ((*e)["consumers"], (*origin)["consumers"]);
  EXPECT_THAT((*origin)["clones"], ElementsAre("cdk/b..main-_b..ta"));
  // The graph and the clone list say so too.
  auto graph = platform_->Graph({});
  ODMD_ASSERT_OK(graph);
  bool seen = false;
  for (const auto& n : (*graph)["envers"]) {
    if (n["id"] != "cdk/b..main-_b..ta") continue;
    seen = true;
    EXPECT_EQ(n["kind"], "clone");
    EXPECT_EQ(n["declared"], true);
    EXPECT_EQ(n["origin"], "cdk/b..main");
  }
  EXPECT_TRUE(seen);
  auto clones = platform_->ListClones();
  ODMD_ASSERT_OK(clones);
  ASSERT_EQ((*clones)["clones"].size(), 1u);
  EXPECT_EQ((*clones)["clones"][0]["git_ref"], "refs/heads/ta");
  // A commit command does not delete it: the contracts do.
  Sh(Git() + "checkout -q ta");
  Push("acme/shop", "ta", {}, "odmd: delete cdk");
  ODMD_ASSERT_OK(platform_->Scan(""));
  auto rejected = Events("command.rejected");
  ASSERT_EQ(rejected.size(), 1u);
  EXPECT_THAT(rejected[0]["message"].get<std::string>(), HasSubstr("declared in the contracts"));
  EXPECT_TRUE(Exists("cdk/b..main-_b..ta"));
}

TEST_F(PlatformCommandsTest, ADeclaredCloneRedeploysWhenItsOriginsConsumersChangeAndNotForDocs) {
  const size_t clone_runs = Ran("cdk/b..main-_b..ta").size();
  const size_t origin_runs = Ran("cdk/b..main").size();
  ASSERT_GE(clone_runs, 1u);
  // The origin stops consuming lib: the clone, which inherits its consumers, changes too.
  model::Org next = ShopOrg();
  next.version = "1.0.1";
  std::erase_if(next.FindBuild("cdk")->envers[0].consumers,
                [](const model::Consumer& c) { return c.name == "lib"; });
  ODMD_ASSERT_OK(
      platform_->PublishManifest(access::Principal::Admin(), model::WriteManifest(next)));
  Drain();
  EXPECT_EQ(Ran("cdk/b..main-_b..ta").size(), clone_runs + 1);
  EXPECT_EQ(Ran("cdk/b..main").size(), origin_runs + 1);
  // A context document's path is no reason to deploy.
  next.version = "1.0.2";
  next.FindBuild("cdk")->envers[0].enver_context_md = "docs/cdk.md";
  next.FindBuild("cdk")->service_overview_md = "docs/overview.md";
  ODMD_ASSERT_OK(
      platform_->PublishManifest(access::Principal::Admin(), model::WriteManifest(next)));
  Drain();
  EXPECT_EQ(Ran("cdk/b..main").size(), origin_runs + 1);
  EXPECT_EQ(Ran("cdk/b..main-_b..ta").size(), clone_runs + 1);
}

}  // namespace
}  // namespace odmd::reconcile
