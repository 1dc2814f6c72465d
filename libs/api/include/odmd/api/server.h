#pragma once

// The platform's HTTP API (docs/api.md): JSON over HTTP/1.1 in front of reconcile::Platform,
// what `odmd serve` listens with and the CLI's client commands, build scripts and GitHub
// talk to. Every route but GET /api/health, GET /api/openapi.json, POST /webhooks/github and
// the console's files needs `Authorization: Bearer <token>` (access::TokenRegistry); errors are
// {"error": {"code": "NOT_FOUND", "message": "..."}} with the status of STYLE.md §7.3.
//
//   api::ApiServer server(platform, tokens, {.webhook_secret = secret});
//   ODMD_ASSIGN_OR_RETURN(int port, server.Listen("127.0.0.1", 0));
//   ...
//   server.Stop();

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "odmd/access/tokens.h"
#include "odmd/base/status.h"
#include "odmd/reconcile/platform.h"

namespace odmd::api {

// A file of the web console, served at GET `path` (and GET / for "/index.html").
struct StaticFile {
  std::string path{};          // "/index.html", "/app.js"
  std::string content_type{};  // "text/html; charset=utf-8"
  std::string_view body{};     // static storage (odmd::console's embedded assets)
};

struct ApiOptions {
  // Secret GitHub signs webhook deliveries with; empty refuses every delivery (403).
  std::string webhook_secret{};
  // Largest request body of any route (webhooks, manifests, product values): larger
  // requests get 413 before their body is read or parsed.
  size_t max_body_bytes = 25u << 20;
  // Requests served at once. An open event stream (GET /api/events/stream) holds one.
  int threads = 8;
  // How often an idle event stream sends a comment line, so a client that went away is
  // noticed and its thread freed.
  std::chrono::milliseconds stream_keepalive{std::chrono::seconds(15)};
  // The web console's files (public: the page asks for a token itself). Empty: GET / is 404.
  std::vector<StaticFile> static_files{};
};

// The HTTP status of a non-OK `code` (STYLE.md §7.3): kInvalidArgument 400, kUnauthenticated
// 401, kPermissionDenied 403, kNotFound 404, kAlreadyExists/kFailedPrecondition/kAborted
// 409, kResourceExhausted 413, kUnimplemented 501, kUnavailable 503, anything else 500.
int HttpStatus(StatusCode code);

// Serves the routes of docs/api.md on one address. Thread-safe; `platform` and `tokens`
// must outlive the server.
class ApiServer {
 public:
  ApiServer(reconcile::Platform& platform, access::TokenRegistry& tokens, ApiOptions options);
  // Stops first.
  ~ApiServer();
  ApiServer(const ApiServer&) = delete;
  ApiServer& operator=(const ApiServer&) = delete;

  // Binds `host`:`port` (0: an ephemeral port) and serves on a thread of its own; returns
  // the bound port. kUnavailable naming the address if it cannot be bound;
  // kFailedPrecondition if the server already listens (or was stopped: a server listens
  // once).
  Result<int> Listen(const std::string& host, int port);

  // Ends open event streams, stops accepting, waits for requests in flight and the serving
  // thread. Idempotent.
  void Stop();

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace odmd::api
