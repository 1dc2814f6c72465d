// The JSON views of the platform's state (docs/platform.md): what `odmd envers`, `odmd
// enver`, `odmd deployments`, `odmd logs` and `odmd events` print and the API serves.
#include <utility>

#include "impl.h"
#include "odmd/base/strings.h"
#include "odmd/model/config.h"
#include "odmd/model/naming.h"
#include "records.h"

namespace odmd::reconcile {

namespace {

store::Version LatestVersion(store::ConfigStore& store, std::string_view path) {
  Result<store::Entry> e = store.Get(path);
  return e.ok() ? e->version : 0;
}

}  // namespace

Result<nlohmann::json> Platform::Impl::EnverItem(const World& w, model::EnverIndex i,
                                                 const std::set<std::string>& active) {
  const model::Graph& g = w.graph();
  const model::Enver& e = g.enver(i);
  const std::string& id = g.node(i).id;
  ODMD_ASSIGN_OR_RETURN(EnverState state, ReadEnverState(store_, id));
  std::string status = state.status;
  if (status != "running" && active.count(id)) status = "queued";
  nlohmann::json item = {{"id", id},
                         {"build", g.build(i).id},
                         {"rev", e.rev.str()},
                         {"kind", w.IsClone(id) ? "clone" : "static"},
                         {"account", e.account},
                         {"region", e.region},
                         {"immutable", e.rev.IsImmutable()},
                         {"status", status},
                         {"sha", state.sha},
                         {"deployment", state.deployment}};
  if (std::optional<std::string> origin = w.CloneOrigin(id)) {
    item["origin"] = *origin;
    item["declared"] = w.IsDeclaredClone(id);
  }
  return item;
}

Result<nlohmann::json> Platform::Impl::ListEnvers() {
  WorldPtr w = world();
  ODMD_ASSIGN_OR_RETURN(const std::vector<std::string> active, ActiveEnvers());
  const std::set<std::string> active_set(active.begin(), active.end());
  nlohmann::json envers = nlohmann::json::array();
  for (model::EnverIndex i = 0; i < w->graph().enver_count(); ++i) {
    ODMD_ASSIGN_OR_RETURN(nlohmann::json item, EnverItem(*w, i, active_set));
    envers.push_back(std::move(item));
  }
  return nlohmann::json{{"envers", std::move(envers)}};
}

Result<nlohmann::json> Platform::Impl::GetEnver(std::string_view enver_id) {
  WorldPtr w = world();
  std::optional<EnverRef> ref = w->FindEnver(enver_id);
  if (!ref) {
    return NotFoundError("enver " + Quote(enver_id) +
                         " is not in the published contracts nor a live clone");
  }
  ODMD_ASSIGN_OR_RETURN(const std::vector<std::string> active, ActiveEnvers());
  ODMD_ASSIGN_OR_RETURN(nlohmann::json out, EnverItem(*w, *w->graph().FindEnver(enver_id),
                                                      {active.begin(), active.end()}));
  ODMD_ASSIGN_OR_RETURN(model::EnverNames names,
                        model::DeriveEnverNames(w->org(), *ref->build, *ref->enver));
  out["names"] = {{"stack_name", names.stack_name},
                  {"build_role_name", names.build_role_name},
                  {"build_role_arn", names.build_role_arn},
                  {"central_role_arn", names.central_role_arn},
                  {"ci_type", names.ci_type},
                  {"workflow_file", names.workflow_file},
                  {"consumed_versions_path", names.consumed_versions_path},
                  {"enver_config_path", names.enver_config_path},
                  {"subdomain", names.subdomain},
                  {"kubernetes_namespace", names.kubernetes_namespace}};
  // What its build script sees as ODMD_config: the build's config under the enver's keys.
  out["config"] = nlohmann::json::parse(model::EffectiveConfig(*ref->build, *ref->enver));
  nlohmann::json products = nlohmann::json::array();
  for (const model::Product& p : ref->enver->products) {
    const std::string path = model::ProductPath(ref->build->id, ref->enver->rev, p.name);
    Result<store::Entry> e = store_.Get(path);
    products.push_back({{"name", p.name},
                        {"path", path},
                        {"version", e.ok() ? e->version : 0},
                        {"revision", e.ok() ? e->revision : 0}});
  }
  out["products"] = std::move(products);
  const auto consumed = ReadConsumedVersions(store_, *ref->build, *ref->enver);
  nlohmann::json consumers = nlohmann::json::array();
  for (const model::Consumer& c : ref->enver->consumers) {
    Result<std::string> consumed_path = ConsumedProductPath(c);
    const std::string path = consumed_path.ok() ? *consumed_path : "";
    const store::Version latest = path.empty() ? 0 : LatestVersion(store_, path);
    auto it = consumed.find(c.name);
    const store::Version used = it == consumed.end() ? 0 : it->second.version;
    const bool placeholder = it != consumed.end() && it->second.placeholder;
    consumers.push_back({{"name", c.name},
                         {"path", path},
                         {"producer", c.producer},
                         {"consumed_version", used},
                         {"latest_version", latest},
                         {"placeholder", placeholder},
                         {"outdated", it != consumed.end() && used < latest},
                         {"reaction", model::ReactionName(c.reaction)}});
  }
  out["consumers"] = std::move(consumers);
  ODMD_ASSIGN_OR_RETURN(std::vector<Deployment> deployments, queue_.List(enver_id, 10));
  nlohmann::json ds = nlohmann::json::array();
  for (const Deployment& d : deployments) ds.push_back(ToJson(d));
  out["deployments"] = std::move(ds);
  out["clones"] = w->ClonesOf(enver_id);
  return out;
}

Result<nlohmann::json> Platform::Impl::ListDeployments(std::string_view enver_id, int limit) {
  ODMD_ASSIGN_OR_RETURN(std::vector<Deployment> deployments, queue_.List(enver_id, limit));
  nlohmann::json ds = nlohmann::json::array();
  for (const Deployment& d : deployments) ds.push_back(ToJson(d));
  return nlohmann::json{{"deployments", std::move(ds)}};
}

Result<nlohmann::json> Platform::Impl::GetDeployment(std::string_view id) {
  ODMD_ASSIGN_OR_RETURN(Deployment d, queue_.Get(id));
  return ToJson(d);
}

Result<std::string> Platform::Impl::GetLog(std::string_view deployment_id) {
  ODMD_RETURN_IF_ERROR(queue_.Get(deployment_id));
  Result<store::Entry> e = store_.Get(std::string(kLogsPrefix) + std::string(deployment_id));
  if (IsNotFound(e.status())) return std::string();
  if (!e.ok()) return e.status();
  return e->value;
}

Result<nlohmann::json> Platform::Impl::ListEvents(std::int64_t after, int limit) {
  ODMD_ASSIGN_OR_RETURN(std::vector<Event> events, events().List(after, limit));
  nlohmann::json out = nlohmann::json::array();
  for (const Event& e : events) out.push_back(ToJson(e));
  return nlohmann::json{{"events", std::move(out)}};
}

Result<store::WatchHandlePtr> Platform::Impl::FollowEvents(
    std::int64_t after, std::function<void(const nlohmann::json&)> sink) {
  return events().Follow(after, [sink = std::move(sink)](const Event& e) { sink(ToJson(e)); });
}

Result<std::vector<std::pair<std::string, std::string>>> Platform::Impl::CiContext(
    const access::Principal& who, std::string_view build_id, std::string_view git_ref) {
  WorldPtr w = world();
  const model::Build* build = w->org().FindBuild(build_id);
  if (!build) return NotFoundError("build " + Quote(build_id) + " is not in the contracts");
  std::vector<const model::Enver*> envers = w->EnversOnRef(*build, git_ref);
  if (envers.empty()) {
    return NotFoundError("build " + Quote(build_id) + " has no enver for " + Quote(git_ref));
  }
  const model::Enver& enver = *envers.front();
  const std::string id = model::EnverId(build->id, enver.rev);
  // Its own token (a local run) or its workflow group's (the repository secret).
  if (!w->policy().ActsFor(who, id)) {
    const std::optional<std::string> group = w->policy().WorkflowOf(id);
    return PermissionDeniedError(
        "the CI context of " + id + " is for its own token or its workflow's (" +
        (group ? "workflow:" + *group : "none") + "), not " + who.ToString());
  }
  const model::Account* account = w->org().FindAccount(enver.account);
  if (account == nullptr) {
    return FailedPreconditionError("account " + Quote(enver.account) + " of " + id +
                                   " is not declared in the contracts");
  }
  std::vector<std::pair<std::string, std::string>> vars =
      CiContextVariables(*build, enver, *account);
  for (const model::Consumer& c : enver.consumers) {
    std::string value = c.placeholder.value_or("");
    Result<std::string> path = ConsumedProductPath(c);
    if (path.ok()) {
      Result<store::Entry> e = store_.Get(*path);
      if (e.ok()) value = e->value;
    }
    vars.emplace_back(ConsumerVariable(c.name), value);
  }
  return vars;
}

}  // namespace odmd::reconcile
