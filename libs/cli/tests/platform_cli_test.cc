// The platform's commands: the API clients (envers, enver, deployments, logs, redeploy,
// events, notify, repo, product, contracts publish --server) against an ApiServer running in
// process over a Platform on the test's SQLite store, and odmd serve itself.

#include <sys/stat.h>

#include <array>
#include <memory>

#include "odmd/access/secrets.h"
#include "odmd/access/tokens.h"
#include "odmd/api/server.h"
#include "odmd/reconcile/platform.h"
#include "odmd/testing/fake_git.h"
#include "odmd/testing/recording_runner.h"
#include "store_cli_fixture.h"

namespace odmd::cli {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

class PlatformCliTest : public StoreCliFixture {
 protected:
  void SetUp() override {
    StoreCliFixture::SetUp();
    for (const char* var : {"ODMD_API", "ODMD_enver_id"}) ::unsetenv(var);
    store_ = OpenStore();
    ASSERT_NE(store_, nullptr);
    std::array<unsigned char, 32> key{};
    key.fill(3);
    secrets_ = std::make_unique<access::SecretBox>(access::SecretBox::FromKey(key));
    tokens_ = std::make_unique<access::TokenRegistry>(*store_, clock_);
    reconcile::PlatformOptions options;
    options.state_dir = (dir_ / "platform").string();
    options.start_workers = false;
    platform_ =
        std::make_unique<reconcile::Platform>(*store_, git_, runner_, clock_, *secrets_, options);
    // The platform's operations need Start() first (it loads the state).
    const Status started = platform_->Start();
    ASSERT_TRUE(started.ok() || started.code() == StatusCode::kUnimplemented) << started;
    server_ = std::make_unique<api::ApiServer>(*platform_, *tokens_, api::ApiOptions{});
    Result<int> port = server_->Listen("127.0.0.1", 0);
    ASSERT_TRUE(port.ok()) << port.status();
    server_url_ = "http://127.0.0.1:" + std::to_string(*port);
    admin_ = TokenFor(access::Principal::Admin());
    viewer_ = TokenFor(access::Principal::Viewer());
    state_dir_ = (dir_ / "client").string();
  }
  void TearDown() override {
    for (const char* var : {"ODMD_API", "ODMD_TOKEN", "ODMD_enver_id"}) ::unsetenv(var);
    if (server_) server_->Stop();
    server_.reset();
    if (platform_) platform_->Stop();
    platform_.reset();
    tokens_.reset();
    store_.reset();
    StoreCliFixture::TearDown();
  }

  std::string TokenFor(const access::Principal& who) {
    Result<std::string> token = tokens_->Issue(who);
    EXPECT_TRUE(token.ok()) << token.status();
    return token.ok() ? *token : "";
  }

  // odmd `args` --server <the test's server> --state-dir <an empty dir> [--token token].
  int Client(std::vector<std::string> args, const std::string& token = "") {
    args.insert(args.end(), {"--server", server_url_, "--state-dir", state_dir_});
    if (!token.empty()) args.insert(args.end(), {"--token", token});
    return RunRaw(std::move(args));
  }

  testing::FakeGit git_;
  testing::RecordingRunner runner_;
  store::ConfigStorePtr store_;
  std::unique_ptr<access::SecretBox> secrets_;
  std::unique_ptr<access::TokenRegistry> tokens_;
  std::unique_ptr<reconcile::Platform> platform_;
  std::unique_ptr<api::ApiServer> server_;
  std::string server_url_, admin_, viewer_, state_dir_;
};

TEST_F(PlatformCliTest, NoTokenPrintsTheServersMessage) {
  EXPECT_EQ(Client({"envers"}), 1);
  EXPECT_THAT(err_, AllOf(StartsWith("odmd: "), HasSubstr("Authorization: Bearer")));
  EXPECT_EQ(out_, "");
}

TEST_F(PlatformCliTest, JsonErrorCarriesTheServersCode) {
  EXPECT_EQ(Client({"deployments", "--json"}, "odmd_" + std::string(64, '0')), 1);
  EXPECT_EQ(JsonErrorCode(), "UNAUTHENTICATED");
  EXPECT_THAT(Json()["error"]["message"].get<std::string>(), HasSubstr("unknown or revoked"));
}

TEST_F(PlatformCliTest, ViewerCannotNotifyOrAddRepos) {
  EXPECT_EQ(Client({"notify", "--repo", "acme/svc"}, viewer_), 1);
  EXPECT_THAT(err_, AllOf(HasSubstr("/api/notify"), HasSubstr("needs the admin principal")));
  EXPECT_EQ(Client({"repo", "add", "acme/svc", dir_.string()}, viewer_), 1);
  EXPECT_THAT(err_, AllOf(HasSubstr("/api/repos"), HasSubstr("viewer")));
}

TEST_F(PlatformCliTest, ViewerCannotPublishContractsThroughTheApi) {
  EXPECT_EQ(RunRaw({"contracts", "publish", SampleManifest(), "--server", server_url_, "--token",
                    viewer_}),
            1);
  EXPECT_THAT(err_, AllOf(HasSubstr("/api/contracts"), HasSubstr("needs the admin principal")));
  // Nothing reached the store.
  EXPECT_FALSE(OpenStore()->Get("/odmd/contracts/manifest").ok());
}

TEST_F(PlatformCliTest, UnreachableServerSaysWhere) {
  server_->Stop();
  EXPECT_EQ(Client({"envers"}, admin_), 1);
  EXPECT_THAT(err_, AllOf(HasSubstr("cannot reach the odmd API at " + server_url_),
                          HasSubstr("odmd serve")));
}

TEST_F(PlatformCliTest, ServerMustBeAnHttpUrl) {
  EXPECT_EQ(RunRaw({"events", "--server", "ftp://example.com", "--state-dir", state_dir_}), 1);
  EXPECT_THAT(err_, HasSubstr("\"ftp://example.com\" is not an http:// or https:// URL"));
}

TEST_F(PlatformCliTest, ServerAndTokenComeFromServesStateDir) {
  std::filesystem::create_directories(state_dir_);
  Write("client/api.url", server_url_ + "\n");
  // Without a token file the server refuses: the URL file was used.
  EXPECT_EQ(RunRaw({"repo", "ls", "--json", "--state-dir", state_dir_}), 1);
  EXPECT_EQ(JsonErrorCode(), "UNAUTHENTICATED");
  // With serve's admin token file the request gets past authentication.
  Write("client/admin.token", admin_ + "\n");
  const int code = RunRaw({"repo", "ls", "--json", "--state-dir", state_dir_});
  if (code != 0) {
    EXPECT_EQ(code, 1);
    EXPECT_NE(JsonErrorCode(), "UNAUTHENTICATED") << out_;
    EXPECT_NE(JsonErrorCode(), "UNAVAILABLE") << out_;
  } else {
    EXPECT_TRUE(Json().contains("repos")) << out_;
  }
}

TEST_F(PlatformCliTest, BuildScriptsUseOdmdApiAndOdmdToken) {
  ::setenv("ODMD_API", server_url_.c_str(), 1);
  ::setenv("ODMD_TOKEN", ("odmd_" + std::string(64, '1')).c_str(), 1);
  EXPECT_EQ(RunRaw({"product", "get", "svc/b..main/apiUrl", "--state-dir", state_dir_}), 1);
  EXPECT_THAT(err_, HasSubstr("unknown or revoked token"));
  ::unsetenv("ODMD_TOKEN");
  EXPECT_EQ(RunRaw({"product", "put", "svc/b..main/apiUrl", "v", "--state-dir", state_dir_}), 1);
  EXPECT_THAT(err_, HasSubstr("Authorization: Bearer"));
}

TEST_F(PlatformCliTest, ProductPathMustNameBuildRevAndProduct) {
  for (const char* bad : {"svc/b..main", "svc//x", "/odmd-share/svc/b..main"}) {
    EXPECT_EQ(Client({"product", "put", bad, "v"}, admin_), 1) << bad;
    EXPECT_THAT(err_, AllOf(HasSubstr(bad), HasSubstr("<build>/<rev>/<product>"))) << bad;
  }
  for (const char* bad : {"svc/b..main/url/../../other/b..main/url", "svc/./b..main/url"}) {
    EXPECT_EQ(Client({"product", "put", bad, "v"}, admin_), 1) << bad;
    EXPECT_THAT(err_, AllOf(HasSubstr(bad), HasSubstr("segment"))) << bad;
  }
}

// The server closes the connection of a refused request without reading a large body: the
// CLI reports it (it died of SIGPIPE before), and does not retry it.
TEST_F(PlatformCliTest, ProductPutTheServerRefusesUnreadIsReported) {
  EXPECT_EQ(
      Client({"product", "put", "svc/b..main/url", std::string(size_t{20} << 20, 'v')}, admin_), 1);
  EXPECT_THAT(err_, HasSubstr("before reading the body"));
}

TEST_F(PlatformCliTest, LimitOutOfRangeIsAUsageError) {
  EXPECT_EQ(Client({"deployments", "--limit", "0"}, admin_), 2);
}

TEST_F(PlatformCliTest, EnversListsWhatTheServerHas) {
  const int code = Client({"envers", "--json"}, viewer_);
  ASSERT_EQ(code, 0) << out_ << err_;
  EXPECT_TRUE(Json().contains("envers")) << out_;
  EXPECT_EQ(Client({"envers"}, viewer_), 0) << err_;
  EXPECT_THAT(out_, StartsWith("ENVER"));
}

TEST_F(PlatformCliTest, ReadCommandsPrintThePlatformsViews) {
  ASSERT_EQ(RunRaw({"contracts", "publish", SampleManifest(), "--server", server_url_, "--token",
                    admin_}),
            0)
      << err_;
  EXPECT_THAT(out_, AllOf(StartsWith("published 1.0.0 (sha256:"), HasSubstr("envers added")));

  ASSERT_EQ(Client({"envers"}, viewer_), 0) << err_;
  EXPECT_THAT(out_, AllOf(StartsWith("ENVER"), HasSubstr("\ncentralLogging/b..main ")));
  EXPECT_THAT(out_, Not(HasSubstr(" \n")));  // no trailing blanks

  ASSERT_EQ(Client({"enver", "centralLogging/b..main"}, viewer_), 0) << err_;
  EXPECT_THAT(out_, AllOf(StartsWith("enver centralLogging/b..main (static"), HasSubstr("names:"),
                          HasSubstr("stack_name"), HasSubstr("products:")));

  ASSERT_EQ(Client({"events"}, viewer_), 0) << err_;
  EXPECT_THAT(out_, AllOf(StartsWith("1  "), HasSubstr("contracts.published")));

  EXPECT_EQ(Client({"enver", "nope/b..main"}, viewer_), 1);
  EXPECT_THAT(err_, HasSubstr("nope/b..main"));
  EXPECT_EQ(Client({"logs", "d0000000999"}, viewer_), 1);
  EXPECT_THAT(err_, HasSubstr("d0000000999"));
  EXPECT_EQ(Client({"redeploy", "centralLogging/b..main"}, viewer_), 1);
  EXPECT_THAT(err_, HasSubstr("needs the admin token"));
}

// odmd teardown list/retry/forget over a recorded failed teardown (the retry itself:
// PlatformLifecycleTest.FailedTeardownIsRecordedAndRetried).
TEST_F(PlatformCliTest, TeardownCommandsListAndForgetAFailedTeardown) {
  ASSERT_EQ(Client({"teardown", "list"}, viewer_), 0) << err_;
  EXPECT_EQ(out_, "ENVER  SHA  CONTRACTS  ATTEMPTS  FAILED  REASON\n");
  ASSERT_TRUE(store_
                  ->Put("/odmd/teardowns/web/b..main",
                        R"({"sha":"0123456789abcdef","contracts_version":"1.0.0",)"
                        R"("reason":"cannot delete stack \"web--main\"","attempts":2,)"
                        R"("failed_at_ms":0})",
                        std::nullopt)
                  .ok());
  ASSERT_EQ(Client({"teardown", "list"}, viewer_), 0) << err_;
  EXPECT_THAT(out_, HasSubstr("web/b..main  0123456  1.0.0      2         -       cannot delete "
                              "stack \"web--main\""));
  ASSERT_EQ(Client({"teardown", "list", "--json"}, viewer_), 0) << err_;
  EXPECT_EQ(Json()["teardowns"][0]["enver"], "web/b..main");

  EXPECT_EQ(Client({"teardown", "retry", "web/b..main"}, viewer_), 1);
  EXPECT_THAT(err_, HasSubstr("admin"));
  EXPECT_EQ(Client({"teardown", "retry", "other/b..main"}, admin_), 1);
  EXPECT_THAT(err_, HasSubstr("no failed teardown of \"other/b..main\""));
  EXPECT_EQ(Client({"teardown", "forget", "web/b..main"}, viewer_), 1);
  ASSERT_EQ(Client({"teardown", "forget", "web/b..main"}, admin_), 0) << err_;
  EXPECT_EQ(out_, "forgot the failed teardown of web/b..main\n");
  ASSERT_EQ(Client({"teardown", "list", "--json"}, viewer_), 0) << err_;
  EXPECT_TRUE(Json()["teardowns"].empty()) << out_;
}

TEST_F(PlatformCliTest, FollowPrintsEventsAndEndsWhenTheServerStops) {
  // Publishing the contracts records an event, accepted or refused.
  EXPECT_EQ(RunRaw({"contracts", "publish", SampleManifest(), "--server", server_url_, "--token",
                    admin_}),
            0)
      << err_;
  EXPECT_THAT(out_, HasSubstr("published "));
  ASSERT_EQ(Client({"events", "--json"}, viewer_), 0) << err_;
  ASSERT_FALSE(Json()["events"].empty()) << out_;
  const std::string first_kind = Json()["events"][0]["kind"];
  SyncBuf out, err;
  int code = -1;
  std::vector<std::string> args = {"odmd",        "events",   "--follow", "--server", server_url_,
                                   "--state-dir", state_dir_, "--token",  viewer_};
  std::thread follow([&] {
    std::vector<char*> argv = Argv(args);
    std::ostream o(&out), e(&err);
    code = Main(static_cast<int>(argv.size()), argv.data(), o, e, clock_);
  });
  EXPECT_TRUE(out.WaitForText(first_kind)) << out.str() << err.str();
  server_->Stop();
  follow.join();
  EXPECT_EQ(code, 1);
  EXPECT_THAT(err.str(), HasSubstr("event stream from " + server_url_ + " ended"));
}

TEST_F(PlatformCliTest, RepoAddWritesTheHook) {
  const std::filesystem::path repo = dir_ / "svc.git";
  std::filesystem::create_directories(repo);
  git_.CreateRepo(repo.string());
  const int code = Client({"repo", "add", "acme/svc", repo.string(), "--hook"}, admin_);
  ASSERT_EQ(code, 0) << err_;
  const std::string hook = (repo / "hooks" / "post-receive").string();
  struct stat st {};
  ASSERT_EQ(::stat(hook.c_str(), &st), 0);
  EXPECT_NE(st.st_mode & S_IXUSR, 0u);
  EXPECT_THAT(testing::ReadFileOrFail(hook),
              AllOf(HasSubstr("notify --server '" + server_url_ + "' --repo 'acme/svc'")));
}

// ---------------------------------------------------------------------------------------------
// odmd serve

TEST_F(PlatformCliTest, ServeRefusesBadFlags) {
  EXPECT_EQ(RunRaw({"serve", "--state-dir", state_dir_, "--listen", "nowhere"}), 1);
  EXPECT_THAT(err_, HasSubstr("--listen \"nowhere\" is not HOST:PORT"));
  EXPECT_EQ(RunRaw({"serve", "--state-dir", state_dir_, "--repo", "acme/svc"}), 1);
  EXPECT_THAT(err_, HasSubstr("--repo \"acme/svc\" is not NAME=PATH"));
  EXPECT_EQ(RunRaw({"serve", "--state-dir", state_dir_, "--webhook-secret-file",
                    (dir_ / "missing").string()}),
            1);
  EXPECT_THAT(err_, HasSubstr("--webhook-secret-file"));
  EXPECT_EQ(RunRaw({"serve", "--state-dir", state_dir_, "--concurrency", "0"}), 1);
  EXPECT_THAT(err_, HasSubstr("--concurrency must be at least 1"));
  // Nothing was created for a refused start.
  EXPECT_FALSE(std::filesystem::exists(state_dir_));
}

TEST_F(PlatformCliTest, ServeOnceWritesTokenAndUrlForTheClients) {
  const std::string dir = (dir_ / "serve").string();
  const int code = RunRaw({"serve", "--once", "--state-dir", dir, "--listen", "127.0.0.1:0"});
  const std::filesystem::path token = std::filesystem::path(dir) / "admin.token";
  ASSERT_TRUE(std::filesystem::exists(token)) << err_;
  EXPECT_EQ(std::filesystem::status(token).permissions() & std::filesystem::perms::all,
            std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  const std::string first = testing::ReadFileOrFail(token.string());
  EXPECT_THAT(first, StartsWith("odmd_"));
  EXPECT_THAT(testing::ReadFileOrFail(dir + "/api.url"), StartsWith("http://127.0.0.1:"));
  EXPECT_TRUE(std::filesystem::exists(dir + "/state.db"));
  EXPECT_EQ(code, 0) << err_;
  EXPECT_THAT(out_, HasSubstr("odmd serve: listening on http://127.0.0.1:"));
  // A second start keeps the token the clients already hold.
  RunRaw({"serve", "--once", "--state-dir", dir, "--listen", "127.0.0.1:0"});
  EXPECT_EQ(testing::ReadFileOrFail(token.string()), first);
}

TEST_F(PlatformCliTest, ServeStopsCleanlyOnSigterm) {
  const std::string dir = (dir_ / "serve").string();
  Child serve({"serve", "--state-dir", dir, "--listen", "127.0.0.1:0"});
  ASSERT_TRUE(serve.ReadUntil([](const std::string& out, const std::string& err) {
    return out.find("listening on") != std::string::npos || err.find("odmd: ") != std::string::npos;
  }));
  ::kill(serve.pid(), SIGTERM);
  ChildResult r = serve.Finish();
  EXPECT_EQ(r.exit_code, 0) << r.err;
  // The sender is named, so a stop nobody asked for can be traced.
  EXPECT_THAT(r.err, HasSubstr("odmd serve: terminated by pid " + std::to_string(::getpid())));
  EXPECT_THAT(r.err, HasSubstr("odmd serve: stopped"));
}

}  // namespace
}  // namespace odmd::cli
