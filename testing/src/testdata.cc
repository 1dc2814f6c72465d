#include "odmd/testing/testdata.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

namespace odmd::testing {

std::string SourcePath(const std::string& relative) {
  const char* root = std::getenv("ODMD_TESTDATA");
  std::string base = root != nullptr ? root : ODMD_SOURCE_DIR;
  return base + "/" + relative;
}

std::string ReadFileOrFail(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    ADD_FAILURE() << "cannot read " << path;
    return "";
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

bool UpdateGoldenRequested() {
  const char* v = std::getenv("ODMD_UPDATE_GOLDEN");
  return v != nullptr && std::string(v) == "1";
}

void ExpectMatchesGolden(const std::string& actual, const std::string& relative) {
  std::string path = SourcePath(relative);
  if (UpdateGoldenRequested()) {
    std::ofstream(path, std::ios::binary) << actual;
    return;
  }
  EXPECT_EQ(actual, ReadFileOrFail(path))
      << "golden file " << relative
      << " differs; if the change is intended, run tools/update-golden.sh";
}

}  // namespace odmd::testing
