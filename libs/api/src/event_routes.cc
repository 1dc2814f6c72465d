// GET /api/events: the event list as JSON, or the server-sent event stream (the server's
// stream adapter, event_stream.cc) when the request accepts text/event-stream;
// GET /api/events/stream (the CLI's follow) always streams.
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "handler_util.h"
#include "route_groups.h"

namespace odmd::api {
namespace {

constexpr std::int64_t kMaxSeq = std::numeric_limits<std::int64_t>::max();

// The seq to resume after: the Last-Event-ID header (what a reconnecting client sends),
// else ?after=, else 0.
Result<std::int64_t> ResumeAfter(const Request& req) {
  ODMD_ASSIGN_OR_RETURN(std::int64_t after, IntParam(req, "after", 0, 0, kMaxSeq));
  if (req.HasHeader("Last-Event-ID")) {
    return ParseInt("header Last-Event-ID", req.Header("Last-Event-ID"), 0, kMaxSeq);
  }
  return after;
}

}  // namespace

void AddEventRoutes(std::vector<Route>& routes, reconcile::Platform& platform) {
  reconcile::Platform* p = &platform;
  routes.push_back(
      {.method = "GET",
       .pattern = "/api/events",
       .openapi_path = "/api/events",
       .summary = "Events with seq > after (or Last-Event-ID), oldest first; with \"Accept: "
                  "text/event-stream\" the server-sent event stream of /api/events/stream",
       .access = Access::kViewer,
       .slow = true,
       .query = {{.name = "after", .type = "integer", .description = "resume after this seq"},
                 {.name = "limit", .type = "integer", .description = "1..10000, default 100"}},
       .handler = [p](const Request& req) -> Result<Reply> {
         ODMD_ASSIGN_OR_RETURN(std::int64_t after, ResumeAfter(req));
         if (req.Header("Accept").find("text/event-stream") != std::string::npos) {
           return Reply{.event_stream_after = after};
         }
         ODMD_ASSIGN_OR_RETURN(std::int64_t limit, IntParam(req, "limit", 100, 1, 10000));
         ODMD_ASSIGN_OR_RETURN(nlohmann::json events,
                               p->ListEvents(after, static_cast<int>(limit)));
         return Reply::Json(events);
       }});
  routes.push_back(
      {.method = "GET",
       .pattern = "/api/events/stream",
       .openapi_path = "/api/events/stream",
       .summary = "Server-sent events: every event after ?after= or Last-Event-ID, then live ones",
       .access = Access::kViewer,
       .query = {{.name = "after", .type = "integer", .description = "resume after this seq"}},
       .content_type = "text/event-stream",
       .handler = [](const Request& req) -> Result<Reply> {
         ODMD_ASSIGN_OR_RETURN(std::int64_t after, ResumeAfter(req));
         return Reply{.event_stream_after = after};
       }});
}

}  // namespace odmd::api
