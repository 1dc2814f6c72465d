// The platform's records: keys, ids, counters and the strict JSON codecs.

#include "odmd/reconcile/state.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "odmd/testing/status_matchers.h"

namespace odmd::reconcile {
namespace {

using nlohmann::json;
using odmd::testing::StatusIs;
using ::testing::AllOf;
using ::testing::HasSubstr;

constexpr char kKey[] = "/odmd/deployments/d0000000007";

Deployment FullDeployment() {
  Deployment d;
  d.id = "d0000000007";
  d.enver_id = "svc/b..main";
  d.sha = "1a2b3c";
  d.state = DeploymentState::kFailed;
  d.cause = {"reaction", "product a/b..main/x changed to version 3",
             "product:/odmd-share/a/b..main/x@3"};
  d.attempt = 2;
  d.queued_at_ms = 10;
  d.started_at_ms = 20;
  d.finished_at_ms = 30;
  d.not_before_ms = 15;
  d.reason = "exit code 1";
  d.owner = "host-1";
  d.exit_code = 1;
  d.consumed = {{"x", "/odmd-share/a/b..main/x", 3, false},
                {"y", "/odmd-share/c/b..main/y", 0, true}};
  d.published = {"/odmd-share/svc/b..main/url"};
  return d;
}

// ToJson of an event as its stored record has it: without the reader's "revision".
json StoredJson(const Event& e) {
  json j = ToJson(e);
  j.erase("revision");
  return j;
}

Event FullEvent() {
  Event e;
  e.seq = 42;
  e.time_ms = 1767225600000;
  e.kind = "command.rejected";
  e.enver_id = "svc/b..main";
  e.message = "odmd: clone refused: the enver is immutable";
  e.suggestion = "clone from b..dev instead";
  e.fields = {{"command", "odmd: clone feat1"}, {"sha", "abc"}};
  return e;
}

// ---------------------------------------------------------------------------------------------
// Keys, ids, counters

TEST(StateKeysTest, DeploymentIdsAreZeroPaddedAndSortByNumber) {
  EXPECT_EQ(FormatDeploymentId(42), "d0000000042");
  EXPECT_EQ(FormatDeploymentId(9999999999), "d9999999999");
  EXPECT_LT(FormatDeploymentId(9), FormatDeploymentId(10));
  EXPECT_EQ(ParseDeploymentId("d0000000042"), 42);
  EXPECT_EQ(ParseDeploymentId("d42"), std::nullopt);
  EXPECT_EQ(ParseDeploymentId("x0000000042"), std::nullopt);
  EXPECT_EQ(ParseDeploymentId("d00000000-2"), std::nullopt);
}

TEST(StateKeysTest, KeysFollowTheLayout) {
  EXPECT_EQ(DeploymentKey("d0000000001"), "/odmd/deployments/d0000000001");
  EXPECT_EQ(QueueKey("svc/b..main"), "/odmd/queue/svc/b..main");
  EXPECT_EQ(EventKey(7), "/odmd/events/000000000007");
  EXPECT_EQ(ParseEventKey("/odmd/events/000000000007"), 7);
  EXPECT_EQ(ParseEventKey("/odmd/events/7"), std::nullopt);
  EXPECT_EQ(ParseEventKey("/odmd/deployments/000000000007"), std::nullopt);
  EXPECT_EQ(LogKey("d0000000001"), "/odmd/logs/d0000000001");
  EXPECT_EQ(EnverStateKey("svc/b..main"), "/odmd/envers/svc/b..main");
  EXPECT_EQ(EnverTokenKey("svc/b..main"), "/odmd/enver-tokens/svc/b..main");
  EXPECT_EQ(RepoKey("acme/svc"), "/odmd/repos/acme/svc");
  EXPECT_EQ(IntakeKey("acme/svc"), "/odmd/intake/acme/svc");
  EXPECT_LT(EventKey(99), EventKey(100));
}

TEST(StateKeysTest, CountersRoundTripAndRejectGarbageNamingTheKey) {
  EXPECT_EQ(FormatCounter(12), "12");
  ASSERT_THAT(ParseCounter(kEventSeqKey, "12"), odmd::testing::IsOk());
  EXPECT_EQ(*ParseCounter(kEventSeqKey, "12"), 12);
  for (const char* bad : {"", "x", "-1", "12 ", "1.5", "99999999999999999999"}) {
    EXPECT_THAT(ParseCounter(kEventSeqKey, bad),
                StatusIs(StatusCode::kFailedPrecondition, HasSubstr("/odmd/seq/events")))
        << bad;
  }
}

TEST(StateKeysTest, StateNamesRoundTrip) {
  for (DeploymentState s :
       {DeploymentState::kQueued, DeploymentState::kRunning, DeploymentState::kSucceeded,
        DeploymentState::kFailed, DeploymentState::kCancelled, DeploymentState::kSuperseded}) {
    EXPECT_EQ(ParseDeploymentState(DeploymentStateName(s)), s);
  }
  EXPECT_EQ(DeploymentStateName(DeploymentState::kSuperseded), "superseded");
  EXPECT_EQ(ParseDeploymentState("done"), std::nullopt);
  EXPECT_FALSE(IsFinal(DeploymentState::kQueued));
  EXPECT_FALSE(IsFinal(DeploymentState::kRunning));
  EXPECT_TRUE(IsFinal(DeploymentState::kCancelled));
}

// ---------------------------------------------------------------------------------------------
// Deployment

TEST(DeploymentJsonTest, RoundTripsEveryField) {
  Deployment d = FullDeployment();
  json j = ToJson(d);
  EXPECT_EQ(j["enver"], "svc/b..main");
  EXPECT_EQ(j["state"], "failed");
  EXPECT_EQ(j["cause"]["root"], "product:/odmd-share/a/b..main/x@3");
  EXPECT_EQ(j["consumed"][1]["placeholder"], true);
  Result<Deployment> back = ParseDeployment(j.dump(), kKey);
  ODMD_ASSERT_OK(back);
  EXPECT_EQ(*back, d);
}

TEST(DeploymentJsonTest, DefaultDeploymentRoundTrips) {
  Deployment d;
  Result<Deployment> back = DeploymentFromJson(ToJson(d), kKey);
  ODMD_ASSERT_OK(back);
  EXPECT_EQ(*back, d);
  EXPECT_EQ(ToJson(d)["exit_code"], -1);
}

struct Malformed {
  const char* name;
  std::function<void(json&)> mutate;
  const char* pointer;
};

TEST(DeploymentJsonTest, MalformedRecordsNameTheKeyAndThePointer) {
  std::vector<Malformed> cases = {
      {"missing id", [](json& j) { j.erase("id"); }, "\"/id\" is missing"},
      {"enver not string", [](json& j) { j["enver"] = 3; }, "\"/enver\" is not a string"},
      {"unknown state", [](json& j) { j["state"] = "done"; }, "\"/state\" is \"done\""},
      {"cause not object", [](json& j) { j["cause"] = "push"; }, "\"/cause\" is not an object"},
      {"missing root", [](json& j) { j["cause"].erase("root"); }, "\"/cause/root\" is missing"},
      {"attempt float", [](json& j) { j["attempt"] = 1.5; }, "\"/attempt\" is not an integer"},
      {"attempt huge", [](json& j) { j["attempt"] = 1LL << 40; }, "\"/attempt\" is out of range"},
      {"time string", [](json& j) { j["queued_at_ms"] = "1"; },
       "\"/queued_at_ms\" is not an integer"},
      {"consumed item", [](json& j) { j["consumed"][1] = 1; }, "\"/consumed/1\" is not an object"},
      {"consumed version", [](json& j) { j["consumed"][0].erase("version"); },
       "\"/consumed/0/version\" is missing"},
      {"placeholder", [](json& j) { j["consumed"][0]["placeholder"] = "no"; },
       "\"/consumed/0/placeholder\" is not a boolean"},
      {"published", [](json& j) { j["published"][0] = nullptr; },
       "\"/published/0\" is not a string"},
      {"published type", [](json& j) { j["published"] = json::object(); },
       "\"/published\" is not an array"},
  };
  for (const Malformed& c : cases) {
    json j = ToJson(FullDeployment());
    c.mutate(j);
    EXPECT_THAT(DeploymentFromJson(j, kKey),
                StatusIs(StatusCode::kFailedPrecondition,
                         AllOf(HasSubstr("deployment record /odmd/deployments/d0000000007"),
                               HasSubstr(c.pointer))))
        << c.name;
  }
}

TEST(DeploymentJsonTest, TextThatIsNotAnObjectIsRefusedNamingTheKey) {
  EXPECT_THAT(ParseDeployment("{", kKey),
              StatusIs(StatusCode::kFailedPrecondition,
                       AllOf(HasSubstr(kKey), HasSubstr("is not valid JSON"))));
  EXPECT_THAT(ParseDeployment("[1]", kKey),
              StatusIs(StatusCode::kFailedPrecondition,
                       AllOf(HasSubstr(kKey), HasSubstr("the record is not an object"))));
}

// ---------------------------------------------------------------------------------------------
// Event

TEST(EventJsonTest, RoundTripsEveryField) {
  Event e = FullEvent();
  json j = ToJson(e);
  EXPECT_EQ(j["enver"], "svc/b..main");
  EXPECT_EQ(j["fields"]["sha"], "abc");
  Result<Event> back = ParseEvent(j.dump(), "/odmd/events/000000000042");
  ODMD_ASSERT_OK(back);
  EXPECT_EQ(*back, e);
  // A reader's revision goes out and comes back; the stored record has none.
  e.revision = 77;
  EXPECT_EQ(ToJson(e)["revision"], 77);
  EXPECT_FALSE(json::parse(ToJsonText(e)).contains("revision"));
  back = ParseEvent(ToJson(e).dump(), "/odmd/events/000000000042");
  ODMD_ASSERT_OK(back);
  EXPECT_EQ(*back, e);
}

TEST(EventJsonTest, MalformedRecordsNameTheKeyAndThePointer) {
  std::vector<Malformed> cases = {
      {"seq", [](json& j) { j["seq"] = "1"; }, "\"/seq\" is not an integer"},
      {"kind", [](json& j) { j.erase("kind"); }, "\"/kind\" is missing"},
      {"fields type", [](json& j) { j["fields"] = json::array(); }, "\"/fields\" is not an object"},
      {"field value", [](json& j) { j["fields"]["a/b"] = 1; }, "\"/fields/a~1b\" is not a string"},
  };
  for (const Malformed& c : cases) {
    json j = ToJson(FullEvent());
    c.mutate(j);
    EXPECT_THAT(
        EventFromJson(j, "/odmd/events/000000000042"),
        StatusIs(StatusCode::kFailedPrecondition,
                 AllOf(HasSubstr("event record /odmd/events/000000000042"), HasSubstr(c.pointer))))
        << c.name;
  }
  EXPECT_THAT(ParseEvent("nope", "/odmd/events/000000000001"),
              StatusIs(StatusCode::kFailedPrecondition, HasSubstr("/odmd/events/000000000001")));
}

// ---------------------------------------------------------------------------------------------
// QueueRecord

TEST(QueueRecordJsonTest, EmptyIdsAreNull) {
  json j = ToJson(QueueRecord{});
  EXPECT_EQ(j, json::parse(R"({"pending":null,"running":null})"));
  QueueRecord r{"d0000000002", "d0000000001"};
  Result<QueueRecord> back = ParseQueueRecord(ToJson(r).dump(), "/odmd/queue/a/b..main");
  ODMD_ASSERT_OK(back);
  EXPECT_EQ(*back, r);
  Result<QueueRecord> empty = ParseQueueRecord(j.dump(), "/odmd/queue/a/b..main");
  ODMD_ASSERT_OK(empty);
  EXPECT_EQ(*empty, QueueRecord{});
}

TEST(QueueRecordJsonTest, MalformedRecordsNameTheKeyAndThePointer) {
  EXPECT_THAT(ParseQueueRecord(R"({"pending":null})", "/odmd/queue/a/b..main"),
              StatusIs(StatusCode::kFailedPrecondition,
                       AllOf(HasSubstr("queue record /odmd/queue/a/b..main"),
                             HasSubstr("\"/running\" is missing"))));
  EXPECT_THAT(ParseQueueRecord(R"({"pending":"","running":null})", "/odmd/queue/a/b..main"),
              StatusIs(StatusCode::kFailedPrecondition,
                       HasSubstr("\"/pending\" is not a non-empty string or null")));
  EXPECT_THAT(ParseQueueRecord(R"({"pending":1,"running":null})", "/odmd/queue/a/b..main"),
              StatusIs(StatusCode::kFailedPrecondition, HasSubstr("\"/pending\"")));
}

// ---------------------------------------------------------------------------------------------
// Text form and UTF-8

TEST(StateTextTest, TextFormIsTheJsonFormForEveryRecord) {
  Deployment d = FullDeployment();
  d.reason =
      "quote \" backslash \\ newline \n tab \t bell \x07 del \x7f e\xC3\xA9 \xF0\x9F\x9A\x80";
  d.cause.detail = std::string("nul \0 inside", 12);
  EXPECT_EQ(json::parse(ToJsonText(d)), ToJson(d));
  Result<Deployment> back = ParseDeployment(ToJsonText(d), kKey);
  ODMD_ASSERT_OK(back);
  EXPECT_EQ(*back, d);
  // A deployment GitHub Actions runs carries its run.
  d.run_id = 9876543210;
  d.run_url = "https://github.com/acme/svc/actions/runs/9876543210";
  EXPECT_EQ(json::parse(ToJsonText(d)), ToJson(d));
  back = ParseDeployment(ToJsonText(d), kKey);
  ODMD_ASSERT_OK(back);
  EXPECT_EQ(*back, d);
  Deployment empty;
  EXPECT_EQ(json::parse(ToJsonText(empty)), ToJson(empty));

  Event e = FullEvent();
  e.fields["we\"ird"] = "line\r\nbreak";
  EXPECT_EQ(json::parse(ToJsonText(e)), StoredJson(e));
  Event bare;
  EXPECT_EQ(json::parse(ToJsonText(bare)), StoredJson(bare));

  for (const QueueRecord& r :
       {QueueRecord{}, QueueRecord{"d0000000002", ""}, QueueRecord{"", "d0000000001"}}) {
    EXPECT_EQ(json::parse(ToJsonText(r)), ToJson(r));
  }
}

TEST(StateTextTest, InvalidUtf8IsReplacedNotThrown) {
  EXPECT_EQ(ValidUtf8("ok \xC3\xA9"), "ok \xC3\xA9");
  EXPECT_EQ(ValidUtf8("a\xFFz"), "a\xEF\xBF\xBDz");
  EXPECT_EQ(ValidUtf8("\xC3"), "\xEF\xBF\xBD");                                  // truncated
  EXPECT_EQ(ValidUtf8("\xC0\xAF"), "\xEF\xBF\xBD\xEF\xBF\xBD");                  // overlong
  EXPECT_EQ(ValidUtf8("\xED\xA0\x80"), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");  // surrogate
  Deployment d = FullDeployment();
  d.reason = "build output \xFF\xFE ends";
  d.published = {"/odmd-share/a/b..main/\x80"};
  std::string dumped = ToJson(d).dump();  // would throw on invalid UTF-8
  EXPECT_EQ(json::parse(ToJsonText(d)), json::parse(dumped));
  EXPECT_THAT(dumped, HasSubstr("build output \xEF\xBF\xBD\xEF\xBF\xBD ends"));
  Event e = FullEvent();
  e.message = "bad \xC3";
  e.fields["\xFF"] = "\xFF";
  EXPECT_EQ(json::parse(ToJsonText(e)), json::parse(StoredJson(e).dump()));
}

}  // namespace
}  // namespace odmd::reconcile
