// Rules about names: R1 build ids, R2 revs, R10 product names and derived names.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <functional>
#include <set>

#include "odmd/base/strings.h"
#include "odmd/model/validate.h"
#include "validate_test_util.h"

namespace odmd::model {
namespace {

using fixtures::IsViolation;
using fixtures::MakeBuild;
using fixtures::MakeEnver;
using fixtures::OfRule;
using fixtures::ValidOrg;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::Field;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

// --- R1 ---------------------------------------------------------------------------------

struct BadBuildId {
  std::string id;
  std::string reason;
};

class BuildIdTest : public ::testing::TestWithParam<BadBuildId> {};

TEST_P(BuildIdTest, IllegalIdIsReported) {
  Org org = ValidOrg();
  org.builds[2].id = GetParam().id;

  EXPECT_THAT(OfRule(Validate(org), "R1"),
              ElementsAre(AllOf(IsViolation("R1", "/builds/2/id", GetParam().id),
                                Field(&Violation::message, HasSubstr(GetParam().reason)))));
}

INSTANTIATE_TEST_SUITE_P(
    ValidateR1, BuildIdTest,
    ::testing::Values(BadBuildId{"", "build id is empty"},
                      BadBuildId{"order svc", "character \" \" outside [A-Za-z0-9_-]"},
                      BadBuildId{"order.svc", "character \".\""},
                      BadBuildId{"order/svc", "character \"/\""},
                      BadBuildId{"config", "build id \"config\" is reserved"},
                      BadBuildId{"CONFIG", "is reserved"}, BadBuildId{"Config", "is reserved"}));

TEST(ValidateR1Test, LegalIdsPass) {
  Org org = ValidOrg();
  org.builds[2].id = "order_Svc-2";
  EXPECT_THAT(Validate(org), IsEmpty());
}

TEST(ValidateR1Test, DuplicateIdIsReportedAtTheLaterBuild) {
  Org org = ValidOrg();
  org.builds[2].id = "foundation";

  EXPECT_THAT(OfRule(Validate(org), "R1"),
              ElementsAre(AllOf(IsViolation("R1", "/builds/2/id", "foundation"),
                                Field(&Violation::message,
                                      "duplicate build id \"foundation\" (first at /builds/1)"),
                                Field(&Violation::subject, "build \"foundation\""))));
}

// --- R2 ---------------------------------------------------------------------------------

struct BadRev {
  RevRef rev;
  std::string reason;
};

class RevTest : public ::testing::TestWithParam<BadRev> {};

TEST_P(RevTest, IllegalRevValueIsReported) {
  Org org = ValidOrg();
  org.builds[2].envers[0].rev = GetParam().rev;

  EXPECT_THAT(OfRule(Validate(org), "R2"),
              ElementsAre(AllOf(IsViolation("R2", "/builds/2/envers/0/rev", GetParam().rev.str()),
                                Field(&Violation::message, HasSubstr(GetParam().reason)))));
}

INSTANTIATE_TEST_SUITE_P(
    ValidateR2, RevTest,
    ::testing::Values(BadRev{RevRef::Branch(""), "rev value \"\" is empty"},
                      BadRev{RevRef::Branch("vNext"), "rev value \"vNext\" starts with 'v'"},
                      BadRev{RevRef::Branch("Vnext"), "starts with 'v'"},
                      BadRev{RevRef::Branch("feat..x"), "contains reserved \"..\""},
                      BadRev{RevRef::Branch("a_-b"), "contains reserved \"_-\""},
                      BadRev{RevRef::Tag("v1-_x"), "contains reserved \"-_\""},
                      BadRev{RevRef::Branch("a b"), "has character \" \" outside [A-Za-z0-9_.-]"},
                      BadRev{RevRef::Branch("feature/login"), "has character \"/\""},
                      // Both segments of a clone are checked.
                      BadRev{RevRef::CloneOf(RevRef::Branch("main"), RevType::kBranch, "bad..x"),
                             "rev value \"bad..x\""},
                      BadRev{RevRef::CloneOf(RevRef::Branch("vx"), RevType::kBranch, "feat"),
                             "rev value \"vx\" starts with 'v'"}));

TEST(ValidateR2Test, TagsMayStartWithV) {
  Org org = ValidOrg();
  org.builds[2].envers[0].rev = RevRef::Tag("v2.0.0");
  org.builds[2].envers[0].consumers[0].producer = "foundation/t..v1";
  EXPECT_THAT(Validate(org), IsEmpty());
}

TEST(ValidateR2Test, DuplicateRevInABuildIsReported) {
  Org org = ValidOrg();
  org.builds[1].envers[1].rev = RevRef::Branch("main");

  EXPECT_THAT(OfRule(Validate(org), "R2"),
              ElementsAre(AllOf(IsViolation("R2", "/builds/1/envers/1/rev", "b..main"),
                                Field(&Violation::message,
                                      "duplicate rev \"b..main\" in build \"foundation\" (first "
                                      "at /builds/1/envers/0)"))));
}

TEST(ValidateR2Test, SameRevInDifferentBuildsIsFine) {
  // Every build of the valid org has b..main.
  EXPECT_THAT(OfRule(Validate(ValidOrg()), "R2"), IsEmpty());
}

// A build whose revs are those of the last build that passed, in order, passes without
// being checked again; any other build is checked whole: a build repeating the revs of one
// that reported is reported too, and so are builds that differ in a rev, its origin, or the
// number of envers.
TEST(ValidateR2Test, RevsAreCheckedUnlessABuildRepeatsOneThatPassed) {
  Org org = ValidOrg();
  auto add = [&org](const std::string& id, std::vector<RevRef> revs) {
    Build& build = org.builds.emplace_back(MakeBuild(id, BuildKind::kCmd));
    for (RevRef& rev : revs) build.envers.push_back(MakeEnver(std::move(rev), "workspace1"));
  };
  RevRef main = RevRef::Branch("main"), dev = RevRef::Branch("dev");
  add("a", {main, dev});
  add("b", {main, dev});                   // passes as a's
  add("c", {main, main});                  // a duplicate
  add("d", {main, main});                  // repeats c: reported too
  add("e", {main, RevRef::Branch("v2")});  // a branch starting with 'v'
  add("f", {main, dev, dev});              // a's and one more: a duplicate
  add("g", {main, RevRef::CloneOf(dev, RevType::kBranch, "a..b")});  // a bad clone value

  std::vector<std::string> paths;
  for (const Violation& v : OfRule(Validate(org), "R2")) paths.push_back(v.path);
  EXPECT_THAT(paths, ElementsAre("/builds/5/envers/1/rev", "/builds/6/envers/1/rev",
                                 "/builds/7/envers/1/rev", "/builds/8/envers/2/rev",
                                 "/builds/9/envers/1/rev"));
}

// --- R10 --------------------------------------------------------------------------------

class ProductNameTest : public ::testing::TestWithParam<std::pair<std::string, std::string>> {};

TEST_P(ProductNameTest, IllegalProductNameIsReported) {
  const auto& [name, reason] = GetParam();
  Org org = ValidOrg();
  org.builds[2].envers[0].products[0].name = name;

  EXPECT_THAT(Validate(org),
              ElementsAre(AllOf(IsViolation("R10", "/builds/2/envers/0/products/0/name", name),
                                Field(&Violation::message, HasSubstr(reason)),
                                Field(&Violation::subject,
                                      "enver \"orderSvc/b..main\": product \"" + name + "\""))));
}

INSTANTIATE_TEST_SUITE_P(
    ValidateR10, ProductNameTest,
    ::testing::Values(std::pair{std::string(""), std::string("product name is empty")},
                      std::pair{std::string("api url"), std::string("has character \" \"")},
                      std::pair{std::string("api:url"), std::string("has character \":\"")},
                      std::pair{std::string("/api"), std::string("has an empty part")},
                      std::pair{std::string("api/"), std::string("has an empty part")},
                      std::pair{std::string("api//x"), std::string("has an empty part")},
                      std::pair{std::string("api..x"), std::string("contains \"..\"")},
                      std::pair{std::string("share..version"), std::string("contains \"..\"")}));

TEST(ValidateR10Test, ChildProductNamesPass) {
  Org org = ValidOrg();
  org.builds[2].envers[0].products.push_back({"apiBaseUrl/schema-url"});
  org.builds[2].envers[0].products.push_back({"a.b_c-d/e/f"});
  EXPECT_THAT(Validate(org), IsEmpty());
}

TEST(ValidateR10Test, ProductPathDepthLimitIs15Levels) {
  // /odmd-share/orderSvc/b..main/ is 3 levels, so a name may have 12 parts.
  std::string twelve = "p1/p2/p3/p4/p5/p6/p7/p8/p9/p10/p11/p12";
  Org org = ValidOrg();
  org.builds[2].envers[0].products[0].name = twelve;
  EXPECT_THAT(Validate(org), IsEmpty());

  org.builds[2].envers[0].products[0].name = twelve + "/p13";
  EXPECT_THAT(
      Validate(org),
      ElementsAre(
          AllOf(IsViolation("R10", "/builds/2/envers/0/products/0/name", twelve + "/p13"),
                Field(&Violation::message, "product path \"/odmd-share/orderSvc/b..main/" + twelve +
                                               "/p13\" has 16 levels; the limit is 15"))));
}

// An enver whose products have the names of the last node's that passed, at the same path
// depth, passes without them being checked again; any other is checked: the same names one
// level deeper (a build id with a '/', which R1 reports), and a repeat of names that failed.
TEST(ValidateR10Test, ProductNamesAreCheckedUnlessAnEnverRepeatsOnesThatPassed) {
  std::string twelve = "p1/p2/p3/p4/p5/p6/p7/p8/p9/p10/p11/p12";
  Org org = ValidOrg();
  auto add = [&org](const std::string& id, std::vector<std::string> names) {
    Build& build = org.builds.emplace_back(MakeBuild(id, BuildKind::kCmd));
    for (const char* rev : {"main", "dev"}) {
      Enver& enver = build.envers.emplace_back(MakeEnver(RevRef::Branch(rev), "workspace1"));
      for (const std::string& name : names) enver.products.push_back({name});
    }
  };
  add("a", {"x", twelve});      // passes, twice
  add("b/c", {"x", twelve});    // one level deeper: 16 levels, on both envers
  add("d", {"x", twelve});      // passes
  add("e", {"x", "bad name"});  // fails on both envers

  std::vector<std::string> paths;
  for (const Violation& v : OfRule(Validate(org), "R10")) paths.push_back(v.path);
  EXPECT_THAT(
      paths,
      ElementsAre("/builds/4/envers/0/products/1/name", "/builds/4/envers/1/products/1/name",
                  "/builds/6/envers/0/products/1/name", "/builds/6/envers/1/products/1/name"));
}

TEST(ValidateR10Test, RoleNamesLongerThan64AreReportedOncePerAccountAndRegion) {
  // "<id>-us-west-1333333333333-buildRole" is id + 32 characters; the central role one more.
  std::string id(32, 'a');
  Org org = ValidOrg();
  org.builds[2].id = id;
  org.builds[2].envers.push_back(MakeEnver(RevRef::Branch("dev"), "workspace1"));

  std::string central_role = id + "-us-west-1333333333333-centerRole";
  EXPECT_THAT(
      Validate(org),
      ElementsAre(AllOf(IsViolation("R10", "/builds/2/envers/0", central_role),
                        Field(&Violation::message, "central role name \"" + central_role +
                                                       "\" is 65 characters; the limit is 64"))));

  org.builds[2].id += "a";
  EXPECT_THAT(Validate(org),
              ElementsAre(IsViolation("R10", "/builds/2/envers/0",
                                      org.builds[2].id + "-us-west-1333333333333-buildRole"),
                          IsViolation("R10", "/builds/2/envers/0",
                                      org.builds[2].id + "-us-west-1333333333333-centerRole")));
}

// Envers of one build in different accounts derive different role names: each is checked.
TEST(ValidateR10Test, RoleNamesAreCheckedForEachAccountOfABuild) {
  std::string id(32, 'a');  // the central role name is 65 characters in both accounts
  Org org = ValidOrg();
  org.accounts.push_back({"workspace2", "444444444444"});
  org.builds[2].id = id;
  org.builds[2].envers.push_back(MakeEnver(RevRef::Branch("dev"), "workspace1"));
  org.builds[2].envers.push_back(MakeEnver(RevRef::Branch("qa"), "workspace2"));
  org.builds[2].envers.push_back(MakeEnver(RevRef::Branch("qb"), "workspace1"));
  EXPECT_THAT(
      Validate(org),
      ElementsAre(
          IsViolation("R10", "/builds/2/envers/0", id + "-us-west-1333333333333-centerRole"),
          IsViolation("R10", "/builds/2/envers/2", id + "-us-west-1444444444444-centerRole")));
}

TEST(ValidateR10Test, StackNameLongerThan128IsReported) {
  std::string value(119, 'x');  // "orderSvc--" + 119 = 129 characters
  Org org = ValidOrg();
  org.builds[2].envers[0].rev = RevRef::Branch(value);

  EXPECT_THAT(Validate(org),
              ElementsAre(AllOf(IsViolation("R10", "/builds/2/envers/0", "orderSvc--" + value),
                                Field(&Violation::message, HasSubstr("is 129 characters; the "
                                                                     "limit is 128")))));
  org.builds[2].envers[0].rev = RevRef::Branch(value.substr(1));
  EXPECT_THAT(Validate(org), IsEmpty());
}

// The default stack name is "<build>--<branch value>" or "<build>--<tag rev>" (a clone's
// full rev for tags), sanitized: at 128 and 129 characters, for every kind of rev, the
// longer one is reported and the shorter not.
TEST(ValidateR10Test, DefaultStackNamesAreMeasuredForEveryKindOfRev) {
  struct Kind {
    std::string name;
    std::function<RevRef(const std::string&)> rev;
    size_t fixed;  // characters of the stack name besides the value
  };
  const std::string main_branch = "b..main";
  std::vector<Kind> kinds = {
      {"branch", [](const std::string& v) { return RevRef::Branch(v); }, 10},
      {"tag", [](const std::string& v) { return RevRef::Tag(v); }, 13},
      {"branch clone",
       [](const std::string& v) {
         return RevRef::CloneOf(RevRef::Branch("main"), RevType::kBranch, v);
       },
       10},
      {"tag clone",
       [](const std::string& v) { return RevRef::CloneOf(RevRef::Tag("v1"), RevType::kTag, v); },
       10 + std::string("t..v1-_t..").size()},
  };
  for (const Kind& kind : kinds) {
    for (size_t total : {size_t{128}, size_t{129}}) {
      Org org = ValidOrg();
      org.builds[2].envers[0].rev = kind.rev(std::string(total - kind.fixed, 'x'));
      size_t found = 0;
      for (const Violation& v : Validate(org)) {
        found +=
            v.rule == "R10" && v.message.find("characters; the limit is 128") != std::string::npos;
      }
      EXPECT_EQ(found, total == 129 ? 1u : 0u) << kind.name << " " << total;
    }
  }
}

// Product names are [A-Za-z0-9_.-]+ parts joined by '/', without "..": every name of one to
// three characters from a small alphabet is reported exactly when it breaks that.
TEST(ValidateR10Test, EveryShortProductNameIsJudgedByTheRule) {
  const std::string alphabet = "a/.-_ \xc3";
  std::vector<std::string> names;
  for (char a : alphabet) {
    names.push_back(std::string(1, a));
    for (char b : alphabet) {
      names.push_back(std::string{a, b});
      for (char c : alphabet) names.push_back(std::string{a, b, c});
    }
  }
  auto bad = [](const std::string& n) {
    for (char c : n) {
      if (!IsAsciiAlnum(c) && c != '_' && c != '.' && c != '-' && c != '/') return true;
    }
    return n.front() == '/' || n.back() == '/' || n.find("//") != std::string::npos ||
           n.find("..") != std::string::npos;
  };
  Org org = ValidOrg();
  Enver& enver = org.builds[2].envers[0];
  enver.products.clear();
  std::set<std::string> expected;
  for (size_t i = 0; i < names.size(); ++i) {
    enver.products.push_back({names[i]});
    if (bad(names[i]))
      expected.insert("/builds/2/envers/0/products/" + std::to_string(i) + "/name");
  }
  std::set<std::string> reported;
  for (const Violation& v : Validate(org)) {
    if (v.rule == "R10" && v.path.find("/products/") != std::string::npos) reported.insert(v.path);
  }
  EXPECT_EQ(reported, expected);
}

TEST(ValidateR10Test, StackNameMustStartWithALetter) {
  Org org = ValidOrg();
  org.builds[2].id = "9svc";  // a legal build id

  EXPECT_THAT(Validate(org),
              ElementsAre(AllOf(IsViolation("R10", "/builds/2/envers/0", "9svc--main"),
                                Field(&Violation::message,
                                      "stack name \"9svc--main\" must start with a letter"))));
}

TEST(ValidateR10Test, LeadingDashOfAStackNameBecomesALetter) {
  Org org = ValidOrg();
  org.builds[2].id = "-svc";  // sanitized to "Asvc--main"
  EXPECT_THAT(OfRule(Validate(org), "R10"), IsEmpty());
}

}  // namespace
}  // namespace odmd::model
