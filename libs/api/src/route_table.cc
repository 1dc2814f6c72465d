// The route table's mechanics: Request/Reply helpers, lookup, authentication for a route's
// access level, and errors as their JSON answers (STYLE.md §7.3).
#include <algorithm>
#include <cctype>
#include <exception>
#include <string>
#include <utility>

#include "odmd/api/routes.h"
#include "odmd/api/server.h"

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

bool CaseInsensitiveLess::operator()(std::string_view a, std::string_view b) const {
  return std::lexicographical_compare(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
    return std::tolower(static_cast<unsigned char>(x)) <
           std::tolower(static_cast<unsigned char>(y));
  });
}

std::string Request::Header(std::string_view name) const {
  auto it = headers.find(name);
  return it == headers.end() ? std::string() : it->second;
}

std::string Request::Query(const std::string& name) const {
  auto it = query.find(name);
  return it == query.end() ? std::string() : it->second;
}

// Strings that are not UTF-8 (a path or product value of arbitrary bytes) are sent with
// U+FFFD in place of their bad bytes rather than failing the reply.
Reply Reply::Json(const json& j, int status) {
  return Reply{.status = status, .body = j.dump(-1, ' ', false, json::error_handler_t::replace)};
}

Reply Reply::Text(std::string text) {
  return Reply{.body = std::move(text), .content_type = kTextType};
}

std::string_view AccessName(Access access) {
  switch (access) {
    case Access::kPublic:
      return "public";
    case Access::kViewer:
      return "viewer";
    case Access::kAny:
      return "any";
    case Access::kAdmin:
      return "admin";
  }
  return "admin";
}

Reply ErrorReply(const Status& status) {
  Reply reply = Reply::Json(
      {{"error", {{"code", StatusCodeName(status.code())}, {"message", status.message()}}}},
      HttpStatus(status.code()));
  if (status.code() == StatusCode::kUnauthenticated) {
    reply.headers.emplace_back("WWW-Authenticate", "Bearer");
  }
  return reply;
}

namespace {

// The literal start of `pattern`: up to its first regex metacharacter.
std::string LiteralPrefix(const std::string& pattern, bool* literal) {
  const size_t end = pattern.find_first_of("\\^$.|?*+()[]{}");
  *literal = end == std::string::npos;
  return pattern.substr(0, end);
}

// The bearer token of `req`, or kUnauthenticated saying what is missing. Never echoes the
// header's value.
Result<std::string> BearerToken(const Request& req) {
  if (!req.HasHeader("Authorization")) {
    return UnauthenticatedError("missing \"Authorization: Bearer <token>\" header");
  }
  const std::string value = req.Header("Authorization");
  constexpr std::string_view kPrefix = "Bearer ";
  if (value.size() <= kPrefix.size() || value.compare(0, kPrefix.size(), kPrefix) != 0) {
    return UnauthenticatedError(
        "the Authorization header must be \"Bearer <token>\" (the scheme is not Bearer or the "
        "token is empty)");
  }
  return value.substr(kPrefix.size());
}

Result<access::Principal> Authenticate(access::TokenRegistry& tokens, const Request& req,
                                       Access access) {
  using Kind = access::Principal::Kind;
  if (access == Access::kPublic) return access::Principal::Viewer();
  ODMD_ASSIGN_OR_RETURN(std::string token, BearerToken(req));
  ODMD_ASSIGN_OR_RETURN(access::Principal who, tokens.Authenticate(token));
  if (access == Access::kAdmin && who.kind != Kind::kAdmin) {
    return PermissionDeniedError(req.method + " " + req.path + " needs the admin principal, not " +
                                 who.ToString());
  }
  if (access == Access::kViewer && (who.kind == Kind::kEnver || who.kind == Kind::kWorkflow)) {
    return PermissionDeniedError(req.method + " " + req.path +
                                 " needs a viewer or admin token, not " + who.ToString());
  }
  return who;
}

}  // namespace

RouteTable::RouteTable(std::vector<Route> routes) : routes_(std::move(routes)) {
  compiled_.reserve(routes_.size());
  for (size_t i = 0; i < routes_.size(); ++i) {
    Compiled c;
    c.prefix = LiteralPrefix(routes_[i].pattern, &c.literal);
    if (c.literal) {
      literal_.emplace(routes_[i].method + " " + routes_[i].pattern, i);
    } else {
      c.regex = std::regex(routes_[i].pattern, std::regex::ECMAScript | std::regex::optimize);
    }
    compiled_.push_back(std::move(c));
  }
}

RouteTable::Match RouteTable::Find(std::string_view method, const std::string& path) const {
  if (method == "HEAD") method = "GET";
  Match match;
  std::string key;
  key.reserve(method.size() + 1 + path.size());
  key.append(method).append(" ").append(path);
  if (auto it = literal_.find(key); it != literal_.end()) {
    match.route = &routes_[it->second];
    return match;
  }
  std::smatch m;
  for (size_t i = 0; i < routes_.size(); ++i) {
    const Compiled& c = compiled_[i];
    if (path.compare(0, c.prefix.size(), c.prefix) != 0) continue;
    const bool matches =
        c.literal ? path == routes_[i].pattern : std::regex_match(path, m, c.regex);
    if (!matches) continue;
    if (routes_[i].method != method) {
      match.other_methods.push_back(routes_[i].method);
      continue;
    }
    match.route = &routes_[i];
    for (size_t g = 1; g < m.size(); ++g) match.params.push_back(m[g].str());
    return match;
  }
  return match;
}

Result<const Route*> FindAndAuthenticate(const RouteTable& table, access::TokenRegistry& tokens,
                                         Request& req) {
  RouteTable::Match match = table.Find(req.method, req.path);
  if (match.route == nullptr) {
    std::string message = "no such route: " + req.method + " " + req.path;
    if (!match.other_methods.empty()) {
      std::string methods;
      for (const std::string& m : match.other_methods) methods += (methods.empty() ? "" : ", ") + m;
      message += " (the path takes " + methods + ")";
    }
    return NotFoundError(std::move(message));
  }
  req.params = std::move(match.params);
  ODMD_ASSIGN_OR_RETURN(req.who, Authenticate(tokens, req, match.route->access));
  return match.route;
}

Status Authorize(const Route& route, const Request& req) {
  return route.authorize ? route.authorize(req) : OkStatus();
}

Result<const Route*> Admit(const RouteTable& table, access::TokenRegistry& tokens, Request& req) {
  ODMD_ASSIGN_OR_RETURN(const Route* route, FindAndAuthenticate(table, tokens, req));
  ODMD_RETURN_IF_ERROR(Authorize(*route, req));
  return route;
}

size_t BodyLimit(const Route& route, size_t cap) { return std::min(route.max_body_bytes, cap); }

Status CheckBodySize(const Request& req, size_t bytes, size_t limit) {
  if (bytes <= limit) return OkStatus();
  return ResourceExhaustedError("the body of " + req.method + " " + req.path + " (" +
                                std::to_string(bytes) + " bytes) is larger than the limit of " +
                                std::to_string(limit) + " bytes");
}

Reply Run(const Route& route, const Request& req) {
  Result<Reply> reply = InternalError("no reply");
  try {
    reply = route.handler(req);
  } catch (const std::exception& e) {
    return ErrorReply(InternalError(std::string("request failed: ") + e.what()));
  } catch (...) {
    return ErrorReply(InternalError("request failed: unknown exception"));
  }
  if (!reply.ok()) return ErrorReply(reply.status());
  return std::move(reply).value();
}

Reply Dispatch(const RouteTable& table, access::TokenRegistry& tokens, Request req,
               size_t max_body_bytes) {
  Result<const Route*> route = Admit(table, tokens, req);
  if (!route.ok()) return ErrorReply(route.status());
  const Status size = CheckBodySize(req, req.body.size(), BodyLimit(**route, max_body_bytes));
  if (!size.ok()) return ErrorReply(size);
  return Run(**route, req);
}

}  // namespace odmd::api
