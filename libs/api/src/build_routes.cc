// BuildRoutes: the table of docs/api.md.
#include <utility>
#include <vector>

#include "odmd/api/routes.h"
#include "route_groups.h"

namespace odmd::api {

RouteTable BuildRoutes(reconcile::Platform& platform, const ApiOptions& options) {
  std::vector<Route> routes;
  AddPlatformRoutes(routes, platform, options);
  AddEventRoutes(routes, platform);
  AddStaticRoutes(routes, options);
  return RouteTable(std::move(routes));
}

}  // namespace odmd::api
