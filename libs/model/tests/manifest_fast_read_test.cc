// The manifest reader's fast path (manifest_fast_read.cc) against the exact reader: whatever
// the text, ReadManifest gives the same answer (Org, violations, digest) as the exact reader
// alone, and the fast path reads every well-formed manifest, whatever its key order.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>

#include "odmd/model/manifest.h"
#include "validate_test_util.h"

namespace odmd::model {
namespace {

using fixtures::RichOrg;
using Json = nlohmann::ordered_json;

struct Outcome {
  bool ok = false;
  std::string status;
  std::vector<std::string> violations;
  Org org;
  std::string digest;
};

Outcome Read(std::string_view text, ManifestReadOptions::Reader reader, bool* fast = nullptr,
             bool rules = true) {
  Outcome out;
  std::vector<Violation> violations;
  Result<Org> org = ReadManifest(
      text, &violations,
      {.validate_rules = rules, .digest = &out.digest, .reader = reader, .read_fast = fast});
  out.ok = org.ok();
  out.status = org.status().ToString();
  for (const Violation& v : violations) out.violations.push_back(v.ToString());
  if (org.ok()) out.org = *std::move(org);
  return out;
}

// ReadManifest answers `text` as the exact reader does; returns whether the fast path read it.
bool ExpectSameAsExact(std::string_view text, bool rules = true) {
  bool fast = false;
  Outcome got = Read(text, ManifestReadOptions::Reader::kAuto, &fast, rules);
  Outcome exact = Read(text, ManifestReadOptions::Reader::kExact, nullptr, rules);
  EXPECT_EQ(got.ok, exact.ok) << text;
  EXPECT_EQ(got.status, exact.status) << text;
  EXPECT_EQ(got.violations, exact.violations) << text;
  EXPECT_EQ(got.org, exact.org) << text;
  EXPECT_EQ(got.digest, exact.digest) << text;
  return fast;
}

std::string Edited(const std::function<void(Json&)>& edit, bool keep_digest = false) {
  Json doc = Json::parse(WriteManifest(RichOrg()));
  if (!keep_digest) doc.erase("digest");
  edit(doc);
  return doc.dump(2);
}

TEST(ManifestFastReadTest, ReadsEveryMemberOfTheFormatAsTheExactReaderDoes) {
  const std::string text = WriteManifest(RichOrg());
  EXPECT_TRUE(ExpectSameAsExact(text));
  Outcome got = Read(text, ManifestReadOptions::Reader::kAuto);
  ASSERT_TRUE(got.ok) << got.status;
  EXPECT_EQ(got.digest, ManifestDigest(RichOrg()));
  // The clone without "consumers" inherits them; the one with [] declares none.
  const Build& order = *got.org.FindBuild("orderSvc");
  EXPECT_TRUE(order.envers[1].inherits_consumers);
  EXPECT_EQ(order.envers[1].consumers, order.envers[0].consumers);
  EXPECT_FALSE(order.envers[2].inherits_consumers);
  EXPECT_TRUE(order.envers[2].consumers.empty());
}

TEST(ManifestFastReadTest, ReadsTheRepositorysManifests) {
  const char* root = std::getenv("ODMD_TESTDATA");
  ASSERT_NE(root, nullptr) << "ODMD_TESTDATA (the source tree) is not set";
  for (const char* rel :
       {"examples/sandbox/manifest.golden.json", "examples/platform/contracts/manifest.json",
        "examples/aws/contracts/manifest.json", "libs/gen/testdata/package/manifest.json"}) {
    std::ifstream in(std::filesystem::path(root) / rel, std::ios::binary);
    ASSERT_TRUE(in) << rel;
    std::stringstream text;
    text << in.rdbuf();
    EXPECT_TRUE(ExpectSameAsExact(text.str())) << rel;
  }
}

TEST(ManifestFastReadTest, ReadsAnyKeyOrderAndTheKindAfterTheEnvers) {
  // Members in reverse order everywhere: the envers come before the kind their "ephemeral"
  // defaults by, and before the build's id.
  std::function<Json(const Json&)> reversed = [&](const Json& j) -> Json {
    if (j.is_array()) {
      Json out = Json::array();
      for (const Json& e : j) out.push_back(reversed(e));
      return out;
    }
    if (!j.is_object()) return j;
    Json out = Json::object();
    for (auto it = j.rbegin(); it != j.rend(); ++it) out[it.key()] = reversed(it.value());
    return out;
  };
  std::string text = reversed(Json::parse(WriteManifest(RichOrg()))).dump();
  EXPECT_TRUE(ExpectSameAsExact(text));
  // Without "ephemeral", a contracts enver defaults to false, a cdk one to true.
  std::string defaults = Edited([](Json& doc) {
    for (Json& b : doc["builds"]) {
      Json envers = b["envers"];
      b.erase("envers");
      for (Json& e : envers) e.erase("ephemeral");
      Json front = Json::object();
      front["envers"] = envers;
      for (auto& [k, v] : b.items()) front[k] = v;
      b = front;
    }
  });
  EXPECT_TRUE(ExpectSameAsExact(defaults));
}

TEST(ManifestFastReadTest, GivesWayToTheExactReaderAtEveryProblem) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"syntax error", R"({"schema": "odmd.manifest/v1",)"},
      {"trailing content", WriteManifest(RichOrg()) + "{}"},
      {"not an object", "[1, 2]"},
      {"invalid UTF-8", Edited([](Json& d) { d["org"] = "ok"; }).replace(12, 0, "\xff")},
      {"raw control character", R"({"schema": "odmd.manifest/v1", "org": "a	b"})"},
      {"lone surrogate", R"({"schema": "odmd.manifest/v1", "org": "\ud800"})"},
      {"unknown root field", Edited([](Json& d) { d["extra"] = 1; })},
      {"repeated root key", Edited([](Json&) {}).replace(1, 0, "\n  \"org\": \"again\",")},
      {"repeated consumer key",
       Edited([](Json&) {
       }).replace(Edited([](Json&) {}).find("\"producer\""), 0, "\"producer\": \"x/b..main\", ")},
      {"repeated config key",
       Edited([](Json&) {
       }).replace(Edited([](Json&) {}).find("\"tier\""), 0, "\"tier\": \"silver\", ")},
      {"unknown enver field",
       Edited([](Json& d) { d["builds"][2]["envers"][0]["colour"] = "red"; })},
      {"wrong type", Edited([](Json& d) { d["builds"][2]["envers"][0]["ephemeral"] = "yes"; })},
      {"missing required",
       Edited([](Json& d) { d["builds"][2]["envers"][0]["consumers"][0].erase("producer"); })},
      {"unknown kind", Edited([](Json& d) { d["builds"][2]["kind"] = "lambda"; })},
      {"unknown reaction",
       Edited([](Json& d) { d["builds"][2]["envers"][0]["consumers"][0]["reaction"] = "x"; })},
      {"bad rev", Edited([](Json& d) { d["builds"][2]["envers"][0]["rev"] = "main"; })},
      {"bad version", Edited([](Json& d) { d["version"] = "1.0"; })},
      {"bad schema", Edited([](Json& d) { d["schema"] = "odmd.manifest/v9"; })},
      {"digest not a string", Edited([](Json& d) { d["digest"] = 1; })},
      {"digest mismatch", Edited([](Json& d) { d["org"] = "renamed"; }, /*keep_digest=*/true)},
      {"config not an object", Edited([](Json& d) { d["builds"][2]["config"] = "{}"; })},
      {"stack not a string", Edited([](Json& d) { d["builds"][2]["envers"][0]["stacks"][1] = 5; })},
      {"clone limit past int",
       Edited([](Json& d) { d["builds"][2]["envers"][0]["cloneLimit"] = 4294967296LL; })},
      {"rule violation", Edited([](Json& d) {
         d["builds"][2]["envers"][0]["consumers"][0]["producer"] = "nowhere/b..main";
       })},
  };
  for (const auto& [name, text] : cases) {
    SCOPED_TRACE(name);
    bool fast = ExpectSameAsExact(text);
    if (name != "rule violation" && name != "digest mismatch") {
      EXPECT_FALSE(fast);
    }
    EXPECT_FALSE(Read(text, ManifestReadOptions::Reader::kAuto).ok);
  }
}

TEST(ManifestFastReadTest, AnIntegerWrittenAsAFloatIsLeftToTheExactReader) {
  // 20.0 is the integer 20 (JSON has one number type); the exact reader takes it.
  std::string text = Edited([](Json& d) { d["builds"][2]["envers"][0]["cloneLimit"] = 20.0; });
  EXPECT_FALSE(ExpectSameAsExact(text));
  EXPECT_TRUE(Read(text, ManifestReadOptions::Reader::kAuto).ok);
}

TEST(ManifestFastReadTest, MutatedManifestsGetTheExactReadersAnswer) {
  // Flip, drop and repeat bytes of a valid manifest; whatever comes out, both agree.
  const std::string valid = WriteManifest(RichOrg());
  std::mt19937 rng(20261206);
  int fast_reads = 0;
  for (int round = 0; round < 400; ++round) {
    std::string text = valid;
    fixtures::MutateOnce(text, rng);
    fast_reads += ExpectSameAsExact(text, /*rules=*/false) ? 1 : 0;
    if (::testing::Test::HasFailure()) break;
  }
  // Some edits land in whitespace or change only a value: those are read fast.
  EXPECT_GT(fast_reads, 0);
}

TEST(ManifestFastReadTest, ReadingWritesTheCanonicalTextOnce) {
  const std::string text = WriteManifest(RichOrg());
  std::string digest;
  std::uint64_t before = CanonicalTextsWritten();
  ASSERT_TRUE(ReadManifest(text, nullptr, {.digest = &digest}).ok());
  EXPECT_EQ(CanonicalTextsWritten() - before, 1u);
  EXPECT_EQ(digest, ManifestDigest(RichOrg()));
}

}  // namespace
}  // namespace odmd::model
