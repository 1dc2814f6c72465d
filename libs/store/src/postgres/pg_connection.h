#pragma once

// Thin RAII wrappers over libpq (PostgreSQL's C client), returning Status instead of result
// codes. Parameters and results travel in the binary format: values are bytes (NUL bytes
// included) and integers need no text conversion.
// Not thread-safe: a PgConnection is used by one thread at a time.

#include <libpq-fe.h>

#include <cstdint>
#include <deque>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "odmd/base/status.h"

namespace odmd::store::postgres {

// Type OIDs of the binary formats used here (PostgreSQL's catalog/pg_type.dat; these
// never change).
inline constexpr Oid kBoolOid = 16;
inline constexpr Oid kByteaOid = 17;
inline constexpr Oid kInt8Oid = 20;
inline constexpr Oid kTextOid = 25;
inline constexpr Oid kBoolArrayOid = 1000;
inline constexpr Oid kByteaArrayOid = 1001;
inline constexpr Oid kInt8ArrayOid = 1016;

// What a store URL names, for messages. Never holds the password.
struct PgTarget {
  // The URL as given, minus any password ("postgres://u:pw@h/db" -> "postgres://u@h/db").
  std::string label;
  // The password given in the URL (empty if none): scrubbed from every message.
  std::string password;
};

// Parses `url` with libpq. kInvalidArgument, naming the URL without its password, when
// libpq cannot parse it.
Result<PgTarget> DescribeUrl(const std::string& url);

// `url` without its password: the userinfo password and any "password=" query parameter
// are removed.
std::string RedactUrl(std::string_view url);

// Query parameters, all in binary format. Bytes passed by view must outlive the query.
class PgParams {
 public:
  PgParams() = default;
  PgParams(const PgParams&) = delete;
  PgParams& operator=(const PgParams&) = delete;

  PgParams& Bytes(std::string_view bytes);  // bytea
  PgParams& Text(std::string_view text);    // text (no NUL byte)
  PgParams& Int64(std::int64_t value);      // int8
  // An already encoded value of `type` (see the Encode*Array functions).
  PgParams& Encoded(Oid type, std::string encoded);

  int size() const { return static_cast<int>(values_.size()); }
  const Oid* types() const { return types_.data(); }
  const char* const* values() const { return values_.data(); }
  const int* lengths() const { return lengths_.data(); }
  const int* formats() const { return formats_.data(); }

 private:
  void Add(Oid type, const char* data, std::size_t size);

  std::deque<std::string> owned_;  // a deque: adding never moves the bytes already given out
  std::vector<Oid> types_;
  std::vector<const char*> values_;
  std::vector<int> lengths_;
  std::vector<int> formats_;
};

// One-dimensional arrays in PostgreSQL's binary array format (array_send).
std::string EncodeByteaArray(const std::vector<std::string_view>& items);
std::string EncodeInt64Array(const std::vector<std::int64_t>& items);
std::string EncodeBoolArray(const std::vector<bool>& items);

// A statement prepared once per connection under `name`. Its result columns must have the
// types in `columns`: every result is checked, so a schema that drifted is an error instead
// of misread bytes.
struct PgStatement {
  const char* name;
  const char* sql;
  std::vector<Oid> params;
  std::vector<Oid> columns;
};

struct PgResultDeleter {
  void operator()(PGresult* result) const { PQclear(result); }
};
using PgResultPtr = std::unique_ptr<PGresult, PgResultDeleter>;

// The rows of one successful query, in binary format. Rows and columns count from 0.
// REQUIRES of the accessors: the column has the type the statement declared.
class PgRows {
 public:
  explicit PgRows(PgResultPtr result) : result_(std::move(result)) {}

  int rows() const { return PQntuples(result_.get()); }
  bool IsNull(int row, int column) const { return PQgetisnull(result_.get(), row, column) != 0; }
  std::int64_t Int64(int row, int column) const;
  bool Bool(int row, int column) const;
  // bytea or text.
  std::string Bytes(int row, int column) const;

 private:
  PgResultPtr result_;
};

class PgConnection {
 public:
  // Connects to `url` (a libpq URI). kUnavailable naming the host and database when the
  // server cannot be reached or refuses the connection.
  static Result<std::unique_ptr<PgConnection>> Connect(const std::string& url,
                                                       const PgTarget& target);
  ~PgConnection() { PQfinish(conn_); }
  PgConnection(const PgConnection&) = delete;
  PgConnection& operator=(const PgConnection&) = delete;

  // Runs `sql` with the simple query protocol (it may hold several statements) and drops
  // any rows.
  Status Exec(const char* sql);
  // Runs `statement`, preparing it on this connection's first use.
  Result<PgRows> Run(const PgStatement& statement, const PgParams& params);
  // Runs `sql` once, unprepared; the result columns must have the types in `columns`.
  Result<PgRows> Query(const char* sql, const PgParams& params, const std::vector<Oid>& columns);

  // true once the connection is lost: it is useless from then on.
  bool broken() const { return PQstatus(conn_) != CONNECTION_OK; }
  int backend_pid() const { return PQbackendPID(conn_); }
  PGconn* raw() { return conn_; }
  const PgTarget& target() const { return target_; }

  // The Status for a failed call on this connection: kUnavailable when the connection is
  // lost or the server is shutting down, out of resources or a lock wait timed out;
  // kFailedPrecondition when a table, column or function the store needs is missing;
  // kInternal otherwise. The message names the store and quotes the server.
  Status Error(const PGresult* result, std::string_view context) const;

 private:
  PgConnection(PGconn* conn, PgTarget target) : conn_(conn), target_(std::move(target)) {}
  Result<PgRows> Checked(PgResultPtr result, const std::vector<Oid>& columns,
                         std::string_view context);

  PGconn* conn_;
  PgTarget target_;
  std::set<std::string> prepared_;
};

}  // namespace odmd::store::postgres
