#include "text_words.h"

#include <gtest/gtest.h>

#include <bit>
#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "text_cache.h"

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

// The graph's producer cache (text_cache.h) picks a set from a text's identity, mostly a
// block address: 50,000 addresses 16 to 64 bytes apart spread over the 65,536 sets about as
// random ones would (35,000), not into 13,600-33,400 as with the product's bits from 32.
TEST(TextCacheTest, EvenlySpacedAddressesSpreadOverTheSets) {
  for (std::uintptr_t stride : {16, 32, 48, 64}) {
    TextCache cache(50000);
    std::set<const TextCache::Set*> sets;
    for (std::uintptr_t k = 0; k < 50000; ++k)
      sets.insert(cache.SetOf(0x7f286e780000 + k * stride));
    EXPECT_GT(sets.size(), 35000u) << "stride " << stride;
  }
}

// Each text is computed once while its set keeps it, and the cache answers for it after.
TEST(TextCacheTest, ResolvesEachIdentityOnceAndThenFromTheCache) {
  TextCache cache(1000);
  size_t computed = 0;
  for (int pass = 0; pass < 3; ++pass) {
    for (std::uintptr_t k = 1; k <= 1000; ++k) {
      std::uintptr_t identity = 0x5633dcf45b50 + 32 * k;
      std::uint32_t number = cache.SetOf(identity)->Resolve(identity, [&] {
        ++computed;
        return static_cast<std::uint32_t>(k);
      });
      EXPECT_EQ(number, k);
    }
  }
  EXPECT_LT(computed, 1100u);  // about once each: a few evicted by two others of their set
}

}  // namespace
}  // namespace odmd::model::internal
