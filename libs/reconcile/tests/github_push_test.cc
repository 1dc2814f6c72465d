// GitHub webhook verification and parsing. The payloads are GitHub's own examples from the npm
// package @octokit/webhooks-examples (installed by scripts/install-deps.sh into
// tools/validators/node_modules). A missing package fails these tests: a check that silently
// skips proves nothing.

#include "odmd/reconcile/github_push.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "odmd/testing/status_matchers.h"
#include "odmd/testing/testdata.h"

namespace odmd::reconcile {
namespace {

using nlohmann::json;
using odmd::testing::StatusIs;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kExamplesIndex[] =
    "tools/validators/node_modules/@octokit/webhooks-examples/api.github.com/index.json";

// GitHub's documented example ("Validating webhook deliveries").
constexpr char kDocSecret[] = "It's a Secret to Everybody";
constexpr char kDocBody[] = "Hello, World!";
constexpr char kDocSignature[] =
    "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";

// ---------------------------------------------------------------------------------------------
// Signatures

TEST(VerifyGitHubSignatureTest, AcceptsGitHubsDocumentedExample) {
  ODMD_EXPECT_OK(VerifyGitHubSignature(kDocSecret, kDocBody, kDocSignature));
}

TEST(VerifyGitHubSignatureTest, AcceptsUppercaseHexDigits) {
  std::string upper = "sha256=757107EA0EB2509FC211221CCE984B8A37570B6D7586C22C46F4379C8B043E17";
  ODMD_EXPECT_OK(VerifyGitHubSignature(kDocSecret, kDocBody, upper));
}

TEST(VerifyGitHubSignatureTest, RejectsTamperedBodyWithoutLeakingIt) {
  Status s = VerifyGitHubSignature(kDocSecret, "Hello, World?", kDocSignature);
  EXPECT_THAT(s, StatusIs(StatusCode::kUnauthenticated,
                          AllOf(HasSubstr("X-Hub-Signature-256"), HasSubstr("does not match"),
                                Not(HasSubstr("Hello")), Not(HasSubstr("Secret")))));
}

TEST(VerifyGitHubSignatureTest, RejectsWrongSecret) {
  EXPECT_THAT(VerifyGitHubSignature("It's a Secret to Somebody", kDocBody, kDocSignature),
              StatusIs(StatusCode::kUnauthenticated, HasSubstr("does not match")));
}

TEST(VerifyGitHubSignatureTest, RejectsEveryFlippedDigit) {
  std::string header = kDocSignature;
  for (size_t i = 7; i < header.size(); ++i) {
    std::string flipped = header;
    flipped[i] = flipped[i] == '0' ? '1' : '0';
    EXPECT_THAT(VerifyGitHubSignature(kDocSecret, kDocBody, flipped),
                StatusIs(StatusCode::kUnauthenticated))
        << "digit " << i;
  }
}

TEST(VerifyGitHubSignatureTest, MissingHeaderIsUnauthenticated) {
  EXPECT_THAT(VerifyGitHubSignature(kDocSecret, kDocBody, ""),
              StatusIs(StatusCode::kUnauthenticated, HasSubstr("missing")));
}

TEST(VerifyGitHubSignatureTest, EmptySecretIsAConfigurationError) {
  EXPECT_THAT(VerifyGitHubSignature("", kDocBody, kDocSignature),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("secret is empty")));
}

TEST(VerifyGitHubSignatureTest, MalformedHeadersAreInvalidArgument) {
  std::string hex = std::string(kDocSignature).substr(7);
  struct Case {
    std::string header;
    std::string message;
  };
  std::vector<Case> cases = {
      {hex, "does not start with \"sha256=\""},
      {"sha1=" + hex, "does not start with \"sha256=\""},
      {"SHA256=" + hex, "does not start with \"sha256=\""},
      {" sha256=" + hex, "does not start with \"sha256=\""},
      {"sha256", "does not start with \"sha256=\""},
      {"sha256=", "has 0 hex digits"},
      {"sha256=" + hex.substr(0, 63), "has 63 hex digits"},
      {"sha256=" + hex + "0", "has 65 hex digits"},
      {"sha256=" + hex + " ", "has 65 hex digits"},
      {"sha256=" + hex.substr(0, 62) + "g7", "non-hex digit at offset 69"},
      {"sha256=" + hex.substr(0, 63) + "z", "non-hex digit at offset 70"},
  };
  for (const Case& c : cases) {
    EXPECT_THAT(VerifyGitHubSignature(kDocSecret, kDocBody, c.header),
                StatusIs(StatusCode::kInvalidArgument,
                         AllOf(HasSubstr("X-Hub-Signature-256"), HasSubstr(c.message))))
        << c.header;
  }
}

// ---------------------------------------------------------------------------------------------
// Real payloads

// The examples of every event from @octokit/webhooks-examples, by event name.
class GitHubExamplesTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    std::string path = odmd::testing::SourcePath(kExamplesIndex);
    if (!std::filesystem::exists(path)) return;
    index_ = new json(json::parse(odmd::testing::ReadFileOrFail(path), nullptr, false));
  }
  static void TearDownTestSuite() {
    delete index_;
    index_ = nullptr;
  }

  void SetUp() override {
    ASSERT_NE(index_, nullptr) << "GitHub's webhook examples are not installed at "
                               << odmd::testing::SourcePath(kExamplesIndex)
                               << "; run scripts/install-deps.sh";
    ASSERT_TRUE(index_->is_array()) << kExamplesIndex << " is not a JSON array";
  }

  static std::vector<json> Examples(const std::string& event) {
    for (const json& entry : *index_) {
      if (entry.value("name", "") == event) return entry.at("examples").get<std::vector<json>>();
    }
    return {};
  }

  // The first push example that has exactly one commit (a branch creation with a commit).
  static json OneCommitPush() {
    for (const json& example : Examples("push")) {
      if (example.at("commits").size() == 1 && !example.at("head_commit").is_null()) {
        return example;
      }
    }
    ADD_FAILURE() << "no push example with one commit";
    return json::object();
  }

  static inline json* index_ = nullptr;
};

void ExpectCommitMatches(const PushCommit& commit, const json& expected) {
  EXPECT_EQ(commit.id, expected.at("id").get<std::string>());
  EXPECT_EQ(commit.message, expected.at("message").get<std::string>());
  EXPECT_EQ(commit.timestamp, expected.at("timestamp").get<std::string>());
}

void ExpectPushMatches(const PushEvent& push, const json& expected) {
  EXPECT_EQ(push.repository, expected.at("/repository/full_name"_json_pointer).get<std::string>());
  EXPECT_EQ(push.ref, expected.at("ref").get<std::string>());
  EXPECT_EQ(push.before, expected.at("before").get<std::string>());
  EXPECT_EQ(push.after, expected.at("after").get<std::string>());
  EXPECT_EQ(push.created, expected.at("created").get<bool>());
  EXPECT_EQ(push.deleted, expected.at("deleted").get<bool>());
  EXPECT_EQ(push.forced, expected.at("forced").get<bool>());
  ASSERT_EQ(push.commits.size(), expected.at("commits").size());
  for (size_t i = 0; i < push.commits.size(); ++i) {
    ExpectCommitMatches(push.commits[i], expected.at("commits").at(i));
  }
  ASSERT_EQ(push.head_commit.has_value(), !expected.at("head_commit").is_null());
  if (push.head_commit) ExpectCommitMatches(*push.head_commit, expected.at("head_commit"));
}

Result<WebhookEvent> ParsePush(const json& payload) {
  return ParseGitHubWebhook("push", payload.dump(), kMaxGitHubPayloadBytes);
}

TEST_F(GitHubExamplesTest, ParsesEveryPushExample) {
  std::vector<json> examples = Examples("push");
  ASSERT_GE(examples.size(), 2u) << "too few push examples in " << kExamplesIndex;
  int deletions = 0;
  int creations = 0;
  int with_commits = 0;
  for (size_t i = 0; i < examples.size(); ++i) {
    SCOPED_TRACE("push example " + std::to_string(i));
    Result<WebhookEvent> event = ParsePush(examples[i]);
    ODMD_ASSERT_OK(event);
    EXPECT_EQ(event->kind, WebhookEventKind::kPush);
    EXPECT_EQ(event->event, "push");
    ASSERT_TRUE(event->push.has_value());
    ExpectPushMatches(*event->push, examples[i]);
    if (event->push->deleted) {
      ++deletions;
      EXPECT_EQ(event->push->after, kGitHubZeroSha);
      EXPECT_FALSE(event->push->head_commit.has_value());
    }
    if (event->push->created) ++creations;
    if (!event->push->commits.empty()) ++with_commits;
  }
  // The examples cover tag deletions, creations and a push with a commit; if a new version
  // of the package drops one of them, the other tests below lose their base.
  EXPECT_GT(deletions, 0);
  EXPECT_GT(creations, 0);
  EXPECT_GT(with_commits, 0);
}

TEST_F(GitHubExamplesTest, ParsesPrettyPrintedBodyAsSent) {
  json example = OneCommitPush();
  Result<WebhookEvent> event = ParseGitHubWebhook("push", example.dump(2), kMaxGitHubPayloadBytes);
  ODMD_ASSERT_OK(event);
  ExpectPushMatches(*event->push, example);
}

TEST_F(GitHubExamplesTest, MultiCommitPushKeepsOrderAndHeadCommit) {
  json payload = OneCommitPush();
  json first = payload.at("commits").at(0);
  json commits = json::array();
  for (int i = 0; i < 3; ++i) {
    json commit = first;
    commit["id"] = std::string(39, 'a' + i) + std::to_string(i);
    commit["message"] = "commit " + std::to_string(i) + "\n\nbody line\n";
    commit["timestamp"] = "2026-11-24T10:0" + std::to_string(i) + ":00+01:00";
    commits.push_back(commit);
  }
  payload["commits"] = commits;
  payload["head_commit"] = commits.back();
  payload["created"] = false;
  payload["before"] = first.at("id");
  payload["after"] = commits.back().at("id");

  Result<WebhookEvent> event = ParsePush(payload);
  ODMD_ASSERT_OK(event);
  ExpectPushMatches(*event->push, payload);
  ASSERT_EQ(event->push->commits.size(), 3u);
  EXPECT_EQ(event->push->commits[1].message, "commit 1\n\nbody line\n");
  EXPECT_EQ(event->push->head_commit, event->push->commits[2]);
}

TEST_F(GitHubExamplesTest, ForcedPush) {
  json payload = OneCommitPush();
  payload["created"] = false;
  payload["forced"] = true;
  payload["before"] = std::string(40, 'b');
  Result<WebhookEvent> event = ParsePush(payload);
  ODMD_ASSERT_OK(event);
  EXPECT_TRUE(event->push->forced);
  EXPECT_FALSE(event->push->created);
  EXPECT_EQ(event->push->before, std::string(40, 'b'));
}

TEST_F(GitHubExamplesTest, BranchDeletionIsAnEvent) {
  // The examples delete tags; a branch deletion has the same shape on refs/heads/.
  json payload;
  for (const json& example : Examples("push")) {
    if (example.at("deleted").get<bool>()) payload = example;
  }
  ASSERT_TRUE(payload.is_object()) << "no deletion among the push examples";
  payload["ref"] = "refs/heads/feature/x";
  Result<WebhookEvent> event = ParsePush(payload);
  ODMD_ASSERT_OK(event);
  EXPECT_EQ(event->kind, WebhookEventKind::kPush);
  EXPECT_TRUE(event->push->deleted);
  EXPECT_EQ(event->push->ref, "refs/heads/feature/x");
  EXPECT_EQ(event->push->after, kGitHubZeroSha);
  EXPECT_TRUE(event->push->commits.empty());
  EXPECT_FALSE(event->push->head_commit.has_value());
}

TEST_F(GitHubExamplesTest, PingIsRecognised) {
  std::vector<json> examples = Examples("ping");
  ASSERT_FALSE(examples.empty()) << "no ping examples in " << kExamplesIndex;
  for (const json& example : examples) {
    Result<WebhookEvent> event = ParseGitHubWebhook("ping", example.dump(), 1 << 20);
    ODMD_ASSERT_OK(event);
    EXPECT_EQ(event->kind, WebhookEventKind::kPing);
    EXPECT_EQ(event->event, "ping");
    EXPECT_FALSE(event->push.has_value());
  }
}

TEST_F(GitHubExamplesTest, EveryOtherEventIsIgnored) {
  int other = 0;
  for (const json& entry : *index_) {
    std::string name = entry.at("name").get<std::string>();
    if (name == "push" || name == "ping" || name == "workflow_run" || name == "workflow_job") {
      continue;
    }
    for (const json& example : entry.at("examples")) {
      Result<WebhookEvent> event = ParseGitHubWebhook(name, example.dump(), kMaxGitHubPayloadBytes);
      ODMD_ASSERT_OK(event) << name;
      EXPECT_EQ(event->kind, WebhookEventKind::kIgnored) << name;
      EXPECT_EQ(event->event, name);
      EXPECT_FALSE(event->push.has_value());
      ++other;
    }
  }
  EXPECT_GT(other, 0);
}

TEST_F(GitHubExamplesTest, MissingRequiredFieldIsNamedAsJsonPointer) {
  const json base = OneCommitPush();
  for (const char* pointer :
       {"/ref", "/before", "/after", "/created", "/deleted", "/forced", "/commits", "/head_commit",
        "/repository", "/repository/full_name", "/commits/0/id", "/commits/0/message",
        "/commits/0/timestamp", "/head_commit/id", "/head_commit/message",
        "/head_commit/timestamp"}) {
    json payload = base;
    json::json_pointer ptr(pointer);
    payload.at(ptr.parent_pointer()).erase(ptr.back());
    EXPECT_THAT(ParsePush(payload),
                StatusIs(StatusCode::kInvalidArgument,
                         HasSubstr("required field \"" + std::string(pointer) + "\" is missing")))
        << pointer;
  }
}

TEST_F(GitHubExamplesTest, WrongFieldTypeIsNamedAsJsonPointer) {
  const json base = OneCommitPush();
  struct Case {
    const char* pointer;
    json value;
    const char* expected;
  };
  std::vector<Case> cases = {
      {"/ref", 7, "a string"},
      {"/after", nullptr, "a string"},
      {"/forced", "true", "a boolean"},
      {"/deleted", 0, "a boolean"},
      {"/commits", json::object(), "an array"},
      {"/commits/0", 1, "an object"},
      {"/commits/0/id", json::array(), "a string"},
      {"/head_commit", "abc", "an object"},
      {"/repository", "octo/repo", "an object"},
      {"/repository/full_name", nullptr, "a string"},
  };
  for (const Case& c : cases) {
    json payload = base;
    payload[json::json_pointer(c.pointer)] = c.value;
    EXPECT_THAT(ParsePush(payload), StatusIs(StatusCode::kInvalidArgument,
                                             HasSubstr("field \"" + std::string(c.pointer) +
                                                       "\" is not " + c.expected)))
        << c.pointer;
  }
}

TEST_F(GitHubExamplesTest, OverlongOrMalformedFieldsAreRefusedNamingThem) {
  const json base = OneCommitPush();
  struct Case {
    const char* pointer;
    json value;
    const char* expected;
  };
  const std::string long_repo = "octo/" + std::string(5000, 'r');
  std::vector<Case> cases = {
      {"/repository/full_name", long_repo, "(5005 bytes) has a name that is not 1-100"},
      {"/repository/full_name", "no-slash", "is not \"owner/name\""},
      {"/repository/full_name", "octo/..", "has a name"},
      {"/repository/full_name", "oc to/x", "has an owner"},
      {"/ref", "refs/heads/" + std::string(300, 'b'), "is not a git ref"},
      {"/ref", "refs/heads/a/../../x", "is not a git ref"},
      {"/ref", "heads/main", "is not a git ref"},
      {"/after", "xyz", "is not an object id"},
      {"/before", std::string(41, 'a'), "is not an object id"},
      {"/commits/0/id", "ABCDEF", "is not an object id"},
  };
  for (const Case& c : cases) {
    json payload = base;
    payload[json::json_pointer(c.pointer)] = c.value;
    Result<WebhookEvent> parsed = ParsePush(payload);
    EXPECT_THAT(parsed, StatusIs(StatusCode::kInvalidArgument,
                                 AllOf(HasSubstr("field \"" + std::string(c.pointer) + "\""),
                                       HasSubstr(c.expected))))
        << c.pointer;
    // A message shows at most 60 bytes of the value.
    if (!parsed.ok()) {
      EXPECT_LT(parsed.status().message().size(), 400u);
    }
  }
  Result<WebhookEvent> ok = ParsePush(base);
  ODMD_ASSERT_OK(ok);
  PushEvent push = *ok->push;
  push.delivery = "72d3162e-cc78-11e3-81ab-4c9367dc0958";
  ODMD_EXPECT_OK(ValidatePush(push));
  push.delivery = std::string(101, 'd');
  EXPECT_THAT(ValidatePush(push),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("X-GitHub-Delivery")));
}

TEST_F(GitHubExamplesTest, DuplicateKeyIsRefusedNamingIt) {
  const std::string body = OneCommitPush().dump();
  // The same object with "ref" given twice: the last value would win.
  const std::string twice = "{\"ref\": \"refs/heads/other\", " + body.substr(1);
  EXPECT_THAT(ParseGitHubWebhook("push", twice, kMaxGitHubPayloadBytes),
              StatusIs(StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("\"push\" payload"), HasSubstr("repeats the key at /ref"))));
  EXPECT_THAT(ParseGitHubWebhook("ping", "{\"hook\": {\"id\": 1, \"id\": 2}}", 100),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("/hook/id")));
}

// ---------------------------------------------------------------------------------------------
// Envelope: size, headers, JSON

TEST(ParseGitHubWebhookTest, TooLargePayloadNamesTheLimit) {
  std::string body = "{\"zen\":\"" + std::string(100, 'x') + "\"}";
  EXPECT_THAT(ParseGitHubWebhook("push", body, body.size() - 1),
              StatusIs(StatusCode::kResourceExhausted,
                       AllOf(HasSubstr(std::to_string(body.size()) + " bytes"),
                             HasSubstr("limit is " + std::to_string(body.size() - 1)))));
  // Even events we ignore are refused when too large: the limit protects the receiver.
  EXPECT_THAT(ParseGitHubWebhook("star", body, 10), StatusIs(StatusCode::kResourceExhausted));
  Result<WebhookEvent> at_limit = ParseGitHubWebhook("ping", body, body.size());
  ODMD_ASSERT_OK(at_limit);
  EXPECT_EQ(at_limit->kind, WebhookEventKind::kPing);
}

TEST(ParseGitHubWebhookTest, MissingEventHeader) {
  EXPECT_THAT(ParseGitHubWebhook("", "{}", 100),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("X-GitHub-Event")));
}

TEST(ParseGitHubWebhookTest, MalformedJson) {
  for (const char* body : {"", "{", "{\"ref\": }", "not json", "{\"a\":1} trailing"}) {
    EXPECT_THAT(ParseGitHubWebhook("push", body, 100),
                StatusIs(StatusCode::kInvalidArgument,
                         AllOf(HasSubstr("\"push\""), HasSubstr("not valid JSON"))))
        << body;
    EXPECT_THAT(ParseGitHubWebhook("ping", body, 100),
                StatusIs(StatusCode::kInvalidArgument, HasSubstr("\"ping\" payload")))
        << body;
  }
}

TEST(ParseGitHubWebhookTest, JsonThatIsNotAnObject) {
  for (const char* body : {"[]", "\"push\"", "42", "null"}) {
    EXPECT_THAT(ParseGitHubWebhook("push", body, 100),
                StatusIs(StatusCode::kInvalidArgument, HasSubstr("not a JSON object")))
        << body;
  }
}

TEST(ParseGitHubWebhookTest, EmptyObjectNamesTheFirstMissingField) {
  EXPECT_THAT(ParseGitHubWebhook("push", "{}", 100),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("\"/repository\" is missing")));
}

TEST(ParseGitHubWebhookTest, IgnoredEventBodyIsNotParsed) {
  Result<WebhookEvent> event = ParseGitHubWebhook("check_run", "not json", 100);
  ODMD_ASSERT_OK(event);
  EXPECT_EQ(event->kind, WebhookEventKind::kIgnored);
  EXPECT_EQ(event->event, "check_run");
}

// The GitHub runner follows its runs by these (docs/github.md, "The GitHub runner").
TEST_F(GitHubExamplesTest, EveryWorkflowRunAndJobExampleIsRead) {
  int read = 0;
  for (const json& entry : *index_) {
    const std::string name = entry.at("name").get<std::string>();
    if (name != "workflow_run" && name != "workflow_job") continue;
    for (const json& example : entry.at("examples")) {
      Result<WebhookEvent> event = ParseGitHubWebhook(name, example.dump(), kMaxGitHubPayloadBytes);
      ODMD_ASSERT_OK(event) << name;
      ASSERT_EQ(event->kind, WebhookEventKind::kWorkflowRun) << name;
      const WorkflowRunEvent& run = *event->run;
      const json& body = example.at(name);
      EXPECT_EQ(run.run_id, body.at(name == "workflow_job" ? "run_id" : "id").get<std::int64_t>());
      EXPECT_EQ(run.status, body.at("status").get<std::string>());
      EXPECT_EQ(run.action, example.at("action").get<std::string>());
      EXPECT_EQ(run.repository, example.at("repository").at("full_name").get<std::string>());
      EXPECT_EQ(run.job_name.empty(), name == "workflow_run");
      ++read;
    }
  }
  EXPECT_GT(read, 3);
}

TEST(ParseGitHubWebhookTest, AWorkflowRunWithoutItsIdOrStatusIsRefusedNamingTheField) {
  const std::string base =
      R"({"action":"completed","repository":{"full_name":"acme/svc"},"workflow_run":{"id":5,)"
      R"("status":"completed","conclusion":"success","html_url":"https://x"}})";
  ODMD_ASSERT_OK(ParseGitHubWebhook("workflow_run", base, 10000));
  for (const auto& [field, pointer] : std::vector<std::pair<std::string, std::string>>{
           {"\"id\":5,", "/workflow_run/id"},
           {"\"status\":\"completed\",", "/workflow_run/status"}}) {
    std::string body = base;
    body.erase(body.find(field), field.size());
    Result<WebhookEvent> event = ParseGitHubWebhook("workflow_run", body, 10000);
    EXPECT_EQ(event.status().code(), StatusCode::kInvalidArgument) << field;
    EXPECT_THAT(event.status().message(), HasSubstr(pointer));
  }
}

}  // namespace
}  // namespace odmd::reconcile
