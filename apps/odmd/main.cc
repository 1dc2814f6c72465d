// The odmd command: wiring only (STYLE.md §7.1).
#include "odmd/cli/main.h"

#include <cstdio>
#include <exception>
#include <iostream>

int main(int argc, char** argv) {
  try {
    return odmd::cli::Main(argc, argv, std::cout, std::cerr);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "odmd: fatal: %s\n", e.what());
    return 1;
  }
}
