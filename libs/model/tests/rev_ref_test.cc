#include "odmd/model/rev_ref.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "odmd/base/strings.h"
#include "odmd/testing/status_matchers.h"

namespace odmd::model {
namespace {

using ::odmd::testing::StatusIs;
using ::testing::HasSubstr;

TEST(RevRefTest, ParsesStaticBranchAndTag) {
  Result<RevRef> branch = RevRef::Parse("b..main");
  ODMD_ASSERT_OK(branch);
  EXPECT_EQ(branch->type(), RevType::kBranch);
  EXPECT_EQ(branch->value(), "main");
  EXPECT_FALSE(branch->is_clone());
  EXPECT_EQ(branch->origin(), std::nullopt);
  EXPECT_EQ(branch->str(), "b..main");

  Result<RevRef> tag = RevRef::Parse("t..v1.0.0");
  ODMD_ASSERT_OK(tag);
  EXPECT_EQ(tag->type(), RevType::kTag);
  EXPECT_EQ(tag->value(), "v1.0.0");
  EXPECT_EQ(tag->str(), "t..v1.0.0");
}

TEST(RevRefTest, ParsesCloneSplitAtFirstSeparator) {
  Result<RevRef> clone = RevRef::Parse("b..master-_b..feat1");
  ODMD_ASSERT_OK(clone);
  EXPECT_TRUE(clone->is_clone());
  EXPECT_EQ(clone->type(), RevType::kBranch);
  EXPECT_EQ(clone->value(), "feat1");
  ASSERT_TRUE(clone->origin().has_value());
  EXPECT_EQ(*clone->origin(), (RevSegment{RevType::kBranch, "master"}));
  EXPECT_EQ(clone->str(), "b..master-_b..feat1");

  Result<RevRef> tag_clone = RevRef::Parse("b..master-_t..v9");
  ODMD_ASSERT_OK(tag_clone);
  EXPECT_EQ(tag_clone->type(), RevType::kTag);
  EXPECT_EQ(tag_clone->value(), "v9");
}

TEST(RevRefTest, OriginValueMayEndInDash) {
  // "b..a-" + "-_" + "b..x": the first "-_" is the separator, not inside the origin.
  Result<RevRef> clone = RevRef::Parse("b..a--_b..x");
  ODMD_ASSERT_OK(clone);
  EXPECT_EQ(clone->origin()->value, "a-");
  EXPECT_EQ(clone->value(), "x");
}

TEST(RevRefTest, ParseRoundTripsThroughStr) {
  for (const char* text : {"b..main", "t..v1.0.0", "b..master-_b..feat1", "b..master-_t..v9",
                           "t..v1-_b..hotfix", "b..a_b.c-d"}) {
    Result<RevRef> rev = RevRef::Parse(text);
    ODMD_ASSERT_OK(rev);
    EXPECT_EQ(rev->str(), text);
    Result<RevRef> again = RevRef::Parse(rev->str());
    ODMD_ASSERT_OK(again);
    EXPECT_EQ(*again, *rev);
  }
}

struct BadRev {
  const char* text;
  const char* message_part;
};
void PrintTo(const BadRev& b, std::ostream* os) { *os << Quote(b.text); }

class RevRefParseErrorTest : public ::testing::TestWithParam<BadRev> {};

TEST_P(RevRefParseErrorTest, RejectsWithReason) {
  EXPECT_THAT(RevRef::Parse(GetParam().text),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr(GetParam().message_part)));
}

INSTANTIATE_TEST_SUITE_P(
    BadRevs, RevRefParseErrorTest,
    ::testing::Values(BadRev{"", "must start with \"b..\" or \"t..\""},
                      BadRev{"main", "must start with \"b..\" or \"t..\""},
                      BadRev{"x..main", "must start with \"b..\" or \"t..\""},
                      BadRev{"b.main", "must start with \"b..\" or \"t..\""},
                      BadRev{"B..main", "must start with \"b..\" or \"t..\""},
                      BadRev{"b..", "is empty"}, BadRev{"b..a..b", "contains reserved \"..\""},
                      BadRev{"b..a_-b", "contains reserved \"_-\""},
                      BadRev{"b..feature/login", "has character \"/\" outside [A-Za-z0-9_.-]"},
                      BadRev{"b..a b", "has character \" \""},
                      BadRev{"b..v1", "starts with 'v', which is reserved for tags"},
                      BadRev{"b..V1", "starts with 'v'"},
                      BadRev{"b..master-_b..v1", "starts with 'v'"},
                      BadRev{"b..master-_", "value \"master-_\" contains reserved \"-_\""},
                      BadRev{"b..a-_b",
                             "rev \"b..a-_b\": value \"a-_b\" contains reserved "
                             "\"-_\", which joins a clone's rev to its origin's"},
                      BadRev{"-_b..x", "must start with \"b..\" or \"t..\""},
                      BadRev{"b..a-_b..b-_b..c", "clone of a clone"},
                      BadRev{"b..main-_b..main", "a clone must differ from its origin"},
                      BadRev{"t..v1-_t..v1", "a clone must differ from its origin"}));

TEST(RevRefTest, ErrorQuotesControlBytes) {
  std::string text = "b..a";
  text += '\0';
  EXPECT_THAT(RevRef::Parse(text),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("\"\\x00\" outside")));
}

TEST(RevRefTest, CloneMayShareValueWithOriginOfOtherType) {
  // Only type+value equality is forbidden (R9): b..v1 cannot exist, but t..x-_b..x can.
  ODMD_EXPECT_OK(RevRef::Parse("t..x-_b..x"));
  ODMD_EXPECT_OK(RevRef::Parse("b..x-_t..x"));
}

TEST(CheckRevValueTest, AcceptsLegalValues) {
  for (const char* v : {"main", "feature-login", "feature_login", "a.b", "release-1.2", "A", "0",
                        "-x", "x-", "a.-b", "a-.b", "a._b", "a__b", "a--b"}) {
    EXPECT_EQ(CheckRevValue(RevType::kBranch, v), std::nullopt) << v;
    EXPECT_EQ(CheckRevValue(RevType::kTag, v), std::nullopt) << v;
  }
}

TEST(CheckRevValueTest, TagsMayStartWithVButBranchesMayNot) {
  EXPECT_EQ(CheckRevValue(RevType::kTag, "v1.0.0"), std::nullopt);
  EXPECT_EQ(CheckRevValue(RevType::kTag, "V2"), std::nullopt);
  EXPECT_THAT(CheckRevValue(RevType::kBranch, "v1.0.0"),
              ::testing::Optional(HasSubstr("reserved for tags")));
  EXPECT_THAT(CheckRevValue(RevType::kBranch, "Vx"),
              ::testing::Optional(HasSubstr("reserved for tags")));
  // Only the first character is special.
  EXPECT_EQ(CheckRevValue(RevType::kBranch, "dev"), std::nullopt);
}

TEST(CheckRevValueTest, ReportsEachRule) {
  EXPECT_EQ(CheckRevValue(RevType::kBranch, ""), "is empty");
  EXPECT_EQ(CheckRevValue(RevType::kBranch, "a..b"), "contains reserved \"..\"");
  EXPECT_EQ(CheckRevValue(RevType::kBranch, "a_-b"), "contains reserved \"_-\"");
  EXPECT_EQ(CheckRevValue(RevType::kTag, "a-_b"), "contains reserved \"-_\"");
  EXPECT_EQ(CheckRevValue(RevType::kTag, "a/b"), "has character \"/\" outside [A-Za-z0-9_.-]");
  // Several problems: a bad character wins wherever it is, then the first of "..", "_-", "-_"
  // (in that order) the value contains, wherever it is.
  EXPECT_EQ(CheckRevValue(RevType::kTag, "a..b/c"), "has character \"/\" outside [A-Za-z0-9_.-]");
  EXPECT_EQ(CheckRevValue(RevType::kTag, "a-_b_-c..d"), "contains reserved \"..\"");
  EXPECT_EQ(CheckRevValue(RevType::kTag, "a-_b_-c"), "contains reserved \"_-\"");
  EXPECT_EQ(CheckRevValue(RevType::kBranch, "x-_y"), "contains reserved \"-_\"");
  EXPECT_EQ(CheckRevValue(RevType::kBranch, "a.b_c-d._-"), "contains reserved \"_-\"");
  EXPECT_EQ(CheckRevValue(RevType::kBranch, "a.b_c-d.e"), std::nullopt);
  // A byte of a multi-byte character is escaped: a raw lone byte would be invalid UTF-8.
  EXPECT_EQ(CheckRevValue(RevType::kTag, "caf\xc3\xa9"),
            "has character \"\\xc3\" outside [A-Za-z0-9_.-]");
}

TEST(RevRefTest, ImmutabilityFollowsTheTagLattice) {
  EXPECT_FALSE(RevRef::Parse("b..main")->IsImmutable());
  EXPECT_TRUE(RevRef::Parse("t..v1")->IsImmutable());
  EXPECT_FALSE(RevRef::Parse("b..master-_b..feat1")->IsImmutable());
  // A clone of a tag is a tag, and so is a tag clone of a branch (rule R3).
  EXPECT_TRUE(RevRef::Parse("t..v1-_b..hotfix")->IsImmutable());
  EXPECT_TRUE(RevRef::Parse("b..master-_t..v9")->IsImmutable());
}

TEST(RevRefTest, OriginRefOfCloneIsTheStaticOrigin) {
  RevRef clone = *RevRef::Parse("b..master-_b..feat1");
  EXPECT_EQ(clone.OriginRef().str(), "b..master");
  EXPECT_FALSE(clone.OriginRef().is_clone());
  RevRef plain = *RevRef::Parse("t..v1");
  EXPECT_EQ(plain.OriginRef(), plain);
}

TEST(RevRefTest, ConstructorsBuildCanonicalText) {
  EXPECT_EQ(RevRef::Branch("main").str(), "b..main");
  EXPECT_EQ(RevRef::Tag("v1").str(), "t..v1");
  RevRef clone = RevRef::CloneOf(RevRef::Branch("master"), RevType::kTag, "v9");
  EXPECT_EQ(clone.str(), "b..master-_t..v9");
  EXPECT_EQ(clone, *RevRef::Parse("b..master-_t..v9"));
  EXPECT_EQ(RevRef().str(), "b..");
}

TEST(RevRefTest, OrdersByText) {
  EXPECT_LT(RevRef::Branch("a"), RevRef::Branch("b"));
  EXPECT_LT(RevRef::Branch("z"), RevRef::Tag("a"));  // "b.." < "t.."
  EXPECT_NE(RevRef::Branch("x"), RevRef::Tag("x"));
}

TEST(RevSegmentTest, ToString) {
  EXPECT_EQ((RevSegment{RevType::kTag, "v1"}).ToString(), "t..v1");
  EXPECT_EQ((RevSegment{RevType::kBranch, "main"}).ToString(), "b..main");
}

}  // namespace
}  // namespace odmd::model
