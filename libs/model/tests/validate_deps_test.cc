// Rules about consumers: R3 immutability, R4 targets and names, R5 regions, R6
// producer-only kinds, R8 cycles without a placeholder.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "odmd/base/strings.h"
#include "odmd/model/graph.h"
#include "odmd/model/validate.h"
#include "validate_test_util.h"

namespace odmd::model {
namespace {

using fixtures::IsViolation;
using fixtures::MakeBuild;
using fixtures::MakeConsumer;
using fixtures::MakeEnver;
using fixtures::OfRule;
using fixtures::ValidOrg;
using ::testing::AllOf;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::Field;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

Consumer& FirstConsumer(Org& org) { return org.builds[2].envers[0].consumers[0]; }

// --- R3 ---------------------------------------------------------------------------------

TEST(ValidateR3Test, TagEnverConsumingABranchProductIsReported) {
  Org org = ValidOrg();
  Enver tag = MakeEnver(RevRef::Tag("v2"), "workspace1");
  tag.consumers.push_back(MakeConsumer("bus", "foundation/b..main", "eventBusArn"));
  org.builds[2].envers.push_back(tag);

  EXPECT_THAT(
      Validate(org),
      ElementsAre(
          AllOf(IsViolation("R3", "/builds/2/envers/1/consumers/0/producer", "foundation/b..main"),
                Field(&Violation::subject, "enver \"orderSvc/t..v2\": consumer \"bus\""),
                Field(&Violation::message,
                      "immutable (tag) enver consumes from mutable (branch) enver "
                      "\"foundation/b..main\""))));
}

TEST(ValidateR3Test, TagConsumingTagAndBranchConsumingTagPass) {
  Org org = ValidOrg();
  Enver tag = MakeEnver(RevRef::Tag("v2"), "workspace1");
  tag.consumers.push_back(MakeConsumer("bus", "foundation/t..v1", "eventBusArn"));
  org.builds[2].envers.push_back(tag);
  FirstConsumer(org).producer = "foundation/t..v1";
  EXPECT_THAT(Validate(org), IsEmpty());
}

// Only the edges of immutable consumers are walked: each mutable producer of each tag enver
// is reported at its own consumer, and a branch enver consuming a branch is not.
TEST(ValidateR3Test, EachMutableProducerOfEachTagEnverIsReportedAtItsConsumer) {
  Org org = ValidOrg();
  for (const char* tag_name : {"v2", "v3"}) {
    Enver tag = MakeEnver(RevRef::Tag(tag_name), "workspace1");
    tag.consumers.push_back(MakeConsumer("a", "foundation/t..v1", "eventBusArn"));
    tag.consumers.push_back(MakeConsumer("b", "foundation/b..main", "eventBusArn"));
    tag.consumers.push_back(MakeConsumer("c", "foundation/t..v1", "eventBusArn"));
    tag.consumers.push_back(MakeConsumer("d", "foundation/b..main", "eventBusArn"));
    org.builds[2].envers.push_back(tag);
  }

  std::vector<std::string> paths;
  for (const Violation& v : OfRule(Validate(org), "R3")) paths.push_back(v.path);
  EXPECT_THAT(paths, ElementsAre("/builds/2/envers/1/consumers/1/producer",
                                 "/builds/2/envers/1/consumers/3/producer",
                                 "/builds/2/envers/2/consumers/1/producer",
                                 "/builds/2/envers/2/consumers/3/producer"));
}

TEST(ValidateR3Test, ACloneOfATagIsImmutable) {
  Org org = ValidOrg();
  org.builds[2].envers.push_back(MakeEnver(RevRef::Tag("v2"), "workspace1"));
  Enver clone =
      MakeEnver(RevRef::CloneOf(RevRef::Tag("v2"), RevType::kBranch, "hotfix"), "workspace1");
  clone.consumers.push_back(MakeConsumer("bus", "foundation/b..main", "eventBusArn"));
  org.builds[2].envers.push_back(clone);

  EXPECT_THAT(Validate(org),
              ElementsAre(IsViolation("R3", "/builds/2/envers/2/consumers/0/producer",
                                      "foundation/b..main")));
}

// --- R4 ---------------------------------------------------------------------------------

TEST(ValidateR4Test, ConsumingFromTheOwnBuildIsReported) {
  Org org = ValidOrg();
  org.builds[1].envers[0].consumers.push_back(
      MakeConsumer("old", "foundation/t..v1", "eventBusArn"));

  EXPECT_THAT(Validate(org),
              ElementsAre(AllOf(
                  IsViolation("R4", "/builds/1/envers/0/consumers/0/producer", "foundation/t..v1"),
                  Field(&Violation::message, "consumes from its own build \"foundation\""))));
}

TEST(ValidateR4Test, ConsumingFromItselfIsReportedAsOwnBuild) {
  Org org = ValidOrg();
  org.builds[1].envers[0].consumers.push_back(MakeConsumer("me", "foundation/b..main", "vpc"));
  EXPECT_THAT(Validate(org),
              ElementsAre(IsViolation("R4", "/builds/1/envers/0/consumers/0/producer",
                                      "foundation/b..main")));
}

// Every consumer of orderSvc/b..main resolves (the check then reads only the enver's edges):
// the ones from its own build are reported at their own indices, the others not.
TEST(ValidateR4Test, OwnBuildConsumersAmongResolvedOnesAreReportedAtTheirIndices) {
  Org org = ValidOrg();
  Build& order = org.builds[2];
  order.envers.push_back(MakeEnver(RevRef::Branch("dev"), "workspace1"));
  order.envers[1].products.push_back({"apiBaseUrl"});
  std::vector<Consumer>& consumers = order.envers[0].consumers;
  consumers.push_back(MakeConsumer("dev", "orderSvc/b..dev", "apiBaseUrl"));
  consumers.push_back(MakeConsumer("vpc", "foundation/b..main", "vpc"));
  consumers.push_back(MakeConsumer("zdev", "orderSvc/b..dev", "apiBaseUrl"));
  Graph graph(org);
  ASSERT_EQ(graph.dependencies(*graph.FindEnver("orderSvc/b..main")).size(), 4u);

  EXPECT_THAT(
      Validate(org),
      ElementsAre(IsViolation("R4", "/builds/2/envers/0/consumers/1/producer", "orderSvc/b..dev"),
                  IsViolation("R4", "/builds/2/envers/0/consumers/3/producer", "orderSvc/b..dev")));
}

// The own-build check reads a producer id's part before its first '/', which, in an org
// breaking R1, can name the consumer's own build while the producer is another build's
// enver. Each case: a producer build (enver "main" with product "x"), a consumer build
// (enver `consumer_rev`) consuming `producer`/x, and the own-build violation expected.
struct OwnBuildCase {
  std::string name;
  std::string producer_build, consumer_build, consumer_rev, producer;
};

class OwnBuildTest : public ::testing::TestWithParam<OwnBuildCase> {};

TEST_P(OwnBuildTest, IsTheProducerIdsFirstPartEvenWhenBuildIdsBreakR1) {
  const OwnBuildCase& p = GetParam();
  Org org = ValidOrg();
  Build producer = MakeBuild(p.producer_build, BuildKind::kCdk);
  producer.envers.push_back(MakeEnver(RevRef::Branch("main"), "workspace1"));
  producer.envers.back().products.push_back({"x"});
  Build consumer = MakeBuild(p.consumer_build, BuildKind::kCdk);
  consumer.envers.push_back(MakeEnver(RevRef::Branch(p.consumer_rev), "workspace1"));
  consumer.envers.back().consumers.push_back(MakeConsumer("in", p.producer, "x"));
  org.builds.push_back(std::move(producer));
  org.builds.push_back(std::move(consumer));
  Graph graph(org);
  std::string consumer_id = p.consumer_build + "/b.." + p.consumer_rev;
  ASSERT_EQ(graph.dependencies(*graph.FindEnver(consumer_id)).size(), 1u);  // resolved
  EXPECT_THAT(
      Validate(org),
      Contains(AllOf(
          IsViolation("R4", "/builds/4/envers/0/consumers/0/producer", p.producer),
          Field(&Violation::message, "consumes from its own build " + Quote(p.consumer_build)))));
}

INSTANTIATE_TEST_SUITE_P(
    ValidateR4, OwnBuildTest,
    ::testing::Values(
        // "a" consuming "a/b"'s enver "a/b/b..main": by the text, from its own build "a".
        OwnBuildCase{"SlashInABuildId", "a/b", "a", "main", "a/b/b..main"},
        // The second of two builds "twin" consuming the first's enver.
        OwnBuildCase{"TwinBuildIds", "twin", "twin", "dev", "twin/b..main"}),
    [](const ::testing::TestParamInfo<OwnBuildCase>& each) { return each.param.name; });

struct UnknownTarget {
  std::string producer;
  std::string product;
  std::string path_suffix;
  std::string value;
  std::string message;
};

class UnknownTargetTest : public ::testing::TestWithParam<UnknownTarget> {};

TEST_P(UnknownTargetTest, IsReportedWithAHint) {
  const UnknownTarget& p = GetParam();
  Org org = ValidOrg();
  FirstConsumer(org).producer = p.producer;
  FirstConsumer(org).product = p.product;

  EXPECT_THAT(Validate(org),
              ElementsAre(AllOf(
                  IsViolation("R4", "/builds/2/envers/0/consumers/0/" + p.path_suffix, p.value),
                  Field(&Violation::message, p.message))));
}

INSTANTIATE_TEST_SUITE_P(
    ValidateR4, UnknownTargetTest,
    ::testing::Values(
        UnknownTarget{"foundation/b..mian", "eventBusArn", "producer", "foundation/b..mian",
                      "names unknown enver \"foundation/b..mian\"; did you mean "
                      "\"foundation/b..main\""},
        UnknownTarget{"foundation/b..zzzzzzz", "eventBusArn", "producer", "foundation/b..zzzzzzz",
                      "names unknown enver \"foundation/b..zzzzzzz\""},
        UnknownTarget{"nope/b..main", "eventBusArn", "producer", "nope/b..main",
                      "names unknown enver \"nope/b..main\": no build \"nope\""},
        UnknownTarget{"foundation", "eventBusArn", "producer", "foundation",
                      "names unknown enver \"foundation\": an enver id is \"<build>/<rev>\""},
        UnknownTarget{"foundation/b..main", "eventBusArm", "product", "eventBusArm",
                      "names unknown product \"eventBusArm\" of enver \"foundation/b..main\"; "
                      "did you mean \"eventBusArn\""},
        UnknownTarget{"foundation/t..v1", "vpc", "product", "vpc",
                      "names unknown product \"vpc\" of enver \"foundation/t..v1\""}));

TEST(ValidateR4Test, HugeNamesGetNoSuggestion) {
  // Edit distance is quadratic; names this long are never compared.
  std::string value(20000, 'a');
  Org org = ValidOrg();
  org.builds[1].envers[0].rev = RevRef::Branch(value);
  FirstConsumer(org).producer = "foundation/b.." + value + "b";

  std::vector<Violation> found = OfRule(Validate(org), "R4");
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].message, "names unknown enver " + Quote(FirstConsumer(org).producer));
}

TEST(ValidateR4Test, DuplicateConsumerNameIsReported) {
  Org org = ValidOrg();
  org.builds[2].envers[0].consumers.push_back(MakeConsumer("bus", "foundation/b..main", "vpc"));

  EXPECT_THAT(Validate(org),
              ElementsAre(AllOf(IsViolation("R4", "/builds/2/envers/0/consumers/1/name", "bus"),
                                Field(&Violation::message,
                                      "duplicate consumer name \"bus\" (first at "
                                      "/builds/2/envers/0/consumers/0)"))));
}

// "share-pool" and "share_pool" are both ODMD_consumer_share_pool: the build would see one.
TEST(ValidateR4Test, ConsumerNamesThatMapToOneVariableAreReportedNamingBoth) {
  Org org = ValidOrg();
  org.builds[2].envers[0].consumers[0].name = "share-pool";
  org.builds[2].envers[0].consumers.push_back(
      MakeConsumer("share_pool", "foundation/b..main", "vpc"));
  org.builds[2].envers[0].consumers.push_back(
      MakeConsumer("share-pool", "foundation/b..main", "vpc"));

  EXPECT_THAT(
      Validate(org),
      ElementsAre(AllOf(IsViolation("R4", "/builds/2/envers/0/consumers/1/name", "share_pool"),
                        Field(&Violation::message,
                              "consumer names \"share-pool\" (/builds/2/envers/0/consumers/0) "
                              "and \"share_pool\" both map to the environment variable "
                              "ODMD_consumer_share_pool; rename one")),
                  AllOf(IsViolation("R4", "/builds/2/envers/0/consumers/2/name", "share-pool"),
                        Field(&Violation::message, HasSubstr("duplicate consumer name")))));
}

// Whether a name can map to another's variable is decided eight bytes at a time: every byte
// outside [A-Za-z0-9_], at every position of names of 1 to 17 bytes, is seen (the name and
// the same name with '_' there are reported), and names of only those characters are not.
TEST(ValidateR4Test, EveryCharacterOutsideTheVariableSetIsSeenAtEveryPosition) {
  Org org = ValidOrg();
  Build& build = org.builds.emplace_back(MakeBuild("names", BuildKind::kCdk));
  size_t pairs = 0;
  for (int byte = 1; byte < 256; ++byte) {
    char c = static_cast<char>(byte);
    bool variable = IsAsciiAlnum(c) || c == '_';
    for (size_t size = 1; size <= 17; ++size) {
      for (size_t at = 0; at < size; ++at) {
        std::string name(size, 'a');
        name[at] = c;
        std::string twin = name;
        twin[at] = variable ? 'b' : '_';  // the same variable only when `c` maps to '_'
        Enver& enver = build.envers.emplace_back(
            MakeEnver(RevRef::Branch("e" + std::to_string(build.envers.size())), "workspace1"));
        enver.consumers.push_back(MakeConsumer(name, "foundation/b..main", "vpc"));
        enver.consumers.push_back(MakeConsumer(twin, "foundation/b..main", "vpc"));
        pairs += variable ? 0 : 1;
      }
    }
  }
  size_t mapped = 0;
  for (const Violation& v : Validate(org)) {
    mapped += v.message.find("both map to the environment variable") != std::string::npos;
  }
  EXPECT_EQ(mapped, pairs);
}

// Short lists (an enver's usual consumers) and long ones take different paths to find
// duplicates, and so do names of up to seven bytes (held inline, equal when their identities
// are) and longer ones (each made separately here: equal texts in different blocks); all
// report each repeat once, against its first occurrence, in list order.
TEST(ValidateR4Test, DuplicateConsumerNamesAreFoundInShortAndLongLists) {
  for (int n : {7, 40, 100}) {
    for (std::string prefix : {"c", "long_consumer_name"}) {
      Org org = ValidOrg();
      std::vector<Consumer>& consumers = org.builds[2].envers[0].consumers;
      consumers.clear();
      std::vector<std::string> expected;
      for (int i = 0; i < n; ++i) {
        // Every third name repeats the name two places back; names are not sorted.
        int name = i % 3 == 2 ? n - (i - 2) : n - i;
        consumers.push_back(
            MakeConsumer(prefix + std::to_string(name), "foundation/b..main", "eventBusArn"));
        if (i % 3 == 2) {
          expected.push_back("/builds/2/envers/0/consumers/" + std::to_string(i) +
                             "/name first at " + std::to_string(i - 2));
        }
      }
      std::vector<std::string> found;
      for (const Violation& v : OfRule(Validate(org), "R4")) {
        size_t at = v.message.rfind('/');
        found.push_back(v.path + " first at " +
                        v.message.substr(at + 1, v.message.size() - at - 2));
      }
      EXPECT_EQ(found, expected) << prefix << " " << n;
    }
  }
}

// An enver whose consumer names are the texts of a list that passed, in its order, passes
// without its names being checked again; every other list is checked whole: a copy of a list
// with a duplicate reports it again, and so do lists that differ from one that passed in
// length, in one name, or in order only where that makes a duplicate.
TEST(ValidateR4Test, ConsumerNamesAreCheckedUnlessTheyAreAListThatPassed) {
  Org org = ValidOrg();
  Build& build = org.builds.emplace_back(MakeBuild("twins", BuildKind::kCdk));
  auto add = [&build](const std::string& rev, std::vector<std::string> names) {
    Enver& enver = build.envers.emplace_back(MakeEnver(RevRef::Branch(rev), "workspace1"));
    for (const std::string& name : names) {
      enver.consumers.push_back(MakeConsumer(name, "foundation/b..main", "eventBusArn"));
    }
  };
  add("a", {"x", "y", "long_name_z"});
  add("b", {"x", "y", "long_name_z"});          // passes as a's list
  add("c", {"x", "y", "long_name_z", "y"});     // a's and one more: a duplicate
  add("d", {"x", "y", "y"});                    // one name differs: a duplicate
  add("e", {"x", "y", "long_name_z"});          // passes again
  add("f", {"dup", "dup"});                     // a duplicate
  build.envers.push_back(build.envers.back());  // a copy: the same texts, reported too
  build.envers.back().rev = RevRef::Branch("g");
  add("h", {"share-pool", "q", "share_pool"});  // two names map to one variable
  build.envers.push_back(build.envers.back());
  build.envers.back().rev = RevRef::Branch("i");

  std::vector<std::string> paths;
  for (const Violation& v : OfRule(Validate(org), "R4")) paths.push_back(v.path);
  EXPECT_THAT(
      paths,
      ElementsAre("/builds/3/envers/2/consumers/3/name", "/builds/3/envers/3/consumers/2/name",
                  "/builds/3/envers/5/consumers/1/name", "/builds/3/envers/6/consumers/1/name",
                  "/builds/3/envers/7/consumers/2/name", "/builds/3/envers/8/consumers/2/name"));
}

TEST(ValidateR4Test, DuplicateProductNameIsReported) {
  Org org = ValidOrg();
  org.builds[1].envers[0].products.push_back({"vpc"});
  org.builds[1].envers[0].products.push_back({"vpc"});

  EXPECT_THAT(Validate(org),
              ElementsAre(IsViolation("R4", "/builds/1/envers/0/products/2/name", "vpc"),
                          IsViolation("R4", "/builds/1/envers/0/products/3/name", "vpc")));
}

TEST(ValidateR4Test, ConsumersOfADuplicateEnverAreStillChecked) {
  Org org = ValidOrg();
  org.builds[2].envers.push_back(org.builds[2].envers[0]);  // R2: same rev twice
  org.builds[2].envers[1].consumers[0].product = "nothing";

  EXPECT_THAT(OfRule(Validate(org), "R4"),
              ElementsAre(IsViolation("R4", "/builds/2/envers/1/consumers/0/product", "nothing")));
}

// --- R5 ---------------------------------------------------------------------------------

TEST(ValidateR5Test, ConsumingFromAnotherRegionIsReported) {
  Org org = ValidOrg();
  org.builds[1].envers[0].region = "eu-west-1";

  EXPECT_THAT(OfRule(Validate(org), "R5"),
              ElementsAre(AllOf(IsViolation("R5", "/builds/2/envers/0/consumers/0/producer",
                                            "foundation/b..main"),
                                Field(&Violation::message,
                                      "producer \"foundation/b..main\" is in region "
                                      "\"eu-west-1\", not \"us-west-1\""))));
}

// Regions are compared edge by edge only when the org's envers are in more than one: the
// first envers sharing a region decide nothing, and a region of its own on an enver nobody
// consumes from makes no violation.
TEST(ValidateR5Test, ARegionOfItsOwnAfterTheFirstEnversIsSeen) {
  Org org = ValidOrg();
  org.builds[2].envers[0].region = "eu-west-1";
  EXPECT_THAT(OfRule(Validate(org), "R5"),
              ElementsAre(IsViolation("R5", "/builds/2/envers/0/consumers/0/producer",
                                      "foundation/b..main")));

  org.builds[2].envers[0].region = org.builds[1].envers[0].region;
  org.builds[1].envers[1].region = "ap-south-1";  // foundation/t..v1: no consumers, none of it
  EXPECT_THAT(OfRule(Validate(org), "R5"), IsEmpty());
}

// --- R6 ---------------------------------------------------------------------------------

TEST(ValidateR6Test, ImageEnverMayNotConsume) {
  Org org = ValidOrg();
  Build image = MakeBuild("img", BuildKind::kImage);
  image.envers.push_back(MakeEnver(RevRef::Branch("main"), "workspace1"));
  image.envers[0].consumers.push_back(MakeConsumer("bus", "foundation/b..main", "eventBusArn"));
  org.builds.push_back(image);

  EXPECT_THAT(Validate(org),
              ElementsAre(AllOf(IsViolation("R6", "/builds/3/envers/0/consumers/0", "bus"),
                                Field(&Violation::message,
                                      "an image enver is producer-only; it may not consume"))));
}

TEST(ValidateR6Test, ContractsEnverMayNotConsume) {
  Org org = ValidOrg();
  org.builds[0].envers[0].consumers.push_back(
      MakeConsumer("bus", "foundation/b..main", "eventBusArn"));

  EXPECT_THAT(Validate(org),
              ElementsAre(AllOf(IsViolation("R6", "/builds/0/envers/0/consumers/0", "bus"),
                                Field(&Violation::message, HasSubstr("contracts enver")))));
}

TEST(ValidateR6Test, ImageEnverMayProduce) {
  Org org = ValidOrg();
  Build image = MakeBuild("img", BuildKind::kImage);
  image.envers.push_back(MakeEnver(RevRef::Branch("main"), "workspace1"));
  image.envers[0].products.push_back({"digest"});
  org.builds.push_back(image);
  FirstConsumer(org).producer = "img/b..main";
  FirstConsumer(org).product = "digest";
  EXPECT_THAT(Validate(org), IsEmpty());
}

// --- R8 ---------------------------------------------------------------------------------

TEST(ValidateR8Test, CycleWithoutPlaceholderIsReportedAsAPath) {
  Org org = ValidOrg();
  org.builds[1].envers[0].consumers.push_back(
      MakeConsumer("api", "orderSvc/b..main", "apiBaseUrl"));

  std::string cycle = "foundation/b..main -> orderSvc/b..main -> foundation/b..main";
  EXPECT_THAT(Validate(org),
              ElementsAre(AllOf(
                  IsViolation("R8", "/builds/1/envers/0/consumers/0", cycle),
                  Field(&Violation::subject, "enver \"foundation/b..main\": consumer \"api\""),
                  Field(&Violation::message,
                        ::testing::StartsWith("cycle without placeholder: " + cycle + "; ")))));
}

TEST(ValidateR8Test, APlaceholderOnAnyConsumerOfTheCycleBreaksIt) {
  Org org = ValidOrg();
  org.builds[1].envers[0].consumers.push_back(
      MakeConsumer("api", "orderSvc/b..main", "apiBaseUrl"));
  org.builds[1].envers[0].consumers[0].placeholder = "https://placeholder";
  EXPECT_THAT(Validate(org), IsEmpty());

  org.builds[1].envers[0].consumers[0].placeholder.reset();
  FirstConsumer(org).placeholder = "";  // an empty placeholder is still a placeholder
  EXPECT_THAT(Validate(org), IsEmpty());
}

}  // namespace
}  // namespace odmd::model
