#include "odmd/aws/eventbridge.h"

namespace odmd::aws {

Result<std::vector<std::string>> EventBridgeClient::PutEvents(const std::vector<Event>& events) {
  nlohmann::json entries = nlohmann::json::array();
  for (const Event& e : events) {
    nlohmann::json entry = {
        {"Source", e.source}, {"DetailType", e.detail_type}, {"Detail", e.detail}};
    if (!e.event_bus_name.empty()) entry["EventBusName"] = e.event_bus_name;
    entries.push_back(std::move(entry));
  }
  ODMD_ASSIGN_OR_RETURN(nlohmann::json j, client_.Json(kEventBridge, "AWSEvents", "PutEvents",
                                                       {{"Entries", entries}}));
  std::vector<std::string> ids;
  const nlohmann::json results = j.value("Entries", nlohmann::json::array());
  for (size_t i = 0; i < results.size(); ++i) {
    const nlohmann::json& r = results[i];
    if (r.contains("ErrorCode")) {
      return FailedPreconditionError("events PutEvents: entry " + std::to_string(i) + ": " +
                                     r.value("ErrorCode", "") + ": " + r.value("ErrorMessage", ""));
    }
    ids.push_back(r.value("EventId", ""));
  }
  if (j.value("FailedEntryCount", 0) != 0) {
    return FailedPreconditionError(
        "events PutEvents: " + std::to_string(j.value("FailedEntryCount", 0)) + " entries failed");
  }
  return ids;
}

}  // namespace odmd::aws
