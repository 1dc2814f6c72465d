#pragma once

// TextCache: texts resolved to numbers by SharedText identity, for the graph (graph.cc);
// a header of its own so that its tests can reach it (text_words_test.cc).

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <vector>

namespace odmd::model::internal {

// A power-of-two table size with at most 50% load for `n` keys (the graph's tables and this
// cache).
inline size_t TableSize(size_t n) { return std::bit_ceil(std::max<size_t>(16, 2 * n)); }

// Texts resolved to numbers (producer ids to nodes, product names to name ids), by
// SharedText identity: consumers naming one producer or product mostly hold copies of one
// text (a manifest's reader interns them, contracts share them), so after the first of them
// the others skip hashing the text and comparing it with the table's. Two-way set
// associative, the older entry of a set giving way: bounded whatever the texts, and a text
// seldom evicted by one other (direct-mapped, a tenth of the producer lookups at 10,000
// builds missed and hashed the text again).
class TextCache {
 public:
  static constexpr std::uint32_t kNone = std::numeric_limits<std::uint32_t>::max();  // no match
  struct Entry {
    std::uintptr_t identity = 0;  // 0: empty (an empty text is never cached)
    std::uint32_t number = kNone;
  };
  struct Set {
    Entry entries[2];
    // The number cached for `identity`, or nullptr.
    const std::uint32_t* Find(std::uintptr_t identity) const {
      if (identity == 0) return nullptr;
      if (entries[0].identity == identity) return &entries[0].number;
      if (entries[1].identity == identity) return &entries[1].number;
      return nullptr;
    }
    // The number cached for `identity`, else `compute()`, cached unless the text is empty.
    template <typename Compute>
    std::uint32_t Resolve(std::uintptr_t identity, Compute compute) {
      if (const std::uint32_t* cached = Find(identity)) return *cached;
      std::uint32_t number = compute();
      if (identity != 0) {
        entries[1] = entries[0];
        entries[0] = {identity, number};
      }
      return number;
    }
  };
  // About `texts` distinct texts.
  explicit TextCache(size_t texts)
      : sets_(TableSize(texts) / 2), shift_(64 - std::countr_zero(sets_.size())) {}
  Set* SetOf(std::uintptr_t identity) {
    // Fibonacci hashing (the product's top bits) of the identity less its low four bits:
    // identities are mostly block addresses, 16-byte aligned. The product's bits from 32 up,
    // taken before, cost a tenth more misses than there are texts at 10,000 builds (with
    // glibc's malloc instead of jemalloc, 110,000 misses for 50,000 texts); these miss about
    // once per text at 1,000 and 10,000 builds.
    return &sets_[((identity >> 4) * 0x9e3779b97f4a7c15ull) >> shift_];
  }

 private:
  std::vector<Set> sets_;
  int shift_;  // 64 - log2(sets)
};

}  // namespace odmd::model::internal
