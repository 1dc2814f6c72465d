#include "odmd/testing/moto_server.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <sstream>
#include <thread>

namespace odmd::testing {
namespace {

bool OnPath(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path == nullptr ? "" : path);
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    if (!dir.empty() && ::access((dir + "/" + name).c_str(), X_OK) == 0) return true;
  }
  return false;
}

int FreePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  int port = -1;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), len) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  ::close(fd);
  return port;
}

size_t Discard(char*, size_t size, size_t n, void*) { return size * n; }

// The HTTP status of a plain (unsigned) request, 0 when nothing answered.
long Plain(const std::string& url, const char* post_body) {
  CURL* c = curl_easy_init();
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  // Not form-encoded: moto reads the raw body (Flask leaves request.data empty for forms).
  curl_slist* headers = curl_slist_append(nullptr, "Content-Type: text/plain");
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
  if (post_body != nullptr) curl_easy_setopt(c, CURLOPT_POSTFIELDS, post_body);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, &Discard);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_TIMEOUT, 5L);
  long status = 0;
  if (curl_easy_perform(c) == CURLE_OK) curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
  curl_easy_cleanup(c);
  curl_slist_free_all(headers);
  return status;
}

}  // namespace

MotoServer::MotoServer(int fixed_port) {
  curl_global_init(CURL_GLOBAL_DEFAULT);
  if (!OnPath("moto_server")) {
    error_ = "moto_server is not on PATH (pip install 'moto[server]==5.2.1'; issue 13)";
    return;
  }
  const int port = fixed_port > 0 ? fixed_port : FreePort();
  if (port <= 0) {
    error_ = "no free loopback port for moto_server";
    return;
  }
  url_ = "http://localhost:" + std::to_string(port);
  const std::string port_arg = std::to_string(port);
  const pid_t parent = ::getpid();
  pid_ = ::fork();
  if (pid_ == 0) {
    ::setpgid(0, 0);
    // Dies with the test process even when that one aborts (no destructor runs then): an
    // ASan report or a crash used to leave moto_server running.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);
    int devnull = ::open("/dev/null", O_WRONLY);
    ::dup2(devnull, 1);
    ::dup2(devnull, 2);
    ::execlp("moto_server", "moto_server", "-H", "localhost", "-p", port_arg.c_str(), nullptr);
    ::_exit(127);
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (Plain(url_ + "/moto-api/", nullptr) != 200) {
    int wstatus = 0;
    if (::waitpid(pid_, &wstatus, WNOHANG) == pid_) {
      pid_ = -1;
      error_ = "moto_server exited before answering on " + url_;
      return;
    }
    if (std::chrono::steady_clock::now() > deadline) {
      error_ = "moto_server did not answer on " + url_ + " within 60 s";
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

MotoServer::~MotoServer() {
  if (pid_ > 0) {
    ::kill(-pid_, SIGTERM);
    ::kill(pid_, SIGTERM);
    ::waitpid(pid_, nullptr, 0);
  }
  curl_global_cleanup();
}

bool MotoServer::ResetAuth(int unauthenticated_actions) {
  return Plain(url_ + "/moto-api/reset-auth", std::to_string(unauthenticated_actions).c_str()) ==
         200;
}

}  // namespace odmd::testing
