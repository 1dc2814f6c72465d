// MissingDocEvents (src/platform/doc_paths.h), what Platform::Impl::ReportMissingDocs
// appends to the event log: a doc path that a pushed commit lacks is a "doc.missing" warning
// naming the path, the enver and the commit; a present one is silent; git trouble is an
// alert, never an error that blocks the deployment. On a real git repository in a temp dir,
// through CliGit.

#include "platform/doc_paths.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "odmd/model/docs.h"
#include "odmd/model/org.h"
#include "odmd/reconcile/git.h"
#include "odmd/testing/shell.h"
#include "odmd/testing/status_matchers.h"

namespace odmd::reconcile {
namespace {

namespace fs = std::filesystem;
using ::odmd::testing::Q;
using ::odmd::testing::Sh;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

class ReportMissingDocsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::random_device rd;
    root_ = fs::temp_directory_path() /
            ("odmd-doc-paths-test-" + std::to_string(rd()) + "-" + std::to_string(rd()));
    fs::create_directories(root_);
    ::odmd::testing::UseHermeticGit(root_.string());
    bare_ = (root_ / "svc.git").string();
    work_ = (root_ / "svc").string();
    Sh("git -c init.defaultBranch=main init -q --bare " + Q(bare_));
    Sh("git clone -q " + Q(bare_) + " " + Q(work_) + " 2>/dev/null");

    build_.id = "svc";
    build_.kind = model::BuildKind::kCdk;
    build_.repo = {"acme", "svc", 0};
    enver_.rev = model::RevRef::Branch("main");
    enver_.account = "workspace1";
    enver_.region = "us-west-1";
  }

  void TearDown() override {
    std::error_code ec;
    fs::remove_all(root_, ec);
  }

  // Commits exactly `files` (the previous commit's files removed) and pushes; the new sha.
  std::string Commit(const std::vector<std::string>& files) {
    const std::string w = "git -C " + Q(work_) + " ";
    Sh(w + "rm -rq --ignore-unmatch .");
    for (const std::string& f : files) {
      fs::create_directories((fs::path(work_) / f).parent_path());
      Sh("echo doc > " + Q((fs::path(work_) / f).string()));
    }
    Sh(w + "add -A");
    Sh(w + "commit -q --allow-empty -m docs");
    Sh(w + "push -q origin HEAD:refs/heads/main");
    return Sh(w + "rev-parse HEAD");
  }

  std::vector<Event> Report(const std::string& sha) {
    return MissingDocEvents(*git_, build_, enver_, bare_, sha);
  }

  fs::path root_;
  std::string bare_, work_;
  std::unique_ptr<Git> git_ = NewCliGit();
  model::Build build_;
  model::Enver enver_;
};

TEST_F(ReportMissingDocsTest, EveryDefaultPathMissingIsAWarningNamingPathEnverAndCommit) {
  const std::string sha = Commit({"README.md"});
  std::vector<Event> events = Report(sha);
  ASSERT_THAT(events, SizeIs(3));
  const std::string defaults[] = {std::string(model::kDefaultServiceOverviewMd),
                                  std::string(model::kDefaultServiceContextMd),
                                  std::string(model::kDefaultEnverContextMd)};
  const std::string members[] = {"serviceOverviewMd", "serviceContextMd", "enverContextMd"};
  for (size_t i = 0; i < 3; ++i) {
    const Event& e = events[i];
    EXPECT_EQ(e.kind, "doc.missing");
    EXPECT_EQ(e.enver_id, "svc/b..main");
    EXPECT_EQ(e.fields.at("level"), "warning");
    EXPECT_EQ(e.fields.at("path"), defaults[i]);
    EXPECT_EQ(e.fields.at("member"), members[i]);
    EXPECT_EQ(e.fields.at("default"), "true");
    EXPECT_EQ(e.fields.at("sha"), sha);
    EXPECT_EQ(e.fields.at("repo"), "acme/svc");
    EXPECT_THAT(e.message, HasSubstr("enver svc/b..main: " + members[i] + " \"" + defaults[i] +
                                     "\" (the default) does not exist in commit " +
                                     sha.substr(0, 7) + " of acme/svc"));
    EXPECT_THAT(e.suggestion, HasSubstr(members[i] + " in the contracts"));
  }
}

TEST_F(ReportMissingDocsTest, DefaultPathsPresentAreSilent) {
  const std::string sha = Commit({std::string(model::kDefaultServiceOverviewMd),
                                  std::string(model::kDefaultServiceContextMd),
                                  std::string(model::kDefaultEnverContextMd)});
  EXPECT_THAT(Report(sha), IsEmpty());
}

TEST_F(ReportMissingDocsTest, DeclaredPathsPresentAreSilentAndAMissingOneIsNamed) {
  build_.service_overview_md = "docs/OVERVIEW.md";
  build_.service_context_md = "docs/CONTEXT.md";
  enver_.enver_context_md = "docs/envers/MAIN.md";
  const std::string present =
      Commit({"docs/OVERVIEW.md", "docs/CONTEXT.md", "docs/envers/MAIN.md"});
  EXPECT_THAT(Report(present), IsEmpty());

  // The enver's document is gone in the next commit (a directory of that name is no file).
  const std::string later =
      Commit({"docs/OVERVIEW.md", "docs/CONTEXT.md", "docs/envers/MAIN.md/x"});
  std::vector<Event> events = Report(later);
  ASSERT_THAT(events, SizeIs(1));
  EXPECT_EQ(events[0].kind, "doc.missing");
  EXPECT_EQ(events[0].fields.at("path"), "docs/envers/MAIN.md");
  EXPECT_EQ(events[0].fields.at("member"), "enverContextMd");
  EXPECT_EQ(events[0].fields.at("default"), "false");
  EXPECT_EQ(events[0].fields.at("sha"), later);
  EXPECT_EQ(events[0].message,
            "enver svc/b..main: enverContextMd \"docs/envers/MAIN.md\" does not "
            "exist in commit " +
                later.substr(0, 7) + " of acme/svc");
}

TEST_F(ReportMissingDocsTest, AClonesDocumentsAreLookedUpUnderItsOwnId) {
  enver_.rev = model::RevRef::CloneOf(model::RevRef::Branch("main"), model::RevType::kBranch, "f1");
  enver_.enver_context_md = "docs/MAIN.md";
  const std::string sha = Commit({std::string(model::kDefaultServiceOverviewMd),
                                  std::string(model::kDefaultServiceContextMd)});
  std::vector<Event> events = Report(sha);
  ASSERT_THAT(events, SizeIs(1));
  EXPECT_EQ(events[0].enver_id, "svc/b..main-_b..f1");
  EXPECT_EQ(events[0].fields.at("path"), "docs/MAIN.md");
}

TEST_F(ReportMissingDocsTest, GitTroubleIsAnAlertAndNotAnError) {
  const std::string unknown(40, 'a');
  std::vector<Event> events = Report(unknown);
  ASSERT_THAT(events, SizeIs(1));
  EXPECT_EQ(events[0].kind, "alert");
  EXPECT_THAT(events[0].message, HasSubstr("could not check the doc paths of enver svc/b..main"));
  EXPECT_EQ(events[0].fields.at("sha"), unknown);
}

}  // namespace
}  // namespace odmd::reconcile
