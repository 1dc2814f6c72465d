// ReadManifest's error reporting: every M-code with its JSON Pointer, rev parse errors as
// R2, rule violations at manifest paths, and robustness against hostile input.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <nlohmann/json.hpp>
#include <random>

#include "odmd/model/manifest.h"
#include "odmd/testing/status_matchers.h"
#include "validate_test_util.h"

namespace odmd::model {
namespace {

using fixtures::IsViolation;
using fixtures::ValidOrg;
using odmd::testing::StatusIs;
using ::testing::AllOf;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::Field;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::SizeIs;
using Json = nlohmann::ordered_json;
using Pointer = Json::json_pointer;

// The valid org's manifest without its digest (edits would invalidate it), edited.
std::string EditedManifest(const std::function<void(Json&)>& edit) {
  Json doc = Json::parse(WriteManifest(ValidOrg()));
  doc.erase("digest");
  edit(doc);
  return doc.dump(2);
}

// Reads `text`, checks that the result agrees with the violations, returns them.
std::vector<Violation> Problems(std::string_view text, bool rules = true) {
  std::vector<Violation> violations;
  Result<Org> org = ReadManifest(text, &violations, {.validate_rules = rules});
  if (violations.empty()) {
    EXPECT_TRUE(org.ok()) << org.status();
  } else {
    EXPECT_THAT(org, StatusIs(StatusCode::kInvalidArgument, HasSubstr("violation")));
  }
  return violations;
}

std::vector<Violation> ProblemsAfter(const std::function<void(Json&)>& edit) {
  return Problems(EditedManifest(edit));
}

TEST(ManifestReadTest, ValidManifestReadsBackTheOrg) {
  std::vector<Violation> violations;
  Result<Org> org = ReadManifest(WriteManifest(ValidOrg()), &violations);
  ASSERT_TRUE(org.ok()) << org.status();
  EXPECT_THAT(violations, IsEmpty());
  EXPECT_EQ(*org, ValidOrg());  // ValidOrg is already canonical
}

TEST(ManifestReadTest, ViolationsMayBeNull) {
  EXPECT_THAT(ReadManifest("{", nullptr),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("1 violation:\n  M1")));
}

// --- M1 ---------------------------------------------------------------------------------

struct SyntaxCase {
  std::string text;
  std::string message;
};

class SyntaxErrorTest : public ::testing::TestWithParam<SyntaxCase> {};

TEST_P(SyntaxErrorTest, IsTheOnlyViolationAndGivesLineAndColumn) {
  EXPECT_THAT(Problems(GetParam().text),
              ElementsAre(AllOf(IsViolation("M1", "", ""),
                                Field(&Violation::message, HasSubstr(GetParam().message)))));
}

INSTANTIATE_TEST_SUITE_P(
    ManifestRead, SyntaxErrorTest,
    ::testing::Values(
        SyntaxCase{"", "invalid JSON at line 1, column 1: "},
        SyntaxCase{"{\n  \"org\": x\n}", "invalid JSON at line 2, column 10: syntax error"},
        SyntaxCase{"{\"org\": 1", "line 1, column 10: syntax error while parsing object"},
        SyntaxCase{"{}\n\n  ]", "line 3, column 3: "},
        SyntaxCase{"{\"a\": [1e400]}", "number overflow parsing '1e400'"},
        SyntaxCase{"{\"org\": \"caf\xff\"}", "ill-formed UTF-8"},
        SyntaxCase{"{\"org\": \"a\x01\"}", "control character"},
        SyntaxCase{"{\"org\": 'x'}", "line 1, column 9"},
        SyntaxCase{"{\"a\": 1,}", "line 1, column 9"}));

TEST(ManifestReadTest, DuplicateKeyIsM1AtItsPointerNotTheLastValueWinning) {
  // The valid manifest with its first build's id given twice: the second would win.
  std::string text = EditedManifest([](Json&) {});
  const std::string first_id = "\"id\": \"" + ValidOrg().builds[0].id + "\"";
  const size_t at = text.find(first_id);
  ASSERT_NE(at, std::string::npos) << text;
  text.insert(at, "\"id\": \"someOtherBuild\",\n");
  EXPECT_THAT(Problems(text),
              ElementsAre(AllOf(IsViolation("M1", "/builds/0/id", ""),
                                Field(&Violation::message, HasSubstr("appears twice")))));
  EXPECT_THAT(Problems("{\"org\": \"a\", \"org\": \"a\"}"),
              ElementsAre(IsViolation("M1", "/org", "")));
  EXPECT_THAT(Problems("{\"a\": [{}, {\"x/y\": 1, \"x/y\": 2}]}"),
              ElementsAre(IsViolation("M1", "/a/1/x~1y", "")));
  // Equal keys in different objects are no duplicate.
  EXPECT_THAT(Problems("{\"a\": {\"k\": 1}, \"b\": {\"k\": 1}}"),
              Not(Contains(Field(&Violation::rule, "M1"))));
}

TEST(ManifestReadTest, SyntaxErrorMessageIsPrintableAscii) {
  std::vector<Violation> found = Problems("{\"org\": \"caf\xc3\xa9\xff\"}");
  ASSERT_THAT(found, SizeIs(1));
  for (char c : found[0].message) {
    EXPECT_TRUE(c >= 0x20 && c < 0x7f) << found[0].message;
  }
}

// --- M2 ---------------------------------------------------------------------------------

TEST(ManifestReadTest, UnknownFieldsAreReportedWithSuggestions) {
  std::vector<Violation> found = ProblemsAfter([](Json& doc) {
    doc["colour"] = "blue";
    doc["builds"][2]["kinds"] = "cdk";
    doc["builds"][2]["envers"][0]["consumers"][0]["placehlder"] = "x";
    doc["accounts"][0]["a/b~c"] = 1;
  });
  EXPECT_THAT(
      found, ElementsAre(
                 AllOf(IsViolation("M2", "/colour", "colour"),
                       Field(&Violation::message, "unknown field \"colour\"")),
                 IsViolation("M2", "/accounts/0/a~1b~0c", "a/b~c"),
                 AllOf(IsViolation("M2", "/builds/2/kinds", "kinds"),
                       Field(&Violation::message, "unknown field \"kinds\"; did you mean \"kind\""),
                       Field(&Violation::subject, "build \"orderSvc\"")),
                 AllOf(IsViolation("M2", "/builds/2/envers/0/consumers/0/placehlder", "placehlder"),
                       Field(&Violation::subject, "enver \"orderSvc/b..main\": consumer \"bus\""),
                       Field(&Violation::message, HasSubstr("did you mean \"placeholder\"")))));
}

TEST(ManifestReadTest, RulesWaitForAWellFormedDocument) {
  std::vector<Violation> found = ProblemsAfter([](Json& doc) {
    doc["extra"] = true;
    doc["builds"][2]["envers"][0]["consumers"][0]["product"] = "nope";
  });
  EXPECT_THAT(found, ElementsAre(IsViolation("M2", "/extra", "extra")));
}

// --- M3 ---------------------------------------------------------------------------------

struct WrongTypeCase {
  std::string pointer;
  Json value;
  std::string value_text;
  std::string message;
};

class WrongTypeTest : public ::testing::TestWithParam<WrongTypeCase> {};

TEST_P(WrongTypeTest, IsReportedAtItsPath) {
  const WrongTypeCase& p = GetParam();
  std::vector<Violation> found =
      ProblemsAfter([&](Json& doc) { doc[Pointer(p.pointer)] = p.value; });
  EXPECT_THAT(found, ElementsAre(AllOf(IsViolation("M3", p.pointer, p.value_text),
                                       Field(&Violation::message, HasSubstr(p.message)))));
}

constexpr char kInt[] = "must be an integer from -2147483648 to 2147483647, got number";
constexpr char kInt64[] =
    "must be an integer from -9223372036854775808 to 9223372036854775807, got number";

INSTANTIATE_TEST_SUITE_P(
    ManifestRead, WrongTypeTest,
    ::testing::Values(
        WrongTypeCase{"/org", 5, "5", "must be a string, got number"},
        WrongTypeCase{"/centralAccount", nullptr, "null", "must be a string, got null"},
        WrongTypeCase{"/digest", 1, "1", "must be a string"},
        WrongTypeCase{"/accounts", Json::object(), "", "must be an array, got object"},
        WrongTypeCase{"/accounts/1", "x", "x", "must be an object, got string"},
        WrongTypeCase{"/accounts/1/id", 333333333333, "333333333333", "must be a string"},
        WrongTypeCase{"/builds", nullptr, "null", "must be an array, got null"},
        WrongTypeCase{"/builds/2/repo", Json::array(), "", "must be an object, got array"},
        WrongTypeCase{"/builds/2/repo/installationId", "42", "42", "must be an integer"},
        WrongTypeCase{"/builds/2/repo/installationId", 1e300, "1e+300", kInt64},
        WrongTypeCase{"/builds/2/repo/installationId", 18446744073709551615u,
                      "18446744073709551615", kInt64},
        WrongTypeCase{"/builds/2/kind", 1, "1", "must be a string"},
        WrongTypeCase{"/builds/2/envers", "x", "x", "must be an array"},
        WrongTypeCase{"/builds/2/envers/0/rev", true, "true", "must be a string, got boolean"},
        WrongTypeCase{"/builds/2/envers/0/ephemeral", "yes", "yes", "must be a boolean"},
        WrongTypeCase{"/builds/2/envers/0/overwriteWorkflow", 1, "1", "must be a boolean"},
        WrongTypeCase{"/builds/2/envers/0/cloneLimit", 3.5, "3.5", kInt},
        WrongTypeCase{"/builds/2/envers/0/cloneLimit", 1e300, "1e+300", kInt},
        WrongTypeCase{"/builds/2/envers/0/cloneLimit", 2147483648, "2147483648", kInt},
        WrongTypeCase{"/builds/2/envers/0/cloneLimit", -2147483649, "-2147483649", kInt},
        WrongTypeCase{"/builds/2/envers/0/cloneLimit", "20", "20", "got string"},
        WrongTypeCase{"/builds/2/envers/0/products", "x", "x", "must be an array"},
        WrongTypeCase{"/builds/2/envers/0/products/0", 1, "1", "must be an object"},
        WrongTypeCase{"/builds/2/envers/0/consumers/0/placeholder", nullptr, "null",
                      "must be a string, got null"},
        WrongTypeCase{"/builds/2/envers/0/consumers/0/reaction", 0, "0", "must be a string"}));

TEST(ManifestReadTest, IntegralFloatsAreIntegers) {
  EXPECT_THAT(ProblemsAfter([](Json& doc) {
                doc["builds"][2]["envers"][0]["cloneLimit"] = 5.0;
                doc["builds"][2]["repo"]["installationId"] = -5;
              }),
              IsEmpty());
}

TEST(ManifestReadTest, NegativeCloneLimitIsWellFormedButBreaksR9) {
  EXPECT_THAT(ProblemsAfter([](Json& doc) { doc["builds"][2]["envers"][0]["cloneLimit"] = -1; }),
              ElementsAre(IsViolation("R9", "/builds/2/envers/0/cloneLimit", "-1")));
}

class MissingFieldTest : public ::testing::TestWithParam<std::pair<std::string, std::string>> {};

TEST_P(MissingFieldTest, IsReportedAtTheFieldsPath) {
  // Plain references: clang 14 cannot capture structured bindings in a lambda.
  const std::string& parent = GetParam().first;
  const std::string& key = GetParam().second;
  std::vector<Violation> found = ProblemsAfter([&](Json& doc) { doc[Pointer(parent)].erase(key); });
  EXPECT_THAT(found, ElementsAre(AllOf(
                         IsViolation("M3", parent + "/" + key, ""),
                         Field(&Violation::message, "missing required field \"" + key + "\""))));
}

INSTANTIATE_TEST_SUITE_P(
    ManifestRead, MissingFieldTest,
    ::testing::Values(std::pair{"", "schema"}, std::pair{"", "org"}, std::pair{"", "version"},
                      std::pair{"", "accounts"}, std::pair{"", "builds"},
                      std::pair{"/accounts/0", "name"}, std::pair{"/accounts/0", "id"},
                      std::pair{"/builds/2", "id"}, std::pair{"/builds/2", "kind"},
                      std::pair{"/builds/2", "repo"}, std::pair{"/builds/2", "envers"},
                      std::pair{"/builds/2/repo", "owner"}, std::pair{"/builds/2/repo", "name"},
                      std::pair{"/builds/2/envers/0", "rev"},
                      std::pair{"/builds/2/envers/0", "account"},
                      std::pair{"/builds/2/envers/0", "region"},
                      std::pair{"/builds/1/envers/0/products/0", "name"},
                      std::pair{"/builds/2/envers/0/consumers/0", "name"},
                      std::pair{"/builds/2/envers/0/consumers/0", "producer"},
                      std::pair{"/builds/2/envers/0/consumers/0", "product"}));

TEST(ManifestReadTest, UnknownKindAndReactionAreM3WithSuggestions) {
  std::vector<Violation> found = ProblemsAfter([](Json& doc) {
    doc["builds"][2]["kind"] = "cdkk";
    doc["builds"][2]["envers"][0]["consumers"][0]["reaction"] = "redeploi";
  });
  EXPECT_THAT(
      found,
      ElementsAre(
          AllOf(IsViolation("M3", "/builds/2/kind", "cdkk"),
                Field(&Violation::subject, "build \"orderSvc\""),
                Field(&Violation::message, "unknown build kind \"cdkk\"; did you mean \"cdk\"")),
          AllOf(IsViolation("M3", "/builds/2/envers/0/consumers/0/reaction", "redeploi"),
                Field(&Violation::message,
                      "unknown reaction \"redeploi\"; did you mean "
                      "\"redeploy\""))));
}

TEST(ManifestReadTest, RootMustBeAnObject) {
  EXPECT_THAT(Problems("[1, 2]"),
              ElementsAre(AllOf(IsViolation("M3", "", ""),
                                Field(&Violation::message, "must be an object, got array"))));
  EXPECT_THAT(Problems("\"text\""), ElementsAre(IsViolation("M3", "", "text")));
}

// --- R2 from reading ----------------------------------------------------------------------

TEST(ManifestReadTest, RevThatDoesNotParseIsR2WithTheParseMessage) {
  std::vector<Violation> found = ProblemsAfter([](Json& doc) {
    doc["builds"][2]["envers"][0]["rev"] = "main";
    doc["builds"][1]["envers"][0]["rev"] = "b..main-_b..main";
  });
  EXPECT_THAT(
      found,
      ElementsAre(
          AllOf(IsViolation("R2", "/builds/1/envers/0/rev", "b..main-_b..main"),
                Field(&Violation::message, HasSubstr("a clone must differ from its origin"))),
          AllOf(IsViolation("R2", "/builds/2/envers/0/rev", "main"),
                Field(&Violation::subject, "enver \"orderSvc/main\""),
                Field(&Violation::message, "rev \"main\" must start with \"b..\" or \"t..\""))));
}

// --- M4, M5, M6 ---------------------------------------------------------------------------

TEST(ManifestReadTest, VersionThatIsNotSemVerIsM4) {
  EXPECT_THAT(
      ProblemsAfter([](Json& doc) { doc["version"] = "1.0"; }),
      ElementsAre(AllOf(IsViolation("M4", "/version", "1.0"),
                        Field(&Violation::message, HasSubstr("is not semantic versioning")))));
}

TEST(ManifestReadTest, DigestMismatchIsM5) {
  std::string text = WriteManifest(ValidOrg());
  std::string digest = ManifestDigest(ValidOrg());
  size_t at = text.find("\"sandbox\"");
  text.replace(at, 9, "\"sandbax\"");
  Org tampered = ValidOrg();
  tampered.name = "sandbax";

  EXPECT_THAT(Problems(text),
              ElementsAre(AllOf(
                  IsViolation("M5", "/digest", digest),
                  Field(&Violation::message, "digest does not match the content; expected \"" +
                                                 ManifestDigest(tampered) + "\""))));
}

TEST(ManifestReadTest, DigestIsNotCheckedWhenTheDocumentIsIncomplete) {
  std::string text = EditedManifest([](Json& doc) {
    doc["digest"] = "sha256:0000";
    doc["builds"][2].erase("kind");
  });
  EXPECT_THAT(Problems(text), ElementsAre(IsViolation("M3", "/builds/2/kind", "")));
}

TEST(ManifestReadTest, UnsupportedSchemaIsM6) {
  EXPECT_THAT(ProblemsAfter([](Json& doc) { doc["schema"] = "odmd.manifest/v2"; }),
              ElementsAre(AllOf(IsViolation("M6", "/schema", "odmd.manifest/v2"),
                                Field(&Violation::message,
                                      "unsupported schema \"odmd.manifest/v2\"; this reader "
                                      "supports \"odmd.manifest/v1\""))));
}

// --- all at once, rules, options -----------------------------------------------------------

TEST(ManifestReadTest, ReportsEveryDocumentProblemAtOnce) {
  std::vector<Violation> found = ProblemsAfter([](Json& doc) {
    doc["schema"] = "v0";
    doc["version"] = "one";
    doc["accounts"][1].erase("id");
    doc["builds"][0]["kind"] = "contract";
    doc["builds"][2]["envers"][0]["cloneLimit"] = "many";
  });
  EXPECT_THAT(found, ElementsAre(Field(&Violation::rule, "M6"), Field(&Violation::rule, "M4"),
                                 IsViolation("M3", "/accounts/1/id", ""),
                                 IsViolation("M3", "/builds/0/kind", "contract"),
                                 IsViolation("M3", "/builds/2/envers/0/cloneLimit", "many")));
}

TEST(ManifestReadTest, RuleViolationsCarryManifestPathsInDocumentOrder) {
  std::vector<Violation> found = ProblemsAfter([](Json& doc) {
    std::reverse(doc["builds"].begin(), doc["builds"].end());  // orderSvc is now /builds/0
    doc["builds"][0]["envers"][0]["consumers"][0]["product"] = "nope";
    doc["builds"][0]["envers"][0]["account"] = "ghost";
  });
  EXPECT_THAT(found,
              ElementsAre(IsViolation("R4", "/builds/0/envers/0/consumers/0/product", "nope"),
                          IsViolation("R11", "/builds/0/envers/0/account", "ghost")));
}

TEST(ManifestReadTest, RulesAreSkippedWhenNotRequested) {
  std::string text = EditedManifest([](Json& doc) { doc["builds"][0]["envers"] = Json::array(); });
  EXPECT_THAT(Problems(text, /*rules=*/false), IsEmpty());
  EXPECT_THAT(Problems(text, /*rules=*/true),
              ElementsAre(IsViolation("R11", "/builds/1/envers/0/region", "us-west-1"),
                          IsViolation("R12", "/builds/0/envers", "")));
}

TEST(ManifestReadTest, DuplicateKeysAreRefusedNotLastValueWins) {
  std::string text = WriteManifest(ValidOrg());
  text.replace(text.find("\"org\": \"sandbox\""), 16, "\"org\": \"first\", \"org\": \"sandbox\"");
  EXPECT_THAT(ReadManifest(text, nullptr),
              StatusIs(StatusCode::kInvalidArgument,
                       HasSubstr("M1 /org: invalid JSON: the key at /org appears twice")));
}

// --- robustness ---------------------------------------------------------------------------

TEST(ManifestReadTest, DeepNestingIsAnErrorNotACrash) {
  std::string deep(200000, '[');
  EXPECT_THAT(Problems(deep), ElementsAre(Field(&Violation::rule, "M1")));
  deep += std::string(200000, ']');
  EXPECT_THAT(Problems(deep), ElementsAre(IsViolation("M3", "", "")));
  std::string nested_field = "{\"org\": " + deep + "}";
  EXPECT_THAT(Problems(nested_field), Contains(IsViolation("M3", "/org", "")));
}

TEST(ManifestReadTest, MutatedManifestsNeverCrash) {
  // A deterministic stand-in for the fuzzer: flip, drop and duplicate bytes of a valid
  // manifest. Every outcome must be a clean answer: an org, or violations.
  const std::string valid = WriteManifest(ValidOrg());
  std::mt19937 rng(20240601);
  for (int round = 0; round < 3000; ++round) {
    std::string text = valid;
    for (int edits = 1 + static_cast<int>(rng() % 4); edits > 0; --edits) {
      fixtures::MutateOnce(text, rng);
      if (text.empty()) text = "x";
    }
    std::vector<Violation> violations;
    Result<Org> org = ReadManifest(text, &violations);
    ASSERT_EQ(org.ok(), violations.empty()) << text;
    if (org.ok()) {
      EXPECT_FALSE(WriteManifest(*org).empty());
    }
  }
}

}  // namespace
}  // namespace odmd::model
