#pragma once

// The API's route table (STYLE.md §7.2): every route is a row {method, path pattern,
// OpenAPI path, summary, access, mutates, query parameters, handler}. Handlers take a plain
// Request and return a Reply, with no socket library in sight; ApiServer only adapts
// httplib to Dispatch, and GET /api/openapi.json is generated from the same rows. Tests
// call Dispatch (or a route's handler) directly:
//
//   api::RouteTable table = api::BuildRoutes(platform, options);
//   api::Request req{.method = "GET", .path = "/api/envers"};
//   req.headers.emplace("Authorization", "Bearer " + token);
//   api::Reply reply = api::Dispatch(table, tokens, std::move(req));

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <regex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "nlohmann/json.hpp"
#include "odmd/access/principal.h"
#include "odmd/access/tokens.h"
#include "odmd/api/server.h"
#include "odmd/base/status.h"
#include "odmd/reconcile/deployer.h"
#include "odmd/reconcile/platform.h"

namespace odmd::api {

inline constexpr char kJsonType[] = "application/json";
inline constexpr char kTextType[] = "text/plain; charset=utf-8";
// A route's body limit unless it sets its own (Route::max_body_bytes).
inline constexpr size_t kDefaultMaxBodyBytes = size_t{1} << 20;  // 1 MiB
// The manifest routes' (a manifest of a large org is ~10 MB) and GitHub deliveries' (GitHub
// caps a payload at 25 MB).
inline constexpr size_t kMaxManifestBodyBytes = size_t{32} << 20;
inline constexpr size_t kMaxWebhookBodyBytes = size_t{25} << 20;
// A product put's: a product value's bound.
inline constexpr size_t kMaxProductBodyBytes = reconcile::kMaxProductBytes;

// Orders header names without regard to case (HTTP header names are case-insensitive).
struct CaseInsensitiveLess {
  using is_transparent = void;
  bool operator()(std::string_view a, std::string_view b) const;
};
using Headers = std::multimap<std::string, std::string, CaseInsensitiveLess>;

// One HTTP request, as the handlers see it.
struct Request {
  std::string method{};               // "GET", "POST", ... ("HEAD" is served by the GET route)
  std::string path{};                 // percent-decoded, without the query
  std::vector<std::string> params{};  // the route pattern's captures, in order
  std::multimap<std::string, std::string> query{};
  Headers headers{};
  std::string body{};
  access::Principal who{};  // set by Dispatch (Viewer on public routes)

  // The first value of header `name` ("" if absent).
  std::string Header(std::string_view name) const;
  bool HasHeader(std::string_view name) const { return headers.find(name) != headers.end(); }
  // The first value of query parameter `name` ("" if absent).
  std::string Query(const std::string& name) const;
  bool HasQuery(const std::string& name) const { return query.count(name) > 0; }
};

// What a route answers.
struct Reply {
  int status = 200;
  std::string body{};
  std::string content_type = kJsonType;
  std::vector<std::pair<std::string, std::string>> headers{};
  // Set: answer with the server-sent event stream of every event with seq > this value,
  // then the live ones (the server's stream adapter; `body` is unused).
  std::optional<std::int64_t> event_stream_after{};

  static Reply Json(const nlohmann::json& j, int status = 200);
  static Reply Text(std::string text);
};

// Who may call a route.
enum class Access {
  kPublic,  // anyone, no token
  kViewer,  // the viewer or the admin; an enver token gets 403
  kAny,     // any token; the platform's access policy decides (products, CI, redeploy)
  kAdmin,   // the admin only
};
std::string_view AccessName(Access access);  // "public", "viewer", "any", "admin"

// A query parameter, for the OpenAPI document.
struct QueryParam {
  std::string name{};
  std::string type = "string";  // OpenAPI schema type: "string" or "integer"
  std::string description{};
  bool required = false;
};

struct Route {
  std::string method{};        // "GET", "POST", "PUT"
  std::string pattern{};       // ECMAScript regex, matched against the whole path
  std::string openapi_path{};  // "/api/envers/{enver}": one {name} per capture of `pattern`
  std::string summary{};
  Access access = Access::kViewer;
  bool mutates = false;
  // A write a follower replica serves itself (docs/platform.md, "Replicas"): it records it
  // in the inbox or writes it to the store directly. Every other mutating route answers 503
  // on a follower, naming the leader, before the body is read.
  bool follower_serves = false;
  // The handler takes milliseconds (it goes over the whole org, a long history or a large
  // record): the server runs it on a worker thread (ApiOptions::worker_threads), as it runs
  // every mutating route's (they wait for their commits), so the connections sharing its
  // event loop do not wait behind it. Other handlers run on the event loop: the hand-over
  // each way would halve the rate of small reads (docs/platform.md, "Limits").
  bool slow = false;
  std::vector<QueryParam> query{};
  int status = 200;                      // on success
  std::string content_type = kJsonType;  // on success
  // The largest body the route takes (capped by ApiOptions::max_body_bytes): a larger one is
  // refused with 413 before it is read (Content-Length), or the connection is closed as soon
  // as the body passes it (chunked).
  size_t max_body_bytes = kDefaultMaxBodyBytes;
  // Optional: decides from the request's head (req.who and req.params set, no body yet)
  // whether this principal may make this write; Admit calls it, so a refused request's body
  // is never read, let alone parsed. Unset: the access level decides alone.
  std::function<Status(const Request&)> authorize{};
  std::function<Result<Reply>(const Request&)> handler{};
};

// The routes, compiled once. Lookup: exact match of literal patterns, then the regex
// patterns in table order (those whose literal prefix matches the path).
class RouteTable {
 public:
  explicit RouteTable(std::vector<Route> routes);

  const std::vector<Route>& routes() const { return routes_; }

  struct Match {
    const Route* route = nullptr;              // null: no route of this method matches
    std::vector<std::string> params{};         // the captures
    std::vector<std::string> other_methods{};  // methods whose routes match the path
  };
  // HEAD finds the GET route.
  Match Find(std::string_view method, const std::string& path) const;

 private:
  struct Compiled {
    std::string prefix;  // the pattern's literal start
    bool literal = false;
    std::regex regex;
  };
  std::vector<Route> routes_;
  std::vector<Compiled> compiled_;
  std::unordered_map<std::string, size_t> literal_;  // "GET /api/envers" -> index
};

// The routes of docs/api.md over `platform`. `platform` must outlive the table.
RouteTable BuildRoutes(reconcile::Platform& platform, const ApiOptions& options);

// The OpenAPI 3.0.3 document of `routes`.
nlohmann::json OpenApiDocument(const std::vector<Route>& routes);

// The half of Dispatch that needs only the request's head: finds the route of `req` and
// authenticates it for the route's access (setting req.who and req.params), then asks the
// route's `authorize`. kNotFound naming the path (and the methods it takes), kUnauthenticated
// or kPermissionDenied (or what `authorize` answers). The server
// calls it before it reads a body, so a refused request's body is never read.
Result<const Route*> Admit(const RouteTable& table, access::TokenRegistry& tokens, Request& req);

// Admit in its two steps, for the server, which drains a small body of a refused request and
// treats an authenticated principal's refusal like its 413: FindAndAuthenticate (the route,
// req.params and req.who), then Authorize (the route's `authorize`, OK if it has none).
Result<const Route*> FindAndAuthenticate(const RouteTable& table, access::TokenRegistry& tokens,
                                         Request& req);
Status Authorize(const Route& route, const Request& req);

// The route's limit for a body (Route::max_body_bytes capped by `cap`), and the 413 error
// naming both when `bytes` is over it.
size_t BodyLimit(const Route& route, size_t cap);
Status CheckBodySize(const Request& req, size_t bytes, size_t limit);

// The other half: runs the admitted route's handler on `req` (its body read) and turns any
// failure, an exception included, into its JSON error reply.
Reply Run(const Route& route, const Request& req);

// Admit, the body limit (with cap `max_body_bytes`), then Run.
Reply Dispatch(const RouteTable& table, access::TokenRegistry& tokens, Request req,
               size_t max_body_bytes = size_t{32} << 20);

// {"error": {"code", "message"}} with the status of `status`'s code (and WWW-Authenticate
// for 401).
Reply ErrorReply(const Status& status);

}  // namespace odmd::api
