#include "odmd/access/tokens.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "access_test_util.h"
#include "odmd/base/sha256.h"
#include "odmd/testing/fake_clock.h"
#include "odmd/testing/faulty_config_store.h"
#include "odmd/testing/status_matchers.h"

namespace odmd::access {
namespace {

using ::odmd::testing::IsOk;
using ::odmd::testing::StatusIs;
using ::testing::AllOf;
using ::testing::ContainsRegex;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::MatchesRegex;
using ::testing::Not;

class TokenRegistryTest : public ::testing::Test {
 protected:
  std::string MustIssue(const Principal& p) {
    Result<std::string> token = registry_.Issue(p);
    EXPECT_THAT(token, IsOk());
    return token.ok() ? *token : "";
  }

  store::ConfigStorePtr store_ = test::OpenStore();
  ::odmd::testing::FakeClock clock_;
  TokenRegistry registry_{*store_, clock_};
};

TEST_F(TokenRegistryTest, IssuedTokensAreRandomAndAuthenticateToTheirPrincipal) {
  std::string a = MustIssue(Principal::Enver("svcA/b..main"));
  std::string b = MustIssue(Principal::Enver("svcA/b..main"));
  std::string admin = MustIssue(Principal::Admin());
  EXPECT_NE(a, b);
  EXPECT_THAT(a, MatchesRegex("odmd_[0-9a-f]{64}"));
  EXPECT_THAT(registry_.Authenticate(a), IsOk());
  EXPECT_EQ(*registry_.Authenticate(a), Principal::Enver("svcA/b..main"));
  EXPECT_EQ(*registry_.Authenticate(b), Principal::Enver("svcA/b..main"));
  EXPECT_EQ(*registry_.Authenticate(admin), Principal::Admin());
}

TEST_F(TokenRegistryTest, TheStoreHoldsOnlyTheHash) {
  std::string token = MustIssue(Principal::Enver("svcA/b..main"));
  std::string secret_part = token.substr(5);  // without "odmd_"
  std::string everything = test::ScanEverything(*store_);
  EXPECT_THAT(everything, HasSubstr("/odmd/tokens/" + Sha256Hex(token)));
  EXPECT_THAT(everything, Not(HasSubstr(token)));
  EXPECT_THAT(everything, Not(HasSubstr(secret_part)));
  Result<store::Entry> record = store_->Get("/odmd/tokens/" + Sha256Hex(token));
  ASSERT_THAT(record, IsOk());
  EXPECT_EQ(record->value,
            R"({"issued_at":"2026-01-01T00:00:00Z","principal":"enver:svcA/b..main"})");
}

TEST_F(TokenRegistryTest, UnknownTokensAreUnauthenticatedWithoutEchoingThem) {
  MustIssue(Principal::Admin());
  std::string forged = "odmd_" + std::string(64, 'a');
  for (const std::string& token :
       {forged, std::string("odmd_abc"), std::string("secret-xyz"), std::string()}) {
    Result<Principal> got = registry_.Authenticate(token);
    EXPECT_THAT(got, StatusIs(StatusCode::kUnauthenticated, "unknown or revoked token"));
  }
}

TEST_F(TokenRegistryTest, RevokeMakesEveryTokenOfThePrincipalFailAndKeepsOthers) {
  Principal enver = Principal::Enver("svcA/b..main");
  std::string a = MustIssue(enver);
  std::string b = MustIssue(enver);
  std::string other = MustIssue(Principal::Enver("svcA/b..dev"));
  Result<int> revoked = registry_.Revoke(enver);
  ASSERT_THAT(revoked, IsOk());
  EXPECT_EQ(*revoked, 2);
  for (const std::string& token : {a, b}) {
    Result<Principal> got = registry_.Authenticate(token);
    EXPECT_THAT(got, StatusIs(StatusCode::kUnauthenticated, Not(HasSubstr(token))));
    EXPECT_THAT(got.status().message(), Not(HasSubstr(Sha256Hex(token))));
  }
  EXPECT_THAT(registry_.Authenticate(other), IsOk());
  EXPECT_EQ(*registry_.Revoke(enver), 0);
  // The revoked records' history keeps no token either.
  EXPECT_THAT(test::ScanEverything(*store_), Not(HasSubstr(a.substr(5))));
}

TEST_F(TokenRegistryTest, ListShowsPrincipalShortIdAndTimeButNoTokenOrHash) {
  std::string a = MustIssue(Principal::Enver("svcA/b..main"));
  clock_.Advance(std::chrono::hours(1));
  std::string admin = MustIssue(Principal::Admin());
  Result<std::vector<TokenInfo>> list = registry_.List();
  ASSERT_THAT(list, IsOk());
  EXPECT_THAT(*list, ElementsAre(TokenInfo{Principal::Admin(), Sha256Hex(admin).substr(0, 12),
                                           "2026-01-01T01:00:00Z"},
                                 TokenInfo{Principal::Enver("svcA/b..main"),
                                           Sha256Hex(a).substr(0, 12), "2026-01-01T00:00:00Z"}));
  for (const TokenInfo& info : *list) {
    for (const std::string& token : {a, admin}) {
      EXPECT_NE(info.id, Sha256Hex(token));
      EXPECT_THAT(token, Not(HasSubstr(info.id)));
    }
  }
  ODMD_ASSERT_OK(registry_.Revoke(Principal::Admin()));
  ASSERT_THAT(registry_.List(), IsOk());
  EXPECT_EQ(registry_.List()->size(), 1u);
}

TEST_F(TokenRegistryTest, IssueRejectsAMalformedEnverIdAndWritesNothing) {
  EXPECT_THAT(registry_.Issue(Principal::Enver("no-slash")),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("no-slash")));
  EXPECT_EQ(*store_->LatestRevision(), 0);
}

TEST_F(TokenRegistryTest, StoreFailureOnIssueIsReportedAndReturnsNoToken) {
  ::odmd::testing::FaultyConfigStore faulty(*store_);
  TokenRegistry registry(faulty, clock_);
  faulty.SetFailWrites(true);
  Result<std::string> issued = registry.Issue(Principal::Admin());
  // The store names the key, which holds the full hash: the registry cuts it to the id.
  EXPECT_THAT(issued, StatusIs(StatusCode::kUnavailable,
                               AllOf(HasSubstr("cannot store a token"), HasSubstr("/odmd/tokens/"),
                                     Not(ContainsRegex("[0-9a-f]{13}")))));
  faulty.SetFailWrites(false);
  EXPECT_THAT(registry.List(), IsOk());
  EXPECT_THAT(*registry.List(), IsEmpty());
}

TEST_F(TokenRegistryTest, MalformedRecordIsFailedPreconditionNamingTheShortId) {
  std::string hash = std::string(64, 'c');
  ODMD_ASSERT_OK(store_->Put("/odmd/tokens/" + hash, "{not json", std::nullopt));
  EXPECT_THAT(registry_.List(),
              StatusIs(StatusCode::kFailedPrecondition,
                       ::testing::AllOf(HasSubstr("cccccccccccc"), Not(HasSubstr(hash)))));
}

}  // namespace
}  // namespace odmd::access
