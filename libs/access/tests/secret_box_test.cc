#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <array>
#include <filesystem>
#include <fstream>
#include <string>

#include "access_test_util.h"
#include "odmd/access/secrets.h"
#include "odmd/testing/status_matchers.h"

namespace odmd::access {
namespace {

using ::odmd::testing::IsOk;
using ::odmd::testing::StatusIs;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr std::string_view kPlaintext = "hunter2-the-plaintext";
// The hex form of KeyA().
constexpr char kKeyAHex[] = "0101010101010101010101010101010101010101010101010101010101010101";

std::array<unsigned char, 32> KeyA() {
  std::array<unsigned char, 32> key;
  key.fill(1);
  return key;
}
std::array<unsigned char, 32> KeyB() {
  std::array<unsigned char, 32> key;
  key.fill(2);
  return key;
}

void WriteFile(const std::string& path, std::string_view bytes, mode_t mode) {
  std::ofstream(path, std::ios::binary) << bytes;
  ASSERT_EQ(::chmod(path.c_str(), mode), 0);
}

mode_t ModeOf(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
  return st.st_mode & 07777;
}

TEST(SecretBoxTest, SealOpenRoundTripAndEverySealDiffers) {
  SecretBox box = SecretBox::FromKey(KeyA());
  std::string a = box.Seal(kPlaintext);
  std::string b = box.Seal(kPlaintext);
  EXPECT_NE(a, b);
  EXPECT_THAT(a, Not(HasSubstr(kPlaintext)));
  Result<std::string> opened = box.Open(a);
  ASSERT_THAT(opened, IsOk());
  EXPECT_EQ(*opened, kPlaintext);
  std::string binary("a\0b", 3);
  ASSERT_THAT(box.Open(box.Seal(binary)), IsOk());
  EXPECT_EQ(*box.Open(box.Seal(binary)), binary);
  EXPECT_EQ(*box.Open(box.Seal("")), "");
}

TEST(SecretBoxTest, TamperedSealedValueFailsCleanly) {
  SecretBox box = SecretBox::FromKey(KeyA());
  std::string sealed = box.Seal(kPlaintext);
  // A byte of the nonce, of the tag, and of the ciphertext.
  for (size_t at : {size_t{0}, size_t{30}, sealed.size() - 1}) {
    std::string tampered = sealed;
    tampered[at] = static_cast<char>(tampered[at] ^ 0x01);
    EXPECT_THAT(box.Open(tampered),
                StatusIs(StatusCode::kFailedPrecondition,
                         AllOf(HasSubstr("tampered"), Not(HasSubstr(kPlaintext)))))
        << at;
  }
  EXPECT_THAT(box.Open(sealed.substr(0, 39)),
              StatusIs(StatusCode::kFailedPrecondition, HasSubstr("shorter")));
  EXPECT_THAT(box.Open(""), StatusIs(StatusCode::kFailedPrecondition));
}

TEST(SecretBoxTest, AnotherKeyCannotOpen) {
  std::string sealed = SecretBox::FromKey(KeyA()).Seal(kPlaintext);
  EXPECT_THAT(SecretBox::FromKey(KeyB()).Open(sealed),
              StatusIs(StatusCode::kFailedPrecondition, Not(HasSubstr(kPlaintext))));
}

class SecretKeyLoadTest : public ::testing::Test {
 protected:
  void TearDown() override { ::unsetenv(options_.env_var.c_str()); }

  test::TempDir dir_;
  // A variable no real environment sets, so the tests never see a developer's key.
  SecretKeyOptions options_{"ODMD_ACCESS_TEST_SECRET_KEY", dir_.path() + "/state/.odmd/secret.key"};
};

TEST_F(SecretKeyLoadTest, MissingKeyFileIsCreatedWithMode0600AndReused) {
  Result<SecretBox> first = SecretBox::Load(options_);
  ASSERT_THAT(first, IsOk());
  EXPECT_EQ(ModeOf(options_.key_file), 0600);
  EXPECT_EQ(std::filesystem::file_size(options_.key_file), 32u);
  EXPECT_EQ(ModeOf(dir_.path() + "/state/.odmd"), 0700);
  // No temporary file left behind.
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir_.path() + "/state/.odmd"),
                          std::filesystem::directory_iterator()),
            1);
  Result<SecretBox> second = SecretBox::Load(options_);
  ASSERT_THAT(second, IsOk());
  Result<std::string> opened = second->Open(first->Seal(kPlaintext));
  ASSERT_THAT(opened, IsOk());
  EXPECT_EQ(*opened, kPlaintext);
}

TEST_F(SecretKeyLoadTest, KeyFileWithWiderModeIsRefusedNamingThePath) {
  std::filesystem::create_directories(dir_.path() + "/state/.odmd");
  for (mode_t mode : {0644, 0640, 0604, 0660}) {
    WriteFile(options_.key_file, std::string(32, 'k'), mode);
    EXPECT_THAT(SecretBox::Load(options_),
                StatusIs(StatusCode::kFailedPrecondition,
                         AllOf(HasSubstr(options_.key_file), HasSubstr("0600"))))
        << std::oct << mode;
  }
  WriteFile(options_.key_file, std::string(32, 'k'), 0400);
  EXPECT_THAT(SecretBox::Load(options_), IsOk());
}

TEST_F(SecretKeyLoadTest, KeyFileWithWrongSizeIsRefusedNamingThePath) {
  std::filesystem::create_directories(dir_.path() + "/state/.odmd");
  for (size_t size : {0u, 31u, 33u, 64u}) {
    WriteFile(options_.key_file, std::string(size, 'k'), 0600);
    EXPECT_THAT(SecretBox::Load(options_),
                StatusIs(StatusCode::kFailedPrecondition,
                         AllOf(HasSubstr(options_.key_file),
                               HasSubstr("holds " + std::to_string(size) + " bytes"))));
  }
}

TEST_F(SecretKeyLoadTest, KeyFileThatIsADirectoryIsRefused) {
  std::filesystem::create_directories(options_.key_file);
  ::chmod(options_.key_file.c_str(), 0700);
  EXPECT_THAT(SecretBox::Load(options_),
              StatusIs(StatusCode::kFailedPrecondition,
                       AllOf(HasSubstr(options_.key_file), HasSubstr("not a regular file"))));
}

TEST_F(SecretKeyLoadTest, KeyFileThatCannotBeCreatedIsUnavailable) {
  WriteFile(dir_.path() + "/state", "a file where the directory should be", 0600);
  EXPECT_THAT(SecretBox::Load(options_),
              StatusIs(StatusCode::kUnavailable, HasSubstr(options_.key_file)));
}

TEST_F(SecretKeyLoadTest, EnvironmentKeyWinsAndNoFileIsCreated) {
  ASSERT_EQ(::setenv(options_.env_var.c_str(), kKeyAHex, 1), 0);
  Result<SecretBox> box = SecretBox::Load(options_);
  ASSERT_THAT(box, IsOk());
  EXPECT_FALSE(std::filesystem::exists(options_.key_file));
  Result<std::string> opened = box->Open(SecretBox::FromKey(KeyA()).Seal(kPlaintext));
  ASSERT_THAT(opened, IsOk());
  EXPECT_EQ(*opened, kPlaintext);
  // Even over an existing (different) key file.
  std::filesystem::create_directories(dir_.path() + "/state/.odmd");
  WriteFile(options_.key_file, std::string(32, '\x02'), 0600);
  ASSERT_THAT(SecretBox::Load(options_), IsOk());
  EXPECT_THAT(SecretBox::Load(options_)->Open(SecretBox::FromKey(KeyA()).Seal(kPlaintext)), IsOk());
}

TEST_F(SecretKeyLoadTest, MalformedEnvironmentKeyIsInvalidArgumentWithoutEchoingIt) {
  std::string almost(kKeyAHex);
  almost.back() = 'g';
  for (const std::string& value : {std::string("abc"), almost, std::string(kKeyAHex) + "00",
                                   std::string(kKeyAHex).substr(0, 62) + "  "}) {
    ASSERT_EQ(::setenv(options_.env_var.c_str(), value.c_str(), 1), 0);
    EXPECT_THAT(SecretBox::Load(options_),
                StatusIs(StatusCode::kInvalidArgument,
                         AllOf(HasSubstr(options_.env_var), Not(HasSubstr(value)))))
        << value;
  }
  EXPECT_FALSE(std::filesystem::exists(options_.key_file));
}

}  // namespace
}  // namespace odmd::access
