// The odmd command: wiring only (STYLE.md §7.1).
#include <cstdio>
#include <exception>
#include <iostream>

#include "odmd/cli/main.h"

int main(int argc, char** argv) {
  try {
    return odmd::cli::Main(argc, argv, std::cout, std::cerr);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "odmd: fatal: %s\n", e.what());
    return 1;
  }
}
