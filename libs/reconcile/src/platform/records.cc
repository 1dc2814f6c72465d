#include "records.h"

#include "nlohmann/json.hpp"
#include "odmd/access/policy.h"
#include "odmd/base/strings.h"
#include "odmd/model/naming.h"
#include "odmd/reconcile/state.h"

namespace odmd::reconcile {

Result<EnverState> ReadEnverState(store::ConfigStore& store, std::string_view enver_id) {
  EnverState state;
  state.enver_id = std::string(enver_id);
  const std::string key = EnverStateKey(enver_id);
  Result<store::Entry> e = store.Get(key);
  if (IsNotFound(e.status())) return state;
  if (!e.ok()) return e.status();
  return ParseEnverState(enver_id, *e);
}

Result<EnverState> ParseEnverState(std::string_view enver_id, const store::Entry& entry) {
  EnverState state;
  state.enver_id = std::string(enver_id);
  nlohmann::json j = nlohmann::json::parse(entry.value, nullptr, false);
  if (!j.is_object()) {
    return FailedPreconditionError("enver state " + Quote(entry.key) + " is not a JSON object");
  }
  auto str = [&](const char* name) {
    auto it = j.find(name);
    return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  state.status = str("status");
  state.sha = str("sha");
  state.deployment = str("deployment");
  state.root = str("root");
  state.updated_at_ms = j.value("updated_at_ms", std::int64_t{0});
  state.revision = entry.revision;
  return state;
}

store::BatchOp EnverStateOp(const EnverState& state) {
  nlohmann::json j = {{"enver", state.enver_id}, {"status", state.status},
                      {"sha", state.sha},        {"deployment", state.deployment},
                      {"root", state.root},      {"updated_at_ms", state.updated_at_ms}};
  return store::BatchOp::Put(EnverStateKey(state.enver_id), j.dump());
}

Status WriteEnverState(store::ConfigStore& store, const EnverState& state) {
  store::BatchOp op = EnverStateOp(state);
  return store.Put(op.key, op.value, std::nullopt).status();
}

std::map<std::string, ConsumedVersion> ReadConsumedVersions(store::ConfigStore& store,
                                                            const model::Build& build,
                                                            const model::Enver& enver) {
  Result<store::Entry> e = store.Get(model::ConsumedVersionsPath(build.id, enver.rev));
  if (!e.ok()) return {};
  return ParseConsumedVersions(e->value);
}

std::map<std::string, ConsumedVersion> ParseConsumedVersions(std::string_view value) {
  std::map<std::string, ConsumedVersion> out;
  nlohmann::json j = nlohmann::json::parse(value, nullptr, false);
  if (!j.is_object()) return out;
  for (auto& [name, v] : j.items()) {
    if (!v.is_object()) continue;
    auto path = v.find("path");
    out[name] = {v.value("version", store::Version{0}), v.value("placeholder", false),
                 path != v.end() && path->is_string() ? path->get<std::string>() : ""};
  }
  return out;
}

Result<SeenRefs> ReadSeenRefs(store::ConfigStore& store, std::string_view repo) {
  const std::string key = IntakeKey(repo);
  Result<store::Entry> e = store.Get(key);
  SeenRefs seen;
  if (IsNotFound(e.status())) return seen;
  if (!e.ok()) return e.status();
  nlohmann::json j = nlohmann::json::parse(e->value, nullptr, false);
  if (!j.is_object() || !j.contains("refs") || !j["refs"].is_object()) {
    return FailedPreconditionError("intake record " + Quote(key) + " is malformed");
  }
  for (auto& [ref, sha] : j["refs"].items()) {
    if (!sha.is_string()) {
      return FailedPreconditionError("intake record " + Quote(key) + " is malformed at " +
                                     Quote(ref));
    }
    seen.refs[ref] = sha.get<std::string>();
  }
  seen.revision = e->revision;
  return seen;
}

Status WriteSeenRefs(store::ConfigStore& store, std::string_view repo, SeenRefs& seen) {
  nlohmann::json refs = nlohmann::json::object();
  for (const auto& [ref, sha] : seen.refs) refs[ref] = sha;
  ODMD_ASSIGN_OR_RETURN(
      store::WriteResult w,
      store.Put(IntakeKey(repo), nlohmann::json{{"refs", refs}}.dump(), seen.revision));
  seen.revision = w.revision;
  return OkStatus();
}

std::string PendingTeardownKey(std::string_view enver_id) {
  return std::string(kTeardownsPrefix) + std::string(enver_id);
}

nlohmann::json PendingTeardownJson(const PendingTeardown& t) {
  nlohmann::json j = {{"sha", t.sha},
                      {"contracts_version", t.contracts_version},
                      {"reason", t.reason},
                      {"attempts", t.attempts},
                      {"failed_at_ms", t.failed_at_ms}};
  if (t.clone) j["clone"] = CloneRecordJson(*t.clone);
  return j;
}

Result<PendingTeardown> ParsePendingTeardown(const store::Entry& entry) {
  auto bad = [&](std::string_view why) {
    return FailedPreconditionError("teardown record " + Quote(entry.key) +
                                   " is malformed: " + std::string(why));
  };
  nlohmann::json j = nlohmann::json::parse(entry.value, nullptr, false);
  if (!j.is_object()) return bad("not a JSON object");
  for (const char* member : {"sha", "contracts_version", "reason"}) {
    if (!j.contains(member) || !j[member].is_string()) {
      return bad("\"" + std::string(member) + "\" is not a string");
    }
  }
  PendingTeardown t;
  std::string_view key = entry.key;
  t.enver_id =
      std::string(key.substr(key.rfind(kTeardownsPrefix, 0) == 0 ? kTeardownsPrefix.size() : 0));
  t.sha = j["sha"].get<std::string>();
  t.contracts_version = j["contracts_version"].get<std::string>();
  t.reason = j["reason"].get<std::string>();
  t.attempts = j.value("attempts", 1);
  t.failed_at_ms = j.value("failed_at_ms", std::int64_t{0});
  if (j.contains("clone")) {
    ODMD_ASSIGN_OR_RETURN(
        CloneRecord clone,
        ParseCloneRecord(std::string(access::kClonesPrefix) + t.enver_id, j["clone"].dump()));
    t.clone = std::move(clone);
  }
  t.revision = entry.revision;
  return t;
}

Result<PendingTeardown> ReadPendingTeardown(store::ConfigStore& store, std::string_view enver_id) {
  Result<store::Entry> e = store.Get(PendingTeardownKey(enver_id));
  if (IsNotFound(e.status())) {
    return NotFoundError("no failed teardown of " + Quote(enver_id) + " is recorded");
  }
  if (!e.ok()) return e.status();
  return ParsePendingTeardown(*e);
}

}  // namespace odmd::reconcile
