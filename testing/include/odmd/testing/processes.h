#pragma once

// What the tests that kill servers and sandboxes ask of /proc: is a process group still
// running, and the files of a process that may exit while they are read.

#include <filesystem>
#include <string>

namespace odmd::testing {

// The contents of /proc/<pid>/<name> (`dir` is /proc/<pid>), or "" once the process is
// gone. A process that exits during the read makes the read fail with ESRCH; an ifstream
// reports that by throwing (libstdc++'s filebuf), so this reads with read(2).
std::string ReadProcFile(const std::filesystem::path& dir, const char* name);

// True while a process of group `pgid` runs; a zombie (dead, not yet reaped) does not count.
bool ProcessGroupRunning(int pgid);

}  // namespace odmd::testing
