// OpenApiDocument: GET /api/openapi.json, generated from the route table so it cannot drift
// from what the server answers.
#include <cctype>
#include <map>
#include <string>
#include <vector>

#include "odmd/api/routes.h"

namespace odmd::api {

using nlohmann::json;

namespace {

// The {name}s of an OpenAPI path template, in order.
std::vector<std::string> PathParams(const std::string& path) {
  std::vector<std::string> names;
  for (size_t open = path.find('{'); open != std::string::npos; open = path.find('{', open)) {
    const size_t close = path.find('}', open);
    if (close == std::string::npos) break;
    names.push_back(path.substr(open + 1, close - open - 1));
    open = close;
  }
  return names;
}

json SuccessContent(const Route& route) {
  if (route.content_type == kJsonType) {
    return {{kJsonType, {{"schema", {{"type", "object"}}}}}};
  }
  return {{route.content_type, {{"schema", {{"type", "string"}}}}}};
}

json Operation(const Route& route) {
  json op = {{"summary", route.summary},
             {"operationId", route.method + " " + route.openapi_path},
             {"x-odmd-access", AccessName(route.access)},
             {"x-odmd-mutates", route.mutates}};
  json params = json::array();
  for (const std::string& name : PathParams(route.openapi_path)) {
    params.push_back({{"name", name},
                      {"in", "path"},
                      {"required", true},
                      {"schema", {{"type", "string"}}},
                      {"description", name == "product" || name == "enver"
                                          ? "may contain \"/\" (percent-encoded or not)"
                                          : ""}});
  }
  for (const QueryParam& q : route.query) {
    params.push_back({{"name", q.name},
                      {"in", "query"},
                      {"required", q.required},
                      {"schema", {{"type", q.type}}},
                      {"description", q.description}});
  }
  if (!params.empty()) op["parameters"] = params;
  if (route.mutates && route.method != "GET") {
    op["requestBody"] = {{"required", false},
                         {"content", {{"*/*", {{"schema", {{"type", "string"}}}}}}}};
  }
  json responses = {
      {std::to_string(route.status), {{"description", "OK"}, {"content", SuccessContent(route)}}}};
  std::vector<int> errors = {400, 404, 409, 413, 501, 503};
  if (route.access != Access::kPublic) errors.insert(errors.begin() + 1, {401, 403});
  for (int status : errors) {
    responses[std::to_string(status)] = {{"$ref", "#/components/responses/Error"}};
  }
  op["responses"] = responses;
  if (route.access == Access::kPublic) {
    op["security"] = json::array();
  } else {
    op["security"] = json::array({{{"bearer", json::array()}}});
  }
  return op;
}

}  // namespace

json OpenApiDocument(const std::vector<Route>& routes) {
  json paths = json::object();
  for (const Route& route : routes) {
    std::string method = route.method;
    for (char& c : method) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    paths[route.openapi_path][method] = Operation(route);
  }
  json error_schema = {{"type", "object"},
                       {"required", {"error"}},
                       {"properties",
                        {{"error",
                          {{"type", "object"},
                           {"required", {"code", "message"}},
                           {"properties",
                            {{"code", {{"type", "string"}, {"example", "NOT_FOUND"}}},
                             {"message", {{"type", "string"}}}}}}}}}};
  return {{"openapi", "3.0.3"},
          {"info",
           {{"title", "odmd platform API"},
            {"version", "1"},
            {"description",
             "The platform's HTTP API (docs/api.md). Errors are {\"error\": {\"code\", "
             "\"message\"}} with the HTTP status of their code."}}},
          {"paths", paths},
          {"security", json::array({{{"bearer", json::array()}}})},
          {"components",
           {{"securitySchemes", {{"bearer", {{"type", "http"}, {"scheme", "bearer"}}}}},
            {"schemas", {{"Error", error_schema}}},
            {"responses",
             {{"Error",
               {{"description", "an error: the code names the kind, the message the thing"},
                {"content",
                 {{kJsonType, {{"schema", {{"$ref", "#/components/schemas/Error"}}}}}}}}}}}}}};
}

}  // namespace odmd::api
