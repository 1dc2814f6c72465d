#pragma once

#include <ostream>

#include "odmd/base/clock.h"

namespace odmd::cli {

// Runs the odmd command line. Returns the process exit code: 0 OK, 1 failure, 2 usage error,
// 130 interrupted (STYLE.md §7.3). Writes results to `out` and diagnostics to `err`; reads
// times (token issue times) from `clock`.
int Main(int argc, char** argv, std::ostream& out, std::ostream& err, Clock& clock);

}  // namespace odmd::cli
