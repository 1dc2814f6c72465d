// The platform's routes (docs/api.md "Routes"): health, GitHub webhooks, intake, contracts
// publish, CI, products, envers, deployments and redeploy. Each handler parses the request,
// calls the Platform and shapes its answer; nothing else.
#include <algorithm>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "handler_util.h"
#include "odmd/reconcile/github_push.h"
#include "route_groups.h"

namespace odmd::api {
namespace {

using nlohmann::json;
using Vars = std::vector<std::pair<std::string, std::string>>;

// GET /api/health: {"ok": true}, and with a lease its holder and the replicas. Ages come from
// the database's clock (now_ms), so replicas' clocks do not matter.
json HealthJson(store::LeaderLease& lease, const std::string& replica_id) {
  json health = {{"ok", true}};
  health["replica"] = replica_id;
  Result<store::LeaseState> state = lease.Current();
  if (!state.ok()) {
    health["lease_error"] = state.status().message();
    return health;
  }
  if (state->held()) {
    health["leader"] = {{"replica", state->holder},
                        {"address", state->holder_address},
                        {"epoch", state->epoch},
                        {"since_ms", state->acquired_at_ms},
                        {"is_this_replica", state->holder == replica_id}};
  } else {
    health["leader"] = nullptr;
  }
  json replicas = json::array();
  for (const store::ReplicaInfo& r : state->replicas) {
    replicas.push_back({{"id", r.id},
                        {"address", r.address},
                        {"started_at_ms", r.started_at_ms},
                        {"last_heartbeat_ms", r.last_heartbeat_ms},
                        {"heartbeat_age_ms", state->now_ms - r.last_heartbeat_ms}});
  }
  health["replicas"] = std::move(replicas);
  return health;
}

// The leader as a follower names it: {"replica", "address"}, or null when nobody leads (or
// there is no lease).
json LeaderJson(const ApiOptions& options) {
  if (options.lease == nullptr) return nullptr;
  Result<store::LeaseState> state = options.lease->Current();
  if (!state.ok() || !state->held()) return nullptr;
  return {{"replica", state->holder}, {"address", state->holder_address}};
}

// What a follower answers for a write it recorded in the inbox: 202 with `reply` plus
// {"accepted": true, "inbox": key, "leader": ...}.
Reply Accepted(json reply, const std::string& key, const ApiOptions& options) {
  reply["accepted"] = true;
  reply["inbox"] = key;
  reply["leader"] = LeaderJson(options);
  return Reply::Json(reply, 202);
}

json ToJson(const reconcile::IntakeReport& r) {
  return {{"refs_changed", r.refs_changed},
          {"deployments_queued", r.deployments_queued},
          {"commands_accepted", r.commands_accepted},
          {"commands_rejected", r.commands_rejected}};
}

json ToJson(const reconcile::PublishReport& r) {
  return {{"changed", r.changed},
          {"version", r.version},
          {"digest", r.digest},
          {"workflows_written", r.workflows_written},
          {"workflows_kept", r.workflows_kept},
          {"envers_added", r.envers_added},
          {"envers_removed", r.envers_removed}};
}

// GitHub's $GITHUB_ENV format: NAME=value, or NAME<<DELIM lines DELIM for a value with a
// newline (docs/workflows.md), with a delimiter the value does not contain.
std::string GitHubEnvText(const Vars& vars) {
  std::string text;
  for (const auto& [name, value] : vars) {
    if (value.find('\n') == std::string::npos) {
      text += name + "=" + value + "\n";
      continue;
    }
    std::string delim = "ODMD_EOF_" + std::to_string(std::hash<std::string>{}(value));
    while (value.find(delim) != std::string::npos) delim += "_";
    text += name + "<<" + delim + "\n" + value;
    if (value.back() != '\n') text += "\n";
    text += delim + "\n";
  }
  return text;
}

// Who may publish, decided from the request's head (Route::authorize): the path names the
// contracts enver the workflow runs for, so an enver token must be that enver's, and the
// Platform decides whether it is the contracts enver's. A foreign principal's manifest is
// never read, so it costs no parse and records no contracts.refused event.
// A workflow group's token publishes for an enver of its group that may publish: the contracts
// enver (never cloned, alone in its region, so alone in its group).
Status AuthorizePublish(reconcile::Platform& platform, const Request& req,
                        const std::string& path_enver) {
  if (!path_enver.empty() && req.who.kind == access::Principal::Kind::kWorkflow) {
    ODMD_RETURN_IF_ERROR(platform.CheckActsFor(req.who, path_enver));
    Status publisher = platform.CheckPublisher(access::Principal::Enver(path_enver));
    if (!publisher.ok()) {
      return Status(publisher.code(), "PUT /api/ci/manifest/" + path_enver + " with the token of " +
                                          req.who.ToString() + ": " + publisher.message());
    }
  }
  if (!path_enver.empty() && req.who.kind == access::Principal::Kind::kEnver &&
      req.who.enver_id != path_enver) {
    return PermissionDeniedError("PUT /api/ci/manifest/" + path_enver + ": the token is " +
                                 req.who.ToString() + "'s, not enver \"" + path_enver + "\"'s");
  }
  return platform.CheckPublisher(req.who);
}

// On a follower the manifest is checked as the leader checks it and recorded for the leader:
// 202 {"version", "digest", "accepted", "inbox", "leader"}.
Result<Reply> Publish(reconcile::Platform& platform, const ApiOptions& options,
                      const Request& req) {
  ODMD_ASSIGN_OR_RETURN(reconcile::PublishReport report,
                        platform.PublishManifest(req.who, req.body));
  if (!report.inbox.empty()) {
    return Accepted({{"version", report.version}, {"digest", report.digest}}, report.inbox,
                    options);
  }
  return Reply::Json(ToJson(report));
}

// The sentence a webhook reply gives for IntakeReport::ignored.
std::string IgnoredPushReason(const std::string& ignored) {
  if (ignored == "duplicate delivery") return "duplicate delivery, ignored";
  if (ignored == "already handled") return "the ref is already at this push's after, ignored";
  if (ignored == "stale") return "stale push: the ref's current commit is not its after, ignored";
  return ignored + ", ignored";
}

Result<Reply> Webhook(reconcile::Platform& platform, const ApiOptions& options,
                      const Request& req) {
  // The server refuses a body over max_body_bytes before it is read; this covers a smaller
  // limit of the parser and keeps the order: size, signature, parse.
  if (req.body.size() > options.max_body_bytes) {
    return ResourceExhaustedError("webhook payload of " + std::to_string(req.body.size()) +
                                  " bytes is over the limit of " +
                                  std::to_string(options.max_body_bytes));
  }
  if (options.webhook_secret.empty()) {
    return PermissionDeniedError(
        "GitHub webhooks are disabled: odmd serve has no webhook secret "
        "(--webhook-secret-file)");
  }
  ODMD_RETURN_IF_ERROR(reconcile::VerifyGitHubSignature(options.webhook_secret, req.body,
                                                        req.Header("X-Hub-Signature-256")));
  ODMD_ASSIGN_OR_RETURN(reconcile::WebhookEvent event,
                        reconcile::ParseGitHubWebhook(req.Header("X-GitHub-Event"), req.body,
                                                      options.max_body_bytes));
  json reply = {{"ok", true}, {"event", event.event}};
  if ((event.push || event.run) && platform.following()) {
    // Verified and parsed; the leader acts on it (docs/platform.md, "Replicas").
    if (event.push) {
      event.push->delivery = req.Header("X-GitHub-Delivery");
      ODMD_RETURN_IF_ERROR(reconcile::ValidatePush(*event.push));
    }
    ODMD_ASSIGN_OR_RETURN(std::string key,
                          platform.RecordInbox({"github",
                                                {{"event", event.event}, {"body", req.body}},
                                                req.Header("X-GitHub-Delivery")}));
    reply["ignored"] = false;
    return Accepted(std::move(reply), key, options);
  }
  switch (event.kind) {
    case reconcile::WebhookEventKind::kPing:
      reply["ignored"] = false;
      break;
    case reconcile::WebhookEventKind::kIgnored:
      reply["ignored"] = true;
      break;
    case reconcile::WebhookEventKind::kWorkflowRun: {
      event.run->delivery = req.Header("X-GitHub-Delivery");
      ODMD_ASSIGN_OR_RETURN(json run, platform.IngestWorkflowRun(*event.run));
      reply["ignored"] = !run.value("followed", false);
      reply["run"] = std::move(run);
      return Reply::Json(reply, 200);
    }
    case reconcile::WebhookEventKind::kPush: {
      event.push->delivery = req.Header("X-GitHub-Delivery");
      ODMD_ASSIGN_OR_RETURN(reconcile::IntakeReport report, platform.IngestPush(*event.push));
      if (!report.ignored.empty()) {
        // A replay (or a push the ref has moved past) changed nothing: 200, not 202.
        reply["ignored"] = true;
        reply["reason"] = IgnoredPushReason(report.ignored);
        reply["report"] = ToJson(report);
        return Reply::Json(reply, 200);
      }
      reply["ignored"] = false;
      reply["report"] = ToJson(report);
      break;
    }
  }
  return Reply::Json(reply, 202);
}

}  // namespace

namespace {

// POST /api/notify on a follower: the repository must be registered; the scan is the
// leader's (an inbox record).
Result<Reply> NotifyOnFollower(reconcile::Platform& platform, const ApiOptions& options,
                               const std::string& repo) {
  if (!repo.empty()) {
    ODMD_ASSIGN_OR_RETURN(std::vector<reconcile::RepoRegistration> repos, platform.ListRepos());
    if (std::none_of(repos.begin(), repos.end(), [&](const auto& r) { return r.name == repo; })) {
      return NotFoundError("repository \"" + repo +
                           "\" is not registered (odmd repo add NAME PATH)");
    }
  }
  ODMD_ASSIGN_OR_RETURN(std::string key, platform.RecordInbox({"scan", {{"repo", repo}}, ""}));
  return Accepted(json::object(), key, options);
}

}  // namespace

void AddPlatformRoutes(std::vector<Route>& routes, reconcile::Platform& platform,
                       const ApiOptions& options) {
  reconcile::Platform* p = &platform;
  routes.push_back(
      {.method = "GET",
       .pattern = "/api/health",
       .openapi_path = "/api/health",
       .summary = "Liveness: {\"ok\": true}; with replicas, the leader and their heartbeats",
       .access = Access::kPublic,
       .handler = [lease = options.lease,
                   replica = options.replica_id](const Request&) -> Result<Reply> {
         if (lease == nullptr) return Reply{.body = R"({"ok":true})"};
         return Reply::Json(HealthJson(*lease, replica));
       }});
  routes.push_back({.method = "POST",
                    .pattern = "/webhooks/github",
                    .openapi_path = "/webhooks/github",
                    .summary = "A GitHub webhook delivery (signed with X-Hub-Signature-256)",
                    .access = Access::kPublic,
                    .mutates = true,
                    .follower_serves = true,  // push and workflow_run: the inbox
                    .status = 202,
                    .max_body_bytes = kMaxWebhookBodyBytes,
                    .handler = [p, options](const Request& req) -> Result<Reply> {
                      return Webhook(*p, options, req);
                    }});
  routes.push_back(
      {.method = "POST",
       .pattern = "/api/notify",
       .openapi_path = "/api/notify",
       .summary = "Scan a registered repo's refs ({\"repo\": \"\"}: every repo); intake report",
       .access = Access::kAdmin,
       .mutates = true,
       .follower_serves = true,
       .handler = [p, options](const Request& req) -> Result<Reply> {
         ODMD_ASSIGN_OR_RETURN(json body, BodyObject(req, "POST /api/notify", true));
         ODMD_ASSIGN_OR_RETURN(std::string repo,
                               StringMember(body, "repo", "POST /api/notify", false));
         if (p->following()) return NotifyOnFollower(*p, options, repo);
         ODMD_ASSIGN_OR_RETURN(reconcile::IntakeReport report, p->Scan(repo));
         return Reply::Json(ToJson(report));
       }});
  routes.push_back({.method = "GET",
                    .pattern = "/api/repos",
                    .openapi_path = "/api/repos",
                    .summary = "The registered repos: {\"repos\": [{\"name\", \"path\"}]}",
                    .access = Access::kViewer,
                    .handler = [p](const Request&) -> Result<Reply> {
                      ODMD_ASSIGN_OR_RETURN(std::vector<reconcile::RepoRegistration> repos,
                                            p->ListRepos());
                      json list = json::array();
                      for (const auto& r : repos) {
                        list.push_back({{"name", r.name}, {"path", r.path}});
                      }
                      return Reply::Json({{"repos", list}});
                    }});
  routes.push_back(
      {.method = "POST",
       .pattern = "/api/repos",
       .openapi_path = "/api/repos",
       .summary = "Register a local repo: {\"name\": \"owner/name\", \"path\": \"/abs/repo.git\"}",
       .access = Access::kAdmin,
       .mutates = true,
       .follower_serves = true,  // a record every replica reads
       .status = 201,
       .handler = [p](const Request& req) -> Result<Reply> {
         ODMD_ASSIGN_OR_RETURN(json body, BodyObject(req, "POST /api/repos", false));
         reconcile::RepoRegistration repo;
         ODMD_ASSIGN_OR_RETURN(repo.name, StringMember(body, "name", "POST /api/repos", true));
         ODMD_ASSIGN_OR_RETURN(repo.path, StringMember(body, "path", "POST /api/repos", true));
         ODMD_RETURN_IF_ERROR(p->RegisterRepo(repo));
         return Reply::Json({{"name", repo.name}, {"path", repo.path}}, 201);
       }});
  routes.push_back({.method = "PUT",
                    .pattern = "/api/ci/manifest/([^/]+)/([^/]+)",
                    .openapi_path = "/api/ci/manifest/{build}/{rev}",
                    .summary = "Publish the manifest (the contracts enver's workflow)",
                    .access = Access::kAny,
                    .mutates = true,
                    .follower_serves = true,  // checked, then the inbox
                    .max_body_bytes = kMaxManifestBodyBytes,
                    .authorize = [p](const Request& req) -> Status {
                      return AuthorizePublish(*p, req, req.params.at(0) + "/" + req.params.at(1));
                    },
                    .handler = [p, options](const Request& req) -> Result<Reply> {
                      return Publish(*p, options, req);
                    }});
  routes.push_back(
      {.method = "POST",
       .pattern = "/api/contracts",
       .openapi_path = "/api/contracts",
       .summary = "Publish the manifest in the body; publish report",
       .access = Access::kAdmin,
       .mutates = true,
       .follower_serves = true,  // checked, then the inbox
       .max_body_bytes = kMaxManifestBodyBytes,
       .authorize = [p](const Request& req) -> Status { return AuthorizePublish(*p, req, ""); },
       .handler = [p, options](const Request& req) -> Result<Reply> {
         return Publish(*p, options, req);
       }});
  routes.push_back(
      {.method = "GET",
       .pattern = "/api/ci/context",
       .openapi_path = "/api/ci/context",
       .summary = "An enver's CI context variables, as $GITHUB_ENV lines",
       .access = Access::kAny,
       .slow = true,  // its first call for an enver issues and stores its token: a commit
       .query = {{.name = "build", .description = "the build id", .required = true},
                 {.name = "ref", .description = "the git ref (refs/heads/...)", .required = true}},
       .content_type = kTextType,
       .handler = [p](const Request& req) -> Result<Reply> {
         ODMD_ASSIGN_OR_RETURN(std::string build, RequiredParam(req, "build"));
         ODMD_ASSIGN_OR_RETURN(std::string ref, RequiredParam(req, "ref"));
         ODMD_ASSIGN_OR_RETURN(Vars vars, p->CiContext(req.who, build, ref));
         return Reply::Text(GitHubEnvText(vars));
       }});
  routes.push_back(
      {.method = "PUT",
       .pattern = "/api/ci/products/([^/]+)/([^/]+)/(.+)",
       .openapi_path = "/api/ci/products/{build}/{rev}/{product}",
       .summary = "Publish a product value (the body, bytes) of the producing enver",
       .access = Access::kAny,
       .mutates = true,
       .follower_serves = true,  // written directly; the leader's reaction watch reacts
       .max_body_bytes = kMaxProductBodyBytes,
       // The build script's principal may write this product: decided before the value is read.
       .authorize = [p](const Request& req) -> Status {
         return p->CheckProductWrite(req.who, ProductPath(req));
       },
       .handler = [p](const Request& req) -> Result<Reply> {
         const std::string path = ProductPath(req);
         ODMD_ASSIGN_OR_RETURN(store::WriteResult written, p->PutProduct(req.who, path, req.body));
         return Reply::Json(
             {{"path", path}, {"version", written.version}, {"revision", written.revision}});
       }});
  routes.push_back({.method = "GET",
                    .pattern = "/api/products/([^/]+)/([^/]+)/(.+)",
                    .openapi_path = "/api/products/{build}/{rev}/{product}",
                    .summary = "A product's current value (readers of the product only)",
                    .access = Access::kAny,
                    .handler = [p](const Request& req) -> Result<Reply> {
                      const std::string path = ProductPath(req);
                      ODMD_ASSIGN_OR_RETURN(store::Entry entry, p->GetProduct(req.who, path));
                      return Reply::Json({{"path", path},
                                          {"value", entry.value},
                                          {"version", entry.version},
                                          {"revision", entry.revision}});
                    }});
  routes.push_back({.method = "GET",
                    .pattern = "/api/envers",
                    .openapi_path = "/api/envers",
                    .summary = "Every enver with its latest deployment",
                    .access = Access::kViewer,
                    .slow = true,
                    .handler = [p](const Request&) -> Result<Reply> {
                      ODMD_ASSIGN_OR_RETURN(json envers, p->ListEnvers());
                      return Reply::Json(envers);
                    }});
  routes.push_back({.method = "GET",
                    .pattern = "/api/envers/(.+)",
                    .openapi_path = "/api/envers/{enver}",
                    .summary = "One enver (\"<build>/<rev>\"): derived names, products, consumers",
                    .access = Access::kViewer,
                    .handler = [p](const Request& req) -> Result<Reply> {
                      ODMD_ASSIGN_OR_RETURN(json enver, p->GetEnver(req.params.at(0)));
                      return Reply::Json(enver);
                    }});
  routes.push_back(
      {.method = "POST",
       .pattern = "/api/redeploy",
       .openapi_path = "/api/redeploy",
       .summary = "Queue a deployment of {\"enver\": \"<build>/<rev>\"} (the platform checks who)",
       .access = Access::kAny,
       .mutates = true,
       .follower_serves = true,  // Platform::Redeploy records it in the inbox
       .status = 202,
       .handler = [p, options](const Request& req) -> Result<Reply> {
         ODMD_ASSIGN_OR_RETURN(json body, BodyObject(req, "POST /api/redeploy", false));
         ODMD_ASSIGN_OR_RETURN(std::string enver,
                               StringMember(body, "enver", "POST /api/redeploy", true));
         ODMD_ASSIGN_OR_RETURN(json result, p->Redeploy(req.who, enver));
         if (result.contains("accepted")) result["leader"] = LeaderJson(options);
         return Reply::Json(result, 202);
       }});
  routes.push_back({.method = "GET",
                    .pattern = "/api/teardowns",
                    .openapi_path = "/api/teardowns",
                    .summary = "Teardowns that failed and wait for a retry",
                    .access = Access::kViewer,
                    .handler = [p](const Request&) -> Result<Reply> {
                      ODMD_ASSIGN_OR_RETURN(json list, p->ListTeardowns());
                      return Reply::Json(list);
                    }});
  routes.push_back(
      {.method = "POST",
       .pattern = "/api/workflows/rotate",
       .openapi_path = "/api/workflows/rotate",
       .summary = "Rotate the token of {\"workflow\": \"<workflow name>\"} and put it into the "
                  "workflow's repository secret (GitHub runner)",
       .access = Access::kAdmin,
       .mutates = true,
       .follower_serves = true,  // checked, then the inbox
       .handler = [p, options](const Request& req) -> Result<Reply> {
         const std::string what = "POST /api/workflows/rotate";
         ODMD_ASSIGN_OR_RETURN(json body, BodyObject(req, what, false));
         ODMD_ASSIGN_OR_RETURN(std::string workflow, StringMember(body, "workflow", what, true));
         ODMD_ASSIGN_OR_RETURN(json result, p->RotateWorkflowSecret(req.who, workflow));
         if (result.contains("accepted")) {
           const std::string key = result["inbox"];
           result.erase("accepted");
           result.erase("inbox");
           return Accepted(std::move(result), key, options);
         }
         return Reply::Json(result);
       }});
  for (const bool retry : {true, false}) {
    const std::string path = retry ? "/api/teardowns/retry" : "/api/teardowns/forget";
    routes.push_back(
        {.method = "POST",
         .pattern = path,
         .openapi_path = path,
         .summary = retry ? "Run the failed teardown of {\"enver\": \"<build>/<rev>\"} again"
                          : "Drop the failed teardown of {\"enver\": \"<build>/<rev>\"}",
         .access = Access::kAdmin,
         .mutates = true,
         .follower_serves = true,  // checked, then the inbox
         .handler = [p, options, retry, path](const Request& req) -> Result<Reply> {
           const std::string what = "POST " + path;
           ODMD_ASSIGN_OR_RETURN(json body, BodyObject(req, what, false));
           ODMD_ASSIGN_OR_RETURN(std::string enver, StringMember(body, "enver", what, true));
           ODMD_ASSIGN_OR_RETURN(json result, retry ? p->RetryTeardown(req.who, enver)
                                                    : p->ForgetTeardown(req.who, enver));
           if (result.contains("accepted")) {
             const std::string key = result["inbox"];
             result.erase("accepted");
             result.erase("inbox");
             return Accepted(std::move(result), key, options);
           }
           return Reply::Json(result);
         }});
  }
  routes.push_back(
      {.method = "GET",
       .pattern = "/api/deployments",
       .openapi_path = "/api/deployments",
       .summary = "Deployments, newest first",
       .access = Access::kViewer,
       .query = {{.name = "enver", .description = "only this enver's"},
                 {.name = "limit", .type = "integer", .description = "1..10000, default 50"}},
       .handler = [p](const Request& req) -> Result<Reply> {
         ODMD_ASSIGN_OR_RETURN(std::int64_t limit, IntParam(req, "limit", 50, 1, 10000));
         ODMD_ASSIGN_OR_RETURN(json list,
                               p->ListDeployments(req.Query("enver"), static_cast<int>(limit)));
         return Reply::Json(list);
       }});
  routes.push_back({.method = "GET",
                    .pattern = "/api/deployments/([^/]+)",
                    .openapi_path = "/api/deployments/{id}",
                    .summary = "One deployment",
                    .access = Access::kViewer,
                    // An active one is read from the queue under its lock, which an enqueue
                    // holds across its commit (a reaction of 1,000 consumers: ~25 ms).
                    .slow = true,
                    .handler = [p](const Request& req) -> Result<Reply> {
                      ODMD_ASSIGN_OR_RETURN(json d, p->GetDeployment(req.params.at(0)));
                      return Reply::Json(d);
                    }});
  routes.push_back({.method = "GET",
                    .pattern = "/api/deployments/([^/]+)/log",
                    .openapi_path = "/api/deployments/{id}/log",
                    .summary = "A deployment's build script log (the last 1 MiB)",
                    .access = Access::kViewer,
                    .slow = true,
                    .content_type = kTextType,
                    .handler = [p](const Request& req) -> Result<Reply> {
                      ODMD_ASSIGN_OR_RETURN(std::string log, p->GetLog(req.params.at(0)));
                      return Reply::Text(std::move(log));
                    }});
}

void RefuseLeaderWritesOnFollowers(std::vector<Route>& routes, reconcile::Platform& platform,
                                   const ApiOptions& options) {
  reconcile::Platform* p = &platform;
  for (Route& route : routes) {
    if (!route.mutates || route.follower_serves) continue;
    route.authorize = [p, options, what = route.method + " " + route.openapi_path,
                       authorize = std::move(route.authorize)](const Request& req) -> Status {
      if (p->following()) {
        const json leader = LeaderJson(options);
        return UnavailableError(
            "this replica follows and " + what + " is the leader's work: send it to the leader" +
            (leader.is_null() ? std::string(" (none leads right now; retry shortly)")
                              : ", replica \"" + leader["replica"].get<std::string>() + "\" at " +
                                    leader["address"].get<std::string>()) +
            " (docs/platform.md, Replicas)");
      }
      return authorize ? authorize(req) : OkStatus();
    };
  }
}

}  // namespace odmd::api
