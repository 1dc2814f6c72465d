// The console's reads (docs/api.md "Console routes"): the graph (live or as it was), builds,
// clones, a product's history, contracts versions and their diff, impact. The views are
// the Platform's (docs/platform.md); handlers check the query and pass them through.
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "handler_util.h"
#include "route_groups.h"

namespace odmd::api {
namespace {

using nlohmann::json;

// A route that answers the platform's view `read`.
template <typename Read>
std::function<Result<Reply>(const Request&)> View(Read read) {
  return [read](const Request& req) -> Result<Reply> {
    ODMD_ASSIGN_OR_RETURN(json view, read(req));
    return Reply::Json(view);
  };
}

Result<reconcile::GraphQuery> GraphQueryOf(const Request& req) {
  reconcile::GraphQuery q;
  if (req.HasQuery("revision")) {
    ODMD_ASSIGN_OR_RETURN(
        std::int64_t revision,
        IntParam(req, "revision", 0, 0, std::numeric_limits<std::int64_t>::max()));
    q.revision = revision;
  }
  q.contracts_version = req.Query("contracts_version");
  if (req.HasQuery("contracts_version") && q.contracts_version.empty()) {
    return InvalidArgumentError("GET /api/graph: query parameter \"contracts_version\" is empty");
  }
  if (q.revision && !q.contracts_version.empty()) {
    return InvalidArgumentError(
        "GET /api/graph: give query parameter \"revision\" or \"contracts_version\", not both");
  }
  return q;
}

}  // namespace

void AddConsoleRoutes(std::vector<Route>& routes, reconcile::Platform& platform) {
  reconcile::Platform* p = &platform;
  routes.push_back(
      {.method = "GET",
       .pattern = "/api/graph",
       .openapi_path = "/api/graph",
       .summary = "Builds, envers and product -> consumer edges with their state; live, or as "
                  "the graph was at a store revision or contracts version",
       .access = Access::kViewer,
       .slow = true,
       .query = {{.name = "revision", .type = "integer", .description = "store revision >= 0"},
                 {.name = "contracts_version", .description = "a published contracts version"}},
       .handler = [p](const Request& req) -> Result<Reply> {
         ODMD_ASSIGN_OR_RETURN(reconcile::GraphQuery q, GraphQueryOf(req));
         // The text the platform keeps for the live graph: no re-serialising per request.
         ODMD_ASSIGN_OR_RETURN(std::shared_ptr<const std::string> text, p->GraphText(q));
         Reply reply;
         reply.body = *text;
         return reply;
       }});
  routes.push_back({.method = "GET",
                    .pattern = "/api/builds",
                    .openapi_path = "/api/builds",
                    .summary = "Builds with their envers and clones",
                    .access = Access::kViewer,
                    .slow = true,
                    .handler = View([p](const Request&) { return p->ListBuilds(); })});
  routes.push_back({.method = "GET",
                    .pattern = "/api/clones",
                    .openapi_path = "/api/clones",
                    .summary = "Clones with their origin, git ref and creation time",
                    .access = Access::kViewer,
                    .slow = true,
                    .handler = View([p](const Request&) { return p->ListClones(); })});
  routes.push_back(
      {.method = "GET",
       .pattern = "/api/history/products/([^/]+)/([^/]+)/(.+)",
       .openapi_path = "/api/history/products/{build}/{rev}/{product}",
       .summary = "Every version of a product, newest first (readers of the product only)",
       .access = Access::kAny,
       .slow = true,
       .handler =
           View([p](const Request& req) { return p->ProductHistory(req.who, ProductPath(req)); })});
  routes.push_back({.method = "GET",
                    .pattern = "/api/contracts",
                    .openapi_path = "/api/contracts",
                    .summary = "Published contracts versions, newest first, and the latest",
                    .access = Access::kViewer,
                    .handler = View([p](const Request&) { return p->ListContractsVersions(); })});
  routes.push_back(
      {.method = "GET",
       .pattern = "/api/contracts/diff",
       .openapi_path = "/api/contracts/diff",
       .summary = "What changed between two contracts versions, and the envers it impacts",
       .access = Access::kViewer,
       .slow = true,
       .query = {{.name = "from", .description = "the older version", .required = true},
                 {.name = "to", .description = "the newer version", .required = true}},
       .handler = View([p](const Request& req) -> Result<json> {
         ODMD_ASSIGN_OR_RETURN(std::string from, RequiredParam(req, "from"));
         ODMD_ASSIGN_OR_RETURN(std::string to, RequiredParam(req, "to"));
         return p->DiffContracts(from, to);
       })});
  routes.push_back(
      {.method = "GET",
       .pattern = "/api/contracts/versions/(.+)",
       .openapi_path = "/api/contracts/versions/{version}",
       .summary = "One contracts version with its manifest",
       .access = Access::kViewer,
       .slow = true,
       .handler = View([p](const Request& req) { return p->GetContracts(req.params.at(0)); })});
  routes.push_back(
      {.method = "GET",
       .pattern = "/api/impact",
       .openapi_path = "/api/impact",
       .summary = "The envers and edges downstream of a product or an enver (exactly one)",
       .access = Access::kViewer,
       .slow = true,
       .query = {{.name = "product", .description = "a product path /odmd-share/<b>/<r>/<p>"},
                 {.name = "enver", .description = "an enver id <build>/<rev>"}},
       .handler = View([p](const Request& req) -> Result<json> {
         const std::string product = req.Query("product");
         const std::string enver = req.Query("enver");
         if (product.empty() == enver.empty()) {
           return InvalidArgumentError(
               "GET /api/impact: give exactly one of query parameters \"product\" and "
               "\"enver\"" +
               std::string(product.empty() ? ", neither was given" : ", not both"));
         }
         return p->Impact(product, enver);
       })});
}

}  // namespace odmd::api
