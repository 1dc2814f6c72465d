#include "odmd/base/sha256.h"

#include <gtest/gtest.h>

#include <string>

namespace odmd {
namespace {

TEST(Sha256Test, KnownVectors) {
  EXPECT_EQ(Sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Sha256Test, PiecesHashAsTheWhole) {
  std::string whole;
  Sha256 sha;
  for (int i = 0; i < 1000; ++i) {
    std::string piece(static_cast<size_t>(i % 97), static_cast<char>('a' + i % 26));
    whole += piece;
    sha.Update(piece);
  }
  EXPECT_EQ(sha.HexDigest(), Sha256Hex(whole));
  Sha256 empty;
  EXPECT_EQ(empty.HexDigest(), Sha256Hex(""));
}

}  // namespace
}  // namespace odmd
