#include "text_words.h"

#include <gtest/gtest.h>

#include <bit>
#include <cstdint>
#include <set>
#include <string>
#include <vector>

namespace odmd::model::internal {
namespace {

// The graph's and the rules' tables index slots by a text hash's low bits.
size_t DistinctLowBits(const std::vector<std::string>& texts, std::uint64_t mask) {
  std::set<std::uint64_t> slots;
  for (const std::string& t : texts) slots.insert(TextHash(t) & mask);
  return slots.size();
}

// Ids that differ only after their sixth byte once fell into 118 slots of 32,768, and every
// lookup compared dozens of ids: the low bits must spread such ids as random ones would
// (about 8,600 of 10,000 distinct in 32,768 slots; 41,500 of 50,000 in 131,072).
TEST(TextHashTest, NumberedIdsSpreadOverTheLowBits) {
  std::vector<std::string> builds, envers;
  for (int i = 0; i < 10000; ++i) {
    builds.push_back("svc" + std::to_string(i));
    for (const char* rev : {"b..main", "b..dev", "b..stage", "b..qa", "t..r1.0.0"}) {
      envers.push_back(builds.back() + "/" + rev);
    }
  }
  EXPECT_GT(DistinctLowBits(builds, 32767), 8000u);
  EXPECT_GT(DistinctLowBits(envers, 131071), 40000u);
}

// Every byte of texts of 1 to 24 bytes reaches the low sixteen bits: its 256 values give
// (nearly) as many distinct slots wherever it is.
TEST(TextHashTest, EveryByteReachesTheLowBits) {
  for (size_t size = 1; size <= 24; ++size) {
    for (size_t at = 0; at < size; ++at) {
      std::vector<std::string> texts;
      for (int byte = 0; byte < 256; ++byte) {
        std::string text(size, 'k');
        text[at] = static_cast<char>(byte);
        texts.push_back(text);
      }
      EXPECT_GT(DistinctLowBits(texts, 0xffff), 240u) << "size " << size << " byte " << at;
    }
  }
}

// The graph's product table keys (enver index << 32 | name id) go through MixBits too: each
// of the 64 input bits flips some of the low sixteen bits (about half, as a rule).
TEST(TextHashTest, MixBitsCarriesEveryInputBitToTheLowBits) {
  for (std::uint64_t key : {std::uint64_t{0}, std::uint64_t{0x0000abcd00000007}}) {
    for (int bit = 0; bit < 64; ++bit) {
      std::uint64_t flipped = MixBits(key) ^ MixBits(key ^ (std::uint64_t{1} << bit));
      int changed = std::popcount(flipped & 0xffff);
      EXPECT_GE(changed, 2) << "bit " << bit;
    }
  }
}

}  // namespace
}  // namespace odmd::model::internal
