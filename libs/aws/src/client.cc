#include "odmd/aws/client.h"

#include <algorithm>
#include <cctype>
#include <thread>

#include "xml.h"

namespace odmd::aws {
namespace {

struct AwsError {
  std::string code;
  std::string message;
};

// The code and message of an error answer: JSON ({"__type": "ns#Code", "message"}) or XML
// (<Error><Code/><Message/></Error>; moto answers signature errors of JSON services in XML).
AwsError ParseError(const std::string& body) {
  AwsError e;
  nlohmann::json j = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (j.is_object()) {
    std::string type = j.value("__type", j.value("code", ""));
    if (size_t hash = type.rfind('#'); hash != std::string::npos) type = type.substr(hash + 1);
    e.code = type;
    e.message = j.value("message", j.value("Message", ""));
    return e;
  }
  Result<internal::XmlElement> xml = internal::ParseXml(body, "error");
  if (xml.ok()) {
    if (const internal::XmlElement* err = xml->Find("Error")) {
      e.code = err->ChildText("Code");
      e.message = err->ChildText("Message");
    }
  }
  return e;
}

bool IsThrottling(long status, const std::string& code) {
  return status == 429 || status == 503 || code == "Throttling" || code == "ThrottlingException" ||
         code == "TooManyRequestsException" || code == "RequestLimitExceeded";
}

bool Contains(const std::string& s, std::string_view part) {
  return s.find(part) != std::string::npos;
}

StatusCode CodeFor(long status, const std::string& code, const std::string& message) {
  if (Contains(code, "AccessDenied")) return StatusCode::kPermissionDenied;
  if (code == "SignatureDoesNotMatch" || code == "InvalidClientTokenId" ||
      Contains(code, "UnrecognizedClient") || Contains(code, "ExpiredToken") ||
      code == "MissingAuthenticationToken") {
    return StatusCode::kUnauthenticated;
  }
  if (Contains(code, "NotFound") || (code == "ValidationError" && Contains(message, "not exist"))) {
    return StatusCode::kNotFound;
  }
  if (Contains(code, "AlreadyExists") || code == "ResourceExistsException") {
    return StatusCode::kAlreadyExists;
  }
  if (IsThrottling(status, code)) return StatusCode::kResourceExhausted;
  if (status >= 500) return StatusCode::kUnavailable;
  return StatusCode::kFailedPrecondition;
}

Status ErrorStatus(const Service& service, std::string_view action, std::string_view subject,
                   const HttpResponse& response) {
  AwsError e = ParseError(response.body);
  std::string msg = std::string(service.host_prefix) + " " + std::string(action);
  if (!subject.empty()) msg += " " + std::string(subject);
  msg += ": ";
  msg += e.code.empty() ? "HTTP " + std::to_string(response.status) : e.code;
  if (!e.message.empty()) msg += ": " + e.message;
  return Status(CodeFor(response.status, e.code, e.message), msg);
}

}  // namespace

Sleeper RealSleeper() {
  return [](std::chrono::milliseconds d) { std::this_thread::sleep_for(d); };
}

std::string FormEncode(std::string_view value) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : value) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else if (c == ' ') {
      out += '+';
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

AwsClient::AwsClient(AwsConfig config, Transport& transport, Sleeper sleeper, RetryPolicy retry)
    : config_(std::move(config)),
      transport_(transport),
      sleeper_(std::move(sleeper)),
      retry_(retry) {}

Result<std::string> AwsClient::Query(const Service& service, std::string_view action,
                                     std::string_view version, const FormParams& params,
                                     std::string_view subject) {
  HttpRequest request;
  request.headers = {{"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"}};
  request.body = "Action=" + FormEncode(action) + "&Version=" + FormEncode(version);
  for (const auto& [name, value] : params) {
    request.body += "&" + FormEncode(name) + "=" + FormEncode(value);
  }
  ODMD_ASSIGN_OR_RETURN(HttpResponse response,
                        Exchange(service, action, subject, std::move(request)));
  return std::move(response.body);
}

Result<nlohmann::json> AwsClient::Json(const Service& service, std::string_view target_prefix,
                                       std::string_view action, const nlohmann::json& body,
                                       std::string_view subject) {
  HttpRequest request;
  request.headers = {{"Content-Type", "application/x-amz-json-1.1"},
                     {"X-Amz-Target", std::string(target_prefix) + "." + std::string(action)}};
  request.body = body.dump();
  ODMD_ASSIGN_OR_RETURN(HttpResponse response,
                        Exchange(service, action, subject, std::move(request)));
  nlohmann::json j = nlohmann::json::parse(response.body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) {
    return InternalError(std::string(service.host_prefix) + " " + std::string(action) +
                         ": answer is not JSON");
  }
  return j;
}

Result<HttpResponse> AwsClient::Exchange(const Service& service, std::string_view action,
                                         std::string_view subject, HttpRequest request) {
  request.url = config_.EndpointFor(service);
  request.region = config_.region;
  request.signing_service = service.signing_name;
  request.credentials = config_.credentials;
  std::chrono::milliseconds delay = retry_.first_delay;
  for (int attempt = 1;; ++attempt) {
    Result<HttpResponse> response = transport_.Send(request);
    if (!response.ok()) {
      return response.status().WithContext(std::string(service.host_prefix) + " " +
                                           std::string(action));
    }
    if (response->status >= 200 && response->status < 300) return response;
    const bool throttled = IsThrottling(response->status, ParseError(response->body).code);
    if (!throttled || attempt >= retry_.max_attempts) {
      return ErrorStatus(service, action, subject, *response);
    }
    sleeper_(delay);
    delay = std::min(delay * 2, retry_.max_delay);
  }
}

}  // namespace odmd::aws
