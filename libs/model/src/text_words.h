#pragma once

// Word loads and a hash for the model's short texts (enver ids, product and consumer names),
// shared by the graph's tables (graph.cc) and the rules' duplicate and character checks
// (rules_common.cc, rules_deps.cc): a million consumers each hash or compare a few names, and
// std::hash's byte loop or a memcmp call per name was a visible part of the pipeline.

#include <cstdint>
#include <cstring>
#include <string_view>

namespace odmd::model::internal {

// The `Word` at `p`, unaligned.
template <typename Word>
Word LoadWord(const char* p) {
  Word w;
  std::memcpy(&w, p, sizeof w);
  return w;
}

// `h` with every bit reaching the low bits, which index the tables: multiplication carries
// only upwards, and without this fold-multiply-fold a text's bytes after its sixth never
// reached them (10,000 ids "svc<n>" fell into 118 slots of 32,768).
inline std::uint64_t MixBits(std::uint64_t h) {
  h ^= h >> 32;
  h *= 0xd6e8feb86659fd93ull;
  return h ^ (h >> 32);
}

// A hash of `s`: its words multiplied in, the last one overlapping; below eight bytes two
// overlapping halves, below four three of its bytes (first, middle, last). Not seeded: a
// table keyed by it is as exposed to chosen collisions as one keyed by std::hash.
inline std::uint64_t TextHash(std::string_view s) {
  constexpr std::uint64_t kMul = 0x9e3779b97f4a7c15ull;
  const char* p = s.data();
  size_t n = s.size();
  std::uint64_t h = (n + 1) * 0xff51afd7ed558ccdull;
  if (n >= 8) {
    for (size_t i = 0; i + 8 < n; i += 8) h = (h ^ LoadWord<std::uint64_t>(p + i)) * kMul;
    h = (h ^ LoadWord<std::uint64_t>(p + n - 8)) * kMul;
  } else if (n >= 4) {
    std::uint64_t w = LoadWord<std::uint32_t>(p);
    h = (h ^ (w | static_cast<std::uint64_t>(LoadWord<std::uint32_t>(p + n - 4)) << 32)) * kMul;
  } else if (n > 0) {
    std::uint64_t w = static_cast<unsigned char>(p[0]) |
                      static_cast<std::uint64_t>(static_cast<unsigned char>(p[n / 2])) << 8 |
                      static_cast<std::uint64_t>(static_cast<unsigned char>(p[n - 1])) << 16;
    h = (h ^ w) * kMul;
  }
  return MixBits(h);
}

}  // namespace odmd::model::internal
