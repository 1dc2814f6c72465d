// RecordingRunner: records what was run and answers from its script.

#include "odmd/testing/recording_runner.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "odmd/testing/status_matchers.h"

namespace odmd::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

reconcile::RunRequest Request(std::vector<std::string> argv) {
  reconcile::RunRequest r;
  r.argv = std::move(argv);
  return r;
}

TEST(RecordingRunnerTest, RecordsCommandsAndSucceedsByDefault) {
  RecordingRunner runner;
  reconcile::RunRequest r = Request({"/bin/sh", "build.sh", "--fast"});
  r.working_dir = "/clones/a";
  r.env = {{"ODMD_ENVER", "a/b..main"}};
  Result<reconcile::RunResult> result = runner.Run(r);
  ASSERT_THAT(result, IsOk());
  EXPECT_TRUE(result->succeeded());
  ASSERT_THAT(runner.Run(Request({"make"})), IsOk());
  EXPECT_THAT(runner.commands_ran(), ElementsAre("/bin/sh build.sh --fast", "make"));
  ASSERT_EQ(runner.requests().size(), 2u);
  EXPECT_EQ(runner.requests()[0].working_dir, "/clones/a");
  EXPECT_EQ(runner.requests()[0].env.at("ODMD_ENVER"), "a/b..main");
}

TEST(RecordingRunnerTest, ReturnsScriptedResultsInOrderWithTheirLogs) {
  RecordingRunner runner;
  reconcile::RunResult failed;
  failed.exit_code = 2;
  runner.AddResult(failed, "boom\n");
  runner.AddError(NotFoundError("could not start \"x\""));

  std::string log;
  reconcile::RunRequest r = Request({"build"});
  r.log_sink = [&](std::string_view chunk) { log += chunk; };
  Result<reconcile::RunResult> first = runner.Run(r);
  ASSERT_THAT(first, IsOk());
  EXPECT_EQ(first->exit_code, 2);
  EXPECT_EQ(first->log_bytes, 5u);
  EXPECT_EQ(log, "boom\n");
  EXPECT_THAT(runner.Run(r), StatusIs(StatusCode::kNotFound, HasSubstr("\"x\"")));
  Result<reconcile::RunResult> third = runner.Run(r);
  ASSERT_THAT(third, IsOk());
  EXPECT_EQ(third->exit_code, 0);
  EXPECT_EQ(runner.commands_ran().size(), 3u);
}

}  // namespace
}  // namespace odmd::testing
