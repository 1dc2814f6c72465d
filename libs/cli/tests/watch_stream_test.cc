// StreamWatch (src/watch_stream.h) against a scripted store: the failure paths a real
// SQLite store cannot be made to take on demand.
#include "watch_stream.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <sstream>
#include <vector>

#include "odmd/testing/fake_clock.h"

namespace odmd::cli {
namespace {

using ::testing::HasSubstr;

// A store whose Watch delivers `events` at once and then reports `status` (or fails to
// start with `start`). Everything else is unimplemented.
class ScriptedWatchStore final : public store::ConfigStore {
 public:
  std::vector<store::ChangeEvent> events;
  Status status;
  Status start;

  Result<store::Entry> Get(std::string_view) override { return Unused(); }
  Result<store::Entry> GetVersion(std::string_view, store::Version) override { return Unused(); }
  Result<store::WriteResult> Put(std::string_view, std::string_view,
                                 std::optional<store::Revision>) override {
    return Unused();
  }
  Result<store::WriteResult> Delete(std::string_view, std::optional<store::Revision>) override {
    return Unused();
  }
  Result<std::vector<store::WriteResult>> WriteBatch(std::span<const store::BatchOp>) override {
    return Unused();
  }
  Result<std::vector<store::Entry>> List(std::string_view) override { return Unused(); }
  Result<std::vector<store::Entry>> History(std::string_view) override { return Unused(); }
  Result<store::Revision> LatestRevision() override { return Unused(); }
  Result<store::WatchHandlePtr> Watch(std::string_view, store::Revision,
                                      store::ChangeSink sink) override {
    if (!start.ok()) return start;
    for (const store::ChangeEvent& e : events) sink(e);
    return store::WatchHandlePtr(new Handle(status));
  }

 private:
  class Handle final : public store::WatchHandle {
   public:
    explicit Handle(Status status) : status_(std::move(status)) {}
    Status status() const override { return status_; }

   private:
    Status status_;
  };
  static Status Unused() { return UnimplementedError("not used by StreamWatch"); }
};

store::ChangeEvent Event(store::Revision revision, std::string key, std::string value) {
  store::ChangeEvent e;
  e.revision = revision;
  e.key = std::move(key);
  e.value = std::move(value);
  e.version = 1;
  return e;
}

class StreamWatchTest : public ::testing::Test {
 protected:
  int Stream(std::ostream& out, const WatchStreamOptions& options) {
    Io io{out, err_, clock_};
    return StreamWatch(io, store_, options);
  }

  testing::FakeClock clock_;
  ScriptedWatchStore store_;
  std::ostringstream err_;
};

TEST_F(StreamWatchTest, AFailedWatchPrintsWhatItDeliveredThenEndsWithTheError) {
  store_.events = {Event(5, "/a", "one")};
  store_.status = UnavailableError("connection to the store lost");
  std::ostringstream out;
  EXPECT_EQ(Stream(out, {}), 1);
  EXPECT_EQ(nlohmann::json::parse(out.str())["value"], "one");
  EXPECT_THAT(err_.str(), HasSubstr("watch stopped: connection to the store lost"));
}

TEST_F(StreamWatchTest, AWatchThatCannotStartIsReported) {
  store_.start = InvalidArgumentError("prefix \"x\" must start with '/'");
  std::ostringstream out;
  WatchStreamOptions options;
  options.json = true;
  EXPECT_EQ(Stream(out, options), 1);
  nlohmann::json j = nlohmann::json::parse(out.str());
  EXPECT_EQ(j["ok"], false);
  EXPECT_EQ(j["error"]["code"], "INVALID_ARGUMENT");
  EXPECT_THAT(err_.str(), ::testing::Not(HasSubstr("watching")));
}

TEST_F(StreamWatchTest, AnOutputThatFailsEndsTheStream) {
  store_.events = {Event(1, "/a", "one")};
  std::ostream broken(nullptr);  // every write sets badbit
  EXPECT_EQ(Stream(broken, {}), 1);
  EXPECT_THAT(err_.str(), HasSubstr("cannot write the output"));
}

TEST_F(StreamWatchTest, CountStopsTheStreamEvenWithMoreEventsQueued) {
  store_.events = {Event(1, "/a", "1"), Event(2, "/a", "2"), Event(3, "/a", "3")};
  std::ostringstream out;
  WatchStreamOptions options;
  options.count = 2;
  EXPECT_EQ(Stream(out, options), 0);
  EXPECT_EQ(out.str(),
            "{\"key\":\"/a\",\"kind\":\"put\",\"previous_revision\":0,\"revision\":1,\"value\":"
            "\"1\",\"version\":1}\n"
            "{\"key\":\"/a\",\"kind\":\"put\",\"previous_revision\":0,\"revision\":2,\"value\":"
            "\"2\",\"version\":1}\n");
}

}  // namespace
}  // namespace odmd::cli
