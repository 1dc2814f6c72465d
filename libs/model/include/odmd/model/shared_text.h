#pragma once

// SharedText: an immutable string in 8 bytes whose copies share one block. The model's
// consumers hold their names in it (org.h): an org of 10,000 builds has a million
// consumers naming a few tens of thousands of distinct strings, and a std::string per name
// made each consumer 144 bytes (issue 17: building the Org was mostly page faults).
//
// Up to 7 bytes are held inline (no block); longer text lives in one reference-counted
// block, so a copy is a pointer copy and an atomic increment. It converts implicitly to
// std::string_view and std::string, and compares and concatenates like a std::string.

#include <atomic>
#include <bit>
#include <compare>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace odmd::model {

class SharedText {
 public:
  SharedText() noexcept = default;
  SharedText(std::string_view text);  // NOLINT(google-explicit-constructor): a string value
  SharedText(const char* text) : SharedText(std::string_view(text)) {}         // NOLINT
  SharedText(const std::string& text) : SharedText(std::string_view(text)) {}  // NOLINT
  SharedText(const SharedText& other) noexcept : bits_(other.bits_) { Acquire(); }
  SharedText(SharedText&& other) noexcept : bits_(other.bits_) { other.bits_ = kEmpty; }
  // Inline: building an org assigns millions of them.
  SharedText& operator=(const SharedText& other) noexcept {
    if (bits_ == other.bits_) return *this;  // the same text (or itself)
    other.Acquire();
    Release();
    bits_ = other.bits_;
    return *this;
  }
  SharedText& operator=(SharedText&& other) noexcept;
  ~SharedText() { Release(); }

  std::string_view view() const noexcept;
  operator std::string_view() const noexcept { return view(); }  // NOLINT
  std::string str() const { return std::string(view()); }
  operator std::string() const { return str(); }  // NOLINT(google-explicit-constructor)
  // Not NUL-terminated: use str() for a C string.
  const char* data() const noexcept { return view().data(); }
  size_t size() const noexcept { return view().size(); }
  bool empty() const noexcept { return bits_ == kEmpty; }
  // A key for caches of lookups by text: equal for copies of one text, and for equal texts
  // of up to 7 bytes (held inline); texts with equal keys are equal, not conversely.
  std::uintptr_t identity() const noexcept { return bits_; }
  // Whether this and `other` share one block (copies of each other), for tests.
  bool SharesBlockWith(const SharedText& other) const noexcept {
    return !IsInline() && bits_ == other.bits_;
  }

  // One overload per kind of right-hand side, so that no comparison is ambiguous.
  friend bool operator==(const SharedText& a, const SharedText& b) noexcept {
    return a.bits_ == b.bits_ || a.view() == b.view();
  }
  friend bool operator==(const SharedText& a, const std::string& b) noexcept {
    return a.view() == b;
  }
  friend bool operator==(const SharedText& a, std::string_view b) noexcept { return a.view() == b; }
  friend bool operator==(const SharedText& a, const char* b) noexcept { return a.view() == b; }
  // The first eight bytes decide most pairs (a consumer name's duplicate check compares a
  // million neighbours): a memcmp only for texts that share them.
  friend std::strong_ordering operator<=>(const SharedText& a, const SharedText& b) noexcept {
    if (a.bits_ == b.bits_) return std::strong_ordering::equal;
    const std::uint64_t ka = a.LeadingKey(), kb = b.LeadingKey();
    if (ka != kb) return ka <=> kb;
    return a.view() <=> b.view();
  }
  friend std::strong_ordering operator<=>(const SharedText& a, const std::string& b) noexcept {
    return a.view() <=> std::string_view(b);
  }
  friend std::strong_ordering operator<=>(const SharedText& a, std::string_view b) noexcept {
    return a.view() <=> b;
  }
  friend std::strong_ordering operator<=>(const SharedText& a, const char* b) noexcept {
    return a.view() <=> std::string_view(b);
  }

  friend std::string operator+(std::string a, const SharedText& b) { return a.append(b.view()); }
  friend std::string operator+(const char* a, const SharedText& b) {
    return std::string(a).append(b.view());
  }
  friend std::string operator+(const SharedText& a, const SharedText& b) {
    return a.str().append(b.view());
  }
  friend std::string operator+(const SharedText& a, std::string_view b) {
    return a.str().append(b);
  }
  friend std::string operator+(const SharedText& a, const char* b) { return a.str().append(b); }
  friend std::string operator+(const SharedText& a, const std::string& b) {
    return a.str().append(b);
  }

 private:
  // bits_ is 0 (empty), a Block* (8-aligned, low bit 0), or inline text: low byte
  // (size << 1) | 1, the text in the next 7 bytes (little-endian order in memory).
  struct Block {
    std::atomic<std::uint32_t> refs;
    std::uint32_t size;
    char* text() { return reinterpret_cast<char*>(this + 1); }
  };
  static constexpr std::uintptr_t kEmpty = 0;
  static constexpr size_t kInlineMax = 7;

  bool IsInline() const noexcept { return (bits_ & 1) != 0; }
  // The first eight bytes, zero after the end, as a big-endian number: texts whose numbers
  // differ are ordered as their numbers (a block holds at least eight bytes).
  std::uint64_t LeadingKey() const noexcept {
    if (IsInline()) return __builtin_bswap64(bits_) << 8;  // the size byte shifts out
    if (bits_ == kEmpty) return 0;
    std::uint64_t word;
    std::memcpy(&word, block()->text(), sizeof word);
    return __builtin_bswap64(word);
  }
  Block* block() const noexcept { return reinterpret_cast<Block*>(bits_); }
  void Acquire() const noexcept {
    if (bits_ != kEmpty && !IsInline()) block()->refs.fetch_add(1, std::memory_order_relaxed);
  }
  void Release() noexcept {
    if (bits_ != kEmpty && !IsInline()) ReleaseBlock();
  }
  // Drops this reference to the block, freeing it with the last; leaves this empty.
  void ReleaseBlock() noexcept;

  std::uintptr_t bits_ = kEmpty;
};

static_assert(sizeof(SharedText) == 8);
// Inline text follows the size byte in memory, which is the low byte of bits_.
static_assert(std::endian::native == std::endian::little);

// Inline: the rules and the graph read names millions of times.
inline std::string_view SharedText::view() const noexcept {
  if (bits_ == kEmpty) return {};
  if (IsInline()) {
    return {reinterpret_cast<const char*>(&bits_) + 1, static_cast<size_t>((bits_ & 0xff) >> 1)};
  }
  return {block()->text(), block()->size};
}

std::ostream& operator<<(std::ostream& os, const SharedText& text);

// OptionalText: a SharedText or none, with std::optional's interface. Unlike
// std::optional<SharedText>, the padding after its flag can hold a following member declared
// after it with [[no_unique_address]]: a consumer's reaction (org.h) fits there, which makes a
// consumer 40 bytes instead of 48.
class OptionalText {
 public:
  OptionalText() noexcept = default;
  OptionalText(std::nullopt_t) noexcept {}                                        // NOLINT
  OptionalText(SharedText text) noexcept : text_(std::move(text)), has_(true) {}  // NOLINT
  OptionalText(std::string_view text) : OptionalText(SharedText(text)) {}         // NOLINT
  OptionalText(const char* text) : OptionalText(SharedText(text)) {}              // NOLINT
  OptionalText(const std::string& text) : OptionalText(SharedText(text)) {}       // NOLINT

  bool has_value() const noexcept { return has_; }
  explicit operator bool() const noexcept { return has_; }
  // REQUIRES: has_value().
  const SharedText& operator*() const noexcept { return text_; }
  SharedText& operator*() noexcept { return text_; }
  const SharedText* operator->() const noexcept { return &text_; }
  SharedText value_or(std::string_view otherwise) const {
    return has_ ? text_ : SharedText(otherwise);
  }
  // The text, or none as std::nullopt.
  std::optional<std::string> ToOptional() const {
    return has_ ? std::optional<std::string>(text_.str()) : std::nullopt;
  }
  // An empty text, made present, for the caller to fill.
  SharedText& emplace() noexcept {
    text_ = SharedText();
    has_ = true;
    return text_;
  }
  SharedText& emplace(SharedText text) noexcept {
    text_ = std::move(text);
    has_ = true;
    return text_;
  }
  void reset() noexcept {
    text_ = SharedText();
    has_ = false;
  }

  friend bool operator==(const OptionalText& a, const OptionalText& b) noexcept {
    return a.has_ == b.has_ && (!a.has_ || a.text_ == b.text_);
  }

 private:
  SharedText text_;  // empty when none
  bool has_ = false;
};

}  // namespace odmd::model

template <>
struct std::hash<odmd::model::SharedText> {
  size_t operator()(const odmd::model::SharedText& t) const noexcept {
    return std::hash<std::string_view>()(t.view());
  }
};
