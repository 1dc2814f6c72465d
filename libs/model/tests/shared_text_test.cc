#include "odmd/model/shared_text.h"

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "odmd/model/org.h"

namespace odmd::model {
namespace {

TEST(SharedTextTest, EmptyByDefault) {
  SharedText t;
  EXPECT_TRUE(t.empty());
  EXPECT_EQ(t.size(), 0u);
  EXPECT_EQ(t.view(), "");
  EXPECT_EQ(t, SharedText(""));
}

TEST(SharedTextTest, KeepsShortAndLongTextExactly) {
  for (const std::string& s :
       std::vector<std::string>{"a", "p0", "1234567", "12345678", "svc1234/t..r1.0.0",
                                std::string("nul\0inside", 10), std::string(1000, 'x')}) {
    SharedText t(s);
    EXPECT_EQ(t.view(), s);
    EXPECT_EQ(t.size(), s.size());
    EXPECT_EQ(t.str(), s);
    EXPECT_FALSE(t.empty());
  }
}

TEST(SharedTextTest, CopiesShareOneBlockAndOutliveTheOriginal) {
  auto original = std::make_unique<SharedText>("foundation/b..main");
  SharedText copy = *original;
  SharedText assigned;
  assigned = copy;
  EXPECT_TRUE(copy.SharesBlockWith(*original));
  EXPECT_TRUE(assigned.SharesBlockWith(*original));
  original.reset();
  EXPECT_EQ(copy, "foundation/b..main");
  EXPECT_EQ(assigned, "foundation/b..main");
}

TEST(SharedTextTest, MoveLeavesTheSourceEmpty) {
  SharedText a("a-long-enough-text");
  SharedText b = std::move(a);
  EXPECT_EQ(b, "a-long-enough-text");
  EXPECT_TRUE(a.empty());  // NOLINT(bugprone-use-after-move): the moved-from state is defined
  SharedText c("short");
  c = std::move(b);
  EXPECT_EQ(c, "a-long-enough-text");
  const SharedText& same = c;
  c = same;  // self-assignment keeps the text
  EXPECT_EQ(c, "a-long-enough-text");
}

TEST(SharedTextTest, ComparesWithEveryStringKind) {
  SharedText t("svc/b..main");
  EXPECT_EQ(t, "svc/b..main");
  EXPECT_EQ(t, std::string("svc/b..main"));
  EXPECT_EQ(t, std::string_view("svc/b..main"));
  EXPECT_EQ(std::string("svc/b..main"), t);
  EXPECT_NE(t, "svc/b..dev");
  EXPECT_LT(SharedText("a"), SharedText("b"));
  EXPECT_LT(SharedText("abcdefgh"), SharedText("abcdefghi"));
  EXPECT_LT(t, std::string("svc/b..node"));
  std::map<SharedText, int, std::less<>> by_name = {{"b", 2}, {"a", 1}};
  EXPECT_EQ(by_name.begin()->first, "a");
}

// operator<=> decides by the first eight bytes as a number when they differ: every pair of
// texts around the inline/block boundary (7/8 bytes), with NUL and high bytes at the end and
// in the middle, must be ordered as their string_views are.
TEST(SharedTextTest, OrdersExactlyAsStringViewsAcrossInlineAndBlockTexts) {
  std::vector<std::string> tails = {""};
  for (int length = 1; length <= 3; ++length) {
    std::vector<std::string> longer;
    for (const std::string& t : tails) {
      if (static_cast<int>(t.size()) != length - 1) continue;
      for (char c : {'\0', 'a', '\xff'}) longer.push_back(t + c);
    }
    tails.insert(tails.end(), longer.begin(), longer.end());
  }
  std::vector<std::string> texts;
  for (const char* prefix : {"", "abcde", "abcdefg", "abcdefgh"}) {
    for (const std::string& t : tails) texts.push_back(prefix + t);
  }
  std::vector<SharedText> shared(texts.begin(), texts.end());
  ASSERT_EQ(texts.size(), 4u * 40u);
  for (size_t i = 0; i < texts.size(); ++i) {
    for (size_t j = 0; j < texts.size(); ++j) {
      const std::strong_ordering want = std::string_view(texts[i]) <=> std::string_view(texts[j]);
      ASSERT_EQ(shared[i] <=> shared[j], want)
          << ::testing::PrintToString(texts[i]) << " vs " << ::testing::PrintToString(texts[j]);
      ASSERT_EQ(shared[i] < shared[j], want < 0);
    }
  }
}

TEST(SharedTextTest, ConcatenatesAndPrintsLikeAString) {
  SharedText producer("net/b..main");
  SharedText product("vpcId");
  EXPECT_EQ("/odmd-share/" + producer + "/" + product, "/odmd-share/net/b..main/vpcId");
  EXPECT_EQ(std::string("x:") + product, "x:vpcId");
  EXPECT_EQ(producer + product, "net/b..mainvpcId");
  std::string s = product;
  EXPECT_EQ(s, "vpcId");
  std::ostringstream os;
  os << producer;
  EXPECT_EQ(os.str(), "net/b..main");
  EXPECT_EQ(std::hash<SharedText>()(producer), std::hash<std::string_view>()("net/b..main"));
}

TEST(SharedTextTest, ConsumerIsSmall) {
  // Issue 17: a consumer was 144 bytes of std::string; an org of 10,000 builds has a
  // million of them.
  // 40: three texts, the placeholder's text and flag, and the reaction in its padding.
  EXPECT_EQ(sizeof(Consumer), 40u);
}

}  // namespace
}  // namespace odmd::model
