#pragma once

// The core of the AWS client: builds one request of either protocol, sends it through the
// Transport, retries throttling with exponential backoff and turns AWS errors into a Status
// naming the service, the action and the subject (a role ARN, a parameter name).
//
//   query protocol (STS, CloudFormation): form-encoded Action=..&Version=.., XML answers
//   JSON protocol (SSM, EventBridge, Secrets Manager): X-Amz-Target, x-amz-json-1.1
//
// Error codes: AccessDenied* -> PERMISSION_DENIED; SignatureDoesNotMatch,
// InvalidClientTokenId, UnrecognizedClient, ExpiredToken -> UNAUTHENTICATED; not-found codes
// -> NOT_FOUND; already-exists codes -> ALREADY_EXISTS; throttling after the last attempt ->
// RESOURCE_EXHAUSTED; 5xx -> UNAVAILABLE; other -> FAILED_PRECONDITION.

#include <chrono>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "odmd/aws/config.h"
#include "odmd/aws/transport.h"
#include "odmd/base/status.h"

namespace odmd::aws {

// Waits between attempts. Production: RealSleeper(); tests advance a FakeClock instead.
using Sleeper = std::function<void(std::chrono::milliseconds)>;
Sleeper RealSleeper();

struct RetryPolicy {
  int max_attempts = 5;
  std::chrono::milliseconds first_delay{100};  // doubles each retry
  std::chrono::milliseconds max_delay{5000};
};

using FormParams = std::vector<std::pair<std::string, std::string>>;

class AwsClient {
 public:
  // `transport` must outlive the client.
  AwsClient(AwsConfig config, Transport& transport, Sleeper sleeper, RetryPolicy retry = {});

  const AwsConfig& config() const { return config_; }

  // The XML answer of a query-protocol action. `subject` goes into error messages.
  Result<std::string> Query(const Service& service, std::string_view action,
                            std::string_view version, const FormParams& params,
                            std::string_view subject = "");

  // The JSON answer of a JSON-protocol action; target is "<target_prefix>.<action>".
  Result<nlohmann::json> Json(const Service& service, std::string_view target_prefix,
                              std::string_view action, const nlohmann::json& body,
                              std::string_view subject = "");

 private:
  Result<HttpResponse> Exchange(const Service& service, std::string_view action,
                                std::string_view subject, HttpRequest request);

  AwsConfig config_;
  Transport& transport_;
  Sleeper sleeper_;
  RetryPolicy retry_;
};

// application/x-www-form-urlencoded encoding of one value: RFC 3986 unreserved kept, space
// as '+', the rest %XX; exactly Python's urlencode, which moto uses to re-create the signed
// body of a form request (a %20 there is a SignatureDoesNotMatch at moto).
std::string FormEncode(std::string_view value);

}  // namespace odmd::aws
