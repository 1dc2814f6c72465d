// The canonical path of manifest reading (manifest_canonical_read.cc): a manifest that is
// exactly the canonical text of its Org is read without a JSON parse, and the digest is the
// SHA-256 of the text itself. Whatever the text, ReadManifest gives the exact reader's
// answer; the canonical path takes only canonical text (anything else goes to the other
// readers), and a large text, read on two threads, gives the same answer as a small one.

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "odmd/model/manifest.h"
#include "validate_test_util.h"

namespace odmd::model {
namespace {

using fixtures::RichOrg;
using Path = ManifestReadOptions::Path;

struct Outcome {
  bool ok = false;
  std::string status;
  std::vector<std::string> violations;
  Org org;
  std::string digest;
  Path path = Path::kExact;
};

// Texts of this size and more are read on two threads here (the default is larger, so that
// the tests' texts stay small).
constexpr size_t kTwoThreadsFrom = 256 * 1024;

Outcome Read(std::string_view text, ManifestReadOptions::Reader reader, bool rules = true) {
  Outcome out;
  std::vector<Violation> violations;
  Result<Org> org = ReadManifest(text, &violations,
                                 {.validate_rules = rules,
                                  .digest = &out.digest,
                                  .reader = reader,
                                  .path = &out.path,
                                  .two_threads_from = kTwoThreadsFrom});
  out.ok = org.ok();
  out.status = org.status().ToString();
  for (const Violation& v : violations) out.violations.push_back(v.ToString());
  if (org.ok()) out.org = *std::move(org);
  return out;
}

// ReadManifest answers `text` as the exact reader does; returns the path that read it.
Path ExpectSameAsExact(std::string_view text, bool rules = true) {
  Outcome got = Read(text, ManifestReadOptions::Reader::kAuto, rules);
  Outcome exact = Read(text, ManifestReadOptions::Reader::kExact, rules);
  EXPECT_EQ(got.ok, exact.ok);
  EXPECT_EQ(got.status, exact.status);
  EXPECT_EQ(got.violations, exact.violations);
  EXPECT_EQ(got.org, exact.org);
  EXPECT_EQ(got.digest, exact.digest);
  return got.path;
}

// `text` with the first `from` replaced by `to`; fails the test when there is no `from`.
std::string Replaced(std::string text, std::string_view from, std::string_view to) {
  size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos) << "no \"" << from << "\" in the text";
  if (at != std::string::npos) text.replace(at, from.size(), to);
  return text;
}

// RichOrg and `extra` more services, each consuming the foundation: a text large enough to
// be read on two threads.
Org LargeOrg(int extra) {
  Org org = RichOrg();
  for (int i = 0; i < extra; ++i) {
    std::string id = "svc" + std::to_string(1000 + i);
    Build b = fixtures::MakeBuild(id, BuildKind::kCdk);
    b.envers.push_back(fixtures::MakeEnver(RevRef::Branch("main"), "workspace1"));
    b.envers[0].products.push_back({"url"});
    b.envers[0].consumers.push_back(
        fixtures::MakeConsumer("bus", "foundation/b..main", "eventBusArn"));
    org.builds.push_back(b);
  }
  return org;
}

std::string WithoutDigest(const std::string& text) {
  size_t at = text.find(",\n  \"digest\": ");
  size_t end = text.find('\n', at + 2) - 1;  // the ',' before the next member stays
  return text.substr(0, at) + text.substr(end);
}

TEST(ManifestCanonicalReadTest, ReadsTheCanonicalTextAndHashesItInsteadOfWritingIt) {
  const std::string text = WriteManifest(RichOrg());
  EXPECT_EQ(ExpectSameAsExact(text), Path::kCanonical);
  std::uint64_t before = CanonicalTextsWritten();
  Outcome got = Read(text, ManifestReadOptions::Reader::kAuto);
  EXPECT_EQ(CanonicalTextsWritten() - before, 1u);  // counted once, as the text read
  ASSERT_TRUE(got.ok) << got.status;
  EXPECT_EQ(got.digest, ManifestDigest(RichOrg()));
  // Without a digest member: the digest is still the content's.
  Outcome bare = Read(WithoutDigest(text), ManifestReadOptions::Reader::kAuto);
  EXPECT_EQ(bare.path, Path::kCanonical);
  EXPECT_EQ(bare.digest, ManifestDigest(RichOrg()));
  EXPECT_EQ(ExpectSameAsExact(WithoutDigest(text)), Path::kCanonical);
}

TEST(ManifestCanonicalReadTest, AWrongDigestAndRuleViolationsAreReportedAsBefore) {
  const std::string text = WriteManifest(RichOrg());
  std::string wrong = Replaced(text, "\"digest\": \"sha256:", "\"digest\": \"sha256:0");
  EXPECT_EQ(ExpectSameAsExact(wrong), Path::kCanonical);
  EXPECT_FALSE(Read(wrong, ManifestReadOptions::Reader::kAuto).ok);
  Org bad = RichOrg();
  bad.builds[2].envers[0].consumers[0].producer = "nowhere/b..main";
  EXPECT_EQ(ExpectSameAsExact(WriteManifest(bad)), Path::kCanonical);
  EXPECT_FALSE(Read(WriteManifest(bad), ManifestReadOptions::Reader::kAuto).ok);
}

TEST(ManifestCanonicalReadTest, EveryDepartureFromTheCanonicalTextGoesToTheOtherReaders) {
  const std::string text = WriteManifest(RichOrg());
  Org control = RichOrg();
  control.builds[2].envers[0].work_dir = "a\x1f\tb";
  const std::string controls = WriteManifest(control);
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"compact", nlohmann::json::parse(text).dump()},
      {"trailing space", text + " "},
      {"no final newline", text.substr(0, text.size() - 1)},
      {"CRLF", Replaced(text, "\n  \"org\"", "\r\n  \"org\"")},
      {"tab indent", Replaced(text, "\n  \"org\"", "\n\t\"org\"")},
      {"needless escape", Replaced(text, "\"org\": \"sandbox\"", "\"org\": \"sandbo\\u0078\"")},
      {"escaped slash", Replaced(text, "\"buildScript\": \"ci/", "\"buildScript\": \"ci\\/")},
      {"uppercase hex escape", Replaced(controls, "\\u001f", "\\u001F")},
      {"long escape for a tab", Replaced(controls, "\\t", "\\u0009")},
      {"accounts out of order", Replaced(text, "\"name\": \"central\"", "\"name\": \"zzz\"")},
      {"minus zero", Replaced(text, "\"installationId\": -42", "\"installationId\": -0")},
      {"leading zero", Replaced(text, "\"installationId\": 42", "\"installationId\": 042")},
      {"integer as a float", Replaced(text, "\"cloneLimit\": 7", "\"cloneLimit\": 7.0")},
      {"config number written otherwise", Replaced(text, "\"n\": 1.5", "\"n\": 1.50")},
      {"empty config", Replaced(text, ",\n          \"products\": ",
                                ",\n          \"config\": {},\n          \"products\": ")},
      {"empty stacks", Replaced(text, ",\n          \"products\": ",
                                ",\n          \"stacks\": [],\n          \"products\": ")},
      {"no consumers on a static enver", Replaced(text, ",\n          \"consumers\": []", "")},
      {"digest last", Replaced(WithoutDigest(text), "\n  ]\n}\n",
                               "\n  ],\n  \"digest\": \"" + ManifestDigest(RichOrg()) + "\"\n}\n")},
      {"unknown member", Replaced(text, "\n  \"org\"", "\n  \"x\": 1,\n  \"org\"")},
      {"repeated member", Replaced(text, "\n  \"org\"", "\n  \"org\": \"a\",\n  \"org\"")},
      {"unknown reaction", Replaced(text, "\"reaction\": \"notify\"", "\"reaction\": \"x\"")},
      {"bad rev", Replaced(text, "\"rev\": \"b..main\"", "\"rev\": \"main\"")},
      {"invalid UTF-8", Replaced(text, "\"org\": \"sandbox\"", "\"org\": \"sand\xff\"")},
  };
  for (const auto& [name, edited] : cases) {
    SCOPED_TRACE(name);
    EXPECT_NE(ExpectSameAsExact(edited), Path::kCanonical);
  }
  // The texts the controls come from are canonical themselves.
  EXPECT_EQ(ExpectSameAsExact(controls), Path::kCanonical);
}

TEST(ManifestCanonicalReadTest, ALargeTextIsReadOnTwoThreadsWithTheSameAnswer) {
  const std::string text = WriteManifest(LargeOrg(800));
  ASSERT_GT(text.size(), 2 * kTwoThreadsFrom) << "the text must be large enough for two threads";
  EXPECT_EQ(ExpectSameAsExact(text), Path::kCanonical);
  EXPECT_EQ(ExpectSameAsExact(WithoutDigest(text)), Path::kCanonical);
  Outcome got = Read(text, ManifestReadOptions::Reader::kAuto);
  ASSERT_TRUE(got.ok) << got.status;
  EXPECT_EQ(got.org.builds.size(), 803u);
  EXPECT_EQ(got.digest, ManifestDigest(LargeOrg(800)));
  // A departure in either half, a wrong digest and a rule violation in the second half.
  size_t second_half = text.find("\"id\": \"svc1500\"");
  ASSERT_NE(second_half, std::string::npos);
  std::string late = text;
  late.insert(text.find("\"region\"", second_half), " ");
  EXPECT_NE(ExpectSameAsExact(late), Path::kCanonical);
  std::string early = Replaced(text, "\"id\": \"svc1001\"", "\"id\" : \"svc1001\"");
  EXPECT_NE(ExpectSameAsExact(early), Path::kCanonical);
  std::string wrong = Replaced(text, "\"digest\": \"sha256:", "\"digest\": \"sha256:0");
  EXPECT_EQ(ExpectSameAsExact(wrong), Path::kCanonical);
  std::string violation = WithoutDigest(text);
  size_t producer = violation.find("\"foundation/b..main\"", violation.find("svc1500"));
  violation.replace(producer, 20, "\"foundatio/b..main\"");
  EXPECT_EQ(ExpectSameAsExact(violation), Path::kCanonical);
  EXPECT_FALSE(Read(violation, ManifestReadOptions::Reader::kAuto).ok);
  // Builds out of order across the two halves.
  std::string unordered = text;
  size_t last = text.rfind("\"id\": \"svc");
  unordered.replace(last, 13, "\"id\": \"svc0");
  EXPECT_NE(ExpectSameAsExact(unordered), Path::kCanonical);
}

TEST(ManifestCanonicalReadTest, MutatedLargeTextsGetTheExactReadersAnswer) {
  const std::string valid = WriteManifest(LargeOrg(800));
  std::mt19937 rng(20261206);
  for (int round = 0; round < 40; ++round) {
    std::string text = valid;
    fixtures::MutateOnce(text, rng);
    ExpectSameAsExact(text, /*rules=*/false);
    if (::testing::Test::HasFailure()) break;
  }
}

}  // namespace
}  // namespace odmd::model
