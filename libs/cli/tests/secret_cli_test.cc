// odmd secret put|get|ls|rm: sealed per-enver secrets, readable only by their enver.
#include <sys/stat.h>

#include "store_cli_fixture.h"

namespace odmd::cli {
namespace {

using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kEnver[] = "coffeeShopOrderManager/b..main";
constexpr char kOtherEnver[] = "coffeeShopFoundation/b..main";
constexpr char kValue[] = "correct horse battery staple";

class SecretCliTest : public StoreCliFixture {
 protected:
  void SetUp() override {
    StoreCliFixture::SetUp();
    PublishSample();
    owner_ = Issue(std::string("enver:") + kEnver);
    ASSERT_FALSE(owner_.empty());
  }

  std::string owner_;
};

TEST_F(SecretCliTest, OwnerPutsAndGetsInTextAndJson) {
  ASSERT_EQ(Run({"secret", "put", kEnver, "dbPassword", kValue, "--token", owner_}), 0) << err_;
  EXPECT_EQ(out_, std::string("stored secret dbPassword of ") + kEnver +
                      ": version 1 at revision " + std::to_string(Latest()) + "\n");
  ASSERT_EQ(Run({"secret", "get", kEnver, "dbPassword", "--token", owner_}), 0) << err_;
  EXPECT_EQ(out_, kValue);  // exactly the bytes
  ASSERT_EQ(Run({"secret", "put", kEnver, "dbPassword", "v2", "--token", owner_, "--json"}), 0);
  EXPECT_EQ(Json()["version"], 2);
  EXPECT_EQ(Json()["name"], "dbPassword");
  EXPECT_FALSE(Json().contains("value"));
  ASSERT_EQ(Run({"secret", "get", kEnver, "dbPassword", "--token", owner_, "--json"}), 0);
  EXPECT_EQ(Json(), (nlohmann::json{{"enver", kEnver}, {"name", "dbPassword"}, {"value", "v2"}}));
}

TEST_F(SecretCliTest, AdminPutsButOnlyTheOwnerReads) {
  ASSERT_EQ(Run({"secret", "put", kEnver, "apiKey", "--file", Write("k", kValue)}), 0) << err_;
  EXPECT_THAT(out_, Not(HasSubstr(kValue)));
  EXPECT_EQ(Run({"secret", "get", kEnver, "apiKey"}), 1);
  EXPECT_THAT(err_,
              AllOf(HasSubstr("principal admin"), HasSubstr("apiKey"), Not(HasSubstr(kValue))));
  ASSERT_EQ(Run({"secret", "get", kEnver, "apiKey", "--token", owner_}), 0) << err_;
  EXPECT_EQ(out_, kValue);
}

TEST_F(SecretCliTest, ViewerAndOtherEnversCannotRead) {
  ASSERT_EQ(Run({"secret", "put", kEnver, "pw", kValue, "--token", owner_}), 0) << err_;
  const std::string viewer = Issue("viewer");
  const std::string other = Issue(std::string("enver:") + kOtherEnver);
  for (const std::string& token : {viewer, other}) {
    EXPECT_EQ(Run({"secret", "get", kEnver, "pw", "--token", token}), 1);
    EXPECT_THAT(err_, AllOf(HasSubstr("may not read"), HasSubstr("/odmd/secrets/"),
                            Not(HasSubstr(kValue))));
    EXPECT_EQ(Run({"secret", "get", kEnver, "pw", "--token", token, "--json"}), 1);
    EXPECT_EQ(JsonErrorCode(), "PERMISSION_DENIED");
    EXPECT_THAT(out_, Not(HasSubstr(kValue)));
  }
}

TEST_F(SecretCliTest, AnEnverCannotWriteAnotherEnversSecret) {
  const store::Revision before = Latest();
  EXPECT_EQ(Run({"secret", "put", kOtherEnver, "pw", "x", "--token", owner_}), 1);
  EXPECT_THAT(err_, AllOf(HasSubstr(std::string("enver:") + kEnver), HasSubstr(kOtherEnver),
                          HasSubstr("write")));
  EXPECT_EQ(Run({"secret", "ls", kOtherEnver, "--token", owner_, "--json"}), 1);
  EXPECT_EQ(JsonErrorCode(), "PERMISSION_DENIED");
  EXPECT_EQ(Latest(), before);
}

TEST_F(SecretCliTest, ListShowsNamesAndVersionsNeverValues) {
  ASSERT_EQ(Run({"secret", "put", kEnver, "b", kValue}), 0) << err_;
  ASSERT_EQ(Run({"secret", "put", kEnver, "a", kValue}), 0) << err_;
  ASSERT_EQ(Run({"secret", "put", kEnver, "a", "again"}), 0) << err_;
  const store::Revision latest = Latest();
  ASSERT_EQ(Run({"secret", "ls", kEnver}), 0) << err_;
  EXPECT_THAT(Lines(out_), ElementsAre("a\t2\t" + std::to_string(latest),
                                       "b\t1\t" + std::to_string(latest - 2)));
  ASSERT_EQ(Run({"secret", "ls", kEnver, "--json", "--token", owner_}), 0) << err_;
  EXPECT_EQ(Json().size(), 2u);
  EXPECT_EQ(Json()[0], (nlohmann::json{{"name", "a"}, {"version", 2}, {"revision", latest}}));
  EXPECT_THAT(out_, Not(HasSubstr(kValue)));
}

TEST_F(SecretCliTest, SecretValuesNeverLeaveThroughStoreCommands) {
  const store::Revision from = Latest();
  ASSERT_EQ(Run({"secret", "put", kEnver, "pw", kValue}), 0) << err_;
  const std::string key = std::string("/odmd/secrets/") + kEnver + "/pw";
  ASSERT_EQ(Run({"store", "ls", "/odmd/secrets/", "--values"}), 0) << err_;
  EXPECT_THAT(out_, AllOf(HasSubstr(key), HasSubstr("<secret>")));
  ASSERT_EQ(Run({"store", "ls", "/odmd/secrets/", "--values", "--json"}), 0) << err_;
  EXPECT_FALSE(Json()[0].contains("value"));
  ASSERT_EQ(Run({"store", "history", key, "--json"}), 0) << err_;
  EXPECT_FALSE(Json()[0].contains("value"));
  ASSERT_EQ(Run({"store", "history", key}), 0) << err_;
  EXPECT_THAT(out_, HasSubstr("<secret>"));
  ASSERT_EQ(Run({"store", "watch", "--from", std::to_string(from), "--count", "1"}), 0);
  nlohmann::json event = nlohmann::json::parse(out_);
  EXPECT_EQ(event["key"], key);
  EXPECT_FALSE(event.contains("value"));
  EXPECT_FALSE(event.contains("value_base64"));
  EXPECT_EQ(Run({"store", "get", key}), 1);
  EXPECT_THAT(err_, AllOf(HasSubstr(key), HasSubstr("secret get")));
  EXPECT_EQ(out_, "");
}

TEST_F(SecretCliTest, UnknownEnverAndBadNamesFailWithoutWriting) {
  const store::Revision before = Latest();
  EXPECT_EQ(Run({"secret", "put", "ghostSvc/b..main", "pw", "x", "--json"}), 1);
  EXPECT_EQ(JsonErrorCode(), "NOT_FOUND");
  EXPECT_THAT(Json()["error"]["message"].get<std::string>(), HasSubstr("ghostSvc/b..main"));
  EXPECT_EQ(Run({"secret", "put", kEnver, "bad name!", "x"}), 1);
  EXPECT_THAT(err_, HasSubstr("bad name!"));
  EXPECT_EQ(Run({"secret", "put", kEnver, "bad/name", "x", "--json"}), 1);
  EXPECT_EQ(JsonErrorCode(), "INVALID_ARGUMENT");
  EXPECT_EQ(Run({"secret", "put", kEnver, "pw", "x", "--file", Write("f", "y")}), 2);
  EXPECT_THAT(err_, HasSubstr("not both"));
  EXPECT_EQ(Latest(), before);
}

TEST_F(SecretCliTest, RemoveThenGetIsNotFound) {
  ASSERT_EQ(Run({"secret", "put", kEnver, "pw", kValue, "--token", owner_}), 0) << err_;
  ASSERT_EQ(Run({"secret", "rm", kEnver, "pw", "--token", owner_}), 0) << err_;
  EXPECT_THAT(out_, HasSubstr("deleted secret pw of coffeeShopOrderManager/b..main: version 2"));
  EXPECT_EQ(Run({"secret", "get", kEnver, "pw", "--token", owner_, "--json"}), 1);
  EXPECT_EQ(JsonErrorCode(), "NOT_FOUND");
  EXPECT_EQ(Run({"secret", "rm", kEnver, "pw"}), 1);
  EXPECT_THAT(err_, HasSubstr("pw"));
}

TEST_F(SecretCliTest, KeyFileIsCreatedBesideTheStoreWithMode0600) {
  ASSERT_EQ(Run({"secret", "put", kEnver, "pw", kValue}), 0) << err_;
  struct stat st = {};
  ASSERT_EQ(::stat((dir_ / "secret.key").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(st.st_size, 32);
}

TEST_F(SecretCliTest, AnotherKeyCannotOpenTheSecret) {
  ASSERT_EQ(Run({"secret", "put", kEnver, "pw", kValue, "--token", owner_}), 0) << err_;
  const std::string other_key = (dir_ / "other" / "secret.key").string();
  EXPECT_EQ(Run({"secret", "get", kEnver, "pw", "--token", owner_, "--secret-key-file", other_key,
                 "--json"}),
            1);
  EXPECT_EQ(JsonErrorCode(), "FAILED_PRECONDITION");
  EXPECT_THAT(out_, Not(HasSubstr(kValue)));
  EXPECT_TRUE(std::filesystem::exists(other_key));
}

TEST_F(SecretCliTest, EnvironmentKeyWinsOverTheKeyFile) {
  ASSERT_EQ(::setenv("ODMD_SECRET_KEY", std::string(64, '7').c_str(), 1), 0);
  const int put = Run({"secret", "put", kEnver, "pw", kValue, "--token", owner_});
  ::unsetenv("ODMD_SECRET_KEY");
  ASSERT_EQ(put, 0) << err_;
  EXPECT_FALSE(std::filesystem::exists(dir_ / "secret.key"));
  // The key file (created now) is another key.
  EXPECT_EQ(Run({"secret", "get", kEnver, "pw", "--token", owner_}), 1);
  ASSERT_EQ(::setenv("ODMD_SECRET_KEY", std::string(64, '7').c_str(), 1), 0);
  const int get = Run({"secret", "get", kEnver, "pw", "--token", owner_});
  ::unsetenv("ODMD_SECRET_KEY");
  ASSERT_EQ(get, 0) << err_;
  EXPECT_EQ(out_, kValue);
}

TEST_F(SecretCliTest, BadKeysAreRefusedNamingTheProblem) {
  ASSERT_EQ(::setenv("ODMD_SECRET_KEY", "not-hex", 1), 0);
  const int code = Run({"secret", "ls", kEnver, "--json"});
  ::unsetenv("ODMD_SECRET_KEY");
  EXPECT_EQ(code, 1);
  EXPECT_EQ(JsonErrorCode(), "INVALID_ARGUMENT");
  EXPECT_THAT(Json()["error"]["message"].get<std::string>(), HasSubstr("ODMD_SECRET_KEY"));

  const std::string loose = Write("loose.key", std::string(32, 'k'));
  ASSERT_EQ(::chmod(loose.c_str(), 0644), 0);
  EXPECT_EQ(Run({"secret", "ls", kEnver, "--secret-key-file", loose}), 1);
  EXPECT_THAT(err_, HasSubstr(loose));
}

}  // namespace
}  // namespace odmd::cli
