#include "odmd/base/files.h"

#include <gtest/gtest.h>

#include <fstream>
#include <random>
#include <set>
#include <sstream>
#include <string>

namespace odmd {
namespace {

namespace fs = std::filesystem;

class FilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("odmd-files-" + std::to_string(std::random_device{}()));
    fs::create_directories(dir_);
  }
  void TearDown() override {
    std::error_code ec;
    fs::permissions(dir_, fs::perms::owner_all, ec);
    fs::remove_all(dir_, ec);
  }
  static std::string Read(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
  }
  // The names in `dir_`, sorted.
  std::string Names(const fs::path& dir) const {
    std::set<std::string> names;
    for (const auto& e : fs::directory_iterator(dir)) names.insert(e.path().filename().string());
    std::string out;
    for (const std::string& n : names) out += n + " ";
    return out;
  }
  fs::path dir_;
};

TEST_F(FilesTest, ReplacesAFileWholeAndLeavesNoTemporary) {
  const fs::path p = dir_ / "sub" / "record";
  ASSERT_TRUE(WriteFileAtomically(p, std::string("first\0bytes", 11)).ok());
  EXPECT_EQ(Read(p), std::string("first\0bytes", 11));
  ASSERT_TRUE(WriteFileAtomically(p, "2\n", ".partial").ok());
  EXPECT_EQ(Read(p), "2\n");
  EXPECT_EQ(Names(dir_ / "sub"), "record ");
}

TEST_F(FilesTest, TheFileHasTheModeAskedForEvenOverALeftTemporary) {
  const fs::path p = dir_ / "admin.token";
  { std::ofstream(dir_ / "admin.token.tmp") << "left by a crash"; }
  fs::permissions(dir_ / "admin.token.tmp", fs::perms::all);
  ASSERT_TRUE(WriteFileAtomically(p, "secret\n", ".tmp", 0600).ok());
  EXPECT_EQ(Read(p), "secret\n");
  EXPECT_EQ(fs::status(p).permissions() & fs::perms::all,
            fs::perms::owner_read | fs::perms::owner_write);
  EXPECT_EQ(Names(dir_), "admin.token ");
}

TEST_F(FilesTest, AFailedWriteNamesThePathAndChangesNothing) {
  // A directory cannot be made under a regular file, even by root.
  const fs::path blocker = dir_ / "file";
  ASSERT_TRUE(WriteFileAtomically(blocker, "old").ok());
  Status s = WriteFileAtomically(blocker / "x", "new");
  EXPECT_EQ(s.code(), StatusCode::kUnavailable);
  EXPECT_NE(s.message().find(blocker.string()), std::string::npos) << s;
  // A rename onto a directory fails after the temporary was written: it is removed.
  fs::create_directories(dir_ / "dir" / "inside");
  s = WriteFileAtomically(dir_ / "dir", "new");
  EXPECT_EQ(s.code(), StatusCode::kUnavailable);
  EXPECT_NE(s.message().find((dir_ / "dir").string()), std::string::npos) << s;
  EXPECT_EQ(Read(blocker), "old");
  EXPECT_EQ(Names(dir_), "dir file ");
}

}  // namespace
}  // namespace odmd
