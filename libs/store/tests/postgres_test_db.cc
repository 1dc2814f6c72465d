#include "postgres_test_db.h"

#include <libpq-fe.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <random>
#include <string>

#include "odmd/base/strings.h"

namespace odmd::testing {
namespace {

std::string PercentEncode(std::string_view s) {
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '/' || c == '.' || c == '_' || c == '-' || c == '~') {
      out += static_cast<char>(c);
    } else {
      char hex[4];
      std::snprintf(hex, sizeof(hex), "%%%02X", c);
      out += hex;
    }
  }
  return out;
}

std::string SqlLiteral(std::string_view s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("''") : std::string(1, c);
  return out + "'";
}

// Runs `sql` on a connection of its own to `url`: the rows' first column as text.
Result<std::vector<std::string>> RunSql(const std::string& url, const std::string& sql) {
  PGconn* conn = PQconnectdb(url.c_str());
  if (PQstatus(conn) != CONNECTION_OK) {
    std::string message = "test cluster " + Quote(url) + ": " + PQerrorMessage(conn);
    PQfinish(conn);
    return FailedPreconditionError(std::move(message));
  }
  PGresult* result = PQexec(conn, sql.c_str());
  const ExecStatusType status = PQresultStatus(result);
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
    std::string message = Quote(sql) + ": " + PQresultErrorMessage(result);
    PQclear(result);
    PQfinish(conn);
    return InternalError(std::move(message));
  }
  std::vector<std::string> rows;
  for (int i = 0; i < PQntuples(result); ++i) {
    rows.push_back(PQnfields(result) > 0 ? PQgetvalue(result, i, 0) : "");
  }
  PQclear(result);
  PQfinish(conn);
  return rows;
}

}  // namespace

Result<std::string> PostgresClusterUrl() {
  const char* file = std::getenv("ODMD_TEST_POSTGRES_URL_FILE");
  if (file == nullptr || *file == '\0') {
    return FailedPreconditionError(
        "ODMD_TEST_POSTGRES_URL_FILE is not set: run the PostgreSQL tests through ctest (its "
        "fixture \"postgres\" starts the test cluster), or start one with "
        "scripts/pg-test-cluster.sh start DIR and set the variable to DIR/url");
  }
  std::ifstream in(file);
  std::string url;
  std::getline(in, url);
  url = std::string(StripAsciiWhitespace(url));
  if (url.empty()) {
    return FailedPreconditionError(
        "PostgreSQL test cluster URL file " + Quote(file) +
        " is missing or empty: the test server is not running (the ctest fixture \"postgres\", "
        "scripts/pg-test-cluster.sh start, did not run or failed)");
  }
  return url;
}

Result<std::unique_ptr<PostgresTestDb>> PostgresTestDb::Create() {
  ODMD_ASSIGN_OR_RETURN(std::string url, PostgresClusterUrl());
  char* error = nullptr;
  PQconninfoOption* options = PQconninfoParse(url.c_str(), &error);
  if (options == nullptr) {
    std::string message = "test cluster URL " + Quote(url) + ": " + (error ? error : "");
    PQfreemem(error);
    return FailedPreconditionError(std::move(message));
  }
  std::string host, port, user;
  for (PQconninfoOption* option = options; option->keyword != nullptr; ++option) {
    const std::string value = option->val != nullptr ? option->val : "";
    const std::string_view keyword = option->keyword;
    if (keyword == "host") host = value;
    if (keyword == "port") port = value;
    if (keyword == "user") user = value;
  }
  PQconninfoFree(options);
  static std::atomic<int> counter{0};
  std::random_device random;
  const std::string name = "odmd_test_" + std::to_string(getpid()) + "_" +
                           std::to_string(++counter) + "_" + std::to_string(random() % 100000);
  ODMD_RETURN_IF_ERROR(RunSql(url, "CREATE DATABASE " + name));
  return std::unique_ptr<PostgresTestDb>(new PostgresTestDb(url, host, port, user, name));
}

PostgresTestDb::PostgresTestDb(std::string cluster_url, std::string host, std::string port,
                               std::string user, std::string name)
    : cluster_url_(std::move(cluster_url)),
      host_(std::move(host)),
      port_(std::move(port)),
      user_(std::move(user)),
      name_(std::move(name)) {}

PostgresTestDb::~PostgresTestDb() {
  Result<std::vector<std::string>> dropped =
      RunSql(cluster_url_, "DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)");
  if (!dropped.ok()) std::fprintf(stderr, "%s\n", dropped.status().ToString().c_str());
}

std::string PostgresTestDb::Url(std::string_view params) const {
  std::string url = "postgresql:///" + name_ + "?host=" + PercentEncode(host_);
  if (!port_.empty()) url += "&port=" + PercentEncode(port_);
  if (!user_.empty()) url += "&user=" + PercentEncode(user_);
  if (!params.empty()) url += "&" + std::string(params);
  return url;
}

Result<std::vector<std::string>> PostgresTestDb::Query(const std::string& sql) const {
  return RunSql(Url(), sql);
}

Result<std::vector<std::string>> PostgresTestDb::AdminQuery(const std::string& sql) const {
  return RunSql(cluster_url_, sql);
}

Result<int> PostgresTestDb::Terminate(std::string_view application,
                                      std::string_view query_like) const {
  ODMD_ASSIGN_OR_RETURN(
      std::vector<std::string> rows,
      AdminQuery("SELECT count(*) FROM (SELECT pg_terminate_backend(pid, 30000) AS gone "
                 "FROM pg_stat_activity WHERE datname = " +
                 SqlLiteral(name_) + " AND application_name = " + SqlLiteral(application) +
                 " AND query LIKE " + SqlLiteral(query_like) + ") AS t WHERE gone"));
  return std::stoi(rows.at(0));
}

}  // namespace odmd::testing
