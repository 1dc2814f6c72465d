// The ConfigStore contract suite through an admin's GuardedConfigStore: for a principal
// that may do everything, the view must be invisible.

#include <memory>
#include <utility>

#include "odmd/access/guarded_config_store.h"
#include "odmd/store/open_config_store.h"
#include "odmd/testing/config_store_contract.h"

namespace odmd::access {
namespace {

// Owns the store and the policy the view borrows.
class OwningAdminView final : public store::ConfigStore {
 public:
  explicit OwningAdminView(store::ConfigStorePtr base)
      : base_(std::move(base)), view_(*base_, policy_, Principal::Admin()) {}

  Result<store::Entry> Get(std::string_view key) override { return view_.Get(key); }
  Result<store::Entry> GetVersion(std::string_view key, store::Version version) override {
    return view_.GetVersion(key, version);
  }
  Result<store::WriteResult> Put(std::string_view key, std::string_view value,
                                 std::optional<store::Revision> if_revision) override {
    return view_.Put(key, value, if_revision);
  }
  Result<store::WriteResult> Delete(std::string_view key,
                                    std::optional<store::Revision> if_revision) override {
    return view_.Delete(key, if_revision);
  }
  Result<std::vector<store::WriteResult>> WriteBatch(std::span<const store::BatchOp> ops) override {
    return view_.WriteBatch(ops);
  }
  Result<std::vector<store::Entry>> List(std::string_view prefix) override {
    return view_.List(prefix);
  }
  Result<std::vector<store::Entry>> ListAt(std::string_view prefix, store::Revision at) override {
    return view_.ListAt(prefix, at);
  }
  Result<std::vector<store::Entry>> History(std::string_view key) override {
    return view_.History(key);
  }
  Result<store::Revision> LatestRevision() override { return view_.LatestRevision(); }
  Result<store::WatchHandlePtr> Watch(std::string_view prefix, store::Revision after,
                                      store::ChangeSink sink) override {
    return view_.Watch(prefix, after, std::move(sink));
  }

 private:
  store::ConfigStorePtr base_;
  AccessPolicy policy_;
  GuardedConfigStore view_;
};

Result<store::ConfigStorePtr> OpenAdminView(const std::string& url) {
  store::StoreOptions options;
  options.url = url;
  ODMD_ASSIGN_OR_RETURN(store::ConfigStorePtr base, store::OpenConfigStore(options));
  return store::ConfigStorePtr(std::make_unique<OwningAdminView>(std::move(base)));
}

}  // namespace
}  // namespace odmd::access

namespace odmd::testing {
namespace {

const ConfigStoreContractParam kSqliteMemory{
    "SqliteMemory", [](const std::string&) { return access::OpenAdminView("sqlite::memory:"); },
    false};
const ConfigStoreContractParam kSqliteFile{
    "SqliteFile",
    [](const std::string& dir) { return access::OpenAdminView("sqlite:" + dir + "/state.db"); },
    true};

INSTANTIATE_TEST_SUITE_P(GuardedAdmin, ConfigStoreContractTest,
                         ::testing::Values(kSqliteMemory, kSqliteFile), ConfigStoreContractName);
INSTANTIATE_TEST_SUITE_P(GuardedAdmin, PersistentConfigStoreContractTest,
                         ::testing::Values(kSqliteFile), ConfigStoreContractName);

}  // namespace
}  // namespace odmd::testing
