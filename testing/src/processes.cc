#include "odmd/testing/processes.h"

#include <fcntl.h>
#include <unistd.h>

#include <sstream>

namespace odmd::testing {

std::string ReadProcFile(const std::filesystem::path& dir, const char* name) {
  const int fd = ::open((dir / name).c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return "";
  std::string text;
  char buf[4096];
  for (ssize_t n; (n = ::read(fd, buf, sizeof buf)) > 0;) text.append(buf, static_cast<size_t>(n));
  ::close(fd);
  return text;
}

bool ProcessGroupRunning(int pgid) {
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/proc", ec)) {
    const std::string name = entry.path().filename().string();
    if (name.empty() || name[0] < '0' || name[0] > '9') continue;
    // "<pid> (<comm>) <state> <ppid> <pgrp> ...": comm may hold spaces and parentheses.
    const std::string stat = ReadProcFile(entry.path(), "stat");
    const size_t paren = stat.rfind(')');
    if (paren == std::string::npos || paren + 2 >= stat.size()) continue;
    std::istringstream rest(stat.substr(paren + 2));
    std::string state;
    long ppid = 0, pgrp = 0;
    if (rest >> state >> ppid >> pgrp && pgrp == pgid && state != "Z") return true;
  }
  return false;
}

}  // namespace odmd::testing
