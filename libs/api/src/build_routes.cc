// BuildRoutes: the table of docs/api.md, and GET /api/openapi.json generated from it.
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "odmd/api/routes.h"
#include "route_groups.h"

namespace odmd::api {

RouteTable BuildRoutes(reconcile::Platform& platform, const ApiOptions& options) {
  std::vector<Route> routes;
  // Generated once the table is complete; served as it is.
  auto openapi = std::make_shared<std::string>();
  routes.push_back(
      {.method = "GET",
       .pattern = "/api/openapi.json",
       .openapi_path = "/api/openapi.json",
       .summary = "This document: the OpenAPI 3.0.3 description of every route",
       .access = Access::kPublic,
       .handler = [openapi](const Request&) -> Result<Reply> { return Reply{.body = *openapi}; }});
  AddPlatformRoutes(routes, platform, options);
  AddConsoleRoutes(routes, platform);
  AddEventRoutes(routes, platform);
  AddStaticRoutes(routes, options);  // last: it takes every path outside /api/ and /webhooks/
  RefuseLeaderWritesOnFollowers(routes, platform, options);
  *openapi = OpenApiDocument(routes).dump();
  return RouteTable(std::move(routes));
}

}  // namespace odmd::api
