#pragma once

// An ApiServer on 127.0.0.1:<ephemeral> over a real Platform on a SQLite store in a temp
// directory (FakeGit, RecordingRunner, FakeClock), and an httplib client for it.

#include <gtest/gtest.h>
#include <httplib.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <unistd.h>

#include <array>
#include <condition_variable>
#include <filesystem>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "odmd/access/secrets.h"
#include "odmd/access/tokens.h"
#include "odmd/api/server.h"
#include "odmd/reconcile/platform.h"
#include "odmd/store/open_config_store.h"
#include "odmd/testing/fake_clock.h"
#include "odmd/testing/fake_git.h"
#include "odmd/testing/recording_runner.h"

namespace odmd::api {

inline constexpr char kWebhookSecret[] = "It's a Secret to Everybody";

// "sha256=<hex HMAC-SHA256(secret, body)>", as GitHub signs deliveries.
inline std::string GitHubSignature(const std::string& secret, const std::string& body) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> mac{};
  unsigned int len = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(body.data()), body.size(), mac.data(), &len);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "sha256=";
  for (unsigned int i = 0; i < len; ++i) {
    out += kHex[mac[i] >> 4];
    out += kHex[mac[i] & 0xf];
  }
  return out;
}

// Reads an SSE response on a thread, collecting its bytes.
class StreamReader {
 public:
  StreamReader(int port, httplib::Headers headers, std::string path) {
    thread_ = std::thread([this, port, headers = std::move(headers), path = std::move(path)] {
      httplib::Client c("127.0.0.1", port);
      c.set_read_timeout(std::chrono::seconds(60));
      auto res = c.Get(path, headers, [this](const char* data, size_t n) {
        std::lock_guard lock(mu_);
        text_.append(data, n);
        cv_.notify_all();
        return !cancel_;
      });
      std::lock_guard lock(mu_);
      status_ = res ? res->status : -1;
      ended_ = true;
      cv_.notify_all();
    });
  }
  ~StreamReader() {
    {
      std::lock_guard lock(mu_);
      cancel_ = true;
    }
    if (thread_.joinable()) thread_.join();
  }
  bool WaitForText(const std::string& needle) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, std::chrono::seconds(60), [&] {
      return ended_ || text_.find(needle) != std::string::npos;
    }) && text_.find(needle) != std::string::npos;
  }
  bool WaitEnded() {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, std::chrono::seconds(60), [&] { return ended_; });
  }
  std::string text() {
    std::lock_guard lock(mu_);
    return text_;
  }
  // The response status once it ended (-1: no response).
  int status() {
    std::lock_guard lock(mu_);
    return status_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::string text_;
  bool ended_ = false, cancel_ = false;
  int status_ = 0;
  std::thread thread_;
};

class ApiFixture : public ::testing::Test {
 protected:
  void SetUp() override { StartServer(ApiOptions{.webhook_secret = kWebhookSecret}); }
  void TearDown() override {
    StopServer();
    std::filesystem::remove_all(dir_);
  }

  void StartServer(ApiOptions options) {
    dir_ = std::filesystem::temp_directory_path() /
           ("odmd_api_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_ / "state");
    store::StoreOptions store_options;
    store_options.url = "sqlite:" + (dir_ / "s.db").string();
    Result<store::ConfigStorePtr> s = store::OpenConfigStore(store_options);
    ASSERT_TRUE(s.ok()) << s.status();
    store_ = WrapStore(std::move(s).value());
    std::array<unsigned char, 32> key{};
    key.fill(7);
    secrets_ = std::make_unique<access::SecretBox>(access::SecretBox::FromKey(key));
    tokens_ = std::make_unique<access::TokenRegistry>(*store_, clock_);
    reconcile::PlatformOptions popts;
    popts.state_dir = (dir_ / "state").string();
    popts.start_workers = false;
    popts.webhook_secret = options.webhook_secret;
    platform_ =
        std::make_unique<reconcile::Platform>(*store_, git_, runner_, clock_, *secrets_, popts);
    // The platform's operations need Start() first (it loads the state).
    const Status started = platform_->Start();
    ASSERT_TRUE(started.ok() || started.code() == StatusCode::kUnimplemented) << started;
    server_ = std::make_unique<ApiServer>(*platform_, *tokens_, options);
    Result<int> port = server_->Listen("127.0.0.1", 0);
    ASSERT_TRUE(port.ok()) << port.status();
    port_ = *port;
    admin_ = Issue(access::Principal::Admin());
    viewer_ = Issue(access::Principal::Viewer());
  }

  // The store the platform and the tokens use: `base`, or a decorator of it.
  virtual store::ConfigStorePtr WrapStore(store::ConfigStorePtr base) { return base; }

  void StopServer() {
    if (server_) server_->Stop();
    server_.reset();
    if (platform_) platform_->Stop();
    platform_.reset();
  }

  std::string Issue(const access::Principal& who) {
    Result<std::string> token = tokens_->Issue(who);
    EXPECT_TRUE(token.ok()) << token.status();
    return token.ok() ? *token : "";
  }

  std::unique_ptr<httplib::Client> Client() const {
    auto c = std::make_unique<httplib::Client>("127.0.0.1", port_);
    c->set_connection_timeout(std::chrono::seconds(30));
    c->set_read_timeout(std::chrono::seconds(60));
    return c;
  }

  static httplib::Headers Bearer(const std::string& token) {
    return {{"Authorization", "Bearer " + token}};
  }

  // The parsed JSON body of `res`; a test failure (and null) if it is not JSON.
  static nlohmann::json Body(const httplib::Result& res) {
    if (!res) {
      ADD_FAILURE() << "no response: " << httplib::to_string(res.error());
      return nullptr;
    }
    nlohmann::json j = nlohmann::json::parse(res->body, nullptr, false);
    if (j.is_discarded()) ADD_FAILURE() << "body is not JSON: " << res->body;
    return j;
  }

  // The {"error": {"code", "message"}} of an error response.
  static std::string ErrorCode(const httplib::Result& res) {
    nlohmann::json j = Body(res);
    return j.is_object() && j.contains("error") ? j["error"].value("code", "") : "";
  }
  static std::string ErrorMessage(const httplib::Result& res) {
    nlohmann::json j = Body(res);
    return j.is_object() && j.contains("error") ? j["error"].value("message", "") : "";
  }

  testing::FakeClock clock_;
  testing::FakeGit git_;
  testing::RecordingRunner runner_;
  std::filesystem::path dir_;
  store::ConfigStorePtr store_;
  std::unique_ptr<access::SecretBox> secrets_;
  std::unique_ptr<access::TokenRegistry> tokens_;
  std::unique_ptr<reconcile::Platform> platform_;
  std::unique_ptr<ApiServer> server_;
  int port_ = 0;
  std::string admin_, viewer_;
};

}  // namespace odmd::api
