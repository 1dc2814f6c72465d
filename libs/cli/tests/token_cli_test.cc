// odmd token issue|ls|revoke, and commands run with --token: the principal's access rules
// from the published sample org (examples/sandbox/manifest.golden.json).
#include "odmd/base/sha256.h"
#include "store_cli_fixture.h"

namespace odmd::cli {
namespace {

using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::MatchesRegex;
using ::testing::Not;

// In the sample org, coffeeShopOrderManager/b..main produces orderApiUrl and consumes
// coffeeShopFoundation/b..main's eventBusArn and configTableName, but not its
// countTableName, and nothing of coffeeShopFoundation/b..dev.
constexpr char kOrders[] = "enver:coffeeShopOrderManager/b..main";
constexpr char kOwnProduct[] = "/odmd-share/coffeeShopOrderManager/b..main/orderApiUrl";
constexpr char kConsumed[] = "/odmd-share/coffeeShopFoundation/b..main/eventBusArn";
constexpr char kNotConsumed[] = "/odmd-share/coffeeShopFoundation/b..main/countTableName";
constexpr char kSiblingProduct[] = "/odmd-share/coffeeShopFoundation/b..dev/eventBusArn";

class TokenCliTest : public StoreCliFixture {};

TEST_F(TokenCliTest, IssuePrintsTheTokenOnceAndListingsNeverShowIt) {
  PublishSample();
  ASSERT_EQ(Run({"token", "issue", kOrders}), 0) << err_;
  ASSERT_THAT(out_, MatchesRegex("odmd_[0-9a-f]{64}\n"));
  const std::string token = out_.substr(0, out_.size() - 1);
  const std::string id = Sha256Hex(token).substr(0, 12);
  EXPECT_THAT(err_, AllOf(HasSubstr(id), HasSubstr(kOrders), HasSubstr("only this once")));

  ASSERT_EQ(Run({"token", "ls"}), 0) << err_;
  EXPECT_THAT(Lines(out_), ElementsAre(id + "\t" + kOrders + "\t2026-01-01T00:00:00Z"));
  EXPECT_THAT(out_, AllOf(Not(HasSubstr(token)), Not(HasSubstr(Sha256Hex(token)))));
  ASSERT_EQ(Run({"token", "ls", "--json"}), 0) << err_;
  EXPECT_EQ(Json(),
            nlohmann::json::array(
                {{{"id", id}, {"principal", kOrders}, {"issued_at", "2026-01-01T00:00:00Z"}}}));
  EXPECT_THAT(out_, AllOf(Not(HasSubstr(token)), Not(HasSubstr(Sha256Hex(token)))));
}

TEST_F(TokenCliTest, IssueInJson) {
  ASSERT_EQ(Run({"token", "issue", "viewer", "--json"}), 0) << err_;
  nlohmann::json j = Json();
  EXPECT_EQ(j["principal"], "viewer");
  const std::string token = j["token"];
  EXPECT_EQ(j["id"], Sha256Hex(token).substr(0, 12));
  EXPECT_EQ(err_, "");
}

TEST_F(TokenCliTest, IssueToAnEnverOutsideTheManifestFails) {
  PublishSample();
  const store::Revision before = Latest();
  EXPECT_EQ(Run({"token", "issue", "enver:ghostSvc/b..main"}), 1);
  EXPECT_THAT(err_, HasSubstr("\"ghostSvc/b..main\""));
  EXPECT_EQ(Run({"token", "issue", "enver:coffeeShopOrderManager/b..nope", "--json"}), 1);
  EXPECT_EQ(JsonErrorCode(), "NOT_FOUND");
  EXPECT_THAT(Json()["error"]["message"].get<std::string>(),
              HasSubstr("coffeeShopOrderManager/b..nope"));
  EXPECT_EQ(Latest(), before);
}

TEST_F(TokenCliTest, IssueToAWorkflowGroupOfTheManifestOnly) {
  PublishSample();
  const std::string group = "workflow:ODMD_coffeeShopOrderManager-CdkGithubWFus-west-1-workspace1";
  ASSERT_EQ(Run({"token", "issue", group, "--json"}), 0) << err_;
  EXPECT_EQ(Json()["principal"], group);
  const store::Revision before = Latest();
  EXPECT_EQ(Run({"token", "issue", "workflow:ODMD_ghostSvc-CdkGithubWFus-west-1-workspace1"}), 1);
  EXPECT_THAT(err_, AllOf(HasSubstr("\"ODMD_ghostSvc-CdkGithubWFus-west-1-workspace1\""),
                          HasSubstr("no enver")));
  EXPECT_EQ(Run({"token", "issue", "workflow:coffeeShopOrderManager", "--json"}), 1);
  EXPECT_EQ(JsonErrorCode(), "INVALID_ARGUMENT");
  EXPECT_EQ(Latest(), before);
}

TEST_F(TokenCliTest, IssueWithoutAPublishedManifestKnowsNoEnver) {
  EXPECT_EQ(Run({"token", "issue", kOrders}), 1);
  EXPECT_THAT(err_, AllOf(HasSubstr("coffeeShopOrderManager/b..main"), HasSubstr("publish")));
  EXPECT_EQ(Latest(), 0);
}

TEST_F(TokenCliTest, IssueToAMalformedPrincipalFails) {
  EXPECT_EQ(Run({"token", "issue", "root"}), 1);
  EXPECT_THAT(err_, HasSubstr("\"root\""));
  EXPECT_EQ(Run({"token", "issue", "enver:nobuild", "--json"}), 1);
  EXPECT_EQ(JsonErrorCode(), "INVALID_ARGUMENT");
  EXPECT_EQ(Run({"token", "revoke", "superuser"}), 1);
  EXPECT_THAT(err_, HasSubstr("\"superuser\""));
  EXPECT_EQ(Latest(), 0);
}

TEST_F(TokenCliTest, ALiveCloneGetsATokenAndOnlyItsOwnProducts) {
  PublishSample();
  const std::string clone = "coffeeShopOrderManager/b..main-_b..feat1";
  {
    store::ConfigStorePtr s = OpenStore();
    ASSERT_TRUE(s);
    ASSERT_TRUE(s->Put("/odmd/clones/" + clone,
                       R"({"origin": "coffeeShopOrderManager/b..main", "git_name": "feat1",)"
                       R"( "type": "branch"})",
                       std::nullopt)
                    .ok());
  }
  const std::string token = Issue("enver:" + clone);
  ASSERT_FALSE(token.empty());
  EXPECT_EQ(Run({"store", "put", "/odmd-share/" + clone + "/orderApiUrl", "u", "--token", token}),
            0)
      << err_;
  // The origin's products are not the clone's (the prefix trap: b..main vs b..main-_b..).
  const store::Revision before = Latest();
  EXPECT_EQ(Run({"store", "put", kOwnProduct, "u", "--token", token}), 1);
  EXPECT_THAT(err_, AllOf(HasSubstr("enver:" + clone), HasSubstr(kOwnProduct)));
  EXPECT_EQ(Latest(), before);
}

TEST_F(TokenCliTest, OnlyAdminManagesTokens) {
  const std::string viewer = Issue("viewer");
  const std::string admin = Issue("admin");
  ASSERT_FALSE(viewer.empty());
  ASSERT_FALSE(admin.empty());
  const store::Revision before = Latest();
  for (std::vector<std::string> args : {std::vector<std::string>{"token", "issue", "admin"},
                                        std::vector<std::string>{"token", "ls"},
                                        std::vector<std::string>{"token", "revoke", "admin"}}) {
    args.insert(args.end(), {"--token", viewer});
    EXPECT_EQ(Run(args), 1) << args[1];
    EXPECT_THAT(err_,
                AllOf(HasSubstr("token " + args[1]), HasSubstr("admin"), HasSubstr("not viewer")));
  }
  EXPECT_EQ(Latest(), before);
  // An admin token may.
  ASSERT_EQ(Run({"token", "ls", "--token", admin}), 0) << err_;
  EXPECT_EQ(CountLines(out_), 2);
}

TEST_F(TokenCliTest, ABadTokenIsUnauthenticatedAndNeverEchoed) {
  ASSERT_EQ(Run({"store", "put", "/k", "v"}), 0);
  const std::string bad = "odmd_" + std::string(64, 'a');
  for (std::vector<std::string> args :
       {std::vector<std::string>{"store", "get", "/k"},
        std::vector<std::string>{"store", "put", "/k", "w"},
        std::vector<std::string>{"token", "ls"},
        std::vector<std::string>{"secret", "ls", "coffeeShopOrderManager/b..main"}}) {
    args.insert(args.end(), {"--token", bad});
    EXPECT_EQ(Run(args), 1) << args[0] << " " << args[1];
    EXPECT_THAT(err_, AllOf(HasSubstr("unknown or revoked token"), Not(HasSubstr(bad))));
    EXPECT_EQ(out_, "");
    args.push_back("--json");
    EXPECT_EQ(Run(args), 1);
    EXPECT_EQ(JsonErrorCode(), "UNAUTHENTICATED");
    EXPECT_THAT(out_, Not(HasSubstr(bad)));
  }
  EXPECT_EQ(Latest(), 1);
}

TEST_F(TokenCliTest, RevokedTokensStopWorking) {
  PublishSample();
  const std::string first = Issue(kOrders);
  const std::string second = Issue(kOrders);
  ASSERT_NE(first, second);
  // Authenticated, then the product is not there yet.
  ASSERT_EQ(Run({"store", "get", kOwnProduct, "--token", first, "--json"}), 1);
  EXPECT_EQ(JsonErrorCode(), "NOT_FOUND");
  ASSERT_EQ(Run({"token", "revoke", kOrders}), 0) << err_;
  EXPECT_EQ(out_, std::string("revoked 2 tokens of ") + kOrders + "\n");
  for (const std::string& token : {first, second}) {
    EXPECT_EQ(Run({"store", "ls", "--token", token, "--json"}), 1);
    EXPECT_EQ(JsonErrorCode(), "UNAUTHENTICATED");
  }
  ASSERT_EQ(Run({"token", "revoke", kOrders, "--json"}), 0) << err_;
  EXPECT_EQ(Json(), (nlohmann::json{{"principal", kOrders}, {"revoked", 0}}));
  ASSERT_EQ(Run({"token", "ls"}), 0);
  EXPECT_EQ(out_, "");
}

TEST_F(TokenCliTest, TokenComesFromTheEnvironment) {
  const std::string viewer = Issue("viewer");
  ASSERT_EQ(::setenv("ODMD_TOKEN", viewer.c_str(), 1), 0);
  EXPECT_EQ(Run({"store", "put", "/k", "v"}), 1);
  ::unsetenv("ODMD_TOKEN");
  EXPECT_THAT(err_, AllOf(HasSubstr("principal viewer"), HasSubstr("/k")));
  EXPECT_EQ(Run({"store", "put", "/k", "v"}), 0) << err_;
}

TEST_F(TokenCliTest, ViewerReadsProductsButNotTokensOrSecrets) {
  PublishSample();
  const std::string viewer = Issue("viewer");
  ASSERT_EQ(Run({"store", "put", kConsumed, "arn:bus"}), 0);
  ASSERT_EQ(Run({"secret", "put", "coffeeShopOrderManager/b..main", "pw", "s3cret"}), 0) << err_;
  ASSERT_EQ(Run({"store", "get", kConsumed, "--token", viewer}), 0) << err_;
  EXPECT_EQ(out_, "arn:bus");
  ASSERT_EQ(Run({"store", "ls", "/odmd", "--token", viewer}), 0) << err_;
  EXPECT_THAT(out_, AllOf(HasSubstr("/odmd/contracts/manifest"), HasSubstr(kConsumed),
                          Not(HasSubstr("/odmd/tokens/")), Not(HasSubstr("/odmd/secrets/"))));
  const store::Revision before = Latest();
  EXPECT_EQ(Run({"store", "put", kConsumed, "x", "--token", viewer}), 1);
  EXPECT_THAT(err_, AllOf(HasSubstr("principal viewer"), HasSubstr("write"), HasSubstr(kConsumed)));
  EXPECT_EQ(Run({"store", "rm", kConsumed, "--token", viewer, "--json"}), 1);
  EXPECT_EQ(JsonErrorCode(), "PERMISSION_DENIED");
  EXPECT_EQ(Latest(), before);
}

TEST_F(TokenCliTest, ViewerReadsNoSealedEnverTokenNorOtherPlatformSecret) {
  PublishSample();
  const std::string viewer = Issue("viewer");
  const std::string sealed = "/odmd/enver-tokens/coffeeShopOrderManager/b..main";
  ASSERT_EQ(Run({"store", "put", sealed, "sealed-token-bytes"}), 0) << err_;
  ASSERT_EQ(Run({"store", "put", "/odmd/new-kind/x", "unknown-record"}), 0) << err_;
  EXPECT_EQ(Run({"store", "get", sealed, "--token", viewer, "--json"}), 1);
  EXPECT_EQ(JsonErrorCode(), "PERMISSION_DENIED");
  EXPECT_THAT(out_, Not(HasSubstr("sealed-token-bytes")));
  EXPECT_EQ(Run({"store", "history", sealed, "--token", viewer}), 1);
  EXPECT_THAT(err_, AllOf(HasSubstr("principal viewer"), HasSubstr(sealed)));
  ASSERT_EQ(Run({"store", "ls", "/odmd", "--values", "--token", viewer}), 0) << err_;
  EXPECT_THAT(out_, AllOf(HasSubstr("/odmd/contracts/manifest"), Not(HasSubstr("enver-tokens")),
                          Not(HasSubstr("sealed-token-bytes")), Not(HasSubstr("unknown-record"))));
}

TEST_F(TokenCliTest, AnEnversWatchAndListingShowOnlyWhatItMayRead) {
  PublishSample();
  const std::string token = Issue(kOrders);
  const store::Revision from = Latest();
  for (const char* key : {kNotConsumed, kOwnProduct, kSiblingProduct, kConsumed}) {
    ASSERT_EQ(Run({"store", "put", key, "v"}), 0) << err_;
  }
  ASSERT_EQ(
      Run({"store", "watch", "--from", std::to_string(from), "--count", "2", "--token", token}), 0)
      << err_;
  std::vector<std::string> lines = Lines(out_);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(nlohmann::json::parse(lines[0])["key"], kOwnProduct);
  EXPECT_EQ(nlohmann::json::parse(lines[1])["key"], kConsumed);
  ASSERT_EQ(Run({"store", "ls", "--token", token}), 0) << err_;
  EXPECT_THAT(out_,
              AllOf(HasSubstr(kOwnProduct), HasSubstr(kConsumed), Not(HasSubstr(kNotConsumed)),
                    Not(HasSubstr(kSiblingProduct)), Not(HasSubstr("/odmd/"))));
}

// The brief's scenario, end to end: publish the sample org, issue an enver token, then
// what that enver may and may not do.
TEST_F(TokenCliTest, EnverTokenScenarioEndToEnd) {
  PublishSample();
  const std::string token = Issue(kOrders);
  ASSERT_FALSE(token.empty());
  const std::string enver = "coffeeShopOrderManager/b..main";

  // Its own product: ok.
  ASSERT_EQ(Run({"store", "put", kOwnProduct, "https://orders", "--token", token}), 0) << err_;
  // Another enver's product: denied, naming principal and key; nothing written.
  store::Revision before = Latest();
  EXPECT_EQ(Run({"store", "put", kConsumed, "forged", "--token", token}), 1);
  EXPECT_THAT(err_, AllOf(HasSubstr(kOrders), HasSubstr("write"), HasSubstr(kConsumed)));
  EXPECT_EQ(Run({"store", "put", kConsumed, "forged", "--token", token, "--json"}), 1);
  EXPECT_EQ(JsonErrorCode(), "PERMISSION_DENIED");
  EXPECT_EQ(Latest(), before);

  // A consumed product: readable. One it does not consume: denied.
  ASSERT_EQ(Run({"store", "put", kConsumed, "arn:bus"}), 0);
  ASSERT_EQ(Run({"store", "put", kNotConsumed, "counts"}), 0);
  ASSERT_EQ(Run({"store", "get", kConsumed, "--token", token}), 0) << err_;
  EXPECT_EQ(out_, "arn:bus");
  EXPECT_EQ(Run({"store", "get", kNotConsumed, "--token", token}), 1);
  EXPECT_THAT(err_, AllOf(HasSubstr(kOrders), HasSubstr("read"), HasSubstr(kNotConsumed)));
  EXPECT_THAT(out_, Not(HasSubstr("counts")));

  // Its secret: put and get as the owner; admin and viewer cannot read it.
  ASSERT_EQ(Run({"secret", "put", enver, "dbPassword", "s3cret", "--token", token}), 0) << err_;
  EXPECT_THAT(out_, Not(HasSubstr("s3cret")));
  ASSERT_EQ(Run({"secret", "get", enver, "dbPassword", "--token", token}), 0) << err_;
  EXPECT_EQ(out_, "s3cret");
  EXPECT_EQ(Run({"secret", "get", enver, "dbPassword", "--json"}), 1);  // admin
  EXPECT_EQ(JsonErrorCode(), "PERMISSION_DENIED");
  EXPECT_THAT(out_, Not(HasSubstr("s3cret")));
  const std::string viewer = Issue("viewer");
  EXPECT_EQ(Run({"secret", "get", enver, "dbPassword", "--token", viewer}), 1);
  EXPECT_THAT(err_, AllOf(HasSubstr("principal viewer"), Not(HasSubstr("s3cret"))));

  // Listings never contain a token.
  ASSERT_EQ(Run({"token", "ls"}), 0) << err_;
  EXPECT_EQ(CountLines(out_), 2);
  EXPECT_THAT(out_, AllOf(Not(HasSubstr(token)), Not(HasSubstr(viewer))));
  ASSERT_EQ(Run({"token", "ls", "--json"}), 0) << err_;
  EXPECT_THAT(out_, AllOf(Not(HasSubstr(token)), Not(HasSubstr(viewer))));
}

}  // namespace
}  // namespace odmd::cli
