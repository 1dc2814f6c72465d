#include "errors.h"

#include <ctime>
#include <nlohmann/json.hpp>

#include "odmd/base/strings.h"

namespace odmd::github {
namespace {

std::string_view Reason(long status) {
  switch (status) {
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 409:
      return "Conflict";
    case 422:
      return "Unprocessable Entity";
    case 429:
      return "Too Many Requests";
    default:
      return status >= 500 ? "Server Error" : "";
  }
}

// GitHub's message and the field errors of a 422: {"message": .., "errors": [{"field",
// "code", "message"}]}.
std::string Explain(const std::string& body) {
  const auto json = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (!json.is_object() || !json.contains("message") || !json["message"].is_string()) {
    return body.empty() ? "no message" : "answer is not GitHub's error JSON";
  }
  std::string out = Quote(json["message"].get<std::string>());
  if (json.contains("errors") && json["errors"].is_array()) {
    std::string details;
    for (const auto& e : json["errors"]) {
      if (!details.empty()) details += "; ";
      if (e.is_string()) {
        details += e.get<std::string>();
        continue;
      }
      for (const char* key : {"field", "code", "message"}) {
        if (e.contains(key) && e[key].is_string())
          details += std::string(key) + "=" + e[key].get<std::string>() + " ";
      }
    }
    if (!details.empty()) out += " (" + std::string(StripAsciiWhitespace(details)) + ")";
  }
  return out;
}

StatusCode CodeOf(long status, std::string_view explained) {
  switch (status) {
    case 401:
      return StatusCode::kUnauthenticated;
    case 403:
      return StatusCode::kPermissionDenied;
    case 404:
      return StatusCode::kNotFound;
    case 422:
      return explained.find("already exists") != std::string_view::npos
                 ? StatusCode::kAlreadyExists
                 : StatusCode::kInvalidArgument;
    case 429:
      return StatusCode::kResourceExhausted;
    default:
      return status >= 500 ? StatusCode::kUnavailable : StatusCode::kFailedPrecondition;
  }
}

}  // namespace

std::string CallName(const Call& call) {
  return "github " + call.name + " " + call.method + " " + call.path;
}

Status HttpError(const Call& call, const HttpResponse& response) {
  const std::string explained = Explain(response.body);
  std::string message = CallName(call) + ": " + std::to_string(response.status);
  const std::string_view reason = Reason(response.status);
  if (!reason.empty()) message += " " + std::string(reason);
  return Status(CodeOf(response.status, explained), message + ": " + explained);
}

std::optional<std::chrono::system_clock::time_point> ParseTimestamp(std::string_view text) {
  std::tm tm{};
  char z = 0;
  if (std::sscanf(std::string(text).c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%c", &tm.tm_year, &tm.tm_mon,
                  &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &z) != 7 ||
      z != 'Z') {
    return std::nullopt;
  }
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  return std::chrono::system_clock::from_time_t(timegm(&tm));
}

}  // namespace odmd::github
