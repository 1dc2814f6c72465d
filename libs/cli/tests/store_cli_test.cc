// odmd store put|get|history|ls|rm|watch, run in process through odmd::cli::Main on a
// temporary SQLite store (and, for watch across processes, the real binary).
#include <csignal>
#include <cstdlib>

#include "odmd/base/strings.h"
#include "store_cli_fixture.h"

namespace odmd::cli {
namespace {

using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

class StoreCliTest : public StoreCliFixture {};

TEST_F(StoreCliTest, PutAndGetRoundTripInText) {
  ASSERT_EQ(Run({"store", "put", "/app/greeting", "hello"}), 0) << err_;
  EXPECT_EQ(out_, "put /app/greeting: version 1 at revision 1\n");
  ASSERT_EQ(Run({"store", "get", "/app/greeting"}), 0) << err_;
  EXPECT_EQ(out_, "hello");  // exactly the bytes: no newline added
}

TEST_F(StoreCliTest, PutAndGetRoundTripInJson) {
  ASSERT_EQ(Run({"store", "put", "/app/greeting", "hello", "--json"}), 0) << err_;
  EXPECT_EQ(Json(), (nlohmann::json{{"key", "/app/greeting"}, {"revision", 1}, {"version", 1}}));
  ASSERT_EQ(Run({"store", "put", "/app/greeting", "hi", "--json"}), 0) << err_;
  EXPECT_EQ(Json()["version"], 2);
  ASSERT_EQ(Run({"store", "get", "/app/greeting", "--json"}), 0) << err_;
  EXPECT_EQ(
      Json(),
      (nlohmann::json{{"key", "/app/greeting"}, {"value", "hi"}, {"version", 2}, {"revision", 2}}));
}

TEST_F(StoreCliTest, PutFromFileKeepsEveryByte) {
  const std::string bytes("line\n\0\xff\xfe end\n", 13);
  ASSERT_EQ(Run({"store", "put", "/app/blob", "--file", Write("blob.bin", bytes)}), 0) << err_;
  ASSERT_EQ(Run({"store", "get", "/app/blob"}), 0) << err_;
  EXPECT_EQ(out_, bytes);
  // Not UTF-8: JSON carries it as base64.
  ASSERT_EQ(Run({"store", "get", "/app/blob", "--json"}), 0) << err_;
  EXPECT_FALSE(Json().contains("value"));
  EXPECT_EQ(Json()["value_base64"], "bGluZQoA//4gZW5kCg==");
}

TEST_F(StoreCliTest, Utf8ValuesStayTextInJson) {
  ASSERT_EQ(Run({"store", "put", "/app/name", "Zoë ☕"}), 0) << err_;
  ASSERT_EQ(Run({"store", "get", "/app/name", "--json"}), 0) << err_;
  EXPECT_EQ(Json()["value"], "Zoë ☕");
  EXPECT_FALSE(Json().contains("value_base64"));
}

TEST_F(StoreCliTest, GetVersionReadsAnOlderVersion) {
  ASSERT_EQ(Run({"store", "put", "/k", "one"}), 0) << err_;
  ASSERT_EQ(Run({"store", "put", "/k", "two"}), 0) << err_;
  ASSERT_EQ(Run({"store", "get", "/k", "--version", "1"}), 0) << err_;
  EXPECT_EQ(out_, "one");
  EXPECT_EQ(Run({"store", "get", "/k", "--version", "9", "--json"}), 1);
  EXPECT_EQ(JsonErrorCode(), "NOT_FOUND");
  EXPECT_THAT(Json()["error"]["message"].get<std::string>(), HasSubstr("/k"));
  EXPECT_EQ(Run({"store", "get", "/k", "--version", "0"}), 2);  // versions start at 1
}

TEST_F(StoreCliTest, GetMissingKeyFailsNamingIt) {
  EXPECT_EQ(Run({"store", "get", "/nothing/here"}), 1);
  EXPECT_THAT(err_, HasSubstr("/nothing/here"));
  EXPECT_EQ(out_, "");
  EXPECT_EQ(Run({"store", "get", "/nothing/here", "--json"}), 1);
  EXPECT_EQ(Json()["ok"], false);
  EXPECT_EQ(JsonErrorCode(), "NOT_FOUND");
}

TEST_F(StoreCliTest, MalformedKeyIsRejectedAndNothingWritten) {
  EXPECT_EQ(Run({"store", "put", "relative/key", "v"}), 1);
  EXPECT_THAT(err_, AllOf(HasSubstr("\"relative/key\""), HasSubstr("must start with '/'")));
  EXPECT_EQ(Run({"store", "put", "", "v", "--json"}), 1);
  EXPECT_EQ(JsonErrorCode(), "INVALID_ARGUMENT");
  EXPECT_EQ(Latest(), 0);
}

TEST_F(StoreCliTest, ValueAndFileTogetherIsAUsageError) {
  EXPECT_EQ(Run({"store", "put", "/k", "v", "--file", Write("v.txt", "w")}), 2);
  EXPECT_THAT(err_, HasSubstr("not both"));
  EXPECT_EQ(Latest(), 0);
}

TEST_F(StoreCliTest, NoValueIsAUsageError) {
  EXPECT_EQ(Run({"store", "put", "/k"}), 2);
  EXPECT_THAT(err_, HasSubstr("no value"));
  EXPECT_EQ(Latest(), 0);
}

TEST_F(StoreCliTest, UnreadableFileFailsNamingIt) {
  const std::string missing = (dir_ / "missing.txt").string();
  EXPECT_EQ(Run({"store", "put", "/k", "--file", missing}), 1);
  EXPECT_THAT(err_, HasSubstr(missing));
  EXPECT_EQ(Latest(), 0);
}

TEST_F(StoreCliTest, CompareAndSetWinsAndLoses) {
  ASSERT_EQ(Run({"store", "put", "/k", "v1", "--if-revision", "0"}), 0) << err_;  // absent
  ASSERT_EQ(Run({"store", "put", "/k", "v2", "--if-revision", "1"}), 0) << err_;
  EXPECT_EQ(out_, "put /k: version 2 at revision 2\n");
  // Lost: the key is at revision 2 now.
  EXPECT_EQ(Run({"store", "put", "/k", "v3", "--if-revision", "1"}), 1);
  EXPECT_THAT(err_, AllOf(HasSubstr("\"/k\""), HasSubstr("revision 2")));
  EXPECT_EQ(Run({"store", "put", "/k", "v3", "--if-revision", "0", "--json"}), 1);
  EXPECT_EQ(JsonErrorCode(), "ABORTED");
  EXPECT_EQ(Latest(), 2);
  ASSERT_EQ(Run({"store", "get", "/k"}), 0);
  EXPECT_EQ(out_, "v2");
  EXPECT_EQ(Run({"store", "put", "/k", "v3", "--if-revision", "-1"}), 2);
}

TEST_F(StoreCliTest, RemoveLeavesHistoryAndHonoursCompareAndSet) {
  ASSERT_EQ(Run({"store", "put", "/k", "a"}), 0) << err_;
  EXPECT_EQ(Run({"store", "rm", "/k", "--if-revision", "7", "--json"}), 1);
  EXPECT_EQ(JsonErrorCode(), "ABORTED");
  EXPECT_EQ(Latest(), 1);
  ASSERT_EQ(Run({"store", "rm", "/k", "--if-revision", "1"}), 0) << err_;
  EXPECT_EQ(out_, "deleted /k: version 2 at revision 2\n");
  EXPECT_EQ(Run({"store", "get", "/k"}), 1);
  EXPECT_THAT(err_, HasSubstr("/k"));
  EXPECT_EQ(Run({"store", "rm", "/k", "--json"}), 1);
  EXPECT_EQ(JsonErrorCode(), "NOT_FOUND");
  EXPECT_EQ(Latest(), 2);
}

TEST_F(StoreCliTest, HistoryListsEveryVersionWithDeletes) {
  ASSERT_EQ(Run({"store", "put", "/k", "a"}), 0);
  ASSERT_EQ(Run({"store", "put", "/other", "x"}), 0);
  ASSERT_EQ(Run({"store", "put", "/k", "b c"}), 0);
  ASSERT_EQ(Run({"store", "rm", "/k"}), 0);
  ASSERT_EQ(Run({"store", "history", "/k"}), 0) << err_;
  EXPECT_THAT(Lines(out_),
              ElementsAre("1\t1\tput\t\"a\"", "2\t3\tput\t\"b c\"", "3\t4\tdelete\t<deleted>"));
  ASSERT_EQ(Run({"store", "history", "/k", "--json"}), 0) << err_;
  nlohmann::json j = Json();
  ASSERT_EQ(j.size(), 3u);
  EXPECT_EQ(j[0],
            (nlohmann::json{
                {"key", "/k"}, {"kind", "put"}, {"revision", 1}, {"value", "a"}, {"version", 1}}));
  EXPECT_EQ(j[2],
            (nlohmann::json{{"key", "/k"}, {"kind", "delete"}, {"revision", 4}, {"version", 3}}));
  EXPECT_EQ(Run({"store", "history", "/never"}), 1);
  EXPECT_THAT(err_, HasSubstr("/never"));
}

TEST_F(StoreCliTest, ListShowsKeysUnderAPrefix) {
  ASSERT_EQ(Run({"store", "put", "/a/x", "1"}), 0);
  ASSERT_EQ(Run({"store", "put", "/a/y", "two\nlines"}), 0);
  ASSERT_EQ(Run({"store", "put", "/b/z", "3"}), 0);
  ASSERT_EQ(Run({"store", "rm", "/a/x"}), 0);
  ASSERT_EQ(Run({"store", "ls"}), 0) << err_;
  EXPECT_THAT(Lines(out_), ElementsAre("/a/y\t1\t2", "/b/z\t1\t3"));
  ASSERT_EQ(Run({"store", "ls", "/a/", "--values"}), 0) << err_;
  EXPECT_THAT(Lines(out_), ElementsAre("/a/y\t1\t2\t\"two\\x0alines\""));  // one line per key
  ASSERT_EQ(Run({"store", "ls", "/b", "--json"}), 0) << err_;
  EXPECT_EQ(Json(), nlohmann::json::array({{{"key", "/b/z"}, {"version", 1}, {"revision", 3}}}));
  ASSERT_EQ(Run({"store", "ls", "/b", "--json", "--values"}), 0) << err_;
  EXPECT_EQ(Json()[0]["value"], "3");
  ASSERT_EQ(Run({"store", "ls", "/c/"}), 0);
  EXPECT_EQ(out_, "");
  EXPECT_EQ(Run({"store", "ls", "no-slash"}), 1);
  EXPECT_THAT(err_, HasSubstr("\"no-slash\""));
}

TEST_F(StoreCliTest, UnknownStoreSchemeFailsNamingIt) {
  EXPECT_EQ(RunRaw({"store", "put", "/k", "v", "--store", "redis://localhost"}), 1);
  EXPECT_THAT(err_, AllOf(HasSubstr("unknown scheme \"redis\""), HasSubstr("sqlite:")));
  EXPECT_EQ(RunRaw({"store", "ls", "--store", "nocolon", "--json"}), 1);
  EXPECT_EQ(JsonErrorCode(), "INVALID_ARGUMENT");
  EXPECT_EQ(Latest(), 0);
}

TEST_F(StoreCliTest, StoreComesFromTheEnvironment) {
  ASSERT_EQ(::setenv("ODMD_STORE", url_.c_str(), 1), 0);
  ASSERT_EQ(RunRaw({"store", "put", "/from/env", "yes"}), 0) << err_;
  ::unsetenv("ODMD_STORE");
  EXPECT_EQ(Latest(), 1);
  ASSERT_EQ(Run({"store", "get", "/from/env"}), 0) << err_;
  EXPECT_EQ(out_, "yes");
}

TEST_F(StoreCliTest, RawPutOfASecretKeyIsRefused) {
  EXPECT_EQ(Run({"store", "put", "/odmd/secrets/svcA/b..main/pw", "plain"}), 1);
  EXPECT_THAT(err_, AllOf(HasSubstr("/odmd/secrets/svcA/b..main/pw"), HasSubstr("secret put")));
  EXPECT_EQ(Latest(), 0);
}

TEST_F(StoreCliTest, WatchReplaysTheBacklogFromARevision) {
  ASSERT_EQ(Run({"store", "put", "/a/x", "1"}), 0);
  ASSERT_EQ(Run({"store", "put", "/b/y", "2"}), 0);
  ASSERT_EQ(Run({"store", "put", "/a/x", "3"}), 0);
  ASSERT_EQ(Run({"store", "rm", "/a/x"}), 0);
  ASSERT_EQ(Run({"store", "watch", "--from", "0", "--count", "4"}), 0) << err_;
  std::vector<std::string> lines = Lines(out_);
  ASSERT_EQ(lines.size(), 4u) << out_;
  EXPECT_EQ(nlohmann::json::parse(lines[0]), (nlohmann::json{{"revision", 1},
                                                             {"key", "/a/x"},
                                                             {"kind", "put"},
                                                             {"version", 1},
                                                             {"previous_revision", 0},
                                                             {"value", "1"}}));
  EXPECT_EQ(nlohmann::json::parse(lines[2])["previous_revision"], 1);
  EXPECT_EQ(nlohmann::json::parse(lines[3]), (nlohmann::json{{"revision", 4},
                                                             {"key", "/a/x"},
                                                             {"kind", "delete"},
                                                             {"version", 3},
                                                             {"previous_revision", 3}}));
  // From a revision, under a prefix.
  ASSERT_EQ(Run({"store", "watch", "/a/", "--from", "1", "--count", "2"}), 0) << err_;
  lines = Lines(out_);
  ASSERT_EQ(lines.size(), 2u) << out_;
  EXPECT_EQ(nlohmann::json::parse(lines[0])["revision"], 3);
  EXPECT_EQ(nlohmann::json::parse(lines[1])["revision"], 4);
  EXPECT_THAT(err_, HasSubstr("watching \"/a/\" after revision 1"));
}

TEST_F(StoreCliTest, WatchSendsValuesThatAreNotUtf8AsBase64) {
  ASSERT_EQ(Run({"store", "put", "/bin", "--file", Write("b", std::string("\xff\x00", 2))}), 0);
  ASSERT_EQ(Run({"store", "watch", "--from", "0", "--count", "1"}), 0) << err_;
  nlohmann::json event = nlohmann::json::parse(out_);
  EXPECT_EQ(event["value_base64"], "/wA=");
  EXPECT_FALSE(event.contains("value"));
}

TEST_F(StoreCliTest, WatchWithAMalformedPrefixFails) {
  EXPECT_EQ(Run({"store", "watch", "nope", "--from", "0"}), 1);
  EXPECT_THAT(err_, HasSubstr("\"nope\""));
  EXPECT_EQ(Run({"store", "watch", "nope", "--json"}), 1);
  EXPECT_EQ(JsonErrorCode(), "INVALID_ARGUMENT");
  EXPECT_EQ(Run({"store", "watch", "--from", "-1"}), 2);
  EXPECT_EQ(Run({"store", "watch", "--count", "0"}), 2);
}

// The watch runs on a thread; the changes come through another store object on the same
// file while it runs. By default only changes after the latest revision are delivered.
TEST_F(StoreCliTest, WatchStreamsLiveChangesFromAnotherStoreObject) {
  ASSERT_EQ(Run({"store", "put", "/live/old", "before"}), 0);
  SyncBuf out, err;
  int code = -1;
  std::thread watch = RunAsync({"store", "watch", "/live/", "--count", "2"}, out, err, code);
  const bool started = err.WaitForText("after revision 1");
  store::ConfigStorePtr writer = OpenStore();
  ASSERT_TRUE(writer);
  ASSERT_TRUE(writer->Put("/elsewhere", "ignored", std::nullopt).ok());
  ASSERT_TRUE(writer->Put("/live/a", "A", std::nullopt).ok());
  ASSERT_TRUE(writer->Put("/live/a", "B", std::nullopt).ok());
  const bool delivered = out.WaitFor([](const std::string& s) { return CountLines(s) >= 2; });
  if (started && !delivered) std::raise(SIGTERM);  // unblock the watch so the test can end
  watch.join();
  ASSERT_TRUE(started) << err.str();
  ASSERT_TRUE(delivered) << "no live events; stdout: " << out.str() << " stderr: " << err.str();
  EXPECT_EQ(code, 0);
  std::vector<std::string> lines = Lines(out.str());
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(nlohmann::json::parse(lines[0]), (nlohmann::json{{"revision", 3},
                                                             {"key", "/live/a"},
                                                             {"kind", "put"},
                                                             {"version", 1},
                                                             {"previous_revision", 0},
                                                             {"value", "A"}}));
  EXPECT_EQ(nlohmann::json::parse(lines[1])["value"], "B");
}

TEST_F(StoreCliTest, WatchEndsWith130OnSigintAnd0OnSigterm) {
  for (const auto& [sig, expected] : {std::pair{SIGINT, 130}, std::pair{SIGTERM, 0}}) {
    SyncBuf out, err;
    int code = -1;
    std::thread watch = RunAsync({"store", "watch"}, out, err, code);
    const bool started = err.WaitForText("watching");
    // The stream's handler is installed before it says "watching"; raise() delivers the
    // signal to this thread, the handler wakes the stream through its pipe.
    if (started) std::raise(sig);
    watch.join();
    ASSERT_TRUE(started) << err.str();
    EXPECT_EQ(code, expected) << "signal " << sig;
    EXPECT_EQ(out.str(), "");
  }
  // The previous disposition is back after the stream ends.
  struct sigaction now = {};
  ASSERT_EQ(::sigaction(SIGINT, nullptr, &now), 0);
  EXPECT_EQ(now.sa_handler, SIG_DFL);
}

// `odmd store watch` in one process, `odmd store put` in others (the real binary).
TEST_F(StoreCliTest, WatchInOneProcessSeesPutsFromAnother) {
  ASSERT_EQ(Run({"store", "put", "/x/seed", "0"}), 0);
  Child watch({"store", "watch", "/x/", "--count", "2", "--store", url_});
  ASSERT_TRUE(watch.ReadUntil([](const std::string&, const std::string& err) {
    return err.find("watching") != std::string::npos;
  })) << watch.err();
  for (const char* value : {"one", "two"}) {
    Child put({"store", "put", "/x/k", value, "--store", url_});
    ChildResult r = put.Finish();
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  ChildResult r = watch.Finish();
  EXPECT_EQ(r.exit_code, 0) << r.err;
  std::vector<std::string> lines = Lines(r.out);
  ASSERT_EQ(lines.size(), 2u) << r.out << r.err;
  EXPECT_EQ(nlohmann::json::parse(lines[0])["value"], "one");
  EXPECT_EQ(nlohmann::json::parse(lines[1])["value"], "two");
  EXPECT_EQ(nlohmann::json::parse(lines[1])["revision"], 3);
}

TEST_F(StoreCliTest, BinaryWatchExits130OnSigint) {
  Child watch({"store", "watch", "--store", url_});
  ASSERT_TRUE(watch.ReadUntil([](const std::string&, const std::string& err) {
    return err.find("watching") != std::string::npos;
  })) << watch.err();
  ASSERT_EQ(::kill(watch.pid(), SIGINT), 0);
  EXPECT_EQ(watch.Finish().exit_code, 130);
}

TEST_F(StoreCliTest, BinaryPutReadsTheValueFromStdin) {
  Child put({"store", "put", "/from/stdin", "--file", "-", "--store", url_});
  put.WriteStdin("piped\nvalue");
  ChildResult r = put.Finish();
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ASSERT_EQ(Run({"store", "get", "/from/stdin"}), 0) << err_;
  EXPECT_EQ(out_, "piped\nvalue");
}

TEST_F(StoreCliTest, HelpDocumentsTheAdminDefault) {
  EXPECT_EQ(RunRaw({"store", "--help"}), 0);
  EXPECT_THAT(out_, AllOf(HasSubstr("ODMD_STORE"), HasSubstr("ODMD_TOKEN"), HasSubstr("admin")));
  EXPECT_THAT(out_, Not(HasSubstr("Error")));
}

}  // namespace
}  // namespace odmd::cli
