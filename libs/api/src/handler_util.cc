#include "handler_util.h"

#include <charconv>
#include <system_error>

#include "odmd/reconcile/json_input.h"

namespace odmd::api {

using nlohmann::json;

Result<json> BodyObject(const Request& req, std::string_view what, bool empty_ok) {
  if (req.body.empty() && empty_ok) return json::object();
  ODMD_ASSIGN_OR_RETURN(json j,
                        reconcile::ParseJsonInput(req.body, std::string(what) + ": the body"));
  if (!j.is_object()) {
    return InvalidArgumentError(std::string(what) + ": the body must be a JSON object");
  }
  return j;
}

Result<std::string> StringMember(const json& obj, const std::string& name, std::string_view what,
                                 bool required) {
  auto it = obj.find(name);
  if (it == obj.end() || it->is_null()) {
    if (!required) return std::string();
    return InvalidArgumentError(std::string(what) + ": /" + name + " is required");
  }
  if (!it->is_string()) {
    return InvalidArgumentError(std::string(what) + ": /" + name + " must be a string");
  }
  return it->get<std::string>();
}

Result<std::int64_t> ParseInt(std::string_view what, const std::string& text, std::int64_t min,
                              std::int64_t max) {
  std::int64_t value = 0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (text.empty() || ec != std::errc() || ptr != end || value < min || value > max) {
    return InvalidArgumentError(std::string(what) + " must be an integer from " +
                                std::to_string(min) + " to " + std::to_string(max) + ", not \"" +
                                text + "\"");
  }
  return value;
}

Result<std::int64_t> IntParam(const Request& req, const std::string& name, std::int64_t fallback,
                              std::int64_t min, std::int64_t max) {
  if (!req.HasQuery(name)) return fallback;
  return ParseInt("query parameter \"" + name + "\"", req.Query(name), min, max);
}

Result<std::string> RequiredParam(const Request& req, const std::string& name) {
  std::string value = req.Query(name);
  if (value.empty()) {
    return InvalidArgumentError(req.method + " " + req.path + ": query parameter \"" + name +
                                "\" is required");
  }
  return value;
}

std::string ProductPath(const Request& req) {
  return "/odmd-share/" + req.params.at(0) + "/" + req.params.at(1) + "/" + req.params.at(2);
}

}  // namespace odmd::api
