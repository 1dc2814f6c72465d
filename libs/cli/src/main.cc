#include "odmd/cli/main.h"

namespace odmd::cli {

int Main(int, char**, std::ostream&, std::ostream& err) {
  err << "odmd: not built yet\n";
  return 1;
}

}  // namespace odmd::cli
