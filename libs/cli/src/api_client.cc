#include "api_client.h"

#include <httplib.h>
#include <signal.h>

#include <algorithm>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <optional>
#include <utility>

#include "common.h"
#include "odmd/base/strings.h"

namespace odmd::cli {

namespace {

// Requests may wait on the platform (a contracts sync commits into every enver branch).
constexpr std::chrono::minutes kRequestTimeout{10};
// An event stream sends a comment every 15 s while idle; four missed ones mean it is gone.
constexpr std::chrono::seconds kStreamReadTimeout{60};

StatusCode CodeFromName(std::string_view name) {
  for (StatusCode code :
       {StatusCode::kInvalidArgument, StatusCode::kNotFound, StatusCode::kAlreadyExists,
        StatusCode::kPermissionDenied, StatusCode::kResourceExhausted,
        StatusCode::kFailedPrecondition, StatusCode::kAborted, StatusCode::kUnimplemented,
        StatusCode::kInternal, StatusCode::kUnavailable, StatusCode::kUnauthenticated}) {
    if (StatusCodeName(code) == name) return code;
  }
  return StatusCode::kInternal;
}

std::string Getenv(const char* name) {
  const char* v = std::getenv(name);
  return v == nullptr ? "" : v;
}

}  // namespace

void AddClientFlags(CLI::App& sub, ClientFlags& flags) {
  sub.add_option("--server", flags.server,
                 "The odmd API, e.g. http://127.0.0.1:7780 (default: env ODMD_API, else the URL "
                 "odmd serve wrote to <state-dir>/api.url, else " +
                     std::string(kDefaultApiUrl) + ")");
  sub.add_option("--token", flags.token,
                 "Bearer token (default: env ODMD_TOKEN, else <state-dir>/admin.token written "
                 "by odmd serve)");
  sub.add_option("--state-dir", flags.state_dir, "odmd serve's state directory")
      ->capture_default_str();
  AddJsonFlag(sub, flags.json);
}

Result<std::optional<std::string>> ReadFirstLine(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return std::optional<std::string>();
  std::ifstream in(path);
  if (!in) return UnavailableError("cannot read " + Quote(path));
  std::string line;
  std::getline(in, line);
  return std::optional<std::string>(std::string(StripAsciiWhitespace(line)));
}

Result<ApiClient> ApiClient::Open(const ClientFlags& flags) {
  const std::filesystem::path dir(flags.state_dir);
  std::string server = flags.server;
  if (server.empty()) server = Getenv("ODMD_API");
  if (server.empty()) {
    ODMD_ASSIGN_OR_RETURN(std::optional<std::string> file,
                          ReadFirstLine((dir / kApiUrlFile).string()));
    if (file) server = *file;
  }
  if (server.empty()) server = std::string(kDefaultApiUrl);
  while (server.size() > 1 && server.back() == '/') server.pop_back();
  if (server.rfind("http://", 0) != 0 && server.rfind("https://", 0) != 0) {
    return InvalidArgumentError("server " + Quote(server) +
                                " is not an http:// or https:// URL (--server, ODMD_API)");
  }
  std::string token = flags.token;
  if (token.empty()) token = Getenv("ODMD_TOKEN");
  if (token.empty()) {
    ODMD_ASSIGN_OR_RETURN(std::optional<std::string> file,
                          ReadFirstLine((dir / kAdminTokenFile).string()));
    if (file) token = *file;
  }
  return ApiClient(std::move(server), std::move(token));
}

namespace {

httplib::Headers AuthHeaders(const std::string& token) {
  httplib::Headers headers;
  if (!token.empty()) headers.emplace("Authorization", "Bearer " + token);
  return headers;
}

// The Status of a non-2xx answer: the server's {"error": {...}}, or the bare HTTP status.
Status ErrorOf(const httplib::Response& res) {
  nlohmann::json j = nlohmann::json::parse(res.body, nullptr, false);
  if (j.is_object() && j.contains("error") && j["error"].is_object()) {
    const nlohmann::json& e = j["error"];
    return Status(CodeFromName(e.value("code", "")), e.value("message", ""));
  }
  return InternalError("the server answered HTTP " + std::to_string(res.status) +
                       " without an error body");
}

Status Unreachable(const std::string& server, httplib::Error error) {
  // The server answers a request it refuses (a body over the route's limit, a writer it
  // does not allow) at once and closes the connection without reading a large body: the
  // rest of the body cannot be written. Not transient: sending it again changes nothing.
  if (error == httplib::Error::Write) {
    return FailedPreconditionError(
        "the odmd API at " + server +
        " closed the connection while the request's body was sent: it refused the request "
        "before reading the body (a body over the route's limit, or a principal that may not "
        "make this write)");
  }
  return UnavailableError("cannot reach the odmd API at " + server + ": " +
                          httplib::to_string(error) + " (is odmd serve running? --server)");
}

// The server closes a connection whose refused body it will not read (a 413 or 403 of a
// large body): writing the rest must be an error (EPIPE) the client reports, not a SIGPIPE
// that ends the odmd process. Debian's httplib is a compiled library that sends without
// MSG_NOSIGNAL, so SIGPIPE is blocked in this thread while a request is sent, and one it
// raised is taken off the thread's pending set before the mask is restored. (Ignoring it
// process-wide would keep `odmd events --follow | head` running after head exits.)
class ScopedSigpipeBlock {
 public:
  ScopedSigpipeBlock() {
    sigset_t pipe;
    sigemptyset(&pipe);
    sigaddset(&pipe, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe, &old_);
  }
  ~ScopedSigpipeBlock() {
    sigset_t pending;
    sigpending(&pending);
    if (sigismember(&pending, SIGPIPE) == 1 && sigismember(&old_, SIGPIPE) != 1) {
      sigset_t pipe;
      sigemptyset(&pipe);
      sigaddset(&pipe, SIGPIPE);
      const timespec zero{};
      sigtimedwait(&pipe, nullptr, &zero);
    }
    pthread_sigmask(SIG_SETMASK, &old_, nullptr);
  }
  ScopedSigpipeBlock(const ScopedSigpipeBlock&) = delete;
  ScopedSigpipeBlock& operator=(const ScopedSigpipeBlock&) = delete;

 private:
  sigset_t old_;
};

std::unique_ptr<httplib::Client> NewClient(const std::string& server) {
  auto c = std::make_unique<httplib::Client>(server);
  c->set_connection_timeout(std::chrono::seconds(10));
  // Headers and body go out in separate writes: without TCP_NODELAY each request can wait
  // out the peer's delayed ACK (~40 ms on Linux loopback).
  c->set_tcp_nodelay(true);
  c->set_read_timeout(kRequestTimeout);
  c->set_write_timeout(kRequestTimeout);
  return c;
}

}  // namespace

Result<nlohmann::json> ApiClient::Send(const std::string& method, const std::string& path,
                                       const std::string& body, const std::string& content_type) {
  auto c = NewClient(server_);
  const httplib::Headers headers = AuthHeaders(token_);
  const ScopedSigpipeBlock no_sigpipe;
  httplib::Result res = method == "GET"    ? c->Get(path, headers)
                        : method == "POST" ? c->Post(path, headers, body, content_type)
                                           : c->Put(path, headers, body, content_type);
  if (!res) return Unreachable(server_, res.error());
  if (res->status < 200 || res->status >= 300) return ErrorOf(*res);
  nlohmann::json j = nlohmann::json::parse(res->body, nullptr, false);
  if (j.is_discarded()) {
    return InternalError(method + " " + path + ": the server's answer is not JSON");
  }
  return j;
}

bool IsTransient(const Status& status) {
  return status.code() == StatusCode::kAborted || status.code() == StatusCode::kUnavailable;
}

Result<nlohmann::json> WithRetries(const std::function<Result<nlohmann::json>()>& attempt,
                                   const RetryPolicy& policy,
                                   const std::function<void(std::chrono::milliseconds)>& sleep) {
  std::chrono::milliseconds backoff = policy.first_backoff;
  for (int n = 1;; ++n) {
    Result<nlohmann::json> result = attempt();
    if (result.ok() || !IsTransient(result.status()) || n >= policy.attempts) return result;
    sleep(backoff);
    backoff = std::min(backoff * 2, policy.max_backoff);
  }
}

Result<nlohmann::json> ApiClient::Get(const std::string& path) { return Send("GET", path, "", ""); }

Result<nlohmann::json> ApiClient::Post(const std::string& path, const nlohmann::json& body) {
  return Send("POST", path, body.dump(), "application/json");
}

Result<std::string> ApiClient::GetText(const std::string& path) {
  auto c = NewClient(server_);
  httplib::Result res = c->Get(path, AuthHeaders(token_));
  if (!res) return Unreachable(server_, res.error());
  if (res->status < 200 || res->status >= 300) return ErrorOf(*res);
  return res->body;
}

Status ApiClient::Stream(const std::string& path,
                         const std::function<bool(const std::string&)>& on_data) {
  auto c = NewClient(server_);
  c->set_read_timeout(kStreamReadTimeout);
  std::string pending;     // bytes of an unfinished line
  std::string data;        // the data lines of the event being read
  bool stopped = false;    // on_data asked to stop
  std::string error_body;  // the body of an error answer
  int status = 0;
  httplib::Result res = c->Get(
      path, AuthHeaders(token_),
      [&](const httplib::Response& r) {
        status = r.status;
        return true;
      },
      [&](const char* bytes, size_t n) {
        if (status < 200 || status >= 300) {
          error_body.append(bytes, n);
          return true;
        }
        pending.append(bytes, n);
        size_t start = 0;
        for (size_t nl; (nl = pending.find('\n', start)) != std::string::npos; start = nl + 1) {
          std::string_view line(pending.data() + start, nl - start);
          if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
          if (line.empty()) {
            if (!data.empty() && !on_data(data)) {
              stopped = true;
              return false;
            }
            data.clear();
          } else if (line.rfind("data:", 0) == 0) {
            std::string_view value = line.substr(5);
            if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
            if (!data.empty()) data += "\n";
            data += value;
          }  // id:, event: and comments need nothing here
        }
        pending.erase(0, start);
        return true;
      });
  if (stopped) return OkStatus();
  if (status != 0 && (status < 200 || status >= 300)) {
    httplib::Response r;
    r.status = status;
    r.body = error_body;
    return ErrorOf(r);
  }
  if (!res) {
    if (status != 0) {
      return UnavailableError("the event stream from " + server_ +
                              " broke off: " + httplib::to_string(res.error()));
    }
    return Unreachable(server_, res.error());
  }
  return UnavailableError("the event stream from " + server_ + " ended (the server stopped)");
}

std::optional<ApiClient> OpenClientOrReport(Io& io, const ClientFlags& flags) {
  Result<ApiClient> client = ApiClient::Open(flags);
  if (!client.ok()) {
    ReportFailure(io, flags.json, client.status());
    return std::nullopt;
  }
  return std::move(client).value();
}

int PrintResult(Io& io, const ClientFlags& flags, const Result<nlohmann::json>& result,
                const std::function<void(const nlohmann::json&)>& print) {
  if (!result.ok()) return ReportFailure(io, flags.json, result.status());
  if (flags.json) {
    PrintJson(io, *result);
  } else {
    print(*result);
  }
  return kExitOk;
}

std::string UrlEncode(std::string_view s, bool keep_slash) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char ch : s) {
    if ((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
        ch == '-' || ch == '_' || ch == '.' || ch == '~' || (keep_slash && ch == '/')) {
      out += static_cast<char>(ch);
    } else {
      out += '%';
      out += kHex[ch >> 4];
      out += kHex[ch & 0xf];
    }
  }
  return out;
}

std::string Field(const nlohmann::json& j, const std::string& key) {
  if (!j.is_object()) return "-";
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return "-";
  std::string text = it->is_string() ? it->get<std::string>() : it->dump();
  return text.empty() ? "-" : text;
}

std::string FormatTimeMs(std::int64_t ms) {
  if (ms <= 0) return "-";
  const std::time_t seconds = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string ShortSha(std::string_view sha) {
  if (sha.empty()) return "-";
  return std::string(sha.substr(0, 7));
}

void PrintTable(Io& io, const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> widths;
  for (const auto& row : rows) {
    if (widths.size() < row.size()) widths.resize(row.size(), 0);
    for (size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], row[i].size());
  }
  for (const auto& row : rows) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) line += std::string(widths[i] - row[i].size() + 2, ' ');
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    io.out << line << "\n";
  }
}

}  // namespace odmd::cli
