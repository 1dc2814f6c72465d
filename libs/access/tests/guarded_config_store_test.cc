#include "odmd/access/guarded_config_store.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "access_test_util.h"
#include "odmd/testing/change_collector.h"
#include "odmd/testing/status_matchers.h"

namespace odmd::access {
namespace {

using ::odmd::testing::ChangeCollector;
using ::odmd::testing::IsOk;
using ::odmd::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;

std::vector<std::string> KeysOf(const std::vector<store::Entry>& entries) {
  std::vector<std::string> keys;
  for (const store::Entry& e : entries) keys.push_back(e.key);
  return keys;
}

std::vector<std::string> KeysOf(const std::vector<store::ChangeEvent>& events) {
  std::vector<std::string> keys;
  for (const store::ChangeEvent& e : events) keys.push_back(e.key);
  return keys;
}

constexpr char kOriginUrl[] = "/odmd-share/svcA/b..main/url";
constexpr char kFeat1Url[] = "/odmd-share/svcA/b..main-_b..feat1/url";
constexpr char kFeat2Url[] = "/odmd-share/svcA/b..main-_b..feat2/url";
constexpr char kDb[] = "/odmd-share/svcB/b..main/db";
constexpr char kSecret[] = "/odmd/secrets/svcA/b..main/password";
constexpr char kToken[] = "/odmd/tokens/0123";

class GuardedConfigStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // Written in key order, so List and the whole-log watch agree on order.
    for (const char* key :
         {"/odmd-share/svcA/b..main-_b..feat1/share..version", kFeat1Url, kFeat2Url, kOriginUrl,
          kDb, "/odmd/contracts/manifest", kSecret, kToken}) {
      ODMD_ASSERT_OK(base_->Put(key, std::string("value of ") + key, std::nullopt));
    }
  }

  GuardedConfigStore View(const Principal& p) { return GuardedConfigStore(*base_, policy_, p); }

  // Denied with the full message, and nothing written.
  template <typename T>
  void ExpectDenied(const Result<T>& result, const Principal& p, Access access,
                    const std::string& key) {
    EXPECT_THAT(result, StatusIs(StatusCode::kPermissionDenied,
                                 "principal " + p.ToString() + " may not " +
                                     std::string(AccessName(access)) + " " + key));
    EXPECT_EQ(*base_->LatestRevision(), 8);
  }

  store::ConfigStorePtr base_ = test::OpenStore();
  AccessPolicy policy_ = AccessPolicy::FromOrg(test::SmallOrg(), test::SmallOrgClones());
};

TEST_F(GuardedConfigStoreTest, DeniedCallsFailAndWriteNothing) {
  Principal feat1 = Principal::Enver("svcA/b..main-_b..feat1");
  GuardedConfigStore view = View(feat1);
  for (const char* key : {kFeat2Url, kOriginUrl, kDb, kSecret, "/odmd/contracts/manifest"}) {
    if (std::string(key) != kDb) {
      ExpectDenied(view.Get(key), feat1, Access::kRead, key);
      ExpectDenied(view.GetVersion(key, 1), feat1, Access::kRead, key);
      ExpectDenied(view.History(key), feat1, Access::kRead, key);
    }
    ExpectDenied(view.Put(key, "x", std::nullopt), feat1, Access::kWrite, key);
    ExpectDenied(view.Put(key, "x", 0), feat1, Access::kWrite, key);
    ExpectDenied(view.Delete(key, std::nullopt), feat1, Access::kWrite, key);
  }
  Result<store::Entry> untouched = base_->Get(kFeat2Url);
  ASSERT_THAT(untouched, IsOk());
  EXPECT_EQ(untouched->value, std::string("value of ") + kFeat2Url);
}

TEST_F(GuardedConfigStoreTest, ViewerAndUnknownEnverWriteNothing) {
  GuardedConfigStore viewer = View(Principal::Viewer());
  ExpectDenied(viewer.Put(kDb, "x", std::nullopt), Principal::Viewer(), Access::kWrite, kDb);
  ExpectDenied(viewer.Get(kSecret), Principal::Viewer(), Access::kRead, kSecret);
  ExpectDenied(viewer.Get(kToken), Principal::Viewer(), Access::kRead, kToken);
  Principal ghost = Principal::Enver("ghost/b..main");
  GuardedConfigStore view = View(ghost);
  std::string own = "/odmd-share/ghost/b..main/x";
  EXPECT_THAT(view.Put(own, "x", std::nullopt),
              StatusIs(StatusCode::kPermissionDenied, HasSubstr("unknown enver")));
  EXPECT_EQ(*base_->LatestRevision(), 8);
  Result<std::vector<store::Entry>> listed = view.List("");
  ASSERT_THAT(listed, IsOk());
  EXPECT_TRUE(listed->empty());
}

TEST_F(GuardedConfigStoreTest, AllowedCallsPassThrough) {
  GuardedConfigStore view = View(Principal::Enver("svcA/b..main-_b..feat1"));
  Result<store::WriteResult> put = view.Put(kFeat1Url, "v2", std::nullopt);
  ASSERT_THAT(put, IsOk());
  EXPECT_EQ(put->version, 2);
  Result<store::Entry> got = view.Get(kFeat1Url);
  ASSERT_THAT(got, IsOk());
  EXPECT_EQ(got->value, "v2");
  Result<store::Entry> upstream = view.Get(kDb);
  ASSERT_THAT(upstream, IsOk());
  EXPECT_EQ(upstream->value, std::string("value of ") + kDb);
  ASSERT_THAT(view.History(kFeat1Url), IsOk());
  EXPECT_EQ(view.History(kFeat1Url)->size(), 2u);
  ODMD_EXPECT_OK(view.GetVersion(kFeat1Url, 1));
  ODMD_EXPECT_OK(view.Delete(kFeat1Url, std::nullopt));
  EXPECT_THAT(view.Get(kFeat1Url), StatusIs(StatusCode::kNotFound));
  EXPECT_THAT(view.LatestRevision(), IsOk());
  EXPECT_EQ(*view.LatestRevision(), 10);
}

TEST_F(GuardedConfigStoreTest, MalformedKeysAreInvalidArgumentNotDenied) {
  GuardedConfigStore view = View(Principal::Enver("svcA/b..main"));
  EXPECT_THAT(view.Put("relative", "x", std::nullopt), StatusIs(StatusCode::kInvalidArgument));
  EXPECT_THAT(view.Get(""), StatusIs(StatusCode::kInvalidArgument));
  EXPECT_THAT(view.List("no-slash"), StatusIs(StatusCode::kInvalidArgument));
}

TEST_F(GuardedConfigStoreTest, DotSegmentsCannotWalkOutOfTheOwnPrefix) {
  // Under the enver's own product "url", so a prefix rule alone would allow the write.
  const std::string walk = std::string(kOriginUrl) + "/../../../svcB/b..main/db";
  const store::Revision before = *base_->LatestRevision();
  for (const Principal& p : {Principal::Enver("svcA/b..main"), Principal::Admin()}) {
    GuardedConfigStore view = View(p);
    EXPECT_THAT(view.Put(walk, "x", std::nullopt),
                StatusIs(StatusCode::kInvalidArgument, HasSubstr("segment 5 is \"..\"")));
    EXPECT_THAT(view.Get(std::string(kOriginUrl) + "/./x"),
                StatusIs(StatusCode::kInvalidArgument, HasSubstr("segment 5 is \".\"")));
    EXPECT_THAT(view.WriteBatch(std::vector<store::BatchOp>{store::BatchOp::Put(walk, "x")}),
                StatusIs(StatusCode::kInvalidArgument, HasSubstr("\"..\"")));
  }
  EXPECT_EQ(*base_->LatestRevision(), before);
}

TEST_F(GuardedConfigStoreTest, ListLeavesOutUnreadableKeys) {
  Result<std::vector<store::Entry>> feat1 =
      View(Principal::Enver("svcA/b..main-_b..feat1")).List("");
  ASSERT_THAT(feat1, IsOk());
  EXPECT_THAT(KeysOf(*feat1),
              ElementsAre("/odmd-share/svcA/b..main-_b..feat1/share..version", kFeat1Url, kDb));
  Result<std::vector<store::Entry>> origin =
      View(Principal::Enver("svcA/b..main")).List("/odmd-share/svcA/");
  ASSERT_THAT(origin, IsOk());
  EXPECT_THAT(KeysOf(*origin), ElementsAre(kOriginUrl));
  Result<std::vector<store::Entry>> viewer = View(Principal::Viewer()).List("");
  ASSERT_THAT(viewer, IsOk());
  EXPECT_THAT(KeysOf(*viewer),
              ElementsAre("/odmd-share/svcA/b..main-_b..feat1/share..version", kFeat1Url, kFeat2Url,
                          kOriginUrl, kDb, "/odmd/contracts/manifest"));
}

TEST_F(GuardedConfigStoreTest, ListAtLeavesOutUnreadableKeysAsListDoes) {
  ODMD_ASSERT_OK(base_->Put(kFeat1Url, "v2", std::nullopt));  // 9
  for (const Principal& p :
       {Principal::Enver("svcA/b..main-_b..feat1"), Principal::Enver("svcA/b..main"),
        Principal::Enver("ghost/b..main"), Principal::Viewer(), Principal::Admin()}) {
    SCOPED_TRACE(p.ToString());
    GuardedConfigStore view = View(p);
    for (const char* prefix : {"", "/odmd-share/svcA/", "/odmd/"}) {
      SCOPED_TRACE(prefix);
      Result<std::vector<store::Entry>> listed = view.List(prefix);
      ASSERT_THAT(listed, IsOk());
      Result<std::vector<store::Entry>> at_latest = view.ListAt(prefix, 9);
      ASSERT_THAT(at_latest, IsOk());
      EXPECT_EQ(*at_latest, *listed);
    }
  }
  // Before revision 9 the feature branch saw its first url, and still only its own keys.
  Result<std::vector<store::Entry>> feat1 =
      View(Principal::Enver("svcA/b..main-_b..feat1")).ListAt("", 8);
  ASSERT_THAT(feat1, IsOk());
  EXPECT_THAT(KeysOf(*feat1),
              ElementsAre("/odmd-share/svcA/b..main-_b..feat1/share..version", kFeat1Url, kDb));
  EXPECT_EQ((*feat1)[1].value, std::string("value of ") + kFeat1Url);
  Result<std::vector<store::Entry>> early =
      View(Principal::Enver("svcA/b..main-_b..feat1")).ListAt("", 3);
  ASSERT_THAT(early, IsOk());
  EXPECT_THAT(KeysOf(*early),
              ElementsAre("/odmd-share/svcA/b..main-_b..feat1/share..version", kFeat1Url));
  Result<std::vector<store::Entry>> viewer = View(Principal::Viewer()).ListAt("", 7);
  ASSERT_THAT(viewer, IsOk());
  EXPECT_THAT(KeysOf(*viewer),
              ElementsAre("/odmd-share/svcA/b..main-_b..feat1/share..version", kFeat1Url, kFeat2Url,
                          kOriginUrl, kDb, "/odmd/contracts/manifest"));
  Result<std::vector<store::Entry>> admin = View(Principal::Admin()).ListAt("/odmd/", 7);
  ASSERT_THAT(admin, IsOk());
  ASSERT_THAT(KeysOf(*admin), ElementsAre("/odmd/contracts/manifest", kSecret));
  EXPECT_EQ((*admin)[1].value, "");  // secrets stay blank in the past too
  GuardedConfigStore view = View(Principal::Enver("svcA/b..main"));
  EXPECT_THAT(view.ListAt("no-slash", 1),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("prefix")));
  EXPECT_THAT(view.ListAt("", -1), StatusIs(StatusCode::kInvalidArgument, HasSubstr("at=-1")));
}

TEST_F(GuardedConfigStoreTest, SecretValuesAreEmptyEvenForAdmin) {
  GuardedConfigStore admin = View(Principal::Admin());
  Result<store::Entry> got = admin.Get(kSecret);
  ASSERT_THAT(got, IsOk());
  EXPECT_EQ(got->value, "");
  EXPECT_EQ(got->version, 1);
  ASSERT_THAT(admin.GetVersion(kSecret, 1), IsOk());
  EXPECT_EQ(admin.GetVersion(kSecret, 1)->value, "");
  Result<std::vector<store::Entry>> history = admin.History(kSecret);
  ASSERT_THAT(history, IsOk());
  ASSERT_EQ(history->size(), 1u);
  EXPECT_EQ((*history)[0].value, "");
  Result<std::vector<store::Entry>> listed = admin.List("/odmd/");
  ASSERT_THAT(listed, IsOk());
  ASSERT_EQ(listed->size(), 3u);
  for (const store::Entry& e : *listed) {
    EXPECT_EQ(e.value.empty(), e.key == kSecret) << e.key;
  }
}

TEST_F(GuardedConfigStoreTest, WatchDeliversOnlyReadableKeysInOrder) {
  ChangeCollector collector;
  GuardedConfigStore view = View(Principal::Enver("svcA/b..main-_b..feat1"));
  Result<store::WatchHandlePtr> watch = view.Watch("", 0, collector.Sink());
  ASSERT_THAT(watch, IsOk());
  // Live changes: unreadable ones first, then a readable one that ends the wait.
  ODMD_ASSERT_OK(base_->Put(kFeat2Url, "live", std::nullopt));
  ODMD_ASSERT_OK(base_->Put(kOriginUrl, "live", std::nullopt));
  ODMD_ASSERT_OK(base_->Put(kSecret, "live", std::nullopt));
  ODMD_ASSERT_OK(base_->Put(kDb, "live", std::nullopt));
  std::vector<store::ChangeEvent> events = collector.WaitForRevision(12);
  EXPECT_THAT(KeysOf(events), ElementsAre("/odmd-share/svcA/b..main-_b..feat1/share..version",
                                          kFeat1Url, kDb, kDb));
  std::vector<store::Revision> revisions;
  for (const store::ChangeEvent& e : events) revisions.push_back(e.revision);
  EXPECT_THAT(revisions, ElementsAre(1, 2, 5, 12));
  EXPECT_EQ(events.back().value, "live");
}

TEST_F(GuardedConfigStoreTest, WatchBlanksSecretValuesForEveryone) {
  ChangeCollector collector;
  GuardedConfigStore admin = View(Principal::Admin());
  Result<store::WatchHandlePtr> watch = admin.Watch("/odmd/", 0, collector.Sink());
  ASSERT_THAT(watch, IsOk());
  ODMD_ASSERT_OK(base_->Put(kSecret, "sealed bytes", std::nullopt));
  std::vector<store::ChangeEvent> events = collector.WaitForRevision(9);
  ASSERT_EQ(events.size(), 4u);
  EXPECT_EQ(events[0].key, "/odmd/contracts/manifest");
  EXPECT_NE(events[0].value, "");
  for (size_t i : {1u, 3u}) {
    EXPECT_EQ(events[i].key, kSecret);
    EXPECT_EQ(events[i].value, "");
  }
  EXPECT_EQ(events[3].version, 2);
}

TEST_F(GuardedConfigStoreTest, ABatchWithOneDeniedKeyIsDeniedWholeAndWritesNothing) {
  Principal feat1 = Principal::Enver("svcA/b..main-_b..feat1");
  GuardedConfigStore view = View(feat1);
  for (const char* key : {kFeat2Url, kSecret, kToken}) {
    SCOPED_TRACE(key);
    const std::vector<store::BatchOp> ops = {store::BatchOp::Put(kFeat1Url, "mine"),
                                             store::BatchOp::Delete(key)};
    EXPECT_THAT(view.WriteBatch(ops), StatusIs(StatusCode::kPermissionDenied,
                                               "op 1 (" + std::string(key) + "): principal " +
                                                   feat1.ToString() + " may not write " + key));
  }
  EXPECT_EQ(*base_->LatestRevision(), 8);
  // Malformed ops are the store's kInvalidArgument, before any denial.
  EXPECT_THAT(view.WriteBatch(std::vector<store::BatchOp>{store::BatchOp::Put(kDb, "x"),
                                                          store::BatchOp::Put("relative", "x")}),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("op 1 (relative)")));
  Result<std::vector<store::WriteResult>> allowed = view.WriteBatch(std::vector<store::BatchOp>{
      store::BatchOp::Put(kFeat1Url, "v2"),
      store::BatchOp::Put("/odmd-share/svcA/b..main-_b..feat1/share..version", "{}")});
  ASSERT_THAT(allowed, IsOk());
  EXPECT_THAT(*allowed, ElementsAre(store::WriteResult{9, 2}, store::WriteResult{10, 2}));
  // The admin may write secrets in a batch, as with Put; reads of them stay blank.
  GuardedConfigStore admin = View(Principal::Admin());
  ODMD_ASSERT_OK(
      admin.WriteBatch(std::vector<store::BatchOp>{store::BatchOp::Put(kSecret, "s2")}).status());
  EXPECT_EQ(admin.Get(kSecret)->value, "");
  EXPECT_EQ(base_->Get(kSecret)->value, "s2");
}

}  // namespace
}  // namespace odmd::access
