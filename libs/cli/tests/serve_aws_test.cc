// `odmd serve --aws-config FILE`: the settings file is read before anything else (a bad one
// stops serve with an error naming the file and the key, and creates nothing), and serve
// says which accounts are AWS targets and where AWS is, never with a credential.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <random>
#include <set>
#include <string>

#include "odmd/aws/ssm.h"
#include "odmd/testing/moto_event_queue.h"
#include "odmd/testing/moto_server.h"
#include "store_cli_fixture.h"

namespace odmd::cli {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::Not;

class ServeAwsConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::random_device rd;
    root_ = fs::temp_directory_path() / ("odmd-serve-aws-" + std::to_string(rd()));
    fs::create_directories(root_);
    ::setenv("AWS_ACCESS_KEY_ID", "AKIDSERVETEST", 1);
    ::setenv("AWS_SECRET_ACCESS_KEY", "serve-test-secret-value", 1);
    ::setenv("AWS_REGION", "us-east-1", 1);
  }
  void TearDown() override {
    ::unsetenv("AWS_ACCESS_KEY_ID");
    ::unsetenv("AWS_SECRET_ACCESS_KEY");
    ::unsetenv("AWS_REGION");
    std::error_code ec;
    fs::remove_all(root_, ec);
  }

  std::string WriteConfig(const std::string& text) {
    const fs::path p = root_ / "aws.json";
    std::ofstream(p) << text;
    return p.string();
  }

  std::vector<std::string> Serve(const std::string& config) {
    return {"serve",    "--state-dir",  (root_ / "state").string(),
            "--listen", "127.0.0.1:0",  "--sandbox",
            "none",     "--aws-config", config,
            "--once"};
  }

  fs::path root_;
};

TEST_F(ServeAwsConfigTest, ABadFileStopsServeNamingTheFileAndKeyAndCreatesNothing) {
  const std::string config = WriteConfig(R"({"accounts": ["111111111111", "12"]})");
  Child child(Serve(config));
  ChildResult r = child.Finish();
  EXPECT_NE(r.exit_code, 0) << r.out << r.err;
  EXPECT_THAT(r.err, HasSubstr(config));
  EXPECT_THAT(r.err, HasSubstr("\"/accounts/1\""));
  EXPECT_FALSE(fs::exists(root_ / "state")) << "a bad --aws-config created the state directory";
}

TEST_F(ServeAwsConfigTest, AMissingFileStopsServe) {
  Child child(Serve((root_ / "absent.json").string()));
  ChildResult r = child.Finish();
  EXPECT_NE(r.exit_code, 0) << r.out << r.err;
  EXPECT_THAT(r.err, HasSubstr("absent.json"));
  EXPECT_FALSE(fs::exists(root_ / "state"));
}

TEST_F(ServeAwsConfigTest, ServeNamesTheAwsAccountsAndTheEndpointButNoCredential) {
  // Nothing listens there: serve only says where AWS is (nothing is written: no products).
  const std::string config = WriteConfig(R"({"endpoint_url": "http://localhost:9",
      "accounts": ["222222222222", "111111111111"], "products": {"event_bus": "odmd-bus"}})");
  Child child(Serve(config));
  ChildResult r = child.Finish();
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_THAT(r.err, HasSubstr("AWS target accounts: 111111111111, 222222222222"));
  EXPECT_THAT(r.err, HasSubstr("AWS endpoint: http://localhost:9 (region us-east-1)"));
  EXPECT_THAT(r.err, HasSubstr("\"odmd-bus\""));
  EXPECT_THAT(r.out + r.err, Not(HasSubstr("serve-test-secret-value")));
  EXPECT_THAT(r.out + r.err, Not(HasSubstr("AKIDSERVETEST")));
}

// Polls `done` until it holds or kWaitLimit passes.
bool Eventually(const std::function<bool()>& done) {
  const auto end = std::chrono::steady_clock::now() + kWaitLimit;
  while (!done()) {
    if (std::chrono::steady_clock::now() > end) return false;
    ::usleep(20000);
  }
  return true;
}

// Kill -9 of `odmd serve --aws-config` between a product commit and its SSM write, and
// between its SSM write and its event, then a restart: SSM holds exactly one version per
// store version and every version's event arrived once.
TEST_F(ServeAwsConfigTest, KilledBetweenCommitAndAwsWritesResumesWithoutLossOrDuplicate) {
  odmd::testing::MotoServer moto;
  ASSERT_TRUE(moto.ok()) << moto.error();
  aws::AwsConfig central;
  central.region = "us-east-1";
  central.credentials = {"AKIDSERVETEST", "serve-test-secret-value", ""};
  central.endpoint_url = moto.url();
  std::unique_ptr<aws::Transport> transport = aws::NewCurlTransport();
  aws::AwsClient client(central, *transport, aws::RealSleeper());
  aws::SsmClient ssm(client);
  Result<odmd::testing::MotoEventQueue> queue =
      odmd::testing::MotoEventQueue::Create(client, "crash", "default", "odmd");
  ASSERT_TRUE(queue.ok()) << queue.status();
  const std::string config =
      WriteConfig(R"({"endpoint_url": ")" + moto.url() + R"(", "accounts": []})");
  const std::string db = (root_ / "state.db").string();
  std::vector<std::string> serve = {
      "serve",    "--store",     "sqlite:" + db, "--state-dir", (root_ / "state").string(),
      "--listen", "127.0.0.1:0", "--sandbox",    "none",        "--aws-config",
      config};
  std::map<std::string, std::set<int64_t>> seen;  // path -> event versions
  int duplicates = 0;
  auto receive = [&] {
    Result<std::vector<nlohmann::json>> got = queue->Receive(1);
    if (!got.ok()) return;
    for (const nlohmann::json& e : *got) {
      const nlohmann::json& d = e["detail"];
      if (!seen[d.value("path", "")].insert(d.value("version", int64_t{0})).second) ++duplicates;
    }
  };
  const std::vector<std::string> points = {"aws_mirror.change_seen:2", "aws_mirror.ssm_written:2",
                                           "aws_mirror.change_seen:1"};
  for (size_t i = 0; i < points.size(); ++i) {
    SCOPED_TRACE(points[i]);
    const std::string path = "/odmd-share/svc/b..main/url" + std::to_string(i);
    ::setenv("ODMD_TEST_CRASH_AT", points[i].c_str(), 1);
    {
      Child first(serve);
      auto store = store::OpenConfigStore({"sqlite:" + db});
      ASSERT_TRUE(store.ok()) << store.status();
      for (int v = 1; v <= 3; ++v) {
        ASSERT_TRUE((*store)->Put(path, "value-" + std::to_string(v), std::nullopt).ok());
      }
      ChildResult killed = first.Finish();
      ASSERT_EQ(killed.exit_code, -1) << "serve was not killed at " << points[i] << "\n"
                                      << killed.err;
    }
    ::unsetenv("ODMD_TEST_CRASH_AT");
    Child second(serve);
    EXPECT_TRUE(Eventually([&] {
      Result<std::vector<aws::Parameter>> h = ssm.GetParameterHistory(path);
      receive();
      return h.ok() && h->size() >= 3 && seen[path].size() >= 3;
    })) << "not caught up after the restart";
    receive();
    Result<std::vector<aws::Parameter>> h = ssm.GetParameterHistory(path);
    ASSERT_TRUE(h.ok()) << h.status();
    ASSERT_EQ(h->size(), 3u) << "SSM history is not one version per store version";
    for (int v = 1; v <= 3; ++v) {
      EXPECT_EQ((*h)[v - 1].version, v);
      EXPECT_EQ((*h)[v - 1].value, "value-" + std::to_string(v));
    }
    EXPECT_EQ(seen[path], (std::set<int64_t>{1, 2, 3}));
  }
  EXPECT_EQ(duplicates, 0) << "an event arrived twice";
}

}  // namespace
}  // namespace odmd::cli
