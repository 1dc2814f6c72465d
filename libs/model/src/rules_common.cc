#include "rules_common.h"

#include <algorithm>
#include <array>
#include <bit>

#include "odmd/base/strings.h"
#include "odmd/model/naming.h"
#include "text_words.h"

namespace odmd::model::rules {

std::string BuildPath(size_t b) { return "/builds/" + std::to_string(b); }

std::string EnverPath(size_t b, size_t e) { return BuildPath(b) + "/envers/" + std::to_string(e); }

std::string ProductPathOf(size_t b, size_t e, size_t p) {
  return EnverPath(b, e) + "/products/" + std::to_string(p);
}

std::string ConsumerPathOf(size_t b, size_t e, size_t c) {
  return EnverPath(b, e) + "/consumers/" + std::to_string(c);
}

std::string BuildSubject(const Build& b) { return "build " + Quote(b.id); }

std::string EnverSubject(const Build& b, const Enver& e) {
  return "enver " + Quote(EnverId(b.id, e.rev));
}

std::string ConsumerSubject(const Build& b, const Enver& e, const Consumer& c) {
  return EnverSubject(b, e) + ": consumer " + Quote(c.name);
}

std::string ProductSubject(const Build& b, const Enver& e, const Product& p) {
  return EnverSubject(b, e) + ": product " + Quote(p.name);
}

std::string AccountSubject(const Account& a) { return "account " + Quote(a.name); }

std::string OrgSubject(const Org& org) { return "org " + Quote(org.name); }

void Report(std::vector<Violation>* out, std::string_view rule, std::string path,
            std::string subject, std::string value, std::string message) {
  out->push_back(Violation{std::string(rule), std::move(path), std::move(subject), std::move(value),
                           std::move(message)});
}

namespace {

// FindDuplicates through an open-addressing table of `slots` (a power of two, at least twice
// the names): each slot holds the position + 1 of a name's first occurrence, 0 when empty.
template <typename Slots>
void HashDuplicates(const std::vector<std::pair<std::string_view, std::uint32_t>>& names,
                    Slots& slots, std::vector<std::pair<std::uint32_t, std::uint32_t>>* dups) {
  size_t mask = slots.size() - 1;
  for (std::uint32_t i = 0; i < names.size(); ++i) {
    size_t s = internal::TextHash(names[i].first) & mask;
    for (; slots[s] != 0; s = (s + 1) & mask) {
      const auto& first = names[slots[s] - 1];
      if (first.first != names[i].first) continue;
      dups->emplace_back(names[i].second, std::min(first.second, names[i].second));
      break;
    }
    if (slots[s] == 0) slots[s] = i + 1;
  }
  std::sort(dups->begin(), dups->end());
}

}  // namespace

std::vector<std::pair<std::uint32_t, std::uint32_t>> FindDuplicates(
    const std::vector<std::pair<std::string_view, std::uint32_t>>& names) {
  std::vector<std::pair<std::uint32_t, std::uint32_t>> dups;
  if (names.size() < 2) return dups;
  // Canonical orgs list names in strictly increasing order: nothing to sort, no duplicate.
  auto not_increasing = [](const auto& a, const auto& b) { return a.first >= b.first; };
  if (std::adjacent_find(names.begin(), names.end(), not_increasing) == names.end()) return dups;
  constexpr size_t kSmall = 32;  // an enver's consumers: a table on the stack
  if (names.size() <= kSmall) {
    std::array<std::uint32_t, 2 * kSmall> slots{};
    HashDuplicates(names, slots, &dups);
  } else {  // a table, not a sort: 10,000 build ids sorted by string were most of R1
    std::vector<std::uint32_t> slots(std::bit_ceil(2 * names.size()));
    HashDuplicates(names, slots, &dups);
  }
  return dups;
}

std::string DidYouMean(std::string_view word, std::span<const std::string_view> candidates) {
  constexpr size_t kMaxWord = 256;
  constexpr size_t kMaxDistance = 2;  // ClosestMatch's default
  if (word.size() > kMaxWord) return "";
  std::vector<std::string> near;  // ClosestMatch skips the rest anyway; this saves copies
  for (std::string_view c : candidates) {
    size_t diff = c.size() > word.size() ? c.size() - word.size() : word.size() - c.size();
    if (diff <= kMaxDistance) near.emplace_back(c);
  }
  std::optional<std::string> match = ClosestMatch(word, near, kMaxDistance);
  return match ? "; did you mean " + Quote(*match) : "";
}

std::string SuggestionBudget::DidYouMean(std::string_view word,
                                         std::span<const std::string> candidates) {
  if (left_ <= 0) return "";
  --left_;
  std::vector<std::string_view> views(candidates.begin(), candidates.end());
  return rules::DidYouMean(word, views);
}

}  // namespace odmd::model::rules
