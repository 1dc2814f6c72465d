// Fuzzes the API server's request path with raw bytes on a real connection: the HTTP parser
// (libmicrohttpd), the head checks (URI, header and body limits), routing and
// authentication before the body, chunked and Content-Length bodies read against their
// route's limit, the JSON bodies of the handlers and the event stream. "@ADMIN@" and
// "@VIEWER@" in an input become live tokens, so authenticated routes (and their JSON
// parsing) are reached. Never crash; every answer is HTTP; the server keeps serving.
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include "odmd/access/secrets.h"
#include "odmd/access/tokens.h"
#include "odmd/api/server.h"
#include "odmd/reconcile/platform.h"
#include "odmd/store/open_config_store.h"
#include "odmd/testing/fake_clock.h"
#include "odmd/testing/fake_git.h"
#include "odmd/testing/recording_runner.h"

namespace {

using namespace odmd;  // NOLINT: a fuzz target's one file

// A platform on SQLite in a temp directory behind an ApiServer on 127.0.0.1:<ephemeral>;
// built once and never torn down (the fuzzer exits with it).
struct Harness {
  Harness() {
    dir = std::filesystem::temp_directory_path() / ("odmd_http_fuzz_" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir / "state");
    store::StoreOptions store_options;
    store_options.url = "sqlite:" + (dir / "s.db").string();
    store = Must(store::OpenConfigStore(store_options));
    std::array<unsigned char, 32> key{};
    key.fill(7);
    secrets = std::make_unique<access::SecretBox>(access::SecretBox::FromKey(key));
    tokens = std::make_unique<access::TokenRegistry>(*store, clock);
    reconcile::PlatformOptions popts;
    popts.state_dir = (dir / "state").string();
    popts.start_workers = false;
    popts.webhook_secret = "fuzz";
    platform = std::make_unique<reconcile::Platform>(*store, git, runner, clock, *secrets, popts);
    if (!platform->Start().ok()) std::abort();
    // Small limits, so that inputs of a few KiB reach them.
    server = std::make_unique<api::ApiServer>(
        *platform, *tokens,
        api::ApiOptions{.webhook_secret = "fuzz",
                        .max_body_bytes = 2048,
                        .threads = 2,
                        .max_uri_bytes = 1024,
                        .max_header_bytes = 2048,
                        .idle_timeout = std::chrono::seconds(2),
                        .stream_keepalive = std::chrono::milliseconds(50)});
    port = Must(server->Listen("127.0.0.1", 0));
    admin = Must(tokens->Issue(access::Principal::Admin()));
    viewer = Must(tokens->Issue(access::Principal::Viewer()));
  }

  template <typename T>
  static T Must(Result<T> r) {
    if (!r.ok()) std::abort();
    return std::move(r).value();
  }

  testing::FakeClock clock;
  testing::FakeGit git;
  testing::RecordingRunner runner;
  std::filesystem::path dir;
  store::ConfigStorePtr store;
  std::unique_ptr<access::SecretBox> secrets;
  std::unique_ptr<access::TokenRegistry> tokens;
  std::unique_ptr<reconcile::Platform> platform;
  std::unique_ptr<api::ApiServer> server;
  int port = 0;
  std::string admin, viewer;
};

Harness& TheHarness() {
  static Harness* harness = new Harness;
  return *harness;
}

void ReplaceAll(std::string& text, const std::string& from, const std::string& to) {
  for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at)) {
    text.replace(at, from.size(), to);
    at += to.size();
  }
}

// Whether `response` holds a whole answer with a Content-Length.
bool Complete(const std::string& response) {
  const size_t head = response.find("\r\n\r\n");
  const size_t length = response.find("\r\nContent-Length: ");
  if (head == std::string::npos || length == std::string::npos || length > head) return false;
  const size_t bytes = std::strtoul(response.c_str() + length + 18, nullptr, 10);
  return response.size() >= head + 4 + bytes;
}

// Sends `request`, half-closes, and returns what the server answered until it closed the
// connection, sent a whole answer, or went quiet (`first_ms` without a first byte: an
// incomplete request, which the server holds until its idle timeout; 100 ms without more).
std::string Exchange(int port, const std::string& request, int first_ms) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) std::abort();
  size_t sent = 0;
  while (sent < request.size()) {
    const ssize_t n = ::send(fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) break;  // the server refused and closed: fine
    sent += static_cast<size_t>(n);
  }
  ::shutdown(fd, SHUT_WR);
  std::string response;
  char buf[8192];
  for (;;) {
    // A keep-alive connection stays open after its answer, which is written at once.
    pollfd p{.fd = fd, .events = POLLIN, .revents = 0};
    if (::poll(&p, 1, response.empty() ? first_ms : 100) <= 0) break;
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    response.append(buf, static_cast<size_t>(n));
    if (Complete(response)) break;
  }
  ::close(fd);
  return response;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Harness& h = TheHarness();
  std::string request(reinterpret_cast<const char*>(data), size);
  ReplaceAll(request, "@ADMIN@", h.admin);
  ReplaceAll(request, "@VIEWER@", h.viewer);
  const std::string response = Exchange(h.port, request, 100);
  if (!response.empty() && response.compare(0, 7, "HTTP/1.") != 0) std::abort();
  // The server still serves.
  static int runs = 0;
  if (++runs % 64 == 0) {
    const std::string health =
        Exchange(h.port, "GET /api/health HTTP/1.1\r\nHost: x\r\n\r\n", 10000);
    if (health.compare(0, 12, "HTTP/1.1 200") != 0) std::abort();
  }
  return 0;
}
