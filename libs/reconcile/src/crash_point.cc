#include "crash_point.h"

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <string>

namespace odmd::reconcile {
namespace {

struct CrashAt {
  std::string point;  // "" when crash points are off
  long long n = 0;
  std::atomic<long long> reached{0};
};

CrashAt& Config() {
  static CrashAt* config = [] {
    auto* c = new CrashAt;
    const char* env = std::getenv("ODMD_TEST_CRASH_AT");
    if (env == nullptr) return c;
    const std::string text = env;
    const size_t colon = text.rfind(':');
    if (colon == std::string::npos || colon == 0) return c;
    const long long n = std::atoll(text.c_str() + colon + 1);
    if (n < 1) return c;
    c->point = text.substr(0, colon);
    c->n = n;
    return c;
  }();
  return *config;
}

}  // namespace

void CrashPoint(std::string_view point) {
  CrashAt& c = Config();
  if (c.point.empty() || c.point != point) return;
  if (c.reached.fetch_add(1) + 1 == c.n) {
    ::kill(::getpid(), SIGKILL);
    ::_exit(137);  // not reached
  }
}

}  // namespace odmd::reconcile
