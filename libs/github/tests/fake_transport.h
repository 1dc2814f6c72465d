#pragma once

// A Transport that records every request and answers from a script (the last answer
// repeats), for request-shape, token, retry and ETag tests without a server.

#include <deque>
#include <string>
#include <vector>

#include "odmd/github/transport.h"

namespace odmd::github::testing {

class FakeTransport final : public Transport {
 public:
  void Answer(long status, std::string body, Headers headers = {}) {
    answers_.push_back({status, std::move(headers), std::move(body)});
  }

  Result<HttpResponse> Send(const HttpRequest& request) override {
    requests.push_back(request);
    if (answers_.empty()) return UnavailableError("fake transport: no answer scripted");
    HttpResponse r = answers_.front();
    if (answers_.size() > 1) answers_.pop_front();
    return r;
  }

  std::string Header(size_t i, const std::string& name) const {
    for (const auto& [n, v] : requests.at(i).headers) {
      if (n == name) return v;
    }
    return "";
  }

  std::vector<HttpRequest> requests;

 private:
  std::deque<HttpResponse> answers_;
};

}  // namespace odmd::github::testing
