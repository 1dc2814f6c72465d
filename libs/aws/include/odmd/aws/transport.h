#pragma once

// The HTTP seam of the AWS client: one signed exchange. Production: CurlTransport (libcurl
// signs with SigV4 itself, CURLOPT_AWS_SIGV4); request-shape tests: a recording fake.

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "odmd/base/status.h"

namespace odmd::aws {

// Credentials of one principal. The secret and the token are never logged or put in a
// Status message.
struct Credentials {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;  // empty for long-term keys
};

struct HttpRequest {
  std::string url;  // https://sts.us-east-1.amazonaws.com/
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;  // always a POST
  std::string region;
  std::string signing_service;  // "sts", "ssm", "events", ...
  Credentials credentials;
};

struct HttpResponse {
  long status = 0;
  std::string body;
};

class Transport {
 public:
  virtual ~Transport() = default;
  // Sends `request` signed with its credentials. An error Status only when no HTTP answer
  // came (connection refused, timeout); HTTP errors are a response.
  virtual Result<HttpResponse> Send(const HttpRequest& request) = 0;
};

// libcurl, SigV4 by curl ("aws:amz:<region>:<service>"). Thread-compatible: one exchange at
// a time per instance.
std::unique_ptr<Transport> NewCurlTransport();

}  // namespace odmd::aws
