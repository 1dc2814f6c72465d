#pragma once

// A throwaway moto_server (the AWS API emulator) on a free localhost port, for the tests
// that send the real, signed requests. Fails (never skips) when moto_server is missing.

#include <string>

namespace odmd::testing {

class MotoServer {
 public:
  // Starts moto_server on `port` (0: a free one) and waits (bounded) until it answers. On
  // failure, error() says why.
  explicit MotoServer(int port = 0);
  ~MotoServer();
  MotoServer(const MotoServer&) = delete;
  MotoServer& operator=(const MotoServer&) = delete;

  bool ok() const { return error_.empty(); }
  const std::string& error() const { return error_; }
  // The moto_server process; -1 when it did not start.
  int pid() const { return pid_; }
  // http://localhost:<port>
  const std::string& url() const { return url_; }

  // Turns signature and IAM policy checking on after `unauthenticated_actions` more
  // actions (POST /moto-api/reset-auth). False on failure.
  bool ResetAuth(int unauthenticated_actions);

 private:
  int pid_ = -1;
  std::string url_;
  std::string error_;
};

}  // namespace odmd::testing
