// Reading a manifest (docs/manifest.md): parse, walk the document reporting every problem
// with its JSON Pointer (M2-M6, and R2 for a rev that does not parse), check the digest,
// then run the contract rules. The parser is the only code here that can throw; it is
// driven through its SAX interface so that every parse failure, including a number
// overflow, arrives as data with its byte offset.

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <nlohmann/json.hpp>

#include "manifest_canonical_read.h"
#include "manifest_reader.h"
#include "odmd/base/sha256.h"
#include "odmd/base/spare_thread.h"
#include "odmd/model/manifest.h"
#include "odmd/model/strict_json.h"
#include "odmd/model/validate.h"

namespace odmd::model {
namespace {

using Json = nlohmann::json;

// Keeps printable ASCII; other bytes become \xNN so that a message is valid UTF-8 even when
// it quotes part of a non-UTF-8 input.
std::string PrintableAscii(std::string_view s) {
  std::string out;
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    if (u >= 0x20 && u < 0x7f) {
      out += c;
    } else {
      static constexpr char kHex[] = "0123456789abcdef";
      out += "\\x";
      out += kHex[u >> 4];
      out += kHex[u & 0xf];
    }
  }
  return out;
}

// nlohmann's what() is "[json.exception.parse_error.101] parse error at line 2, column 8:
// syntax error ..."; keep only the reason, since we compute the position ourselves.
std::string ParseReason(std::string_view what) {
  size_t bracket = what.find("] ");
  if (bracket != std::string_view::npos) what.remove_prefix(bracket + 2);
  if (what.starts_with("parse error")) {
    size_t colon = what.find(": ");
    if (colon != std::string_view::npos) what.remove_prefix(colon + 2);
  }
  return PrintableAscii(what);
}

// Line and column (1-based) of the byte nlohmann stopped at. `byte` counts bytes read, so
// the offending byte is at offset byte - 1; past the end means "at the end of input".
std::pair<size_t, size_t> LineColumn(std::string_view text, size_t byte) {
  size_t offset = std::min(byte == 0 ? 0 : byte - 1, text.size());
  std::string_view before = text.substr(0, offset);
  size_t line = 1 + static_cast<size_t>(std::count(before.begin(), before.end(), '\n'));
  size_t last_newline = before.rfind('\n');
  size_t column = last_newline == std::string_view::npos ? offset + 1 : offset - last_newline;
  return {line, column};
}

// Parses `text`; a syntax error is reported as M1 and yields nullopt.
std::optional<Json> Parse(std::string_view text, std::vector<Violation>* out) {
  StrictJson parsed = ParseStrictJson(text);
  if (parsed.value) return std::move(parsed.value);
  if (!parsed.duplicate.empty()) {
    const std::string& at = parsed.duplicate;
    out->push_back(Violation{
        "M1", at, "", "",
        "invalid JSON: the key at " + at + " appears twice in its object (keys must be unique)"});
    return std::nullopt;
  }
  auto [line, column] = LineColumn(text, parsed.error_byte);
  out->push_back(Violation{"M1", "", "", "",
                           "invalid JSON at line " + std::to_string(line) + ", column " +
                               std::to_string(column) + ": " + ParseReason(parsed.error)});
  return std::nullopt;
}

// M5: the digest, when present, is over the canonical text of exactly what was read.
void CheckDigest(const std::string& expected, const std::string& digest,
                 std::vector<Violation>* out) {
  if (digest != expected) {
    out->push_back(Violation{"M5", "/digest", "", digest,
                             "digest does not match the content; expected \"" + expected + "\""});
  }
}

// Returns the content's digest (computed once, here).
std::string CheckDigest(const Org& org, const std::string& digest, std::vector<Violation>* out) {
  std::string expected = ManifestDigest(org);
  CheckDigest(expected, digest, out);
  return expected;
}

// The two tasks of the canonical path besides reading the first builds: reading the rest
// (the tail, from kCallerPercent of the text), and the digest (SHA-256 of the text without its
// digest member). With the spare thread (spare_thread.h), it takes them in that order while the
// caller reads the first; each task is done by whichever thread claims it first, so a thread that
// starts late (a busy machine) leaves the caller to do the tail itself and takes the digest, and a
// thread that never gets to the digest leaves it to the caller. Without it (busy with another read,
// or none wanted), the caller does both.
class SecondCore {
 public:
  // `split`: where the tail of the builds begins (CanonicalReader::BuildBoundary), or
  // npos. `hash`: whether the digest is needed. `thread`: whether to ask the spare thread.
  SecondCore(std::string_view text, size_t digest_begin, size_t digest_end, size_t split, bool hash,
             bool thread)
      : text_(text),
        digest_begin_(digest_begin),
        digest_end_(digest_end),
        split_(split),
        hash_(hash),
        tail_(text) {
    if (thread) ticket_ = SpareThread::Get().Start([this] { Run(); });
  }
  ~SecondCore() {
    cancelled_.store(true, std::memory_order_relaxed);
    if (ticket_ != 0) SpareThread::Get().Wait(ticket_);
  }
  SecondCore(const SecondCore&) = delete;
  SecondCore& operator=(const SecondCore&) = delete;

  // The tail of the builds, read here or waited for: true when it read as canonical (or
  // there was none), then appends them to `builds`.
  bool TakeTail(std::vector<Build>* builds) {
    if (Claim(tail_claimed_)) {
      ReadTail();
    } else {
      std::unique_lock lock(mu_);
      done_cv_.wait(lock, [&] { return tail_done_; });
    }
    if (!tail_ok_ || split_ == std::string_view::npos) return tail_ok_;
    std::vector<Build> tail = tail_.Take().org.builds;
    if (!builds->empty() && tail.front().id < builds->back().id) return false;  // order
    builds->reserve(builds->size() + tail.size());
    std::move(tail.begin(), tail.end(), std::back_inserter(*builds));
    return true;
  }

  // Stops early (the caller's builds were not canonical).
  void Cancel() { cancelled_.store(true, std::memory_order_relaxed); }

  // "sha256:<hex>", computed here or waited for. REQUIRES: constructed with `hash`, and
  // TakeTail returned true.
  std::string Digest() {
    if (Claim(hash_claimed_)) {
      Hash();
    } else {
      std::unique_lock lock(mu_);
      done_cv_.wait(lock, [&] { return hash_done_; });
    }
    return digest_;
  }

 private:
  // True for the one thread that claims `task`.
  static bool Claim(std::atomic<bool>& task) {
    return !task.exchange(true, std::memory_order_acq_rel);
  }
  // The thread's work.
  void Run() {
    if (Claim(tail_claimed_)) {
      ReadTail();
      Done(&tail_done_);
      if (!tail_ok_) return;
    }
    if (hash_ && Claim(hash_claimed_)) {
      Hash();
      Done(&hash_done_);
    }
  }
  void Done(bool* flag) {
    {
      std::lock_guard lock(mu_);
      *flag = true;
    }
    done_cv_.notify_all();
  }
  void ReadTail() {
    tail_ok_ = split_ == std::string_view::npos || tail_.ReadBodyFrom(split_, &cancelled_);
  }
  void Hash() {
    constexpr size_t kPiece = 1 << 20;  // how much is hashed between looks at cancelled_
    Sha256 sha;
    for (std::string_view piece : {text_.substr(0, digest_begin_), text_.substr(digest_end_)}) {
      for (size_t at = 0; at < piece.size(); at += kPiece) {
        if (cancelled_.load(std::memory_order_relaxed)) return;
        sha.Update(piece.substr(at, kPiece));
      }
    }
    digest_ = "sha256:" + sha.HexDigest();
  }

  std::string_view text_;
  size_t digest_begin_, digest_end_, split_;
  bool hash_;
  internal::CanonicalReader tail_;
  bool tail_ok_ = false;
  std::string digest_;
  std::atomic<bool> tail_claimed_{false}, hash_claimed_{false}, cancelled_{false};
  std::mutex mu_;
  std::condition_variable done_cv_;
  bool tail_done_ = false, hash_done_ = false;  // guarded by mu_
  std::uint64_t ticket_ = 0;                    // the spare thread's, or 0: no second core
};

struct CanonicalRead {
  Org org;
  std::vector<Violation> found;
};

// The canonical path: when `text` is the canonical text of its own Org, reads it without a
// JSON parse (a large one on two cores: each reads part of the builds, then one hashes the
// text itself for the digest while the other runs the rules), and returns the Org and what
// ReadManifest would find (M5, else the rules' violations); nullopt, having found nothing,
// when `text` is anything else.
// The caller's share of a two-thread read, in percent of the text: more than half, because
// after its share the spare thread hashes the whole text, which costs more than the graph
// and rules the caller runs after its own (per thread at 1,000 builds: digest 11.5 ms,
// graph and rules 9.6 ms), so the two finish together. Measured (bench/README.md, "fifth
// session"): 56% 19.1 ms, 50% 20.2 ms, 60% 21.1 ms (medians of 10 runs alternating), and
// 56% holds 1-2 MiB less at peak.
constexpr size_t kCallerPercent = 56;

std::optional<CanonicalRead> ReadCanonically(std::string_view text,
                                             const ManifestReadOptions& options) {
  internal::CanonicalReader reader(text);
  if (!reader.ReadHead()) return std::nullopt;
  bool declared = reader.digest_begin() != reader.digest_end();
  bool two_threads = text.size() >= options.two_threads_from;
  size_t split = two_threads ? internal::CanonicalReader::BuildBoundary(
                                   text, text.size() / 100 * kCallerPercent)
                             : std::string_view::npos;
  SecondCore second(text, reader.digest_begin(), reader.digest_end(), split,
                    declared || options.digest != nullptr, two_threads);
  if (!reader.ReadBody(split) || reader.stopped() != (split != std::string_view::npos)) {
    second.Cancel();
    return std::nullopt;
  }
  internal::FastManifest fast = reader.Take();
  if (!second.TakeTail(&fast.org.builds)) return std::nullopt;
  internal::CountCanonicalText();  // the text read is the canonical text: it is not written
  CanonicalRead out{std::move(fast.org), {}};
  InheritCloneConsumers(out.org);
  std::vector<Violation> rules;
  if (options.validate_rules) rules = Validate(out.org);
  if (!declared && options.digest == nullptr) {
    out.found = std::move(rules);
    return out;
  }
  std::string digest = second.Digest();
  if (fast.digest) CheckDigest(digest, *fast.digest, &out.found);
  if (!out.found.empty()) return out;  // M5: the rules are not reported
  if (options.digest != nullptr) *options.digest = std::move(digest);
  out.found = std::move(rules);
  return out;
}

// The exact reader: a document tree, every problem reported with its JSON Pointer. Sets
// `*digest` to the content's digest when the document has a digest field to check.
Org ReadExactly(std::string_view text, std::vector<Violation>* found, std::string* digest) {
  std::optional<Json> doc = Parse(text, found);
  if (!doc) return Org();
  internal::ManifestReader reader(found);
  Org org = reader.Read(*doc);
  doc.reset();  // the tree is several times the text's size: free it before going on
  if (reader.complete() && reader.digest()) *digest = CheckDigest(org, *reader.digest(), found);
  return org;
}

// Any text: the fast path (simdjson), else the exact reader; then the digest and the rules.
Org ReadByParsing(std::string_view text, const ManifestReadOptions& options,
                  std::vector<Violation>* found) {
  Org org;
  std::string digest;  // the content's, once computed
  std::optional<internal::FastManifest> fast;
  if (options.reader == ManifestReadOptions::Reader::kAuto)
    fast = internal::ReadManifestFast(text, options.padded);
  if (options.read_fast != nullptr) *options.read_fast = fast.has_value();
  if (options.path != nullptr) {
    *options.path = fast ? ManifestReadOptions::Path::kFast : ManifestReadOptions::Path::kExact;
  }
  if (fast) {
    org = std::move(fast->org);
    if (fast->digest) digest = CheckDigest(org, *fast->digest, found);
  } else {
    org = ReadExactly(text, found, &digest);
  }
  if (found->empty()) {
    if (options.digest != nullptr) *options.digest = digest.empty() ? ManifestDigest(org) : digest;
    InheritCloneConsumers(org);
    if (options.validate_rules) *found = Validate(org);
  }
  return org;
}

}  // namespace

Result<Org> ReadManifest(std::string_view text, std::vector<Violation>* violations,
                         const ManifestReadOptions& options) {
  std::vector<Violation> found;
  Org org;
  std::optional<CanonicalRead> canonical;
  if (options.reader == ManifestReadOptions::Reader::kAuto) {
    canonical = ReadCanonically(text, options);
  }
  if (canonical) {
    if (options.read_fast != nullptr) *options.read_fast = true;
    if (options.path != nullptr) *options.path = ManifestReadOptions::Path::kCanonical;
    org = std::move(canonical->org);
    found = std::move(canonical->found);
  } else {
    org = ReadByParsing(text, options, &found);
  }
  if (found.empty()) return org;
  Status status = ViolationsToStatus(found);
  if (violations != nullptr) {
    std::move(found.begin(), found.end(), std::back_inserter(*violations));
  }
  return status;
}

}  // namespace odmd::model
