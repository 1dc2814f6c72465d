#include <curl/curl.h>

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "odmd/aws/transport.h"

namespace odmd::aws {
namespace {

size_t Append(char* data, size_t size, size_t n, void* out) {
  static_cast<std::string*>(out)->append(data, size * n);
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

// Keeps the easy handles of finished requests so the next request reuses their open
// connection (and DNS cache) instead of a new TCP connection per call.
class CurlTransport final : public Transport {
 public:
  Result<HttpResponse> Send(const HttpRequest& request) override {
    GlobalInitOnce();
    std::unique_ptr<CURL, EasyDeleter> curl = TakeHandle();
    if (!curl) return InternalError("curl_easy_init failed");
    CURL* c = curl.get();
    curl_slist* raw = nullptr;
    for (const auto& [name, value] : request.headers) {
      raw = curl_slist_append(raw, (name + ": " + value).c_str());
    }
    if (!request.credentials.session_token.empty()) {
      raw = curl_slist_append(
          raw, ("X-Amz-Security-Token: " + request.credentials.session_token).c_str());
    }
    std::unique_ptr<curl_slist, ListDeleter> headers(raw);
    const std::string sigv4 = "aws:amz:" + request.region + ":" + request.signing_service;
    HttpResponse response;
    curl_easy_setopt(c, CURLOPT_URL, request.url.c_str());
    curl_easy_setopt(c, CURLOPT_POST, 1L);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, request.body.data());
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers.get());
    curl_easy_setopt(c, CURLOPT_AWS_SIGV4, sigv4.c_str());
    curl_easy_setopt(c, CURLOPT_USERNAME, request.credentials.access_key_id.c_str());
    curl_easy_setopt(c, CURLOPT_PASSWORD, request.credentials.secret_access_key.c_str());
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, &Append);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &response.body);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TCP_NODELAY, 1L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 10L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 60L);
    const CURLcode rc = curl_easy_perform(c);
    if (rc != CURLE_OK) {
      return UnavailableError("request to " + request.url + " failed: " + curl_easy_strerror(rc));
    }
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &response.status);
    // Forget this request's credentials and pointers, keep the connection.
    curl_easy_reset(c);
    GiveBack(std::move(curl));
    return response;
  }

 private:
  static constexpr size_t kMaxIdle = 8;

  std::unique_ptr<CURL, EasyDeleter> TakeHandle() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (!idle_.empty()) {
        std::unique_ptr<CURL, EasyDeleter> h = std::move(idle_.back());
        idle_.pop_back();
        return h;
      }
    }
    return std::unique_ptr<CURL, EasyDeleter>(curl_easy_init());
  }
  void GiveBack(std::unique_ptr<CURL, EasyDeleter> h) {
    std::lock_guard<std::mutex> lock(mu_);
    if (idle_.size() < kMaxIdle) idle_.push_back(std::move(h));
  }

  std::mutex mu_;
  std::vector<std::unique_ptr<CURL, EasyDeleter>> idle_;
};

}  // namespace

std::unique_ptr<Transport> NewCurlTransport() { return std::make_unique<CurlTransport>(); }

}  // namespace odmd::aws
