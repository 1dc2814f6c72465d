#include "odmd/console/assets.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <regex>
#include <string>
#include <string_view>
#include <vector>

namespace odmd::console {
namespace {

const Asset* Find(std::string_view path) {
  for (const Asset& a : Assets()) {
    if (a.path == path) return &a;
  }
  return nullptr;
}

// The values of every src="..." and href="..." attribute of an HTML page.
std::vector<std::string> References(std::string_view html) {
  static const std::regex kAttr(R"re(\b(?:src|href)\s*=\s*"([^"]*)")re");
  std::vector<std::string> out;
  const std::string text(html);
  for (std::sregex_iterator it(text.begin(), text.end(), kAttr), end; it != end; ++it) {
    out.push_back((*it)[1].str());
  }
  return out;
}

TEST(ConsoleAssets, HasThePageTheBundleAndTheStyleSheet) {
  const Asset* index = Find("/index.html");
  ASSERT_NE(index, nullptr) << "no /index.html among the console's assets";
  EXPECT_EQ(index->content_type, "text/html; charset=utf-8");
  EXPECT_THAT(std::string(index->body), ::testing::HasSubstr("<!doctype html>"));

  const Asset* bundle = Find("/app.js");
  ASSERT_NE(bundle, nullptr) << "no /app.js (the esbuild bundle) among the console's assets";
  EXPECT_EQ(bundle->content_type, "text/javascript; charset=utf-8");
  // The bundle carries cytoscape itself (no CDN): far larger than our own modules.
  EXPECT_GT(bundle->body.size(), 100'000u);

  const Asset* css = Find("/app.css");
  ASSERT_NE(css, nullptr) << "no /app.css among the console's assets";
  EXPECT_EQ(css->content_type, "text/css; charset=utf-8");
}

TEST(ConsoleAssets, PathsAreAbsoluteSortedAndUnique) {
  std::vector<std::string_view> paths;
  for (const Asset& a : Assets()) {
    EXPECT_TRUE(a.path.starts_with("/")) << a.path;
    EXPECT_EQ(a.path.find('\\'), std::string_view::npos) << a.path;
    EXPECT_FALSE(a.content_type.empty()) << a.path;
    paths.push_back(a.path);
  }
  EXPECT_TRUE(std::is_sorted(paths.begin(), paths.end()));
  EXPECT_EQ(std::adjacent_find(paths.begin(), paths.end()), paths.end());
}

TEST(ConsoleAssets, PageReferencesOnlyEmbeddedLocalFiles) {
  const Asset* index = Find("/index.html");
  ASSERT_NE(index, nullptr);
  const std::vector<std::string> refs = References(index->body);
  EXPECT_THAT(refs, ::testing::Contains("app.js"));
  EXPECT_THAT(refs, ::testing::Contains("app.css"));
  for (const std::string& ref : refs) {
    if (ref.starts_with("data:")) continue;  // inline (the empty favicon)
    EXPECT_EQ(ref.find("//"), std::string::npos)
        << "index.html loads '" << ref << "' from another host (no CDN)";
    const std::string path = ref.starts_with("/") ? ref : "/" + ref;
    EXPECT_NE(Find(path), nullptr)
        << "index.html references '" << ref << "', which is not embedded";
  }
  // No absolute URL anywhere in the page or the style sheet (fonts, images, scripts).
  for (std::string_view path : {"/index.html", "/app.css"}) {
    const Asset* a = Find(path);
    ASSERT_NE(a, nullptr) << path;
    EXPECT_EQ(a->body.find("http://"), std::string_view::npos) << path;
    EXPECT_EQ(a->body.find("https://"), std::string_view::npos) << path;
    EXPECT_EQ(a->body.find("@import"), std::string_view::npos) << path;
  }
}

}  // namespace
}  // namespace odmd::console
