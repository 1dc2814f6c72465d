// Doc paths at intake, end to end (issue 16): a push that deploys an enver whose commit
// lacks one of its context documents records a doc.missing warning naming the path; the
// deployment goes on.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "odmd/model/docs.h"
#include "platform_fixture.h"

namespace odmd::reconcile {
namespace {

model::Org DocsOrg() {
  model::Org org = OrgWithContracts("acme");
  model::Enver main = MakeEnver(model::RevRef::Branch("main"), {"url"}, {});
  main.enver_context_md = "docs/main.md";
  org.builds.push_back(MakeBuild("svc", "svc", {main}));
  model::Canonicalize(org);
  return org;
}

class PlatformDocsTest : public PlatformFixture {
 protected:
  // The paths of svc/b..main's doc.missing events recorded at `sha`.
  std::set<std::string> MissingAt(const std::string& sha) {
    std::set<std::string> out;
    for (const auto& e : Events("doc.missing")) {
      if (e["enver"] == "svc/b..main" && e["fields"]["sha"] == sha) {
        out.insert(e["fields"]["path"].get<std::string>());
      }
    }
    return out;
  }
};

TEST_F(PlatformDocsTest, APushReportsEachContextDocumentItsCommitLacks) {
  NewContractsRepo("acme/contracts", DocsOrg());
  NewServiceRepo("acme/svc");
  PlatformOptions o = Options();
  o.contracts_repo = "acme/contracts";
  StartPlatform(o);
  Drain();
  const std::string first = Push("acme/svc", "main", {{"config", "v2"}}, "a change");
  ODMD_ASSERT_OK(platform_->Scan(""));
  Drain();
  EXPECT_EQ(MissingAt(first),
            (std::set<std::string>{std::string(model::kDefaultServiceOverviewMd),
                                   std::string(model::kDefaultServiceContextMd), "docs/main.md"}));
  // The deployment went on.
  auto e = platform_->GetEnver("svc/b..main");
  ODMD_ASSERT_OK(e);
  EXPECT_EQ((*e)["status"], "succeeded");

  // Two of them committed: only the third is reported for the new commit.
  const std::string second = Push(
      "acme/svc", "main",
      {{"docs/main.md", "# main\n"}, {std::string(model::kDefaultServiceOverviewMd), "# svc\n"}},
      "docs");
  ODMD_ASSERT_OK(platform_->Scan(""));
  EXPECT_EQ(MissingAt(second),
            (std::set<std::string>{std::string(model::kDefaultServiceContextMd)}));
}

}  // namespace
}  // namespace odmd::reconcile
