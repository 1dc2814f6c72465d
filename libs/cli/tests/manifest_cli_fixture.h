#pragma once

// A test of odmd commands over one manifest file: a temporary directory holding the manifest
// of TestOrg(), and Run() calling the CLI in-process with its output captured.

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "odmd/cli/main.h"
#include "odmd/model/manifest.h"
#include "odmd/model/org.h"
#include "odmd/testing/fake_clock.h"

namespace odmd::cli {

class ManifestCliTest : public ::testing::Test {
 protected:
  // The org whose manifest is written to manifest_ before each test.
  virtual model::Org TestOrg() = 0;

  void SetUp() override {
    const ::testing::TestInfo* test = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = std::filesystem::temp_directory_path() /
           ("odmd_" + std::string(test->test_suite_name()) + "_" + std::to_string(::getpid()) +
            "_" + test->name());
    std::filesystem::create_directories(dir_);
    manifest_ = (dir_ / "manifest.json").string();
    std::ofstream(manifest_, std::ios::binary) << model::WriteManifest(TestOrg());
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // `odmd args...`; its exit code, with stdout in out_ and stderr in err_.
  int Run(std::vector<std::string> args) {
    args.insert(args.begin(), "odmd");
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    std::ostringstream out, err;
    testing::FakeClock clock;
    const int code = Main(static_cast<int>(argv.size()), argv.data(), out, err, clock);
    out_ = out.str();
    err_ = err.str();
    return code;
  }

  std::filesystem::path dir_;
  std::string manifest_;
  std::string out_, err_;
};

}  // namespace odmd::cli
