// The odmd command: wiring only (STYLE.md §7.1).
#include "odmd/cli/main.h"

#include <cstdio>
#include <exception>
#include <iostream>

#include "odmd/base/clock.h"

int main(int argc, char** argv) {
  try {
    odmd::SystemClock clock;
    return odmd::cli::Main(argc, argv, std::cout, std::cerr, clock);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "odmd: fatal: %s\n", e.what());
    return 1;
  }
}
