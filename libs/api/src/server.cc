// The HTTP API on cpp-httplib: routing, bearer-token authentication, the status mapping of
// STYLE.md §7.3, GitHub webhook verification and the server-sent event stream. Everything
// the routes do is the Platform's; this file only translates.
#include "odmd/api/server.h"

#include <httplib.h>
#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <condition_variable>
#include <deque>
#include <functional>
#include <limits>
#include <mutex>
#include <optional>
#include <set>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "nlohmann/json.hpp"
#include "odmd/reconcile/github_push.h"

namespace odmd::api {

using nlohmann::json;

int HttpStatus(StatusCode code) {
  switch (code) {
    case StatusCode::kOk:
      return 200;
    case StatusCode::kInvalidArgument:
      return 400;
    case StatusCode::kUnauthenticated:
      return 401;
    case StatusCode::kPermissionDenied:
      return 403;
    case StatusCode::kNotFound:
      return 404;
    case StatusCode::kAlreadyExists:
    case StatusCode::kFailedPrecondition:
    case StatusCode::kAborted:
      return 409;
    case StatusCode::kResourceExhausted:
      return 413;
    case StatusCode::kUnimplemented:
      return 501;
    case StatusCode::kUnavailable:
      return 503;
    case StatusCode::kInternal:
      return 500;
  }
  return 500;
}

namespace {

constexpr char kJson[] = "application/json";
constexpr char kText[] = "text/plain; charset=utf-8";

// The error code a status without a Status of ours carries (httplib's own answers: 404 for
// an unknown route, 413 for a body over the limit, 400 for a malformed request).
std::string_view CodeForHttpStatus(int status) {
  switch (status) {
    case 400:
      return "INVALID_ARGUMENT";
    case 401:
      return "UNAUTHENTICATED";
    case 403:
      return "PERMISSION_DENIED";
    case 404:
      return "NOT_FOUND";
    case 409:
      return "FAILED_PRECONDITION";
    case 413:
      return "RESOURCE_EXHAUSTED";
    case 501:
      return "UNIMPLEMENTED";
    case 503:
      return "UNAVAILABLE";
    default:
      return "INTERNAL";
  }
}

std::string ErrorBody(std::string_view code, std::string_view message) {
  return json{{"error", {{"code", code}, {"message", message}}}}.dump();
}

void SetError(httplib::Response& res, const Status& status) {
  res.status = HttpStatus(status.code());
  res.set_content(ErrorBody(StatusCodeName(status.code()), status.message()), kJson);
  if (status.code() == StatusCode::kUnauthenticated) {
    res.set_header("WWW-Authenticate", "Bearer");
  }
}

// What a route answers when it succeeds.
struct Reply {
  int status = 200;
  std::string body;
  std::string content_type = kJson;

  static Reply Json(const json& j, int status = 200) { return {status, j.dump(), kJson}; }
  static Reply Text(std::string text) { return {200, std::move(text), kText}; }
};

// Who may call a route.
enum class Access { kPublic, kAny, kAdmin };

json ToJson(const reconcile::IntakeReport& r) {
  return {{"refs_changed", r.refs_changed},
          {"deployments_queued", r.deployments_queued},
          {"commands_accepted", r.commands_accepted},
          {"commands_rejected", r.commands_rejected}};
}

json ToJson(const reconcile::PublishReport& r) {
  return {{"changed", r.changed},
          {"version", r.version},
          {"digest", r.digest},
          {"workflows_written", r.workflows_written},
          {"envers_added", r.envers_added},
          {"envers_removed", r.envers_removed}};
}

// The body as a JSON object; kInvalidArgument naming `what` otherwise. An empty body is
// an empty object when `empty_ok`.
Result<json> BodyObject(const httplib::Request& req, std::string_view what, bool empty_ok) {
  if (req.body.empty() && empty_ok) return json::object();
  json j = json::parse(req.body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) {
    return InvalidArgumentError(std::string(what) + ": the body is not valid JSON");
  }
  if (!j.is_object()) {
    return InvalidArgumentError(std::string(what) + ": the body must be a JSON object");
  }
  return j;
}

// The string member `name` of `obj`; "" if absent and not `required`. kInvalidArgument
// naming the member as a JSON pointer otherwise.
Result<std::string> StringMember(const json& obj, const std::string& name, std::string_view what,
                                 bool required) {
  auto it = obj.find(name);
  if (it == obj.end() || it->is_null()) {
    if (!required) return std::string();
    return InvalidArgumentError(std::string(what) + ": /" + name + " is required");
  }
  if (!it->is_string()) {
    return InvalidArgumentError(std::string(what) + ": /" + name + " must be a string");
  }
  return it->get<std::string>();
}

// `text` as a decimal integer within [min, max]; kInvalidArgument naming `what` otherwise.
Result<std::int64_t> ParseInt(std::string_view what, const std::string& text, std::int64_t min,
                              std::int64_t max) {
  std::int64_t value = 0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (text.empty() || ec != std::errc() || ptr != end || value < min || value > max) {
    return InvalidArgumentError(std::string(what) + " must be an integer from " +
                                std::to_string(min) + " to " + std::to_string(max) + ", not \"" +
                                text + "\"");
  }
  return value;
}

// The integer query parameter `name`, `fallback` when absent.
Result<std::int64_t> IntParam(const httplib::Request& req, const std::string& name,
                              std::int64_t fallback, std::int64_t min, std::int64_t max) {
  if (!req.has_param(name.c_str())) return fallback;
  return ParseInt("query parameter \"" + name + "\"", req.get_param_value(name.c_str()), min, max);
}

// The bearer token of `req`, or kUnauthenticated saying what is missing. Never echoes
// the header's value.
Result<std::string> BearerToken(const httplib::Request& req) {
  if (!req.has_header("Authorization")) {
    return UnauthenticatedError("missing \"Authorization: Bearer <token>\" header");
  }
  const std::string value = req.get_header_value("Authorization");
  constexpr std::string_view kPrefix = "Bearer ";
  if (value.size() <= kPrefix.size() || value.compare(0, kPrefix.size(), kPrefix) != 0) {
    return UnauthenticatedError(
        "the Authorization header must be \"Bearer <token>\" (the scheme is not Bearer or the "
        "token is empty)");
  }
  return value.substr(kPrefix.size());
}

// One open event stream: events from the Platform's watch thread, read by the HTTP thread.
struct StreamInbox {
  std::mutex mu;
  std::condition_variable cv;
  std::deque<json> events;
  bool closed = false;  // the server stops

  void Push(const json& event) {
    {
      std::lock_guard lock(mu);
      events.push_back(event);
    }
    cv.notify_all();
  }
  void Close() {
    {
      std::lock_guard lock(mu);
      closed = true;
    }
    cv.notify_all();
  }
};

// "id: <seq>\ndata: <json>\n\n"; an event without a seq gets no id line.
std::string SseFrame(const json& event) {
  std::string frame;
  auto seq = event.find("seq");
  if (seq != event.end() && seq->is_number_integer()) {
    frame += "id: " + std::to_string(seq->get<std::int64_t>()) + "\n";
  }
  frame += "data: " + event.dump() + "\n\n";
  return frame;
}

}  // namespace

class ApiServer::Impl {
 public:
  Impl(reconcile::Platform& platform, access::TokenRegistry& tokens, ApiOptions options)
      : platform_(platform), tokens_(tokens), options_(std::move(options)) {
    const int threads = std::max(1, options_.threads);
    server_.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
    server_.set_payload_max_length(options_.max_body_bytes);
    server_.set_keep_alive_timeout(2);
    // httplib's default adds SO_REUSEPORT, which lets a second server bind the same port
    // and share its connections; one address, one server.
    server_.set_socket_options([](socket_t sock) {
      int yes = 1;
      ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    });
    server_.set_error_handler(
        httplib::Server::HandlerWithResponse([](const httplib::Request&, httplib::Response& res) {
          // Only httplib's own answers (unknown route, body too large, malformed request) reach
          // here without a body; ours carry their JSON already.
          if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
          std::string message;
          switch (res.status) {
            case 404:
              message = "no such route";
              break;
            case 413:
              message = "the request body is larger than the limit";
              break;
            default:
              message = "the request was refused (HTTP " + std::to_string(res.status) + ")";
          }
          res.set_content(ErrorBody(CodeForHttpStatus(res.status), message), kJson);
          return httplib::Server::HandlerResponse::Handled;
        }));
    server_.set_exception_handler(
        [](const httplib::Request&, httplib::Response& res, std::exception_ptr ep) {
          std::string what = "unknown exception";
          try {
            if (ep) std::rethrow_exception(ep);
          } catch (const std::exception& e) {
            what = e.what();
          } catch (...) {
          }
          SetError(res, InternalError("request failed: " + what));
        });
    AddRoutes();
  }

  ~Impl() { Stop(); }

  Result<int> Listen(const std::string& host, int port) {
    {
      std::lock_guard lock(mu_);
      if (listened_) {
        return FailedPreconditionError("the API server already listened (a server listens once)");
      }
      listened_ = true;
    }
    int bound = port;
    if (port == 0) {
      bound = server_.bind_to_any_port(host);
      if (bound <= 0) {
        return UnavailableError("cannot listen on " + host + ":0 (no ephemeral port bound)");
      }
    } else if (!server_.bind_to_port(host, port)) {
      return UnavailableError("cannot listen on " + host + ":" + std::to_string(port) +
                              " (in use, or not an address of this machine)");
    }
    thread_ = std::thread([this] {
      server_.listen_after_bind();
      serving_done_ = true;
    });
    return bound;
  }

  void Stop() {
    std::vector<std::shared_ptr<StreamInbox>> streams;
    {
      std::lock_guard lock(mu_);
      if (stopped_) return;
      stopped_ = true;
      streams.assign(streams_.begin(), streams_.end());
    }
    for (const auto& s : streams) s->Close();
    {
      // Let each stream write its last chunk: once httplib is stopping it no longer finishes
      // a chunked response, and the client would see a broken one instead of its end.
      std::unique_lock lock(mu_);
      streams_cv_.wait_for(lock, std::chrono::seconds(10), [this] { return streams_.empty(); });
    }
    // httplib's stop() does nothing until the serving thread has marked the server running;
    // a Stop() right after Listen() must not miss it.
    while (thread_.joinable() && !serving_done_ && !server_.is_running()) {
      std::this_thread::yield();
    }
    server_.stop();
    if (thread_.joinable()) thread_.join();
  }

 private:
  using Handler =
      std::function<Result<Reply>(const httplib::Request&, const access::Principal& who)>;

  // Wraps `handler`: authentication for `access`, and any error as its JSON answer.
  httplib::Server::Handler Wrap(Access access, Handler handler) {
    return [this, access, handler = std::move(handler)](const httplib::Request& req,
                                                        httplib::Response& res) {
      Result<access::Principal> who = Authenticate(req, access);
      if (!who.ok()) return SetError(res, who.status());
      Result<Reply> reply = handler(req, *who);
      if (!reply.ok()) return SetError(res, reply.status());
      res.status = reply->status;
      res.set_content(std::move(reply->body), reply->content_type);
    };
  }

  Result<access::Principal> Authenticate(const httplib::Request& req, Access access) {
    if (access == Access::kPublic) return access::Principal::Viewer();
    ODMD_ASSIGN_OR_RETURN(std::string token, BearerToken(req));
    ODMD_ASSIGN_OR_RETURN(access::Principal who, tokens_.Authenticate(token));
    if (access == Access::kAdmin && who.kind != access::Principal::Kind::kAdmin) {
      return PermissionDeniedError(req.method + " " + req.path +
                                   " needs the admin principal, not " + who.ToString());
    }
    return who;
  }

  void AddRoutes() {
    server_.Get("/api/health", Wrap(Access::kPublic, [](const auto&, const auto&) -> Result<Reply> {
                  return Reply::Json({{"ok", true}});
                }));
    server_.Post("/webhooks/github",
                 Wrap(Access::kPublic, [this](const auto& req, const auto&) -> Result<Reply> {
                   return Webhook(req);
                 }));
    server_.Post("/api/notify",
                 Wrap(Access::kAdmin, [this](const auto& req, const auto&) -> Result<Reply> {
                   ODMD_ASSIGN_OR_RETURN(json body, BodyObject(req, "POST /api/notify", true));
                   ODMD_ASSIGN_OR_RETURN(std::string repo,
                                         StringMember(body, "repo", "POST /api/notify", false));
                   ODMD_ASSIGN_OR_RETURN(reconcile::IntakeReport report, platform_.Scan(repo));
                   return Reply::Json(ToJson(report));
                 }));
    server_.Get("/api/repos", Wrap(Access::kAny, [this](const auto&, const auto&) -> Result<Reply> {
                  ODMD_ASSIGN_OR_RETURN(std::vector<reconcile::RepoRegistration> repos,
                                        platform_.ListRepos());
                  json list = json::array();
                  for (const auto& r : repos) list.push_back({{"name", r.name}, {"path", r.path}});
                  return Reply::Json({{"repos", list}});
                }));
    server_.Post(
        "/api/repos", Wrap(Access::kAdmin, [this](const auto& req, const auto&) -> Result<Reply> {
          ODMD_ASSIGN_OR_RETURN(json body, BodyObject(req, "POST /api/repos", false));
          reconcile::RepoRegistration repo;
          ODMD_ASSIGN_OR_RETURN(repo.name, StringMember(body, "name", "POST /api/repos", true));
          ODMD_ASSIGN_OR_RETURN(repo.path, StringMember(body, "path", "POST /api/repos", true));
          ODMD_RETURN_IF_ERROR(platform_.RegisterRepo(repo));
          return Reply::Json({{"name", repo.name}, {"path", repo.path}}, 201);
        }));
    server_.Put(R"(/api/ci/manifest/([^/]+)/([^/]+))",
                Wrap(Access::kAny, [this](const auto& req, const auto& who) -> Result<Reply> {
                  return Publish(req, who, req.matches[1].str() + "/" + req.matches[2].str());
                }));
    server_.Post("/api/contracts",
                 Wrap(Access::kAdmin, [this](const auto& req, const auto& who) -> Result<Reply> {
                   return Publish(req, who, "");
                 }));
    server_.Get("/api/ci/context",
                Wrap(Access::kAny, [this](const auto& req, const auto& who) -> Result<Reply> {
                  for (const char* name : {"build", "ref"}) {
                    if (req.get_param_value(name).empty()) {
                      return InvalidArgumentError(std::string("GET /api/ci/context: query "
                                                              "parameter \"") +
                                                  name + "\" is required");
                    }
                  }
                  using Vars = std::vector<std::pair<std::string, std::string>>;
                  ODMD_ASSIGN_OR_RETURN(Vars vars,
                                        platform_.CiContext(who, req.get_param_value("build"),
                                                            req.get_param_value("ref")));
                  return Reply::Text(GitHubEnvText(vars));
                }));
    server_.Put(
        R"(/api/ci/products/([^/]+)/([^/]+)/(.+))",
        Wrap(Access::kAny, [this](const auto& req, const auto& who) -> Result<Reply> {
          const std::string path = ProductPath(req);
          ODMD_ASSIGN_OR_RETURN(store::WriteResult written,
                                platform_.PutProduct(who, path, req.body));
          return Reply::Json(
              {{"path", path}, {"version", written.version}, {"revision", written.revision}});
        }));
    server_.Get(R"(/api/products/([^/]+)/([^/]+)/(.+))",
                Wrap(Access::kAny, [this](const auto& req, const auto& who) -> Result<Reply> {
                  const std::string path = ProductPath(req);
                  ODMD_ASSIGN_OR_RETURN(store::Entry entry, platform_.GetProduct(who, path));
                  return Reply::Json({{"path", path},
                                      {"value", entry.value},
                                      {"version", entry.version},
                                      {"revision", entry.revision}});
                }));
    server_.Get("/api/envers",
                Wrap(Access::kAny, [this](const auto&, const auto&) -> Result<Reply> {
                  ODMD_ASSIGN_OR_RETURN(json envers, platform_.ListEnvers());
                  return Reply::Json(envers);
                }));
    server_.Get(R"(/api/envers/(.+))",
                Wrap(Access::kAny, [this](const auto& req, const auto&) -> Result<Reply> {
                  ODMD_ASSIGN_OR_RETURN(json enver, platform_.GetEnver(req.matches[1].str()));
                  return Reply::Json(enver);
                }));
    server_.Post("/api/redeploy",
                 Wrap(Access::kAny, [this](const auto& req, const auto& who) -> Result<Reply> {
                   ODMD_ASSIGN_OR_RETURN(json body, BodyObject(req, "POST /api/redeploy", false));
                   ODMD_ASSIGN_OR_RETURN(std::string enver,
                                         StringMember(body, "enver", "POST /api/redeploy", true));
                   ODMD_ASSIGN_OR_RETURN(json result, platform_.Redeploy(who, enver));
                   return Reply::Json(result, 202);
                 }));
    server_.Get("/api/deployments",
                Wrap(Access::kAny, [this](const auto& req, const auto&) -> Result<Reply> {
                  ODMD_ASSIGN_OR_RETURN(std::int64_t limit, IntParam(req, "limit", 50, 1, 10000));
                  ODMD_ASSIGN_OR_RETURN(json list,
                                        platform_.ListDeployments(req.get_param_value("enver"),
                                                                  static_cast<int>(limit)));
                  return Reply::Json(list);
                }));
    server_.Get(R"(/api/deployments/([^/]+))",
                Wrap(Access::kAny, [this](const auto& req, const auto&) -> Result<Reply> {
                  ODMD_ASSIGN_OR_RETURN(json d, platform_.GetDeployment(req.matches[1].str()));
                  return Reply::Json(d);
                }));
    server_.Get(R"(/api/deployments/([^/]+)/log)",
                Wrap(Access::kAny, [this](const auto& req, const auto&) -> Result<Reply> {
                  ODMD_ASSIGN_OR_RETURN(std::string log, platform_.GetLog(req.matches[1].str()));
                  return Reply::Text(std::move(log));
                }));
    server_.Get(
        "/api/events", Wrap(Access::kAny, [this](const auto& req, const auto&) -> Result<Reply> {
          ODMD_ASSIGN_OR_RETURN(
              std::int64_t after,
              IntParam(req, "after", 0, 0, std::numeric_limits<std::int64_t>::max()));
          ODMD_ASSIGN_OR_RETURN(std::int64_t limit, IntParam(req, "limit", 100, 1, 10000));
          ODMD_ASSIGN_OR_RETURN(json events, platform_.ListEvents(after, static_cast<int>(limit)));
          return Reply::Json(events);
        }));
    server_.Get("/api/events/stream",
                [this](const httplib::Request& req, httplib::Response& res) { Stream(req, res); });
  }

  static std::string ProductPath(const httplib::Request& req) {
    return "/odmd-share/" + req.matches[1].str() + "/" + req.matches[2].str() + "/" +
           req.matches[3].str();
  }

  // GitHub's $GITHUB_ENV format: NAME=value, or NAME<<DELIM lines DELIM for a value with a
  // newline (docs/workflows.md), with a delimiter the value does not contain.
  static std::string GitHubEnvText(const std::vector<std::pair<std::string, std::string>>& vars) {
    std::string text;
    for (const auto& [name, value] : vars) {
      if (value.find('\n') == std::string::npos) {
        text += name + "=" + value + "\n";
        continue;
      }
      std::string delim = "ODMD_EOF_" + std::to_string(std::hash<std::string>{}(value));
      while (value.find(delim) != std::string::npos) delim += "_";
      text += name + "<<" + delim + "\n" + value;
      if (value.back() != '\n') text += "\n";
      text += delim + "\n";
    }
    return text;
  }

  Result<Reply> Publish(const httplib::Request& req, const access::Principal& who,
                        const std::string& path_enver) {
    // The path names the contracts enver the workflow runs for; an enver token must be that
    // enver's (the Platform then checks it is the contracts enver).
    if (!path_enver.empty() && who.kind == access::Principal::Kind::kEnver &&
        who.enver_id != path_enver) {
      return PermissionDeniedError("PUT /api/ci/manifest/" + path_enver + ": the token is " +
                                   who.ToString() + "'s, not enver \"" + path_enver + "\"'s");
    }
    ODMD_ASSIGN_OR_RETURN(reconcile::PublishReport report,
                          platform_.PublishManifest(who, req.body));
    return Reply::Json(ToJson(report));
  }

  Result<Reply> Webhook(const httplib::Request& req) {
    // httplib refuses a body over max_body_bytes before it is read; this covers a smaller
    // limit of the parser and keeps the order: size, signature, parse.
    if (req.body.size() > options_.max_body_bytes) {
      return ResourceExhaustedError("webhook payload of " + std::to_string(req.body.size()) +
                                    " bytes is over the limit of " +
                                    std::to_string(options_.max_body_bytes));
    }
    if (options_.webhook_secret.empty()) {
      return PermissionDeniedError(
          "GitHub webhooks are disabled: odmd serve has no webhook secret "
          "(--webhook-secret-file)");
    }
    ODMD_RETURN_IF_ERROR(reconcile::VerifyGitHubSignature(
        options_.webhook_secret, req.body, req.get_header_value("X-Hub-Signature-256")));
    ODMD_ASSIGN_OR_RETURN(reconcile::WebhookEvent event,
                          reconcile::ParseGitHubWebhook(req.get_header_value("X-GitHub-Event"),
                                                        req.body, options_.max_body_bytes));
    json reply = {{"ok", true}, {"event", event.event}};
    switch (event.kind) {
      case reconcile::WebhookEventKind::kPing:
        reply["ignored"] = false;
        break;
      case reconcile::WebhookEventKind::kIgnored:
        reply["ignored"] = true;
        break;
      case reconcile::WebhookEventKind::kPush: {
        ODMD_ASSIGN_OR_RETURN(reconcile::IntakeReport report, platform_.IngestPush(*event.push));
        reply["ignored"] = false;
        reply["report"] = ToJson(report);
        break;
      }
    }
    return Reply::Json(reply, 202);
  }

  // GET /api/events/stream: every event after ?after= or Last-Event-ID, then live ones, as
  // server-sent events, until the client goes or the server stops.
  void Stream(const httplib::Request& req, httplib::Response& res) {
    Result<access::Principal> who = Authenticate(req, Access::kAny);
    if (!who.ok()) return SetError(res, who.status());
    const std::int64_t kMax = std::numeric_limits<std::int64_t>::max();
    Result<std::int64_t> after = IntParam(req, "after", 0, 0, kMax);
    if (!after.ok()) return SetError(res, after.status());
    if (req.has_header("Last-Event-ID")) {
      after = ParseInt("header Last-Event-ID", req.get_header_value("Last-Event-ID"), 0, kMax);
      if (!after.ok()) return SetError(res, after.status());
    }
    auto inbox = std::make_shared<StreamInbox>();
    Result<store::WatchHandlePtr> handle =
        platform_.FollowEvents(*after, [inbox](const json& event) { inbox->Push(event); });
    if (!handle.ok()) return SetError(res, handle.status());
    {
      std::lock_guard lock(mu_);
      if (stopped_) return SetError(res, UnavailableError("the API server is stopping"));
      streams_.insert(inbox);
    }
    auto watch = std::make_shared<store::WatchHandlePtr>(std::move(handle).value());
    res.set_header("Cache-Control", "no-cache");
    res.set_chunked_content_provider(
        "text/event-stream",
        [this, inbox](size_t, httplib::DataSink& sink) {
          std::deque<json> batch;
          {
            std::unique_lock lock(inbox->mu);
            inbox->cv.wait_for(lock, options_.stream_keepalive,
                               [&] { return inbox->closed || !inbox->events.empty(); });
            if (inbox->closed) {
              lock.unlock();
              sink.done();
              return true;
            }
            batch.swap(inbox->events);
          }
          std::string out;
          for (const json& event : batch) out += SseFrame(event);
          // Nothing new: a comment line, which tells a vanished client from a quiet one.
          if (out.empty()) out = ": keepalive\n\n";
          return sink.write(out.data(), out.size());
        },
        [this, inbox, watch](bool) {
          watch->reset();  // stop following before the inbox goes
          {
            std::lock_guard lock(mu_);
            streams_.erase(inbox);
          }
          streams_cv_.notify_all();
        });
  }

  reconcile::Platform& platform_;
  access::TokenRegistry& tokens_;
  const ApiOptions options_;
  httplib::Server server_;
  std::thread thread_;
  std::atomic<bool> serving_done_{false};  // listen_after_bind returned

  std::mutex mu_;
  bool listened_ = false;
  bool stopped_ = false;
  std::set<std::shared_ptr<StreamInbox>> streams_;  // open event streams
  std::condition_variable streams_cv_;              // signalled when one ends
};

ApiServer::ApiServer(reconcile::Platform& platform, access::TokenRegistry& tokens,
                     ApiOptions options)
    : impl_(std::make_unique<Impl>(platform, tokens, std::move(options))) {}
ApiServer::~ApiServer() = default;
Result<int> ApiServer::Listen(const std::string& host, int port) {
  return impl_->Listen(host, port);
}
void ApiServer::Stop() { impl_->Stop(); }

}  // namespace odmd::api
