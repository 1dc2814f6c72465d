// What libcurl really sends: a one-shot HTTP server on 127.0.0.1 captures the request of
// CurlTransport and the test reads its SigV4 Authorization header.

#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <thread>

#include "odmd/aws/transport.h"
#include "odmd/testing/status_matchers.h"

namespace odmd::aws {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// Accepts one connection, keeps the request's head and body, answers 200 "{}".
class CaptureServer {
 public:
  CaptureServer() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(addr);
    EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), len), 0);
    EXPECT_EQ(::listen(fd_, 1), 0);
    EXPECT_EQ(::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len), 0);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { Serve(); });
  }
  ~CaptureServer() {
    if (thread_.joinable()) thread_.join();
    ::close(fd_);
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/"; }
  // Valid after the exchange (the thread has finished once the client has the answer).
  std::string Request() {
    if (thread_.joinable()) thread_.join();
    return request_;
  }

 private:
  void Serve() {
    int c = ::accept(fd_, nullptr, nullptr);
    if (c < 0) return;
    char buf[4096];
    size_t want = std::string::npos;
    while (request_.size() < want) {
      ssize_t n = ::read(c, buf, sizeof(buf));
      if (n <= 0) break;
      request_.append(buf, static_cast<size_t>(n));
      const size_t head_end = request_.find("\r\n\r\n");
      if (head_end != std::string::npos && want == std::string::npos) {
        const size_t cl = request_.find("Content-Length: ");
        want = head_end + 4 + (cl == std::string::npos ? 0 : std::stoul(request_.substr(cl + 16)));
      }
    }
    const std::string answer =
        "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}";
    (void)!::write(c, answer.data(), answer.size());
    ::close(c);
  }

  int fd_ = -1;
  int port_ = 0;
  std::thread thread_;
  std::string request_;
};

TEST(CurlTransportTest, SignsWithSigV4IncludingTheSessionToken) {
  CaptureServer server;
  HttpRequest request;
  request.url = server.url();
  request.headers = {{"Content-Type", "application/x-amz-json-1.1"},
                     {"X-Amz-Target", "AmazonSSM.GetParameter"}};
  request.body = R"({"Name":"/a"})";
  request.region = "eu-west-1";
  request.signing_service = "ssm";
  request.credentials = {"AKIDEXAMPLE", "the-secret-key", "the-session-token"};
  std::unique_ptr<Transport> transport = NewCurlTransport();
  Result<HttpResponse> response = transport->Send(request);
  ODMD_ASSERT_OK(response);
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, "{}");

  const std::string sent = server.Request();
  EXPECT_THAT(sent, HasSubstr("POST / HTTP/1.1\r\n"));
  EXPECT_THAT(sent, HasSubstr("Authorization: AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/"));
  EXPECT_THAT(sent, HasSubstr("/eu-west-1/ssm/aws4_request, SignedHeaders="));
  EXPECT_THAT(sent, HasSubstr("X-Amz-Security-Token: the-session-token\r\n"));
  const size_t signed_at = sent.find("SignedHeaders=");
  ASSERT_NE(signed_at, std::string::npos);
  const std::string signed_headers = sent.substr(signed_at, sent.find(',', signed_at) - signed_at);
  EXPECT_THAT(signed_headers, HasSubstr("x-amz-security-token"));
  EXPECT_THAT(signed_headers, HasSubstr("x-amz-target"));
  EXPECT_THAT(signed_headers, HasSubstr("host"));
  EXPECT_THAT(sent, HasSubstr("X-Amz-Date: "));
  EXPECT_THAT(sent, HasSubstr("\r\n\r\n{\"Name\":\"/a\"}"));
  EXPECT_THAT(sent, Not(HasSubstr("the-secret-key")));
}

TEST(CurlTransportTest, NoAnswerIsUnavailableNamingTheUrl) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), len), 0);
  ASSERT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  const std::string url = "http://127.0.0.1:" + std::to_string(ntohs(addr.sin_port)) + "/";
  HttpRequest request;  // bound, not listening: connection refused
  request.url = url;
  request.region = "us-east-1";
  request.signing_service = "sts";
  request.credentials = {"AK", "secret-value", ""};
  Result<HttpResponse> r = NewCurlTransport()->Send(request);
  ::close(fd);
  EXPECT_THAT(r.status(), ::odmd::testing::StatusIs(StatusCode::kUnavailable,
                                                    HasSubstr("request to " + url + " failed")));
  EXPECT_THAT(r.status().message(), Not(HasSubstr("secret-value")));
}

}  // namespace
}  // namespace odmd::aws
