#include <curl/curl.h>

#include <cctype>
#include <memory>
#include <mutex>
#include <string>

#include "odmd/base/strings.h"
#include "odmd/github/transport.h"

namespace odmd::github {

std::optional<std::string> HttpResponse::Header(std::string_view name) const {
  for (const auto& [n, v] : headers) {
    if (n == name) return v;
  }
  return std::nullopt;
}

namespace {

size_t AppendBody(char* data, size_t size, size_t n, void* out) {
  static_cast<std::string*>(out)->append(data, size * n);
  return size * n;
}

// One "Name: value\r\n" line; a new status line (after a 100 Continue or a redirect)
// starts the header list again.
size_t AppendHeader(char* data, size_t size, size_t n, void* out) {
  auto* headers = static_cast<Headers*>(out);
  const std::string_view line(data, size * n);
  if (line.starts_with("HTTP/")) {
    headers->clear();
    return size * n;
  }
  const size_t colon = line.find(':');
  if (colon != std::string_view::npos) {
    headers->emplace_back(AsciiToLower(line.substr(0, colon)),
                          std::string(StripAsciiWhitespace(line.substr(colon + 1))));
  }
  return size * n;
}

void GlobalInitOnce() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

struct EasyDeleter {
  void operator()(CURL* c) const { curl_easy_cleanup(c); }
};
struct ListDeleter {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};

class CurlTransport final : public Transport {
 public:
  Result<HttpResponse> Send(const HttpRequest& request) override {
    GlobalInitOnce();
    std::unique_ptr<CURL, EasyDeleter> curl(curl_easy_init());
    if (!curl) return InternalError("curl_easy_init failed");
    CURL* c = curl.get();
    curl_slist* raw = nullptr;
    for (const auto& [name, value] : request.headers) {
      raw = curl_slist_append(raw, (name + ": " + value).c_str());
    }
    // No "Expect: 100-continue" round trip on larger bodies.
    raw = curl_slist_append(raw, "Expect:");
    std::unique_ptr<curl_slist, ListDeleter> headers(raw);
    HttpResponse response;
    curl_easy_setopt(c, CURLOPT_URL, request.url.c_str());
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, request.method.c_str());
    if (!request.body.empty()) {
      curl_easy_setopt(c, CURLOPT_POSTFIELDS, request.body.data());
      curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE,
                       static_cast<curl_off_t>(request.body.size()));
    } else if (request.method == "GET") {
      curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
    }
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers.get());
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, &AppendBody);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &response.body);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, &AppendHeader);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &response.headers);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 10L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 60L);
    const CURLcode rc = curl_easy_perform(c);
    if (rc != CURLE_OK) {
      // The URL carries no credentials (they go in a header), so it may be named.
      return UnavailableError(request.method + " " + request.url +
                              " failed: " + curl_easy_strerror(rc));
    }
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &response.status);
    return response;
  }
};

}  // namespace

std::unique_ptr<Transport> NewCurlTransport() { return std::make_unique<CurlTransport>(); }

}  // namespace odmd::github
