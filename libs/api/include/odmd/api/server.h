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
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "odmd/access/tokens.h"
#include "odmd/base/status.h"
#include "odmd/reconcile/platform.h"
#include "odmd/store/leader_lease.h"

namespace odmd::api {

// A file of the web console, served at GET `path` (and GET / for "/index.html").
struct StaticFile {
  std::string path{};          // "/index.html", "/app.js"
  std::string content_type{};  // "text/html; charset=utf-8"
  std::string_view body{};     // static storage (odmd::console's embedded assets)
};

// The limits that keep the server up under slow, huge and many clients (docs/platform.md
// "Limits" says what a client gets past each).
struct ApiOptions {
  // Secret GitHub signs webhook deliveries with; empty refuses every delivery (403).
  std::string webhook_secret{};
  // The cap of every route's body limit (Route::max_body_bytes: 1 MiB unless the route says
  // otherwise; manifests 32 MiB, webhook deliveries 25 MiB). A body with a Content-Length
  // over its route's limit gets 413 before it is read; a chunked one has its connection
  // closed as soon as it passes the limit. A request refused by its route's access (401,
  // 403) or unknown (404) is answered before its body is read, and the connection closed.
  size_t max_body_bytes = 32u << 20;
  // Threads serving connections: each runs an event loop over its share of the
  // connections (idle ones, slow ones and open event streams hold no thread).
  int threads = 8;
  // Threads running the handlers that wait or take long: every write (its commit, its
  // reactions) and the slow reads (Route::slow: the graph, impact, diffs, long lists). Such
  // a request's connection leaves its event loop while its handler runs, so the connections
  // sharing that loop (a build script reading a product, a health check) never wait behind
  // it. 0: every handler runs on its event-loop thread.
  int worker_threads = 16;
  // Open connections in all, and from one client address. Past max_connections a request
  // gets 503; connections past it (plus a margin) and past the per-client limit are closed
  // when accepted.
  int max_connections = 2048;
  int max_connections_per_client = 1536;
  // Open event streams; past it, a stream request gets 503.
  int max_event_streams = 1024;
  // Request target (path and query) and request head (header lines) sizes: past them 414
  // and 431.
  size_t max_uri_bytes = 8u << 10;
  size_t max_header_bytes = 16u << 10;
  // A connection with no traffic for this long (an idle keep-alive, a client that stopped
  // sending its request or reading its answer) is closed. Event streams are not idle: they
  // write a keepalive comment every stream_keepalive.
  std::chrono::seconds idle_timeout{10};
  // How often an idle event stream sends a comment line (also how long a client that
  // vanished without closing its connection holds its stream at most; one that closed it
  // frees its stream at once).
  std::chrono::milliseconds stream_keepalive{std::chrono::seconds(15)};
  // The web console's files (public: the page asks for a token itself). Empty: GET / is 404.
  std::vector<StaticFile> static_files{};
  // The replicas' leader lease (docs/platform.md, "Replicas") and this replica's id:
  // GET /api/health then also says who leads, since when, at which epoch, and each
  // replica's last heartbeat. nullptr: it says only {"ok": true}.
  store::LeaderLease* lease = nullptr;
  std::string replica_id{};
};

// What the server holds now (ApiServer::stats).
struct ServerStats {
  int open_connections = 0;
  int open_event_streams = 0;
  std::uint64_t body_bytes_read = 0;   // request body bytes read since Listen
  std::uint64_t requests_refused = 0;  // answered before their body was read, or cut off
};

// Raises this process's soft limit of open files to at least `want` (up to the hard
// limit), so the server's connection limits can be reached; returns the limit now.
size_t RaiseOpenFileLimit(size_t want);

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

  ServerStats stats() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace odmd::api
