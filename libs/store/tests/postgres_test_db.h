#pragma once

// PostgresTestDb: a fresh database on the PostgreSQL test cluster for one test, dropped when
// destroyed, so tests run in parallel without meeting. The cluster is started by the CTest
// fixture "postgres" (scripts/pg-test-cluster.sh), which writes its URL to the file named
// by the environment variable ODMD_TEST_POSTGRES_URL_FILE. Without it every PostgreSQL test
// fails, with a message saying how to start it: a missing server is a failure, never a skip.

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "odmd/base/status.h"

namespace odmd::testing {

// The cluster's URL, from the file. kFailedPrecondition saying how to start the cluster
// when the variable or the file is missing.
Result<std::string> PostgresClusterUrl();

class PostgresTestDb {
 public:
  // Creates a database with a name no other test uses.
  static Result<std::unique_ptr<PostgresTestDb>> Create();
  // Drops the database, closing any connection still open to it.
  ~PostgresTestDb();
  PostgresTestDb(const PostgresTestDb&) = delete;
  PostgresTestDb& operator=(const PostgresTestDb&) = delete;

  const std::string& name() const { return name_; }
  // A postgresql:// URL of this database on the cluster, plus libpq query parameters
  // `params` ("application_name=a&password=x"), if any.
  std::string Url(std::string_view params = "") const;

  // Runs `sql` in this database on a connection of its own; the rows' first column as
  // text. kInternal with the server's message on failure.
  Result<std::vector<std::string>> Query(const std::string& sql) const;
  // As Query, in the cluster's own database (for ALTER DATABASE and the like).
  Result<std::vector<std::string>> AdminQuery(const std::string& sql) const;

  // Terminates every backend of this database whose application_name is `application` and
  // whose latest query matches the LIKE pattern `query_like`, and waits until they are gone.
  // Returns how many it terminated.
  Result<int> Terminate(std::string_view application, std::string_view query_like) const;

 private:
  PostgresTestDb(std::string cluster_url, std::string host, std::string port, std::string user,
                 std::string name);

  const std::string cluster_url_;
  const std::string host_;
  const std::string port_;
  const std::string user_;
  const std::string name_;
};

}  // namespace odmd::testing
