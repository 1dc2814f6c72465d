#pragma once

// Test-only crash points for the crash-safety tests (libs/cli/tests/serve_crash_test.cc,
// tests/reliability). ODMD_TEST_CRASH_AT="<point>:<n>" in the environment (read once, at
// the first crash point reached) makes the process kill itself with SIGKILL the n-th time
// (n >= 1) it reaches the crash point named <point>. Without the variable — every real run —
// a crash point does nothing. The points are named where they are called
// (docs/platform.md, "Crash recovery").

#include <string_view>

namespace odmd::reconcile {

void CrashPoint(std::string_view point);

}  // namespace odmd::reconcile
