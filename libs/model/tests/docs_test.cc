// Doc paths (docs.h): the original's serviceOverviewMD / serviceContextMD / enverContextMD
// as manifest members, their defaults, rule R14 on their form, the digest, the contracts
// builder, clones and the contracts diff.

#include "odmd/model/docs.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "odmd/model/clone.h"
#include "odmd/model/contracts.h"
#include "odmd/model/diff.h"
#include "odmd/model/manifest.h"
#include "odmd/model/validate.h"
#include "odmd/testing/status_matchers.h"
#include "validate_test_util.h"

namespace odmd::model {
namespace {

using fixtures::IsViolation;
using fixtures::OfRule;
using fixtures::ValidOrg;
using ::odmd::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::SizeIs;

// ValidOrg with every doc path declared on orderSvc and its b..main enver.
Org DocumentedOrg() {
  Org org = ValidOrg();
  org.builds[2].service_overview_md = "docs/SERVICE_OVERVIEW.md";
  org.builds[2].service_context_md = "docs/SERVICE_CONTEXT.md";
  org.builds[2].envers[0].enver_context_md = "docs/MAIN_ENVER_CONTEXT.md";
  return org;
}

// The manifest of ValidOrg (no digest) with `value` as member `member` of the orderSvc
// build (`enver` false) or of its b..main enver: any JSON is tried, not only a string.
std::string ManifestWith(bool enver, const std::string& member, const nlohmann::json& value) {
  nlohmann::ordered_json doc = nlohmann::ordered_json::parse(WriteManifest(ValidOrg()));
  doc.erase("digest");
  nlohmann::ordered_json& target = enver ? doc["builds"][2]["envers"][0] : doc["builds"][2];
  target[member] = value;
  return doc.dump(2);
}

TEST(DocPathsTest, DefaultsAreTheOriginalsAndDeclaredPathsReplaceThem) {
  Org org = ValidOrg();
  const Build& build = org.builds[2];
  std::vector<DocPath> docs = DocPaths(build, build.envers[0]);
  ASSERT_THAT(docs, SizeIs(3));
  EXPECT_EQ(docs[0].member, "serviceOverviewMd");
  EXPECT_EQ(docs[0].path, ".odmd/ONDEMANDENV_PLATFORM.md");
  EXPECT_EQ(docs[1].member, "serviceContextMd");
  EXPECT_EQ(docs[1].path, ".odmd/SERVICE_PHASE_DEVELOPMENT_PATTERN.md");
  EXPECT_EQ(docs[2].member, "enverContextMd");
  EXPECT_EQ(docs[2].path, ".odmd/ENVER_BASED_SERVICE_CONTEXT_PATTERN.md");
  for (const DocPath& d : docs) {
    EXPECT_FALSE(d.declared) << d.member;
    EXPECT_EQ(d.path, d.default_path) << d.member;
  }

  Org documented = DocumentedOrg();
  docs = DocPaths(documented.builds[2], documented.builds[2].envers[0]);
  EXPECT_EQ(docs[0].path, "docs/SERVICE_OVERVIEW.md");
  EXPECT_EQ(docs[1].path, "docs/SERVICE_CONTEXT.md");
  EXPECT_EQ(docs[2].path, "docs/MAIN_ENVER_CONTEXT.md");
  EXPECT_EQ(docs[2].default_path, kDefaultEnverContextMd);
  for (const DocPath& d : docs) EXPECT_TRUE(d.declared) << d.member;
}

TEST(DocPathsManifestTest, RoundTripAndLayout) {
  Org org = DocumentedOrg();
  std::string text = WriteManifest(org);
  EXPECT_EQ(nlohmann::ordered_json::parse(text).dump(2) + "\n", text);
  EXPECT_THAT(text, HasSubstr(R"(        "installationId": 42
      },
      "serviceOverviewMd": "docs/SERVICE_OVERVIEW.md",
      "serviceContextMd": "docs/SERVICE_CONTEXT.md",
      "envers": [)"));
  EXPECT_THAT(text, HasSubstr(R"(          "overwriteWorkflow": false,
          "enverContextMd": "docs/MAIN_ENVER_CONTEXT.md",
          "products": [)"));
  std::vector<Violation> violations;
  Result<Org> read = ReadManifest(text, &violations);
  ODMD_ASSERT_OK(read);
  EXPECT_THAT(violations, IsEmpty());
  Canonicalize(org);
  EXPECT_EQ(*read, org);
  EXPECT_EQ(WriteManifest(*read), text);
}

TEST(DocPathsManifestTest, AbsentPathsAreNotWrittenAndKeepTheDigest) {
  std::string text = WriteManifest(ValidOrg());
  EXPECT_THAT(text, Not(HasSubstr("Md\"")));
  Result<Org> read = ReadManifest(text, nullptr);
  ODMD_ASSERT_OK(read);
  EXPECT_FALSE(read->builds[2].service_overview_md.has_value());
  EXPECT_FALSE(read->builds[2].envers[0].enver_context_md.has_value());
  // Declaring the default is declaring it: written, and a different digest.
  Org declared = ValidOrg();
  declared.builds[2].envers[0].enver_context_md = std::string(kDefaultEnverContextMd);
  EXPECT_NE(ManifestDigest(declared), ManifestDigest(ValidOrg()));
}

TEST(DocPathsManifestTest, TheDigestCoversThePaths) {
  Org org = DocumentedOrg();
  std::string text = WriteManifest(org);
  size_t at = text.find("MAIN_ENVER_CONTEXT");
  ASSERT_NE(at, std::string::npos);
  text.replace(at, 4, "DEV_");
  std::vector<Violation> violations;
  EXPECT_FALSE(ReadManifest(text, &violations).ok());
  EXPECT_THAT(violations, ElementsAre(::testing::Field(&Violation::rule, "M5")));
  Org changed = org;
  changed.builds[2].service_context_md = "docs/OTHER.md";
  EXPECT_NE(ManifestDigest(changed), ManifestDigest(org));
}

TEST(DocPathsManifestTest, ANonStringIsM3AndTheOriginalsSpellingIsM2WithASuggestion) {
  std::vector<Violation> violations;
  EXPECT_FALSE(ReadManifest(ManifestWith(true, "enverContextMd", 7), &violations).ok());
  EXPECT_THAT(violations, ElementsAre(IsViolation("M3", "/builds/2/envers/0/enverContextMd", "7")));
  violations.clear();
  EXPECT_FALSE(ReadManifest(ManifestWith(false, "serviceOverviewMD", "a.md"), &violations).ok());
  ASSERT_THAT(violations, SizeIs(1));
  EXPECT_EQ(violations[0].rule, "M2");
  EXPECT_EQ(violations[0].path, "/builds/2/serviceOverviewMD");
  EXPECT_THAT(violations[0].message, HasSubstr("did you mean \"serviceOverviewMd\""));
}

struct BadPath {
  const char* path;
  const char* message;
};

class DocPathRuleTest : public ::testing::TestWithParam<BadPath> {};

// A bad path is R14 at its member, for each of the three members, from a manifest (which is
// then refused whole) and from an org built in code.
TEST_P(DocPathRuleTest, IsR14NamingTheMemberAndThePath) {
  const BadPath& bad = GetParam();
  struct Member {
    bool enver;
    const char* name;
    const char* pointer;
    const char* subject;
  };
  for (const Member& m :
       {Member{false, "serviceOverviewMd", "/builds/2/serviceOverviewMd", "build \"orderSvc\""},
        Member{false, "serviceContextMd", "/builds/2/serviceContextMd", "build \"orderSvc\""},
        Member{true, "enverContextMd", "/builds/2/envers/0/enverContextMd",
               "enver \"orderSvc/b..main\""}}) {
    std::vector<Violation> violations;
    Result<Org> read = ReadManifest(ManifestWith(m.enver, m.name, bad.path), &violations);
    EXPECT_THAT(read, StatusIs(StatusCode::kInvalidArgument)) << m.name << " " << bad.path;
    ASSERT_THAT(violations, SizeIs(1)) << m.name << " " << bad.path;
    const Violation& v = violations[0];
    EXPECT_EQ(v.rule, "R14");
    EXPECT_EQ(v.path, m.pointer);
    EXPECT_EQ(v.subject, m.subject);
    EXPECT_THAT(v.message, HasSubstr(std::string(m.name) + " \""));
    EXPECT_THAT(v.message, HasSubstr(bad.message)) << v.message;
  }
  Org org = ValidOrg();
  org.builds[2].envers[0].enver_context_md = bad.path;
  std::vector<Violation> r14 = OfRule(Validate(org), "R14");
  ASSERT_THAT(r14, SizeIs(1));
  EXPECT_EQ(r14[0].path, "/builds/2/envers/0/enverContextMd");
}

INSTANTIATE_TEST_SUITE_P(
    BadPaths, DocPathRuleTest,
    ::testing::Values(BadPath{"", "must not be empty"},
                      BadPath{"/etc/passwd", "must be relative to the repository root"},
                      BadPath{"../other/README.md", "must not have a \"..\" segment"},
                      BadPath{"docs/../../x.md", "must not have a \"..\" segment"},
                      BadPath{"docs/..", "must not have a \"..\" segment"},
                      BadPath{"./docs/x.md", "must not have a \".\" segment"},
                      BadPath{".git/config", "must not have a \".git\" segment"},
                      BadPath{"sub/.git", "must not have a \".git\" segment"},
                      BadPath{"docs//x.md", "must not have an empty segment"},
                      BadPath{"docs/", "must not have an empty segment"},
                      BadPath{"docs/a\tb.md", "must not contain control characters"},
                      BadPath{"docs/a\nb.md", "must not contain control characters"},
                      BadPath{"docs/a\x7f.md", "must not contain control characters"}));

TEST(DocPathRuleTest, ANulByteAndAPathOverTheLimitAreR14) {
  Org org = ValidOrg();
  org.builds[2].envers[0].enver_context_md = std::string("docs/a\0b.md", 11);
  std::vector<Violation> r14 = OfRule(Validate(org), "R14");
  ASSERT_THAT(r14, SizeIs(1));
  EXPECT_THAT(r14[0].message, HasSubstr("control characters"));
  EXPECT_THAT(r14[0].message, HasSubstr("docs/a\\x00b.md"));  // quoted, never raw

  org = ValidOrg();
  org.builds[2].service_context_md = std::string(kMaxDocPathBytes + 1, 'a');
  r14 = OfRule(Validate(org), "R14");
  ASSERT_THAT(r14, SizeIs(1));
  EXPECT_EQ(r14[0].path, "/builds/2/serviceContextMd");
  EXPECT_THAT(r14[0].message, HasSubstr("is 1025 bytes long; at most 1024 are allowed"));
  EXPECT_LT(r14[0].message.size(), 200u);  // the path is shown by its start only

  // Cut between characters: what is shown stays UTF-8 (JSON output would throw otherwise).
  std::string long_path;
  while (long_path.size() <= kMaxDocPathBytes) long_path += "名";  // 3 bytes each
  org.builds[2].service_context_md = long_path;
  r14 = OfRule(Validate(org), "R14");
  ASSERT_THAT(r14, SizeIs(1));
  EXPECT_EQ(r14[0].value, long_path.substr(0, 63));
  EXPECT_NO_THROW((void)nlohmann::json(r14[0].message).dump());
  EXPECT_NO_THROW((void)nlohmann::json(r14[0].value).dump());
}

TEST(DocPathRuleTest, LegalPathsAreAccepted) {
  for (const char* ok :
       {"README.md", ".odmd/ONDEMANDENV_PLATFORM.md", "a/b/c/d.md", "docs/v1..2.md",
        "docs/..hidden.md", "docs/名前.md", "x", ".github/x.md", "a.git/b.md"}) {
    EXPECT_EQ(DocPathProblem(ok), "") << ok;
  }
  EXPECT_EQ(DocPathProblem(std::string(kMaxDocPathBytes, 'a')), "");
  Org org = DocumentedOrg();
  EXPECT_THAT(Validate(org), IsEmpty());
}

TEST(DocPathsContractsTest, SettersDeclareThePathsAndClonesInheritTheEnvers) {
  Contracts c("sandbox", "1.0.0");
  auto central = c.AddAccount("central", "111111111111");
  auto work = c.AddAccount("workspace1", "333333333333");
  auto repo = c.AddRepo("acme", "repo", 1);
  c.AddBuild("contracts", BuildKind::kContracts, repo).Branch("main", central, "us-west-1");
  auto svc = c.AddBuild("svc", BuildKind::kCdk, repo)
                 .ServiceOverviewMd("docs/OVERVIEW.md")
                 .ServiceContextMd("docs/CONTEXT.md");
  svc.Branch("main", work, "us-west-1").EnverContextMd("docs/MAIN.md");
  EXPECT_THAT(c.Validate(), IsEmpty());
  Org org = c.Finish();
  const Build* build = org.FindBuild("svc");
  EXPECT_EQ(build->service_overview_md, "docs/OVERVIEW.md");
  EXPECT_EQ(build->service_context_md, "docs/CONTEXT.md");
  EXPECT_EQ(build->envers[0].enver_context_md, "docs/MAIN.md");

  Result<DerivedClone> clone =
      DeriveClone(org, CloneRequest{"svc/b..main", "feat1", RevType::kBranch, 0});
  ODMD_ASSERT_OK(clone);
  EXPECT_EQ(clone->enver.enver_context_md, "docs/MAIN.md");
  EXPECT_EQ(DocPaths(*build, clone->enver)[2].path, "docs/MAIN.md");
}

TEST(DocPathsDiffTest, APathChangeIsAChangeOfTheBuildOrEnver) {
  Org before = ValidOrg();
  Org after = DocumentedOrg();
  ManifestDiff diff = DiffOrgs(before, after);
  ASSERT_THAT(diff.changes, SizeIs(2));
  EXPECT_EQ(diff.changes[0].object, "build");
  EXPECT_EQ(diff.changes[0].detail,
            "serviceOverviewMd none -> \"docs/SERVICE_OVERVIEW.md\", serviceContextMd none -> "
            "\"docs/SERVICE_CONTEXT.md\"");
  EXPECT_EQ(diff.changes[1].object, "enver");
  EXPECT_EQ(diff.changes[1].id, "orderSvc/b..main");
  EXPECT_EQ(diff.changes[1].detail, "enverContextMd none -> \"docs/MAIN_ENVER_CONTEXT.md\"");
}

}  // namespace
}  // namespace odmd::model
