// The HTTP API on cpp-httplib: the adapter between httplib and the route table
// (routes.h). It turns an httplib request into a Request, a Reply into the response (or an
// event stream, event_stream.cc), and httplib's own refusals (unknown method, body over the
// limit, malformed request, an exception) into the JSON error shape. Nothing else.
#include "odmd/api/server.h"

#include <httplib.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <exception>
#include <mutex>
#include <string>
#include <thread>
#include <utility>

#include "event_stream.h"
#include "odmd/api/routes.h"

namespace odmd::api {
namespace {

// The error code of an httplib answer without a Status of ours (a body over the limit,
// a malformed request, a method no route has).
std::string_view CodeForHttpStatus(int status) {
  switch (status) {
    case 400:
      return "INVALID_ARGUMENT";
    case 404:
      return "NOT_FOUND";
    case 413:
      return "RESOURCE_EXHAUSTED";
    default:
      return "INTERNAL";
  }
}

// Bodies larger than this go out uncompressed (see WriteReply).
constexpr size_t kCompressMaxBytes = size_t{1} << 20;

// httplib compresses a response with brotli at its highest quality whenever the client
// accepts br (every browser does): ~1 s for the console's 500 KB bundle, ~27 s for a
// 12 MB graph. gzip is ~50 times faster, so "br" is taken out of Accept-Encoding before
// httplib looks at it. httplib owns the request as a non-const object and hands it to its
// handlers as const; this is the one place that edits it.
void DropBrotli(const httplib::Request& req) {
  auto& headers = const_cast<httplib::Headers&>(req.headers);
  auto it = headers.find("Accept-Encoding");
  if (it == headers.end()) return;
  std::string kept;
  std::string_view rest = it->second;
  while (!rest.empty()) {
    const size_t comma = rest.find(',');
    std::string_view token = rest.substr(0, comma);
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
    const std::string_view name = token.substr(0, token.find(';'));
    if (name == "br" || name.empty()) continue;
    if (!kept.empty()) kept += ", ";
    kept += token;
  }
  it->second = kept.empty() ? "identity" : kept;
}

void WriteReply(Reply reply, httplib::Response& res) {
  res.status = reply.status;
  for (auto& [name, value] : reply.headers) res.set_header(name.c_str(), value);
  // httplib compresses only the exact content type "application/json": a large JSON body
  // (the graph of a big org) is sent as "application/json; charset=utf-8" instead, because
  // gzip of ~12 MB costs more per request than sending it on loopback or a LAN does.
  if (reply.body.size() > kCompressMaxBytes && reply.content_type == kJsonType) {
    reply.content_type = std::string(kJsonType) + "; charset=utf-8";
  }
  res.set_content(std::move(reply.body), reply.content_type.c_str());
}

Request FromHttplib(const httplib::Request& req) {
  Request r;
  r.method = req.method;
  r.path = req.path;
  r.query.insert(req.params.begin(), req.params.end());
  r.headers.insert(req.headers.begin(), req.headers.end());
  r.body = req.body;
  return r;
}

}  // namespace

class ApiServer::Impl {
 public:
  Impl(reconcile::Platform& platform, access::TokenRegistry& tokens, ApiOptions options)
      : tokens_(tokens),
        options_(std::move(options)),
        table_(BuildRoutes(platform, options_)),
        streams_(platform, options_.stream_keepalive) {
    const int threads = std::max(1, options_.threads);
    server_.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
    server_.set_payload_max_length(options_.max_body_bytes);
    server_.set_keep_alive_timeout(2);
    // httplib's default adds SO_REUSEPORT, which lets a second server bind the same port
    // and share its connections; one address, one server.
    // TCP_NODELAY: httplib writes a response's header and body apart, and Nagle's algorithm
    // would hold the body until the client's delayed ACK (~40 ms a request on loopback).
    // Accepted sockets inherit it from the listening one.
    server_.set_socket_options([](socket_t sock) {
      int yes = 1;
      ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
      ::setsockopt(sock, IPPROTO_TCP, TCP_NODELAY, &yes, sizeof yes);
    });
    server_.set_tcp_nodelay(true);
    server_.set_pre_routing_handler([](const httplib::Request& req, httplib::Response&) {
      DropBrotli(req);
      return httplib::Server::HandlerResponse::Unhandled;
    });
    server_.set_error_handler(httplib::Server::HandlerWithResponse([](const httplib::Request&,
                                                                      httplib::Response& res) {
      // Only httplib's own answers reach here without a body; ours carry their JSON.
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
      res.set_content(
          nlohmann::json{{"error", {{"code", CodeForHttpStatus(res.status)}, {"message", message}}}}
              .dump(),
          kJsonType);
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
          WriteReply(ErrorReply(InternalError("request failed: " + what)), res);
        });
    auto handler = [this](const httplib::Request& req, httplib::Response& res) { Serve(req, res); };
    server_.Get(".*", handler);  // and HEAD
    server_.Post(".*", handler);
    server_.Put(".*", handler);
    server_.Delete(".*", handler);
    server_.Patch(".*", handler);
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
    {
      std::lock_guard lock(mu_);
      if (stopped_) return;
      stopped_ = true;
    }
    streams_.CloseAll();
    // httplib's stop() does nothing until the serving thread has marked the server running;
    // a Stop() right after Listen() must not miss it.
    while (thread_.joinable() && !serving_done_ && !server_.is_running()) {
      std::this_thread::yield();
    }
    server_.stop();
    if (thread_.joinable()) thread_.join();
  }

 private:
  void Serve(const httplib::Request& req, httplib::Response& res) {
    Reply reply = Dispatch(table_, tokens_, FromHttplib(req));
    if (reply.event_stream_after) {
      const Status started = streams_.Start(*reply.event_stream_after, res);
      if (!started.ok()) WriteReply(ErrorReply(started), res);
      return;
    }
    WriteReply(std::move(reply), res);
  }

  access::TokenRegistry& tokens_;
  const ApiOptions options_;
  const RouteTable table_;
  EventStreams streams_;
  httplib::Server server_;
  std::thread thread_;
  std::atomic<bool> serving_done_{false};  // listen_after_bind returned

  std::mutex mu_;
  bool listened_ = false;
  bool stopped_ = false;
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
