#include "odmd/base/strings.h"

#include <gtest/gtest.h>

#include "odmd/base/sha256.h"

namespace odmd {
namespace {

TEST(StringsTest, SplitKeepsEmptyParts) {
  auto parts = StrSplit("a,,b", ',');
  ASSERT_EQ(parts.size(), 3u);
  EXPECT_EQ(parts[1], "");
  EXPECT_EQ(StrSplit("", ',').size(), 1u);
}

TEST(StringsTest, JoinAndStrip) {
  std::vector<std::string> v = {"a", "b", "c"};
  EXPECT_EQ(StrJoin(v, " -> "), "a -> b -> c");
  EXPECT_EQ(StripAsciiWhitespace("  x y \r\n"), "x y");
  EXPECT_EQ(AsciiToLower("OdMd"), "odmd");
}

TEST(StringsTest, EditDistance) {
  EXPECT_EQ(EditDistance("main", "mian"), 2);
  EXPECT_EQ(EditDistance("create", "craete"), 2);
  EXPECT_EQ(EditDistance("", "abc"), 3);
  EXPECT_EQ(EditDistance("kitten", "sitting"), 3);
}

TEST(StringsTest, ClosestMatchPrefersSmallestDistanceAndSkipsExact) {
  std::vector<std::string> c = {"dev", "main", "master"};
  EXPECT_EQ(ClosestMatch("mian", c), "main");
  EXPECT_EQ(ClosestMatch("zzzzzz", c), std::nullopt);
  EXPECT_EQ(ClosestMatch("main", c), std::nullopt);
}

TEST(StringsTest, ClosestMatchIgnoresCandidatesTooDifferentInLength) {
  std::vector<std::string> c = {"mainline-with-a-long-suffix", "mian"};
  EXPECT_EQ(ClosestMatch("main", c), "mian");
  EXPECT_EQ(ClosestMatch("main", c, 1), std::nullopt);
  EXPECT_EQ(ClosestMatch("mainline-with-a-long-sufix", c), "mainline-with-a-long-suffix");
}

TEST(StringsTest, JsonPointerEscapeFollowsRfc6901) {
  EXPECT_EQ(JsonPointerEscape("a/b~c"), "a~1b~0c");
  EXPECT_EQ(JsonPointerEscape("~1"), "~01");
  EXPECT_EQ(JsonPointerEscape(""), "");
}

TEST(StringsTest, QuoteEscapes) { EXPECT_EQ(Quote("a\"b\\c\n"), "\"a\\\"b\\\\c\\x0a\""); }

TEST(Sha256Test, KnownVector) {
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

}  // namespace
}  // namespace odmd
