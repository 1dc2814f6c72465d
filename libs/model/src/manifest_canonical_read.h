#pragma once

// Private to manifest reading: the canonical path (manifest_canonical_read.cc), which reads a
// manifest that is exactly the canonical text of its own Org without parsing it as JSON
// first, and tells where its digest member is, so that the digest can be taken over the
// input's own bytes (on another thread, while the rest is read).

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "manifest_reader.h"
#include "odmd/model/org.h"

namespace odmd::model::internal {

// Length of the valid UTF-8 sequence at the start of non-empty `s`, or 0 if it is not one
// (overlong forms, surrogates and code points above U+10FFFF are invalid). manifest_write.cc.
size_t Utf8SequenceLength(std::string_view s);

// Counts one canonical text for CanonicalTextsWritten (manifest_write.cc).
void CountCanonicalText();

// Reads `text` in two steps, ReadHead then ReadBody; each returns false as soon as the text
// is not byte for byte the canonical text (WriteManifest) of the Org read so far, or holds
// anything the fast path would not take (an unknown kind, a rev that does not parse, ...).
// When both return true, Take() is the Org the exact reader builds from `text`, and `text`
// without the bytes [digest_begin(), digest_end()) is its canonical text without a digest
// member (so the SHA-256 of those bytes is its ManifestDigest).
// One per text; `text` must outlive it.
class CanonicalReader {
 public:
  explicit CanonicalReader(std::string_view text)
      : begin_(text.data()), p_(text.data()), end_(text.data() + text.size()) {}

  // The members before "centralAccount": schema, org, version and the digest, if any.
  bool ReadHead();
  // The rest, or when `stop` is the offset BuildBoundary gave: up to it (stopped() is then
  // true, and another reader reads the rest with ReadBodyFrom(stop)).
  // REQUIRES: ReadHead() returned true.
  bool ReadBody(size_t stop = std::string_view::npos);
  // The builds after the boundary `at` to the end of the text, into Take().org.builds;
  // gives up (false) when `*cancel` becomes true.
  bool ReadBodyFrom(size_t at, const std::atomic<bool>* cancel);
  // True when ReadBody stopped at its `stop`.
  bool stopped() const { return stopped_; }
  // The offset of the first boundary between two builds at or after `from` in a canonical
  // text (the ',' after a build's closing brace), or npos: where a second reader can start.
  static size_t BuildBoundary(std::string_view text, size_t from);

  // The digest member (",\n  \"digest\": \"...\""); empty when there is none.
  size_t digest_begin() const { return digest_begin_; }
  size_t digest_end() const { return digest_end_; }
  // The Org in document order and the digest member's value.
  FastManifest Take() { return std::move(out_); }

 private:
  // Long names repeat (a producer is named by every consumer of it): one block each.
  class Interner {
   public:
    SharedText Get(std::string_view text);

   private:
    struct Slot {
      std::uint64_t hash = 0;
      SharedText text;
    };
    void Grow();
    std::vector<Slot> slots_ = std::vector<Slot>(1024);
    size_t used_ = 0;
  };

  size_t Offset() const { return static_cast<size_t>(p_ - begin_); }
  // Each consumes what it expects and returns true, or returns false.
  template <size_t N>
  bool Lit(const std::array<char, N>& bytes);
  bool Lit(std::string_view s);
  bool Char(char c);
  // Lit(bytes) if the text goes on with them; consumes nothing otherwise.
  template <size_t N>
  bool Optional(const std::array<char, N>& bytes);
  // A string as the writer escapes it; the view is into the text, or into scratch_ when the
  // string has escapes (valid until the next string).
  bool String(std::string_view* out);
  bool String(std::string* out);
  bool String(SharedText* out);
  bool EscapedRest(std::string_view* out);
  bool Escape();
  bool Int(std::int64_t min, std::int64_t max, std::int64_t* out);
  bool Bool(bool* out);
  // A config object as the writer writes it at `depth`; `*out` as the exact reader keeps it.
  bool Config(int depth, std::string* out);
  // The value of an array member whose key is at kDepth into `items`, one element() each.
  template <int kDepth, typename T, typename Element>
  bool Array(std::vector<T>* items, Element element);

  bool ReadBuilds(size_t stop, const std::atomic<bool>* cancel = nullptr);
  bool ReadAccount(Account* account);
  bool ReadBuild(Build* build);
  bool ReadEnver(const Build& build, Enver* enver);
  bool ReadProduct(Product* product);
  bool ReadConsumer(Consumer* consumer);

  const char* begin_;
  const char* p_;
  const char* end_;
  std::string scratch_;
  // Reused while reading each list, whose final vector is then allocated once, to size.
  std::vector<Enver> envers_;
  std::vector<Product> products_;
  std::vector<Consumer> consumers_;
  Interner names_;
  size_t digest_begin_ = 0;
  size_t digest_end_ = 0;
  bool stopped_ = false;
  FastManifest out_;
};

}  // namespace odmd::model::internal
