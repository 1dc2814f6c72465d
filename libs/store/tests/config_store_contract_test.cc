// Runs the ConfigStore contract suite against every backend built here.

#include "odmd/testing/config_store_contract.h"

#include "odmd/store/open_config_store.h"
#include "odmd/testing/faulty_config_store.h"

namespace odmd::testing {
namespace {

Result<store::ConfigStorePtr> OpenUrl(const std::string& url) {
  store::StoreOptions options;
  options.url = url;
  return store::OpenConfigStore(options);
}

const ConfigStoreContractParam kSqliteMemory{
    "SqliteMemory", [](const std::string&) { return OpenUrl("sqlite::memory:"); }, false};
const ConfigStoreContractParam kSqliteFile{
    "SqliteFile", [](const std::string& dir) { return OpenUrl("sqlite:" + dir + "/state.db"); },
    true};
// The decorator with no fault armed must be invisible.
const ConfigStoreContractParam kFaultyPassThrough{
    "FaultyPassThrough",
    [](const std::string&) -> Result<store::ConfigStorePtr> {
      ODMD_ASSIGN_OR_RETURN(store::ConfigStorePtr base, OpenUrl("sqlite::memory:"));
      return store::ConfigStorePtr(std::make_unique<FaultyConfigStore>(std::move(base)));
    },
    false};

INSTANTIATE_TEST_SUITE_P(Backends, ConfigStoreContractTest,
                         ::testing::Values(kSqliteMemory, kSqliteFile, kFaultyPassThrough),
                         ConfigStoreContractName);
INSTANTIATE_TEST_SUITE_P(Backends, PersistentConfigStoreContractTest,
                         ::testing::Values(kSqliteFile), ConfigStoreContractName);

}  // namespace
}  // namespace odmd::testing
