#include "postgres/pg_connection.h"

#include <cctype>
#include <utility>

#include "odmd/base/strings.h"

namespace odmd::store::postgres {
namespace {

// Messages from libpq span lines ("FATAL:  ...\nserver closed the connection ..."); a
// Status message is one line.
std::string OneLine(std::string_view text) {
  std::string out;
  bool space = false;
  for (char c : text) {
    if (std::isspace(static_cast<unsigned char>(c))) {
      space = !out.empty();
      continue;
    }
    if (space) out += ' ';
    space = false;
    out += c;
  }
  return out;
}

// libpq does not echo passwords, but a message must never carry one, whatever its source.
std::string Scrub(std::string text, const std::string& password) {
  if (password.size() < 4) return text;  // a shorter one would garble ordinary words
  for (std::size_t at = text.find(password); at != std::string::npos;
       at = text.find(password, at)) {
    text.replace(at, password.size(), "***");
  }
  return text;
}

std::string PercentDecode(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && std::isxdigit(static_cast<unsigned char>(s[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
      out += static_cast<char>(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

// The URL without its password, and the password (percent-decoded) it held.
std::pair<std::string, std::string> SplitPassword(std::string_view url) {
  const std::size_t scheme = url.find("://");
  if (scheme == std::string_view::npos) return {std::string(url), ""};
  const std::size_t authority_start = scheme + 3;
  std::size_t authority_end = url.find_first_of("/?", authority_start);
  if (authority_end == std::string_view::npos) authority_end = url.size();
  std::string authority(url.substr(authority_start, authority_end - authority_start));
  std::string password;
  const std::size_t at = authority.rfind('@');
  const std::size_t colon = authority.find(':');
  if (at != std::string::npos && colon != std::string::npos && colon < at) {
    password = PercentDecode(std::string_view(authority).substr(colon + 1, at - colon - 1));
    authority.erase(colon, at - colon);
  }
  std::string out = std::string(url.substr(0, authority_start)) + authority;
  std::string_view rest = url.substr(authority_end);
  const std::size_t query = rest.find('?');
  out += rest.substr(0, query);
  if (query == std::string_view::npos) return {out, password};
  char separator = '?';
  for (std::string_view param : StrSplit(rest.substr(query + 1), '&')) {
    if (param.starts_with("password=")) {
      password = PercentDecode(param.substr(9));
      continue;
    }
    out += separator;
    out += param;
    separator = '&';
  }
  return {out, password};
}

void AppendBigEndian(std::string& out, std::uint64_t value, int bytes) {
  for (int shift = 8 * (bytes - 1); shift >= 0; shift -= 8) {
    out += static_cast<char>((value >> shift) & 0xff);
  }
}

std::uint64_t ReadBigEndian(const char* data, int bytes) {
  std::uint64_t value = 0;
  for (int i = 0; i < bytes; ++i) value = (value << 8) | static_cast<unsigned char>(data[i]);
  return value;
}

// The header of a one-dimensional array of `count` elements of `element_type`.
std::string ArrayHeader(Oid element_type, std::size_t count) {
  std::string out;
  AppendBigEndian(out, count == 0 ? 0 : 1, 4);  // dimensions
  AppendBigEndian(out, 0, 4);                   // flags: no NULL elements
  AppendBigEndian(out, element_type, 4);
  if (count > 0) {
    AppendBigEndian(out, count, 4);  // length of the dimension
    AppendBigEndian(out, 1, 4);      // its lower bound
  }
  return out;
}

bool IsUnavailableState(std::string_view sqlstate) {
  // 08: connection exception; 53: insufficient resources; 57: operator intervention
  // (shutdown, terminated backend); 58: system error (I/O); 55P03: lock wait timed out;
  // 40001/40P01: serialization failure and deadlock (retry).
  return sqlstate.starts_with("08") || sqlstate.starts_with("53") || sqlstate.starts_with("57") ||
         sqlstate.starts_with("58") || sqlstate == "55P03" || sqlstate == "40001" ||
         sqlstate == "40P01";
}

bool IsMissingSchemaState(std::string_view sqlstate) {
  // Undefined table, column or function: the database no longer holds the store's schema.
  return sqlstate == "42P01" || sqlstate == "42703" || sqlstate == "42883";
}

}  // namespace

std::string RedactUrl(std::string_view url) { return SplitPassword(url).first; }

Result<PgTarget> DescribeUrl(const std::string& url) {
  auto [label, password] = SplitPassword(url);
  char* error = nullptr;
  PQconninfoOption* options = PQconninfoParse(url.c_str(), &error);
  if (options == nullptr) {
    std::string why = error != nullptr ? OneLine(error) : "out of memory";
    PQfreemem(error);
    return InvalidArgumentError("store url " + Quote(label) +
                                " is not a valid PostgreSQL URL: " + Scrub(why, password));
  }
  PQconninfoFree(options);
  return PgTarget{std::move(label), std::move(password)};
}

// PgParams

void PgParams::Add(Oid type, const char* data, std::size_t size) {
  types_.push_back(type);
  values_.push_back(data);
  lengths_.push_back(static_cast<int>(size));
  formats_.push_back(1);  // binary
}

PgParams& PgParams::Bytes(std::string_view bytes) {
  // A null pointer would send SQL NULL; an empty value is a zero-length bytea.
  Add(kByteaOid, bytes.data() != nullptr ? bytes.data() : "", bytes.size());
  return *this;
}

PgParams& PgParams::Text(std::string_view text) {
  // text's binary format is its bytes (UTF-8 in an odmd database).
  Add(kTextOid, text.data() != nullptr ? text.data() : "", text.size());
  return *this;
}

PgParams& PgParams::Int64(std::int64_t value) {
  std::string encoded;
  AppendBigEndian(encoded, static_cast<std::uint64_t>(value), 8);
  return Encoded(kInt8Oid, std::move(encoded));
}

PgParams& PgParams::Encoded(Oid type, std::string encoded) {
  const std::string& kept = owned_.emplace_back(std::move(encoded));
  Add(type, kept.data(), kept.size());
  return *this;
}

std::string EncodeByteaArray(const std::vector<std::string_view>& items) {
  std::size_t size = 20;
  for (std::string_view item : items) size += 4 + item.size();
  std::string out = ArrayHeader(kByteaOid, items.size());
  out.reserve(size);
  for (std::string_view item : items) {
    AppendBigEndian(out, item.size(), 4);
    out.append(item);
  }
  return out;
}

std::string EncodeInt64Array(const std::vector<std::int64_t>& items) {
  std::string out = ArrayHeader(kInt8Oid, items.size());
  for (std::int64_t item : items) {
    AppendBigEndian(out, 8, 4);
    AppendBigEndian(out, static_cast<std::uint64_t>(item), 8);
  }
  return out;
}

std::string EncodeBoolArray(const std::vector<bool>& items) {
  std::string out = ArrayHeader(kBoolOid, items.size());
  for (bool item : items) {
    AppendBigEndian(out, 1, 4);
    out += item ? '\1' : '\0';
  }
  return out;
}

// PgRows

std::int64_t PgRows::Int64(int row, int column) const {
  return static_cast<std::int64_t>(ReadBigEndian(PQgetvalue(result_.get(), row, column), 8));
}

bool PgRows::Bool(int row, int column) const {
  return PQgetvalue(result_.get(), row, column)[0] != 0;
}

std::string PgRows::Bytes(int row, int column) const {
  return std::string(PQgetvalue(result_.get(), row, column),
                     static_cast<std::size_t>(PQgetlength(result_.get(), row, column)));
}

// PgConnection

Result<std::unique_ptr<PgConnection>> PgConnection::Connect(const std::string& url,
                                                            const PgTarget& target) {
  // Keywords before "dbname" are defaults: the URL's own settings (expanded in its place)
  // override them.
  const char* const keywords[] = {"fallback_application_name", "connect_timeout", "dbname",
                                  nullptr};
  const char* const values[] = {"odmd", "10", url.c_str(), nullptr};
  PGconn* conn = PQconnectdbParams(keywords, values, /*expand_dbname=*/1);
  if (conn == nullptr) return UnavailableError("store " + Quote(target.label) + ": out of memory");
  if (PQstatus(conn) != CONNECTION_OK) {
    const char* host = PQhost(conn);
    const char* db = PQdb(conn);
    std::string message = "store " + Quote(target.label) + ": cannot connect to database " +
                          Quote(db != nullptr ? db : "") + " on host " +
                          Quote(host != nullptr ? host : "") + ": " +
                          Scrub(OneLine(PQerrorMessage(conn)), target.password);
    PQfinish(conn);
    return UnavailableError(std::move(message));
  }
  return std::unique_ptr<PgConnection>(new PgConnection(conn, target));
}

Status PgConnection::Error(const PGresult* result, std::string_view context) const {
  const char* sqlstate = result != nullptr ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
  const std::string_view state = sqlstate != nullptr ? sqlstate : "";
  // On a lost connection libpq's own message holds more than the result's: the server's
  // last words ("FATAL: terminating connection ...") before "server closed the connection".
  const char* server = result != nullptr && !broken() ? PQresultErrorMessage(result) : "";
  if (server == nullptr || *server == '\0') server = PQerrorMessage(conn_);
  std::string message = "store " + Quote(target_.label) + ": " + std::string(context) + ": " +
                        Scrub(OneLine(server), target_.password);
  if (broken() || IsUnavailableState(state)) return UnavailableError(std::move(message));
  if (IsMissingSchemaState(state)) return FailedPreconditionError(std::move(message));
  return InternalError(std::move(message));
}

Status PgConnection::Exec(const char* sql) {
  PgResultPtr result(PQexec(conn_, sql));
  const ExecStatusType status = PQresultStatus(result.get());
  if (result == nullptr || (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK)) {
    return Error(result.get(), Quote(sql));
  }
  return OkStatus();
}

Result<PgRows> PgConnection::Run(const PgStatement& statement, const PgParams& params) {
  ODMD_CHECK(params.size() == static_cast<int>(statement.params.size()));
  if (!prepared_.contains(statement.name)) {
    PgResultPtr prepared(
        PQprepare(conn_, statement.name, statement.sql, params.size(), statement.params.data()));
    if (prepared == nullptr || PQresultStatus(prepared.get()) != PGRES_COMMAND_OK) {
      return Error(prepared.get(), std::string("prepare ") + statement.name);
    }
    prepared_.insert(statement.name);
  }
  PgResultPtr result(PQexecPrepared(conn_, statement.name, params.size(), params.values(),
                                    params.lengths(), params.formats(), /*resultFormat=*/1));
  return Checked(std::move(result), statement.columns, statement.name);
}

Result<PgRows> PgConnection::Query(const char* sql, const PgParams& params,
                                   const std::vector<Oid>& columns) {
  PgResultPtr result(PQexecParams(conn_, sql, params.size(), params.types(), params.values(),
                                  params.lengths(), params.formats(), /*resultFormat=*/1));
  return Checked(std::move(result), columns, Quote(sql));
}

Result<PgRows> PgConnection::Checked(PgResultPtr result, const std::vector<Oid>& columns,
                                     std::string_view context) {
  if (result == nullptr || PQresultStatus(result.get()) != PGRES_TUPLES_OK) {
    return Error(result.get(), context);
  }
  bool shaped = PQnfields(result.get()) == static_cast<int>(columns.size());
  for (int i = 0; shaped && i < PQnfields(result.get()); ++i) {
    shaped = PQftype(result.get(), i) == columns[static_cast<std::size_t>(i)];
  }
  if (!shaped) {
    return InternalError("store " + Quote(target_.label) + ": " + std::string(context) +
                         ": the result has columns of unexpected types");
  }
  return PgRows(std::move(result));
}

}  // namespace odmd::store::postgres
