#pragma once

// The client side of the platform's HTTP API (docs/api.md) for the commands that talk to a
// running `odmd serve`: the flags they share (--server, --token, --state-dir, --json), and
// requests that turn the server's {"error": {...}} answers back into a Status.

#include <chrono>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "command.h"
#include "odmd/base/status.h"

namespace odmd::cli {

// The server used when neither --server, ODMD_API nor <state-dir>/api.url names one.
inline constexpr std::string_view kDefaultApiUrl = "http://127.0.0.1:7780";
// The state directory of `odmd serve` and the client commands.
inline constexpr std::string_view kDefaultStateDir = "./.odmd";
// Files `odmd serve` writes into its state directory.
inline constexpr std::string_view kApiUrlFile = "api.url";
inline constexpr std::string_view kAdminTokenFile = "admin.token";

struct ClientFlags {
  // --server URL, else env ODMD_API, else <state-dir>/api.url, else kDefaultApiUrl.
  std::string server;
  // --token T, else env ODMD_TOKEN, else <state-dir>/admin.token, else none.
  std::string token;
  std::string state_dir = std::string(kDefaultStateDir);
  bool json = false;
};

// Declares --server, --token, --state-dir and --json on `sub`.
void AddClientFlags(CLI::App& sub, ClientFlags& flags);

// The first line of the file at `path` without surrounding whitespace; nullopt if the file
// does not exist. kUnavailable naming the path if it exists but cannot be read.
Result<std::optional<std::string>> ReadFirstLine(const std::string& path);

// One command's connection to the API. Not thread-safe.
class ApiClient {
 public:
  // Resolves the server and the token as ClientFlags says. kInvalidArgument for a server
  // that is not an http:// or https:// URL.
  static Result<ApiClient> Open(const ClientFlags& flags);

  const std::string& server() const { return server_; }

  // A JSON request; the parsed answer of a 2xx response. Errors: the server's code and
  // message; kUnavailable naming the server when it cannot be reached;
  // kInternal for an answer that is not JSON.
  Result<nlohmann::json> Get(const std::string& path);
  Result<nlohmann::json> Post(const std::string& path, const nlohmann::json& body);
  Result<nlohmann::json> Send(const std::string& method, const std::string& path,
                              const std::string& body, const std::string& content_type);
  // A text/plain answer (logs).
  Result<std::string> GetText(const std::string& path);
  // GET a server-sent event stream; `on_data` receives the `data:` payload of each event
  // and returns false to stop. Returns when the server ends the stream (kUnavailable
  // saying so), on an error, or OK when `on_data` stopped it.
  Status Stream(const std::string& path, const std::function<bool(const std::string&)>& on_data);

 private:
  ApiClient(std::string server, std::string token)
      : server_(std::move(server)), token_(std::move(token)) {}

  std::string server_;
  std::string token_;
};

// How a request whose failure is transient is tried again.
struct RetryPolicy {
  int attempts = 5;  // in all, the first included
  std::chrono::milliseconds first_backoff{100};
  std::chrono::milliseconds max_backoff{2000};  // the backoff doubles up to this
};

// A failure worth trying again: kAborted (a concurrent writer won a compare-and-set) and
// kUnavailable (HTTP 503, or the server could not be reached or reset the connection: a
// restart).
bool IsTransient(const Status& status);

// Calls `attempt` until it succeeds, fails with an error that is not transient, or
// `policy.attempts` calls were made; between calls `sleep` waits the backoff. Returns the
// last call's result. For requests that are safe to repeat (a product put of one value).
Result<nlohmann::json> WithRetries(const std::function<Result<nlohmann::json>()>& attempt,
                                   const RetryPolicy& policy,
                                   const std::function<void(std::chrono::milliseconds)>& sleep);

// Opens the client or reports why not (ReportFailure); nullopt after reporting.
std::optional<ApiClient> OpenClientOrReport(Io& io, const ClientFlags& flags);

// Prints `result` (--json: as it is) with `print`, or reports its error. Returns the exit
// code.
int PrintResult(Io& io, const ClientFlags& flags, const Result<nlohmann::json>& result,
                const std::function<void(const nlohmann::json&)>& print);

// Percent-encodes `s` for a query parameter value or a path segment ('/' kept when
// `keep_slash`).
std::string UrlEncode(std::string_view s, bool keep_slash = false);

// `j[key]` for printing: a string as it is, a number or bool as JSON, "-" when missing,
// null or empty.
std::string Field(const nlohmann::json& j, const std::string& key);

// "2026-01-01T00:00:00Z" of a time in ms since the epoch; "-" for 0.
std::string FormatTimeMs(std::int64_t ms);

// The first 7 characters of a commit id, "-" when empty.
std::string ShortSha(std::string_view sha);

// Prints `rows` as columns separated by two spaces (the last one unpadded).
void PrintTable(Io& io, const std::vector<std::vector<std::string>>& rows);

}  // namespace odmd::cli
