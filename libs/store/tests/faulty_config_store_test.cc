#include "odmd/testing/faulty_config_store.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "odmd/store/open_config_store.h"
#include "odmd/testing/status_matchers.h"

namespace odmd::testing {
namespace {

using ::testing::HasSubstr;

class FaultyConfigStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store::StoreOptions options;
    options.url = "sqlite::memory:";
    Result<store::ConfigStorePtr> opened = store::OpenConfigStore(options);
    ASSERT_THAT(opened, IsOk());
    base_ = std::move(opened).value();
    faulty_ = std::make_unique<FaultyConfigStore>(*base_);
  }

  store::ConfigStorePtr base_;
  std::unique_ptr<FaultyConfigStore> faulty_;
};

TEST_F(FaultyConfigStoreTest, FailsOnlyTheNthWriteAndWritesNothingThen) {
  faulty_->FailNthWrite(3);
  ODMD_EXPECT_OK(faulty_->Put("/a", "1", std::nullopt));
  ODMD_EXPECT_OK(faulty_->Put("/b", "1", std::nullopt));
  EXPECT_THAT(faulty_->Put("/c", "1", std::nullopt),
              StatusIs(StatusCode::kUnavailable, HasSubstr("injected fault: put of key \"/c\"")));
  EXPECT_THAT(base_->Get("/c"), StatusIs(StatusCode::kNotFound));
  EXPECT_THAT(base_->LatestRevision(), IsOk());
  EXPECT_EQ(*base_->LatestRevision(), 2);
  ODMD_EXPECT_OK(faulty_->Put("/c", "1", std::nullopt));
  ODMD_EXPECT_OK(faulty_->Delete("/a", std::nullopt));
  EXPECT_EQ(faulty_->injected_failures(), 1);
}

TEST_F(FaultyConfigStoreTest, DeletesCountAsWrites) {
  ODMD_ASSERT_OK(faulty_->Put("/a", "1", std::nullopt));
  faulty_->FailNthWrite(1);
  EXPECT_THAT(faulty_->Delete("/a", std::nullopt),
              StatusIs(StatusCode::kUnavailable, HasSubstr("delete of key \"/a\"")));
  ODMD_EXPECT_OK(faulty_->Get("/a"));
}

TEST_F(FaultyConfigStoreTest, FailsEveryWriteWhileTheFlagIsSetAndReadsStillWork) {
  ODMD_ASSERT_OK(faulty_->Put("/a", "1", std::nullopt));
  faulty_->SetFailWrites(true);
  EXPECT_THAT(faulty_->Put("/a", "2", std::nullopt), StatusIs(StatusCode::kUnavailable));
  EXPECT_THAT(faulty_->Put("/b", "2", std::nullopt), StatusIs(StatusCode::kUnavailable));
  EXPECT_THAT(faulty_->Delete("/a", std::nullopt), StatusIs(StatusCode::kUnavailable));
  Result<store::Entry> got = faulty_->Get("/a");
  ASSERT_THAT(got, IsOk());
  EXPECT_EQ(got->value, "1");
  ODMD_EXPECT_OK(faulty_->List("/"));
  ODMD_EXPECT_OK(faulty_->History("/a"));
  faulty_->SetFailWrites(false);
  ODMD_EXPECT_OK(faulty_->Put("/a", "3", std::nullopt));
  EXPECT_EQ(faulty_->injected_failures(), 3);
}

TEST_F(FaultyConfigStoreTest, ListAtPassesThroughAndIsNoWrite) {
  ODMD_ASSERT_OK(faulty_->Put("/a", "1", std::nullopt));
  ODMD_ASSERT_OK(faulty_->Put("/a", "2", std::nullopt));
  faulty_->FailNthWrite(1);
  // Reads do not count down: the armed fault still hits the next write.
  Result<std::vector<store::Entry>> at_one = faulty_->ListAt("/", 1);
  ASSERT_THAT(at_one, IsOk());
  ASSERT_EQ(at_one->size(), 1u);
  EXPECT_EQ((*at_one)[0].value, "1");
  EXPECT_THAT(faulty_->ListAt("/", -1), StatusIs(StatusCode::kInvalidArgument, HasSubstr("at=-1")));
  EXPECT_THAT(faulty_->Put("/b", "1", std::nullopt),
              StatusIs(StatusCode::kUnavailable, HasSubstr("injected fault: put of key \"/b\"")));
  faulty_->SetFailWrites(true);
  Result<std::vector<store::Entry>> latest = faulty_->ListAt("/", 100);
  ASSERT_THAT(latest, IsOk());
  ASSERT_EQ(latest->size(), 1u);
  EXPECT_EQ((*latest)[0].value, "2");
  EXPECT_EQ(faulty_->injected_failures(), 1);
}

TEST_F(FaultyConfigStoreTest, ABatchIsOneWriteAndFailsWhole) {
  const std::vector<store::BatchOp> ops = {store::BatchOp::Put("/a", "1"),
                                           store::BatchOp::Put("/b", "1")};
  faulty_->FailNthWrite(2);
  ODMD_EXPECT_OK(faulty_->WriteBatch(ops));
  EXPECT_THAT(faulty_->WriteBatch(ops),
              StatusIs(StatusCode::kUnavailable,
                       HasSubstr("injected fault: batch of 2 ops, the first of key \"/a\"")));
  EXPECT_EQ(*base_->LatestRevision(), 2);
  // An empty batch writes nothing, so it is no write to fail.
  faulty_->SetFailWrites(true);
  Result<std::vector<store::WriteResult>> empty = faulty_->WriteBatch({});
  ASSERT_THAT(empty, IsOk());
  EXPECT_TRUE(empty->empty());
  EXPECT_THAT(faulty_->WriteBatch(ops), StatusIs(StatusCode::kUnavailable));
  faulty_->SetFailWrites(false);
  Result<std::vector<store::WriteResult>> written = faulty_->WriteBatch(ops);
  ASSERT_THAT(written, IsOk());
  EXPECT_EQ(written->back(), (store::WriteResult{4, 2}));
  EXPECT_EQ(faulty_->injected_failures(), 2);
}

}  // namespace
}  // namespace odmd::testing
