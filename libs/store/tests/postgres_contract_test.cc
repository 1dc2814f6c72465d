// Runs the ConfigStore contract suite against PostgreSQL: a real server, the test cluster
// of the CTest fixture "postgres". Each test gets a database of its own.

#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "odmd/store/open_config_store.h"
#include "odmd/testing/config_store_contract.h"
#include "postgres_test_db.h"

namespace odmd::testing {
namespace {

// The databases made for this process's tests, keyed by the test's directory, so that a
// reopen with the same directory finds the same database. Dropped when the tests are done
// (after every store is closed).
class PostgresDatabases : public ::testing::Environment {
 public:
  static PostgresDatabases& Get() {
    static PostgresDatabases* const instance = [] {
      auto* databases = new PostgresDatabases;
      ::testing::AddGlobalTestEnvironment(databases);  // gtest owns it
      return databases;
    }();
    return *instance;
  }

  Result<std::string> UrlFor(const std::string& dir) {
    std::lock_guard lock(mu_);
    auto it = databases_.find(dir);
    if (it == databases_.end()) {
      ODMD_ASSIGN_OR_RETURN(std::unique_ptr<PostgresTestDb> db, PostgresTestDb::Create());
      it = databases_.emplace(dir, std::move(db)).first;
    }
    return it->second->Url();
  }

  void TearDown() override {
    std::lock_guard lock(mu_);
    databases_.clear();
  }

 private:
  std::mutex mu_;
  std::map<std::string, std::unique_ptr<PostgresTestDb>> databases_;
};

// Registered before main runs, so gtest calls its TearDown.
[[maybe_unused]] PostgresDatabases& registered = PostgresDatabases::Get();

Result<store::ConfigStorePtr> OpenPostgres(const std::string& dir) {
  ODMD_ASSIGN_OR_RETURN(std::string url, PostgresDatabases::Get().UrlFor(dir));
  store::StoreOptions options;
  options.url = url;
  return store::OpenConfigStore(options);
}

const ConfigStoreContractParam kPostgres{"Postgres", OpenPostgres, true};

INSTANTIATE_TEST_SUITE_P(Backends, ConfigStoreContractTest, ::testing::Values(kPostgres),
                         ConfigStoreContractName);
INSTANTIATE_TEST_SUITE_P(Backends, PersistentConfigStoreContractTest, ::testing::Values(kPostgres),
                         ConfigStoreContractName);

}  // namespace
}  // namespace odmd::testing
