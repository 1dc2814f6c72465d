#pragma once

// The HTTP seam of the GitHub client: one exchange. Production: libcurl
// (NewCurlTransport); unit tests: a scripted fake (tests/fake_transport.h).

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "odmd/base/status.h"

namespace odmd::github {

using Headers = std::vector<std::pair<std::string, std::string>>;

struct HttpRequest {
  std::string method;  // GET, POST, PATCH, PUT, DELETE
  std::string url;     // https://api.github.com/repos/o/r/git/ref/heads/main
  Headers headers;     // may hold an Authorization header: never log a request
  std::string body;    // empty: none sent
};

struct HttpResponse {
  long status = 0;
  Headers headers;  // names lowercased
  std::string body;

  // The value of header `name` (lowercase), if present.
  std::optional<std::string> Header(std::string_view name) const;
};

class Transport {
 public:
  virtual ~Transport() = default;
  // Sends `request`. An error Status (UNAVAILABLE) only when no HTTP answer came
  // (connection refused, timeout); every HTTP status is a response.
  virtual Result<HttpResponse> Send(const HttpRequest& request) = 0;
};

// libcurl; connect timeout 10 s, whole exchange 60 s. Thread-safe: each exchange has its own
// curl handle.
std::unique_ptr<Transport> NewCurlTransport();

}  // namespace odmd::github
