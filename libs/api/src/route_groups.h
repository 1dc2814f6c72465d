#pragma once

// The groups of rows BuildRoutes puts together (build_routes.cc), one file each.

#include <vector>

#include "odmd/api/routes.h"
#include "odmd/api/server.h"
#include "odmd/reconcile/platform.h"

namespace odmd::api {

// Health, webhooks, intake, contracts publish, CI, products, envers, deployments, redeploy
// (platform_routes.cc).
void AddPlatformRoutes(std::vector<Route>& routes, reconcile::Platform& platform,
                       const ApiOptions& options);
// The console's reads: graph, builds, clones, product history, contracts, impact
// (console_routes.cc).
void AddConsoleRoutes(std::vector<Route>& routes, reconcile::Platform& platform);
// GET /api/events (JSON or server-sent events) and /api/events/stream (event_routes.cc).
void AddEventRoutes(std::vector<Route>& routes, reconcile::Platform& platform);
// Makes every mutating route that is not Route::follower_serves answer 503 naming the
// leader while `platform` follows (platform_routes.cc).
void RefuseLeaderWritesOnFollowers(std::vector<Route>& routes, reconcile::Platform& platform,
                                   const ApiOptions& options);
// GET / and GET /<file> of options.static_files; must come last (static_files.cc).
void AddStaticRoutes(std::vector<Route>& routes, const ApiOptions& options);

}  // namespace odmd::api
