// Products to SSM and EventBridge (platform/aws_mirror.h) against a real moto_server: the
// store's versions become SSM's history one for one, each version is one event on the bus,
// a tombstone deletes the parameter, and an unreachable AWS is an event naming what failed,
// caught up once AWS answers. The products are written to the store as any writer would.
#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <filesystem>
#include <functional>
#include <random>
#include <thread>

#include "odmd/access/secrets.h"
#include "odmd/aws/ssm.h"
#include "odmd/reconcile/git.h"
#include "odmd/reconcile/platform.h"
#include "odmd/reconcile/runner.h"
#include "odmd/store/open_config_store.h"
#include "odmd/testing/moto_event_queue.h"
#include "odmd/testing/moto_server.h"
#include "odmd/testing/status_matchers.h"

namespace odmd::reconcile {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

constexpr char kPath[] = "/odmd-share/svc/b..main/url";
constexpr auto kDeadline = std::chrono::seconds(60);

// Polls `done` until it holds or the deadline passes.
bool Eventually(const std::function<bool()>& done) {
  const auto end = std::chrono::steady_clock::now() + kDeadline;
  while (!done()) {
    if (std::chrono::steady_clock::now() > end) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return true;
}

int FreeLoopbackPort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  int port = -1;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), len) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  ::close(fd);
  return port;
}

class AwsMirrorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::random_device rd;
    root_ = fs::temp_directory_path() / ("odmd-aws-mirror-" + std::to_string(rd()));
    fs::create_directories(root_ / "state");
    std::array<unsigned char, 32> key{};
    key[0] = 9;
    box_ = std::make_unique<access::SecretBox>(access::SecretBox::FromKey(key));
    git_ = NewCliGit();
    runner_ = NewProcessRunner(clock_, std::chrono::milliseconds(200));
    auto store = store::OpenConfigStore({"sqlite:" + (root_ / "state.db").string()});
    ODMD_ASSERT_OK(store);
    store_ = std::move(store).value();
  }
  void TearDown() override {
    if (platform_) platform_->Stop();
    platform_.reset();
    std::error_code ec;
    fs::remove_all(root_, ec);
  }

  AwsSettings Settings(const std::string& endpoint, const std::string& bus = "default") {
    AwsSettings s;
    s.central.region = "us-east-1";
    s.central.credentials = {"testing", "testing", ""};
    s.central.endpoint_url = endpoint;
    s.event_bus = bus;
    return s;
  }

  void StartPlatform(const AwsSettings& settings) {
    PlatformOptions o;
    o.state_dir = (root_ / "state").string();
    o.start_workers = false;
    o.aws = settings;
    platform_ = std::make_unique<Platform>(*store_, *git_, *runner_, clock_, *box_, o);
    ODMD_ASSERT_OK(platform_->Start());
  }

  // A client of the moto at `endpoint`, as the test's own eyes.
  void Connect(const std::string& endpoint) {
    transport_ = aws::NewCurlTransport();
    client_ = std::make_unique<aws::AwsClient>(Settings(endpoint).central, *transport_,
                                               aws::RealSleeper());
    ssm_ = std::make_unique<aws::SsmClient>(*client_);
  }

  std::vector<aws::Parameter> SsmHistory(const std::string& name) {
    Result<std::vector<aws::Parameter>> h = ssm_->GetParameterHistory(name);
    return h.ok() ? *h : std::vector<aws::Parameter>{};
  }

  // Receives until `n` events arrived (or the deadline), then once more to catch extras.
  std::vector<nlohmann::json> ReceiveEvents(testing::MotoEventQueue& queue, size_t n) {
    std::vector<nlohmann::json> got;
    Eventually([&] {
      Result<std::vector<nlohmann::json>> r = queue.Receive(1);
      if (r.ok()) got.insert(got.end(), r->begin(), r->end());
      return got.size() >= n;
    });
    Result<std::vector<nlohmann::json>> extra = queue.Receive(1);
    if (extra.ok()) got.insert(got.end(), extra->begin(), extra->end());
    return got;
  }

  std::vector<nlohmann::json> PlatformEvents(const std::string& kind) {
    std::vector<nlohmann::json> out;
    Result<std::vector<store::Entry>> all = store_->List("/odmd/events/");
    if (!all.ok()) return out;
    for (const store::Entry& e : *all) {
      nlohmann::json j = nlohmann::json::parse(e.value, nullptr, false);
      if (j.value("kind", "") == kind) out.push_back(j);
    }
    return out;
  }

  fs::path root_;
  SystemClock clock_;
  std::unique_ptr<access::SecretBox> box_;
  std::unique_ptr<Git> git_;
  std::unique_ptr<Runner> runner_;
  store::ConfigStorePtr store_;
  std::unique_ptr<Platform> platform_;
  std::unique_ptr<aws::Transport> transport_;
  std::unique_ptr<aws::AwsClient> client_;
  std::unique_ptr<aws::SsmClient> ssm_;
};

TEST_F(AwsMirrorTest, EveryVersionIsOneSsmVersionAndOneEvent) {
  testing::MotoServer moto;
  ASSERT_TRUE(moto.ok()) << moto.error();
  Connect(moto.url());
  Result<testing::MotoEventQueue> queue =
      testing::MotoEventQueue::Create(*client_, "products", "default", "odmd");
  ODMD_ASSERT_OK(queue);
  StartPlatform(Settings(moto.url()));
  std::vector<store::WriteResult> writes;
  for (const char* v : {"https://one", "https://two", "https://three"}) {
    Result<store::WriteResult> w = store_->Put(kPath, v, std::nullopt);
    ODMD_ASSERT_OK(w);
    writes.push_back(*w);
  }
  ASSERT_TRUE(Eventually([&] { return SsmHistory(kPath).size() >= 3; }))
      << "SSM never got the three versions";
  const std::vector<aws::Parameter> history = SsmHistory(kPath);
  ASSERT_EQ(history.size(), 3u);
  const char* values[] = {"https://one", "https://two", "https://three"};
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(history[i].version, static_cast<int64_t>(i + 1));
    EXPECT_EQ(history[i].value, values[i]);
  }
  const std::vector<nlohmann::json> events = ReceiveEvents(*queue, 3);
  ASSERT_EQ(events.size(), 3u) << nlohmann::json(events).dump();
  std::set<int64_t> versions;
  for (const nlohmann::json& e : events) {
    EXPECT_EQ(e.value("source", ""), "odmd");
    EXPECT_EQ(e.value("detail-type", ""), "odmd.product.version");
    const nlohmann::json& d = e["detail"];
    EXPECT_EQ(d.value("producer", ""), "svc/b..main");
    EXPECT_EQ(d.value("product", ""), "url");
    EXPECT_EQ(d.value("path", ""), kPath);
    const int64_t v = d.value("version", int64_t{0});
    versions.insert(v);
    ASSERT_GE(v, 1);
    ASSERT_LE(v, 3);
    EXPECT_EQ(d.value("revision", int64_t{0}), writes[v - 1].revision);
  }
  EXPECT_EQ(versions, (std::set<int64_t>{1, 2, 3}));
  // The cursor names the last change mirrored; consumed versions are not products.
  ODMD_ASSERT_OK(store_->Put("/odmd-share/svc/b..main/share..version", "{}", std::nullopt));
  ASSERT_TRUE(Eventually([&] {
    Result<store::Entry> c = store_->Get("/odmd/aws/mirror/cursor");
    return c.ok() && c->value == std::to_string(writes.back().revision);
  }));
  EXPECT_TRUE(IsNotFound(ssm_->GetParameter("/odmd-share/svc/b..main/share..version").status()));
  EXPECT_TRUE(PlatformEvents("aws.mirror.failed").empty());
}

TEST_F(AwsMirrorTest, ATombstoneDeletesTheParameterAndANewLifeStartsAtVersionOne) {
  testing::MotoServer moto;
  ASSERT_TRUE(moto.ok()) << moto.error();
  Connect(moto.url());
  AwsSettings settings = Settings(moto.url());
  settings.event_bus = "";  // SSM only
  StartPlatform(settings);
  const std::string path = "/odmd-share/svc/b..feature/url";
  ODMD_ASSERT_OK(store_->Put(path, "a", std::nullopt));
  ODMD_ASSERT_OK(store_->Put(path, "b", std::nullopt));
  ASSERT_TRUE(Eventually([&] { return SsmHistory(path).size() == 2; }));
  ODMD_ASSERT_OK(store_->Delete(path, std::nullopt));
  ASSERT_TRUE(Eventually([&] { return IsNotFound(ssm_->GetParameter(path).status()); }))
      << "the tombstoned product's parameter is still there";
  // Written again (a clone of the same name): store version 4 is SSM version 1.
  ODMD_ASSERT_OK(store_->Put(path, "c", std::nullopt));
  ASSERT_TRUE(Eventually([&] { return SsmHistory(path).size() == 1; }));
  const std::vector<aws::Parameter> h = SsmHistory(path);
  EXPECT_EQ(h[0].value, "c");
  EXPECT_EQ(h[0].version, 1);
}

TEST_F(AwsMirrorTest, UnreachableAwsIsAnEventNamingItAndIsCaughtUpLater) {
  const int port = FreeLoopbackPort();
  ASSERT_GT(port, 0);
  const std::string endpoint = "http://localhost:" + std::to_string(port);
  // A bus that does not exist yet: events wait until it does.
  StartPlatform(Settings(endpoint, "odmd-bus"));
  ODMD_ASSERT_OK(store_->Put(kPath, "first", std::nullopt));
  ODMD_ASSERT_OK(store_->Put(kPath, "second", std::nullopt));
  ASSERT_TRUE(Eventually([&] { return !PlatformEvents("aws.mirror.failed").empty(); }))
      << "no event says AWS is unreachable";
  const nlohmann::json failed = PlatformEvents("aws.mirror.failed").front();
  EXPECT_THAT(failed.value("message", ""), HasSubstr(kPath));
  EXPECT_THAT(failed.value("message", ""), HasSubstr("retrying"));
  EXPECT_EQ(failed["fields"].value("parameter", ""), kPath);
  EXPECT_EQ(failed["fields"].value("bus", ""), "odmd-bus");
  // Product puts never wait for AWS: both are in the store already.
  Result<store::Entry> latest = store_->Get(kPath);
  ODMD_ASSERT_OK(latest);
  EXPECT_EQ(latest->version, 2);

  testing::MotoServer moto(port);
  ASSERT_TRUE(moto.ok()) << moto.error();
  Connect(moto.url());
  // Version 1 reaches SSM; its event waits for the bus (events go in order, and so does
  // everything after them).
  ASSERT_TRUE(Eventually([&] { return SsmHistory(kPath).size() >= 1; }))
      << "SSM was not caught up; failures: "
      << nlohmann::json(PlatformEvents("aws.mirror.failed")).dump();
  // The bus is created before the rule that routes its events to the test's queue: an
  // event the mirror retried in between would be accepted and routed nowhere. So the
  // platform stops while the route is built, and the mirror resumes from its durable cursor.
  platform_->Stop();
  Result<testing::MotoEventQueue> queue =
      testing::MotoEventQueue::Create(*client_, "late", "odmd-bus", "odmd");
  ODMD_ASSERT_OK(queue);
  StartPlatform(Settings(endpoint, "odmd-bus"));
  const std::vector<nlohmann::json> events = ReceiveEvents(*queue, 2);
  ASSERT_EQ(events.size(), 2u) << nlohmann::json(events).dump();
  ASSERT_TRUE(Eventually([&] { return SsmHistory(kPath).size() >= 2; }));
  std::set<int64_t> versions;
  for (const auto& e : events) versions.insert(e["detail"].value("version", int64_t{0}));
  EXPECT_EQ(versions, (std::set<int64_t>{1, 2}));
  const std::vector<aws::Parameter> h = SsmHistory(kPath);
  ASSERT_EQ(h.size(), 2u);  // version 1 was not written again after the restart
  EXPECT_EQ(h[0].value, "first");
  EXPECT_EQ(h[1].value, "second");
}

TEST_F(AwsMirrorTest, AwsAnsweringAgainIsAnEvent) {
  const int port = FreeLoopbackPort();
  ASSERT_GT(port, 0);
  const std::string endpoint = "http://localhost:" + std::to_string(port);
  StartPlatform(Settings(endpoint));  // the default bus: there as soon as moto is
  ODMD_ASSERT_OK(store_->Put(kPath, "first", std::nullopt));
  ASSERT_TRUE(Eventually([&] { return !PlatformEvents("aws.mirror.failed").empty(); }));
  testing::MotoServer moto(port);
  ASSERT_TRUE(moto.ok()) << moto.error();
  Connect(moto.url());
  ASSERT_TRUE(Eventually([&] { return !PlatformEvents("aws.mirror.recovered").empty(); }))
      << nlohmann::json(PlatformEvents("aws.mirror.failed")).dump();
  EXPECT_EQ(SsmHistory(kPath).size(), 1u);
}

}  // namespace
}  // namespace odmd::reconcile
