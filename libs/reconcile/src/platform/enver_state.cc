#include "enver_state.h"

#include "nlohmann/json.hpp"
#include "odmd/base/strings.h"
#include "odmd/reconcile/state.h"

namespace odmd::reconcile {

Result<EnverState> ReadEnverState(store::ConfigStore& store, std::string_view enver_id) {
  EnverState state;
  state.enver_id = std::string(enver_id);
  const std::string key = EnverStateKey(enver_id);
  Result<store::Entry> e = store.Get(key);
  if (IsNotFound(e.status())) return state;
  if (!e.ok()) return e.status();
  nlohmann::json j = nlohmann::json::parse(e->value, nullptr, false);
  if (!j.is_object()) {
    return FailedPreconditionError("enver state " + Quote(key) + " is not a JSON object");
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
  state.revision = e->revision;
  return state;
}

Status WriteEnverState(store::ConfigStore& store, const EnverState& state) {
  nlohmann::json j = {{"enver", state.enver_id}, {"status", state.status},
                      {"sha", state.sha},        {"deployment", state.deployment},
                      {"root", state.root},      {"updated_at_ms", state.updated_at_ms}};
  return store.Put(EnverStateKey(state.enver_id), j.dump(), std::nullopt).status();
}

}  // namespace odmd::reconcile
