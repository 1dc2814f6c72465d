#pragma once

// A minimal HTTP receiver on 127.0.0.1 (a port the kernel picks) that records every POST
// the fake GitHub delivers to it (headers, raw body) and answers `status`. For tests that
// check the fake's webhook deliveries without a platform behind them.

#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace odmd::github::testing {

struct ReceivedRequest {
  std::string method;
  std::string target;
  std::map<std::string, std::string> headers;  // names in lower case
  std::string body;
};

class WebhookReceiver {
 public:
  explicit WebhookReceiver(int status = 200);
  ~WebhookReceiver();
  WebhookReceiver(const WebhookReceiver&) = delete;
  WebhookReceiver& operator=(const WebhookReceiver&) = delete;

  bool ok() const { return listen_fd_ >= 0; }
  // http://127.0.0.1:<port>/hook
  std::string url() const;
  std::vector<ReceivedRequest> Requests() const;

 private:
  void Serve();
  void Handle(int fd);

  int status_;
  int listen_fd_ = -1;
  int port_ = 0;
  bool stop_ = false;
  mutable std::mutex mu_;
  std::vector<ReceivedRequest> requests_;
  std::thread thread_;
};

}  // namespace odmd::github::testing
