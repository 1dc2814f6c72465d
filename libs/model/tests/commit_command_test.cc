#include "odmd/model/commit_command.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <random>

#include "odmd/base/strings.h"

namespace odmd::model {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Optional;
using ::testing::SizeIs;

// Parses a one-line message expected to hold exactly one accepted command.
CommitCommand AcceptedOne(std::string_view message, const CommandContext& context = {}) {
  ParsedMessage p = ParseCommitMessage(message, context);
  EXPECT_THAT(p.rejections, IsEmpty()) << message << ": " << p.rejections[0].reason;
  EXPECT_THAT(p.commands, SizeIs(1)) << message;
  return p.commands.empty() ? CommitCommand{} : p.commands[0];
}

// Parses a one-line message expected to hold exactly one rejected command.
CommandRejection RejectedOne(std::string_view message, const CommandContext& context = {}) {
  ParsedMessage p = ParseCommitMessage(message, context);
  EXPECT_THAT(p.commands, IsEmpty()) << message << ": accepted " << p.commands[0].origin;
  EXPECT_THAT(p.rejections, SizeIs(1)) << message;
  return p.rejections.empty() ? CommandRejection{} : p.rejections[0];
}

struct CreateCase {
  const char* message;
  const char* origin;
  std::optional<std::string> build;
};
void PrintTo(const CreateCase& c, std::ostream* os) { *os << Quote(c.message); }

class AcceptCreateTest : public ::testing::TestWithParam<CreateCase> {};

TEST_P(AcceptCreateTest, AcceptsAndNormalises) {
  CommitCommand c = AcceptedOne(GetParam().message);
  EXPECT_EQ(c.verb, CommandVerb::kCreate);
  EXPECT_EQ(c.origin, GetParam().origin);
  EXPECT_EQ(c.build, GetParam().build);
}

INSTANTIATE_TEST_SUITE_P(
    Grammar, AcceptCreateTest,
    ::testing::Values(CreateCase{"odmd: create@main", "b..main", std::nullopt},
                      CreateCase{"odmd: create@b..main", "b..main", std::nullopt},
                      CreateCase{"odmd: create@t..v1.0.0", "t..v1.0.0", std::nullopt},
                      CreateCase{"odmd: create orderSvc@main", "b..main", "orderSvc"},
                      CreateCase{"  odmd: create@main  ", "b..main", std::nullopt},
                      CreateCase{"ODMD: create@main", "b..main", std::nullopt},
                      CreateCase{"OdMd:create@main", "b..main", std::nullopt},
                      CreateCase{"odmd:   create    orderSvc@main", "b..main", "orderSvc"},
                      CreateCase{"odmd:\tcreate\torderSvc @ t..v2", "t..v2", "orderSvc"},
                      CreateCase{"odmd: create @main", "b..main", std::nullopt},
                      CreateCase{"odmd: CREATE@main", "b..main", std::nullopt},
                      CreateCase{"odmd: create@main\r", "b..main", std::nullopt},
                      CreateCase{"odmd: create@feature-login", "b..feature-login", std::nullopt}));

TEST(CommitCommandTest, RecordsLineTextAndCommit) {
  ParsedMessage p = ParseCommitMessage("Fix the thing\n\n  odmd: create@main  \nmore text", {}, 4);
  ASSERT_THAT(p.commands, SizeIs(1));
  EXPECT_EQ(p.commands[0].line, 3);
  EXPECT_EQ(p.commands[0].text, "odmd: create@main");
  EXPECT_EQ(p.commands[0].commit, 4);
  EXPECT_THAT(p.rejections, IsEmpty());
}

TEST(CommitCommandTest, AcceptsDeleteAndRemove) {
  for (const char* message : {"odmd: delete", "odmd: remove", "odmd: Delete", "odmd:delete"}) {
    CommitCommand c = AcceptedOne(message);
    EXPECT_EQ(c.verb, CommandVerb::kDelete) << message;
    EXPECT_EQ(c.build, std::nullopt) << message;
    EXPECT_EQ(c.origin, "") << message;
  }
  EXPECT_THAT(AcceptedOne("odmd: delete orderSvc").build, Optional(std::string("orderSvc")));
  EXPECT_THAT(AcceptedOne("odmd:  remove   orderSvc ").build, Optional(std::string("orderSvc")));
}

TEST(CommitCommandTest, IgnoresLinesThatAreNotCommands) {
  ParsedMessage p =
      ParseCommitMessage("odmd create@main\n> odmd: create@main\nsee odmd: delete\nodmd\n\n", {});
  EXPECT_THAT(p.commands, IsEmpty());
  EXPECT_THAT(p.rejections, IsEmpty());
  EXPECT_THAT(ParseCommitMessage("").commands, IsEmpty());
}

TEST(CommitCommandTest, HandlesCrlfLineEndings) {
  ParsedMessage p = ParseCommitMessage("title\r\n\r\nodmd: create@main\r\nodmd: craete\r\n");
  ASSERT_THAT(p.commands, SizeIs(1));
  EXPECT_EQ(p.commands[0].line, 3);
  EXPECT_EQ(p.commands[0].text, "odmd: create@main");
  ASSERT_THAT(p.rejections, SizeIs(1));
  EXPECT_EQ(p.rejections[0].line, 4);
  EXPECT_EQ(p.rejections[0].text, "odmd: craete");
}

struct RejectCase {
  const char* message;
  const char* reason_part;
  std::optional<std::string> suggestion;
};
void PrintTo(const RejectCase& c, std::ostream* os) { *os << Quote(c.message); }

class RejectTest : public ::testing::TestWithParam<RejectCase> {};

TEST_P(RejectTest, RejectsWithReasonAndSuggestion) {
  CommandRejection r = RejectedOne(GetParam().message);
  EXPECT_THAT(r.reason, HasSubstr(GetParam().reason_part));
  EXPECT_EQ(r.suggestion, GetParam().suggestion);
  EXPECT_EQ(r.line, 1);
}

INSTANTIATE_TEST_SUITE_P(
    NoContext, RejectTest,
    ::testing::Values(
        RejectCase{"odmd: craete@main", "unknown verb \"craete\"", "odmd: create@main"},
        RejectCase{"odmd: craete orderSvc  @ main", "unknown verb", "odmd: create orderSvc@main"},
        RejectCase{"odmd: dlete", "unknown verb \"dlete\"", "odmd: delete"},
        RejectCase{"odmd: remvoe x", "unknown verb", "odmd: remove x"},
        RejectCase{"odmd: deploy@main", "unknown verb \"deploy\"", std::nullopt},
        // A corrected verb that still does not parse is no suggestion.
        RejectCase{"odmd: craete", "unknown verb", std::nullopt},
        RejectCase{"odmd: create", "\"create\" needs an origin", std::nullopt},
        RejectCase{"odmd: create@", "missing origin after \"@\"", std::nullopt},
        RejectCase{"odmd: create orderSvc@ ", "missing origin after \"@\"", std::nullopt},
        RejectCase{"odmd: create main", "missing \"@\" before the origin \"main\"",
                   "odmd: create@main"},
        RejectCase{"odmd: create a b", "missing \"@<origin>\" after \"a b\"", std::nullopt},
        RejectCase{"odmd: create a b@main", "at most one build id before \"@\", got \"a b\"",
                   std::nullopt},
        RejectCase{"odmd: create@main now", "unexpected text after origin \"main\": \"now\"",
                   "odmd: create@main"},
        RejectCase{"odmd: create@fe..x",
                   "invalid origin \"fe..x\": branch value contains "
                   "reserved \"..\"",
                   std::nullopt},
        RejectCase{"odmd: create@b..a..b",
                   "invalid origin: rev \"b..a..b\": value \"a..b\" "
                   "contains reserved \"..\"",
                   std::nullopt},
        RejectCase{"odmd: create@feature/login", "has character \"/\"", std::nullopt},
        RejectCase{"odmd: create@t..", "is empty", std::nullopt},
        RejectCase{"odmd: create@b..master-_b..feat1", "is a clone", std::nullopt},
        RejectCase{"odmd: create@v2", "bare origin \"v2\" is a branch", "odmd: create@t..v2"},
        RejectCase{"odmd: create svcA@V2", "reserved for tags", "odmd: create svcA@t..V2"},
        RejectCase{"odmd: create@a@b", "has character \"@\"", std::nullopt},
        RejectCase{"odmd: create x!@main", "build id \"x!\" must match [A-Za-z0-9_-]+",
                   std::nullopt},
        RejectCase{"odmd: delete a b", "\"delete\" takes at most one build id, got \"a b\"",
                   std::nullopt},
        RejectCase{"odmd: remove a b c", "\"remove\" takes at most one build id", std::nullopt},
        RejectCase{"odmd: delete@main", "\"delete\" takes no origin", "odmd: delete"},
        RejectCase{"odmd: delete svcA@main", "takes no origin", "odmd: delete svcA"},
        RejectCase{"odmd: delete a/b", "build id \"a/b\" must match", std::nullopt},
        RejectCase{"odmd:", "empty command after \"odmd:\"", std::nullopt},
        RejectCase{"  ODMD:   ", "empty command", std::nullopt},
        RejectCase{"odmd: @main", "missing verb", "odmd: create@main"},
        RejectCase{"odmd: @", "missing verb", std::nullopt}));

CommandContext Context() {
  CommandContext c;
  c.known_origins = {"b..main", "b..develop", "t..v1.0.0"};
  c.known_builds = {"orderSvc", "paymentSvc"};
  return c;
}

TEST(CommitCommandContextTest, AcceptsKnownOriginsAndBuilds) {
  CommandContext ctx = Context();
  EXPECT_EQ(AcceptedOne("odmd: create@main", ctx).origin, "b..main");
  EXPECT_EQ(AcceptedOne("odmd: create paymentSvc@t..v1.0.0", ctx).origin, "t..v1.0.0");
  EXPECT_THAT(AcceptedOne("odmd: delete orderSvc", ctx).build, Optional(std::string("orderSvc")));
}

TEST(CommitCommandContextTest, UnknownOriginSuggestsClosestInAuthorsSpelling) {
  CommandContext ctx = Context();
  CommandRejection bare = RejectedOne("odmd: create@mian", ctx);
  EXPECT_THAT(bare.reason, HasSubstr("unknown origin \"b..mian\""));
  EXPECT_EQ(bare.suggestion, "odmd: create@main");

  CommandRejection prefixed = RejectedOne("odmd: create@b..mian", ctx);
  EXPECT_EQ(prefixed.suggestion, "odmd: create@b..main");

  CommandRejection tag = RejectedOne("odmd: create@t..v1.0.1", ctx);
  EXPECT_EQ(tag.suggestion, "odmd: create@t..v1.0.0");

  CommandRejection far = RejectedOne("odmd: create@release", ctx);
  EXPECT_THAT(far.reason, HasSubstr("unknown origin \"b..release\""));
  EXPECT_EQ(far.suggestion, std::nullopt);
}

// A build of the org that lives in another repo is named as such, with that repo.
TEST(CommitCommandContextTest, ABuildOfAnotherRepoSaysWhereItIsBuilt) {
  CommandContext ctx = Context();
  ctx.other_builds = {{"billing", "acme/billing"}};
  for (const char* line : {"odmd: create billing@main", "odmd: delete billing"}) {
    CommandRejection r = RejectedOne(line, ctx);
    EXPECT_EQ(r.reason,
              "build \"billing\" is built from repo acme/billing, not from the pushed repo; push "
              "the command to acme/billing")
        << line;
    EXPECT_EQ(r.suggestion, std::nullopt);
  }
  EXPECT_THAT(RejectedOne("odmd: create nobody@main", ctx).reason,
              HasSubstr("unknown build \"nobody\""));
}

TEST(CommitCommandContextTest, UnknownBuildSuggestsClosest) {
  CommandContext ctx = Context();
  CommandRejection create = RejectedOne("odmd: create ordrSvc@main", ctx);
  EXPECT_THAT(create.reason, HasSubstr("unknown build \"ordrSvc\""));
  EXPECT_EQ(create.suggestion, "odmd: create orderSvc@main");

  CommandRejection del = RejectedOne("odmd: delete paymntSvc", ctx);
  EXPECT_EQ(del.suggestion, "odmd: delete paymentSvc");

  CommandRejection unrelated = RejectedOne("odmd: delete inventory", ctx);
  EXPECT_THAT(unrelated.reason, HasSubstr("unknown build \"inventory\""));
  EXPECT_EQ(unrelated.suggestion, std::nullopt);
}

TEST(CommitCommandContextTest, SuggestionCombinesCorrections) {
  CommandContext ctx = Context();
  // Verb, build and origin all mistyped: one suggestion fixes all three.
  CommandRejection r = RejectedOne("odmd: craete ordrSvc@mian", ctx);
  EXPECT_THAT(r.reason, HasSubstr("unknown verb"));
  EXPECT_EQ(r.suggestion, "odmd: create orderSvc@main");
  // The tag suggestion for a bare 'v' origin is checked against the context too.
  CommandRejection v = RejectedOne("odmd: create@v1.0.1", ctx);
  EXPECT_EQ(v.suggestion, "odmd: create@t..v1.0.0");
}

TEST(CommitCommandContextTest, BareWordThatIsAKnownBuildIsNotTakenForAnOrigin) {
  CommandRejection r = RejectedOne("odmd: create orderSvc", Context());
  EXPECT_THAT(r.reason, HasSubstr("missing \"@<origin>\" after \"orderSvc\""));
  EXPECT_EQ(r.suggestion, std::nullopt);
}

TEST(CommitCommandContextTest, EmptyContextChecksNothing) {
  EXPECT_EQ(AcceptedOne("odmd: create anyBuild@anything").origin, "b..anything");
}

TEST(CommitCommandTest, KeepsEveryCommandOfAMessageInLineOrder) {
  ParsedMessage p =
      ParseCommitMessage("odmd: create@main\nodmd: craete@dev\nodmd: delete\nodmd: bogus", {}, 2);
  ASSERT_THAT(p.commands, SizeIs(2));
  EXPECT_EQ(p.commands[0].line, 1);
  EXPECT_EQ(p.commands[1].line, 3);
  EXPECT_EQ(p.commands[1].verb, CommandVerb::kDelete);
  ASSERT_THAT(p.rejections, SizeIs(2));
  EXPECT_EQ(p.rejections[0].line, 2);
  EXPECT_EQ(p.rejections[0].commit, 2);
  EXPECT_EQ(p.rejections[1].line, 4);
}

TEST(ParsePushMessagesTest, KeepsEveryCommandInTheOrderWritten) {
  std::vector<std::string> messages = {
      "first\n\nodmd: create@main\nodmd: create@develop",  // commit 0
      "no command here",                                   // commit 1
      "odmd: delete\nodmd: craete@main",                   // commit 2
  };
  PushCommands push = ParsePushMessages(messages);
  ASSERT_THAT(push.accepted, SizeIs(3));
  EXPECT_EQ(push.accepted[0].origin, "b..main");
  EXPECT_EQ(push.accepted[0].commit, 0);
  EXPECT_EQ(push.accepted[1].origin, "b..develop");
  EXPECT_EQ(push.accepted[1].line, 4);
  EXPECT_EQ(push.accepted[2].verb, CommandVerb::kDelete);
  EXPECT_EQ(push.accepted[2].commit, 2);
  ASSERT_THAT(push.rejections, SizeIs(1));
  EXPECT_EQ(push.rejections[0].commit, 2);
  EXPECT_EQ(push.rejections[0].line, 2);
  EXPECT_EQ(push.rejections[0].suggestion, "odmd: create@main");
}

TEST(ParsePushMessagesTest, LinesOfOneMessageKeepTheirOrder) {
  std::vector<std::string> messages = {"odmd: delete\nodmd: create@main"};
  PushCommands push = ParsePushMessages(messages);
  ASSERT_THAT(push.accepted, SizeIs(2));
  EXPECT_EQ(push.accepted[0].verb, CommandVerb::kDelete);
  EXPECT_EQ(push.accepted[1].verb, CommandVerb::kCreate);
  EXPECT_EQ(push.accepted[1].line, 2);
}

TEST(ParsePushMessagesTest, NoCommandsMeansNoneAccepted) {
  std::vector<std::string> messages = {"wip", "odmd: nonsense"};
  PushCommands push = ParsePushMessages(messages);
  EXPECT_THAT(push.accepted, IsEmpty());
  EXPECT_THAT(push.rejections, SizeIs(1));
  EXPECT_THAT(ParsePushMessages({}).accepted, IsEmpty());
}

TEST(ParsePushMessagesTest, UsesContextForEveryMessage) {
  std::vector<std::string> messages = {"odmd: create@mian", "odmd: create@main"};
  PushCommands push = ParsePushMessages(messages, Context());
  ASSERT_THAT(push.rejections, SizeIs(1));
  EXPECT_EQ(push.rejections[0].commit, 0);
  ASSERT_THAT(push.accepted, SizeIs(1));
  EXPECT_EQ(push.accepted[0].commit, 1);
}

TEST(CommitCommandRobustnessTest, NulBytesAreRejectedNotTruncated) {
  std::string message = "odmd: create@ma";
  message += '\0';
  message += "in";
  CommandRejection r = RejectedOne(message);
  EXPECT_THAT(r.reason, HasSubstr("\\x00"));
  EXPECT_EQ(r.text.size(), message.size());
}

TEST(CommitCommandRobustnessTest, HugeLinesAreHandled) {
  std::string huge_origin(1 << 20, 'a');
  CommitCommand c = AcceptedOne("odmd: create@" + huge_origin);
  EXPECT_EQ(c.origin.size(), huge_origin.size() + 3);
  // A huge unknown verb and a huge unknown origin with a context: no quadratic suggestion.
  CommandRejection verb = RejectedOne("odmd: " + std::string(1 << 20, 'x'), Context());
  EXPECT_EQ(verb.suggestion, std::nullopt);
  CommandRejection origin = RejectedOne("odmd: create@" + huge_origin, Context());
  EXPECT_EQ(origin.suggestion, std::nullopt);
}

TEST(CommitCommandRobustnessTest, RandomBytesNeverCrash) {
  std::mt19937 rng(7);
  std::uniform_int_distribution<int> byte(0, 255);
  std::uniform_int_distribution<int> length(0, 64);
  const std::string prefixes[] = {"", "odmd:", "odmd: create", "odmd: create@", "odmd: delete "};
  CommandContext ctx = Context();
  for (int i = 0; i < 2000; ++i) {
    std::string message = prefixes[i % 5];
    for (int n = length(rng); n > 0; --n) message += static_cast<char>(byte(rng));
    ParsedMessage p = ParseCommitMessage(message, i % 2 ? ctx : CommandContext{});
    for (const CommitCommand& c : p.commands) {
      // Whatever got accepted is well formed.
      if (c.verb == CommandVerb::kCreate) {
        EXPECT_TRUE(c.origin.starts_with("b..") || c.origin.starts_with("t..")) << c.origin;
      }
    }
    for (const CommandRejection& r : p.rejections) EXPECT_FALSE(r.reason.empty());
  }
}

}  // namespace
}  // namespace odmd::model
