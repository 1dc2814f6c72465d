// The web console's files (ApiOptions::static_files): GET / is /index.html, GET /<file> a
// known file, with a Content-Security-Policy that allows nothing from elsewhere. Public:
// the page asks for a token itself.
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "route_groups.h"

namespace odmd::api {

inline constexpr char kConsoleCsp[] =
    "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:";

void AddStaticRoutes(std::vector<Route>& routes, const ApiOptions& options) {
  auto files = std::make_shared<std::unordered_map<std::string, StaticFile>>();
  for (const StaticFile& f : options.static_files) files->emplace(f.path, f);
  routes.push_back(
      {.method = "GET",
       // Everything outside /api/ and /webhooks/; comes last, after every other route.
       .pattern = "/((?!api/|webhooks/).*)",
       .openapi_path = "/{file}",
       .summary = "The web console: / is index.html, else one of its files",
       .access = Access::kPublic,
       .content_type = "text/html; charset=utf-8",
       .handler = [files](const Request& req) -> Result<Reply> {
         const std::string path = req.path == "/" ? "/index.html" : req.path;
         auto it = files->find(path);
         if (it == files->end()) {
           return NotFoundError(files->empty() ? "no such route: " + req.method + " " + req.path +
                                                     " (this server has no web console)"
                                               : "no such route: " + req.method + " " + req.path +
                                                     " (not a file of the web console)");
         }
         Reply reply{.body = std::string(it->second.body), .content_type = it->second.content_type};
         reply.headers = {{"Content-Security-Policy", kConsoleCsp},
                          {"X-Content-Type-Options", "nosniff"}};
         if (path == "/index.html") reply.headers.emplace_back("Cache-Control", "no-cache");
         return reply;
       }});
}

}  // namespace odmd::api
