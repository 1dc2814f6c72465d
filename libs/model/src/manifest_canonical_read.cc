// The canonical path of manifest reading. A manifest that is, byte for byte, the canonical
// text WriteManifest gives for its own Org (what `odmd fmt`, the contracts SDKs and the
// platform write) is read by one forward pass that expects exactly that text: the member
// order, the two-space indent, the escapes the writer uses, canonical order of every list,
// canonical configs. Every structural byte is compared with what the writer would put there
// and every value is checked as the fast path checks it, so when the pass succeeds the text
// IS the canonical text of the Org it built, and the digest of that Org is the SHA-256 of
// the input itself (without its digest member): the canonical text never needs writing.
// At the first byte that differs it gives up and the fast path (simdjson), then the exact
// reader, read the text as before; so a manifest's violations and Org never depend on which
// path read it (manifest_canonical_read_test and the fuzzer compare them).

#include "manifest_canonical_read.h"

#include <array>
#include <bit>
#include <charconv>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <string_view>
#include <utility>

#include "config_internal.h"
#include "odmd/model/config.h"
#include "odmd/model/manifest.h"
#include "odmd/model/strict_json.h"
#include "text_words.h"

namespace odmd::model::internal {
namespace {

// Bytes a canonical string holds as they are: printable ASCII and DEL, except '"' and '\'.
constexpr std::array<bool, 256> kPlainBytes = [] {
  std::array<bool, 256> plain{};
  for (int c = 0x20; c < 0x80; ++c) plain[c] = c != '"' && c != '\\';
  return plain;
}();

// The control character a canonical two-character escape "\<c>" stands for, or -1.
int ShortEscape(char c) {
  switch (c) {
    case '"':
      return '"';
    case '\\':
      return '\\';
    case 'b':
      return '\b';
    case 'f':
      return '\f';
    case 'n':
      return '\n';
    case 'r':
      return '\r';
    case 't':
      return '\t';
    default:
      return -1;
  }
}

// The value of a lowercase hex digit, or -1 (the writer writes lowercase).
int LowerHex(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

// The bytes that precede member `key` of an object whose members are at kDepth: a comma
// (not before the first member), a newline, the indent, the quoted key, ": ".
template <bool kFirst, int kDepth, size_t K>
constexpr std::array<char, (kFirst ? 0 : 1) + 1 + 2 * kDepth + (K - 1) + 4> Member(
    const char (&key)[K]) {
  std::array<char, (kFirst ? 0 : 1) + 1 + 2 * kDepth + (K - 1) + 4> out{};
  size_t i = 0;
  if (!kFirst) out[i++] = ',';
  out[i++] = '\n';
  for (int d = 0; d < 2 * kDepth; ++d) out[i++] = ' ';
  out[i++] = '"';
  for (size_t k = 0; k + 1 < K; ++k) out[i++] = key[k];
  out[i++] = '"';
  out[i++] = ':';
  out[i++] = ' ';
  return out;
}

// A newline and the indent of kDepth.
template <int kDepth>
constexpr std::array<char, 1 + 2 * kDepth> Indent() {
  std::array<char, 1 + 2 * kDepth> out{};
  out[0] = '\n';
  for (int d = 0; d < 2 * kDepth; ++d) out[1 + d] = ' ';
  return out;
}

// A newline, the indent of kDepth and `c` (a closing '}' or ']').
template <int kDepth>
constexpr std::array<char, 2 + 2 * kDepth> Line(char c) {
  std::array<char, 2 + 2 * kDepth> out{};
  out[0] = '\n';
  for (int d = 0; d < 2 * kDepth; ++d) out[1 + d] = ' ';
  out[1 + 2 * kDepth] = c;
  return out;
}

std::uint64_t Load8(const char* p) {
  std::uint64_t word;
  std::memcpy(&word, p, sizeof word);
  return word;
}

// True when the N bytes at `p` are `bytes`: word by word, without a call (N is known here,
// so the loop unrolls and `bytes` become immediates).
template <size_t N>
bool Equal(const char* p, const std::array<char, N>& bytes) {
  if constexpr (N < 8) {
    return std::memcmp(p, bytes.data(), N) == 0;
  } else {
    std::uint64_t diff = 0;
    for (size_t i = 0; i + 8 <= N; i += 8) diff |= Load8(p + i) ^ Load8(bytes.data() + i);
    if constexpr (N % 8 != 0) diff |= Load8(p + N - 8) ^ Load8(bytes.data() + N - 8);
    return diff == 0;
  }
}

// A byte of each of the 8 in `word` that is '"', '\\', a control character or not ASCII
// has its high bit set (the lowest such byte exactly; bytes above it may be false alarms).
static_assert(std::endian::native == std::endian::little, "SpecialBytes finds the first byte");
std::uint64_t SpecialBytes(std::uint64_t word) {
  constexpr std::uint64_t kOnes = 0x0101010101010101ull, kHigh = 0x8080808080808080ull;
  auto zero = [&](std::uint64_t x) { return (x - kOnes) & ~x & kHigh; };
  std::uint64_t control = (word - 0x20 * kOnes) & ~word & kHigh;
  return zero(word ^ ('"' * kOnes)) | zero(word ^ ('\\' * kOnes)) | control | (word & kHigh);
}

// For names longer than 7 bytes: the first and last 8 bytes and the length, mixed.
std::uint64_t HashText(std::string_view s) {
  std::uint64_t h = Load8(s.data()) * 0x9e3779b97f4a7c15ull;
  h ^= Load8(s.data() + s.size() - 8) + s.size();
  h *= 0xbf58476d1ce4e5b9ull;
  return internal::MixBits(h);  // the interner's slots are its low bits
}

}  // namespace

template <size_t N>
bool CanonicalReader::Lit(const std::array<char, N>& bytes) {
  if (static_cast<size_t>(end_ - p_) < N || !Equal(p_, bytes)) return false;
  p_ += N;
  return true;
}

template <size_t N>
bool CanonicalReader::Optional(const std::array<char, N>& bytes) {
  return Lit(bytes);  // Lit consumes nothing when it fails
}

SharedText CanonicalReader::Interner::Get(std::string_view text) {
  if (text.size() <= 7) return SharedText(text);  // inline: nothing to share
  std::uint64_t hash = HashText(text);
  size_t mask = slots_.size() - 1;
  for (size_t i = hash & mask;; i = (i + 1) & mask) {
    Slot& slot = slots_[i];
    if (slot.text.empty()) {
      slot.hash = hash;
      slot.text = SharedText(text);
      SharedText found = slot.text;
      if (++used_ * 2 > slots_.size()) Grow();
      return found;
    }
    if (slot.hash == hash && slot.text.view() == text) return slot.text;
  }
}

void CanonicalReader::Interner::Grow() {
  std::vector<Slot> old = std::exchange(slots_, std::vector<Slot>(slots_.size() * 2));
  size_t mask = slots_.size() - 1;
  for (Slot& slot : old) {
    if (slot.text.empty()) continue;
    size_t i = slot.hash & mask;
    while (!slots_[i].text.empty()) i = (i + 1) & mask;
    slots_[i] = std::move(slot);
  }
}

bool CanonicalReader::Lit(std::string_view s) {
  if (static_cast<size_t>(end_ - p_) < s.size() || std::memcmp(p_, s.data(), s.size()) != 0) {
    return false;
  }
  p_ += s.size();
  return true;
}

bool CanonicalReader::Char(char c) {
  if (p_ == end_ || *p_ != c) return false;
  ++p_;
  return true;
}

bool CanonicalReader::String(std::string_view* out) {
  if (!Char('"')) return false;
  const char* start = p_;
  while (end_ - p_ >= 8) {
    std::uint64_t special = SpecialBytes(Load8(p_));
    if (special != 0) {
      p_ += std::countr_zero(special) / 8;
      break;
    }
    p_ += 8;
  }
  while (p_ != end_ && kPlainBytes[static_cast<unsigned char>(*p_)]) ++p_;
  if (p_ != end_ && *p_ == '"') {
    *out = std::string_view(start, static_cast<size_t>(p_ - start));
    ++p_;
    return true;
  }
  scratch_.assign(start, p_);
  return EscapedRest(out);
}

bool CanonicalReader::EscapedRest(std::string_view* out) {
  while (p_ != end_) {
    auto c = static_cast<unsigned char>(*p_);
    if (c == '"') {
      ++p_;
      *out = scratch_;
      return true;
    }
    if (kPlainBytes[c]) {
      scratch_ += static_cast<char>(c);
      ++p_;
    } else if (c == '\\') {
      if (!Escape()) return false;
    } else if (c >= 0x80) {
      size_t n = Utf8SequenceLength(std::string_view(p_, static_cast<size_t>(end_ - p_)));
      if (n == 0) return false;  // not UTF-8: the exact reader reports it
      scratch_.append(p_, n);
      p_ += n;
    } else {
      return false;  // a raw control character is not JSON
    }
  }
  return false;
}

bool CanonicalReader::Escape() {
  // The escapes AppendString writes, and no other: "\"", "\\", \b \f \n \r \t, and \u00xx
  // (lowercase) for the other control characters.
  if (end_ - p_ < 2) return false;
  int c = ShortEscape(p_[1]);
  if (c >= 0) {
    scratch_ += static_cast<char>(c);
    p_ += 2;
    return true;
  }
  if (end_ - p_ < 6 || p_[1] != 'u' || p_[2] != '0' || p_[3] != '0') return false;
  int high = LowerHex(p_[4]), low = LowerHex(p_[5]);
  if (high < 0 || high > 1 || low < 0) return false;
  c = high * 16 + low;
  if (c == '\b' || c == '\f' || c == '\n' || c == '\r' || c == '\t') return false;
  scratch_ += static_cast<char>(c);
  p_ += 6;
  return true;
}

bool CanonicalReader::String(std::string* out) {
  std::string_view s;
  if (!String(&s)) return false;
  out->assign(s);
  return true;
}

bool CanonicalReader::String(SharedText* out) {
  std::string_view s;
  if (!String(&s)) return false;
  *out = names_.Get(s);
  return true;
}

bool CanonicalReader::Int(std::int64_t min, std::int64_t max, std::int64_t* out) {
  // std::to_string's form: no '+', no leading zero, no "-0".
  const char* start = p_;
  bool negative = p_ != end_ && *p_ == '-';
  const char* digits = p_ + (negative ? 1 : 0);
  if (digits == end_ || *digits < '0' || *digits > '9') return false;
  if (*digits == '0' &&
      (negative || (digits + 1 != end_ && digits[1] >= '0' && digits[1] <= '9'))) {
    return false;
  }
  std::int64_t value = 0;
  auto [next, ec] = std::from_chars(start, end_, value);
  if (ec != std::errc() || value < min || value > max) return false;
  p_ = next;
  *out = value;
  return true;
}

bool CanonicalReader::Bool(bool* out) {
  if (Lit("true")) {
    *out = true;
  } else if (Lit("false")) {
    *out = false;
  } else {
    return false;
  }
  return true;
}

bool CanonicalReader::Config(int depth, std::string* out) {
  // The value's extent: a balanced object, strings skipped.
  const char* start = p_;
  int nesting = 0;
  for (const char* q = p_; q != end_; ++q) {
    if (*q == '"') {
      for (++q; q != end_ && *q != '"'; ++q) {
        if (*q == '\\' && ++q == end_) return false;
      }
      if (q == end_) return false;
    } else if (*q == '{' || *q == '[') {
      ++nesting;
    } else if (*q == '}' || *q == ']') {
      if (--nesting == 0) {
        p_ = q + 1;
        break;
      }
    } else if (nesting == 0) {
      return false;  // not an object
    }
  }
  if (p_ == start) return false;
  std::string_view text(start, static_cast<size_t>(p_ - start));
  // As the exact reader keeps it: the compact dump of a well-formed, non-empty config (an
  // empty one is not written at all).
  StrictJson parsed = ParseStrictJson(text);
  if (!parsed.value || !parsed.value->is_object() || parsed.value->empty()) return false;
  if (NestsTooDeep(*parsed.value) || !CheckConfigJson(*parsed.value).empty()) return false;
  *out = parsed.value->dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  if (*out != CanonicalConfig(*out)) return false;
  // As the writer writes it: dump(2), indented to the member's depth.
  std::string written;
  for (char c : parsed.value->dump(2, ' ', false, nlohmann::json::error_handler_t::replace)) {
    written += c;
    if (c == '\n') written.append(2 * static_cast<size_t>(depth), ' ');
  }
  return text == written;
}

template <int kDepth, typename T, typename Element>
bool CanonicalReader::Array(std::vector<T>* items, Element element) {
  static constexpr std::array<char, 2> kEmpty = {'[', ']'};
  static constexpr auto kIndent = Indent<kDepth + 1>();
  static constexpr auto kClose = Line<kDepth>(']');
  if (Lit(kEmpty)) return true;
  if (!Char('[')) return false;
  do {
    if (!Lit(kIndent)) return false;
    items->emplace_back();
    size_t at = items->size() - 1;
    if (!element(&(*items)[at], at == 0 ? nullptr : &(*items)[at - 1])) return false;
  } while (Char(','));
  return Lit(kClose);
}

bool CanonicalReader::ReadHead() {
  static constexpr auto kSchema = Member<true, 1>("schema");
  static constexpr auto kOrg = Member<false, 1>("org");
  static constexpr auto kVersion = Member<false, 1>("version");
  static constexpr auto kDigest = Member<false, 1>("digest");
  Org& org = out_.org;
  if (!Char('{') || !Lit(kSchema) || !Char('"') || !Lit(kManifestSchema) || !Char('"') ||
      !Lit(kOrg) || !String(&org.name) || !Lit(kVersion) || !String(&org.version) ||
      !IsSemVer(org.version)) {
    return false;
  }
  digest_begin_ = digest_end_ = Offset();
  if (Optional(kDigest)) {
    if (!String(&out_.digest.emplace())) return false;
    digest_end_ = Offset();
  }
  return true;
}

bool CanonicalReader::ReadBody(size_t stop) {
  static constexpr auto kCentral = Member<false, 1>("centralAccount");
  static constexpr auto kAccounts = Member<false, 1>("accounts");
  static constexpr auto kBuilds = Member<false, 1>("builds");
  static constexpr std::array<char, 4> kNone = {'[', ']', '\n', '}'};
  Org& org = out_.org;
  if (!Lit(kCentral) || !String(&org.central_account)) return false;
  auto account = [&](Account* a, const Account* previous) {
    return ReadAccount(a) && (previous == nullptr || !(a->name < previous->name));
  };
  if (!Lit(kAccounts) || !Array<1>(&org.accounts, account) || !Lit(kBuilds)) return false;
  if (Lit(kNone)) return Char('\n') && p_ == end_;
  return Char('[') && ReadBuilds(stop);
}

bool CanonicalReader::ReadBodyFrom(size_t at, const std::atomic<bool>* cancel) {
  p_ = begin_ + at;
  return Char(',') && ReadBuilds(std::string_view::npos, cancel);
}

bool CanonicalReader::ReadBuilds(size_t stop, const std::atomic<bool>* cancel) {
  static constexpr auto kIndent = Indent<2>();
  static constexpr std::array<char, 7> kEnd = {'\n', ' ', ' ', ']', '\n', '}', '\n'};
  std::vector<Build>& builds = out_.org.builds;
  do {
    if (!Lit(kIndent)) return false;
    if (cancel != nullptr && cancel->load(std::memory_order_relaxed)) return false;
    Build& b = builds.emplace_back();
    if (!ReadBuild(&b)) return false;
    if (builds.size() > 1 && b.id < builds[builds.size() - 2].id) return false;
    if (Offset() == stop) return stopped_ = true;
  } while (Char(','));
  return Lit(kEnd) && p_ == end_;
}

size_t CanonicalReader::BuildBoundary(std::string_view text, size_t from) {
  // In a canonical text only the end of one build and the start of the next look like this
  // (strings hold no raw newline; accounts begin with "name", configs are indented deeper).
  static constexpr std::string_view kBetween = "\n    },\n    {\n      \"id\": ";
  size_t at = text.find(kBetween, from);
  return at == std::string_view::npos ? at : at + 6;  // the ','
}

bool CanonicalReader::ReadAccount(Account* a) {
  static constexpr auto kName = Member<true, 3>("name");
  static constexpr auto kId = Member<false, 3>("id");
  static constexpr auto kClose = Line<2>('}');
  return Char('{') && Lit(kName) && String(&a->name) && Lit(kId) && String(&a->id) && Lit(kClose);
}

bool CanonicalReader::ReadBuild(Build* b) {
  static constexpr auto kId = Member<true, 3>("id");
  static constexpr auto kKind = Member<false, 3>("kind");
  static constexpr auto kRepo = Member<false, 3>("repo");
  static constexpr auto kOwner = Member<true, 4>("owner");
  static constexpr auto kName = Member<false, 4>("name");
  static constexpr auto kInstallation = Member<false, 4>("installationId");
  static constexpr auto kRepoClose = Line<3>('}');
  static constexpr auto kOverview = Member<false, 3>("serviceOverviewMd");
  static constexpr auto kContext = Member<false, 3>("serviceContextMd");
  static constexpr auto kConfig = Member<false, 3>("config");
  static constexpr auto kEnvers = Member<false, 3>("envers");
  static constexpr auto kClose = Line<2>('}');
  std::string_view kind;
  if (!Char('{') || !Lit(kId) || !String(&b->id) || !Lit(kKind) || !String(&kind)) return false;
  std::optional<BuildKind> parsed = ParseBuildKind(kind);
  if (!parsed) return false;
  b->kind = *parsed;
  if (!Lit(kRepo) || !Char('{') || !Lit(kOwner) || !String(&b->repo.owner) || !Lit(kName) ||
      !String(&b->repo.name) || !Lit(kInstallation) ||
      !Int(std::numeric_limits<std::int64_t>::min(), std::numeric_limits<std::int64_t>::max(),
           &b->repo.installation_id) ||
      !Lit(kRepoClose)) {
    return false;
  }
  if (Optional(kOverview) && !String(&b->service_overview_md.emplace())) return false;
  if (Optional(kContext) && !String(&b->service_context_md.emplace())) return false;
  if (Optional(kConfig) && !Config(3, &b->config)) return false;
  envers_.clear();
  auto enver = [&](Enver* e, const Enver* previous) {
    return ReadEnver(*b, e) && (previous == nullptr || !(e->rev < previous->rev));
  };
  if (!Lit(kEnvers) || !Array<3>(&envers_, enver) || !Lit(kClose)) return false;
  b->envers.reserve(envers_.size());
  std::move(envers_.begin(), envers_.end(), std::back_inserter(b->envers));
  return true;
}

bool CanonicalReader::ReadEnver(const Build& build, Enver* e) {
  static constexpr auto kRev = Member<true, 5>("rev");
  static constexpr auto kAccount = Member<false, 5>("account");
  static constexpr auto kRegion = Member<false, 5>("region");
  static constexpr auto kScript = Member<false, 5>("buildScript");
  static constexpr auto kWorkDir = Member<false, 5>("workDir");
  static constexpr auto kEphemeral = Member<false, 5>("ephemeral");
  static constexpr auto kCloneLimit = Member<false, 5>("cloneLimit");
  static constexpr auto kOverwrite = Member<false, 5>("overwriteWorkflow");
  static constexpr auto kContextMd = Member<false, 5>("enverContextMd");
  static constexpr auto kStacks = Member<false, 5>("stacks");
  static constexpr auto kConfig = Member<false, 5>("config");
  static constexpr auto kProducts = Member<false, 5>("products");
  static constexpr auto kConsumers = Member<false, 5>("consumers");
  static constexpr auto kClose = Line<4>('}');
  std::string_view rev;
  std::int64_t clone_limit = 0;
  if (!Char('{') || !Lit(kRev) || !String(&rev)) return false;
  Result<RevRef> parsed = RevRef::Parse(rev);
  if (!parsed.ok() || parsed->str() != rev) return false;
  e->rev = *std::move(parsed);
  if (!Lit(kAccount) || !String(&e->account) || !Lit(kRegion) || !String(&e->region) ||
      !Lit(kScript) || !String(&e->build_script) || !Lit(kWorkDir) || !String(&e->work_dir) ||
      !Lit(kEphemeral) || !Bool(&e->ephemeral) || !Lit(kCloneLimit) ||
      !Int(std::numeric_limits<int>::min(), std::numeric_limits<int>::max(), &clone_limit) ||
      !Lit(kOverwrite) || !Bool(&e->overwrite_workflow)) {
    return false;
  }
  e->clone_limit = static_cast<int>(clone_limit);
  if (Optional(kContextMd) && !String(&e->enver_context_md.emplace())) return false;
  if (Optional(kStacks)) {
    // Written only when not empty and not the default (the build's one stack).
    auto stack = [&](std::string* s, const std::string*) { return String(s); };
    if (!Array<5>(&e->stacks, stack) || e->stacks.empty()) return false;
    if (e->stacks.size() == 1 && e->stacks.front() == build.id) return false;
  }
  if (Optional(kConfig) && !Config(5, &e->config)) return false;
  products_.clear();
  auto product = [&](Product* p, const Product* previous) {
    return ReadProduct(p) && (previous == nullptr || !(p->name < previous->name));
  };
  if (!Lit(kProducts) || !Array<5>(&products_, product)) return false;
  e->products.reserve(products_.size());
  std::move(products_.begin(), products_.end(), std::back_inserter(e->products));
  if (Optional(kConsumers)) {
    consumers_.clear();
    auto consumer = [&](Consumer* c, const Consumer* previous) {
      return ReadConsumer(c) && (previous == nullptr || !(c->name < previous->name));
    };
    if (!Array<5>(&consumers_, consumer)) return false;
    e->consumers.reserve(consumers_.size());
    std::move(consumers_.begin(), consumers_.end(), std::back_inserter(e->consumers));
  } else if (e->rev.is_clone()) {
    e->inherits_consumers = true;  // a declared clone without "consumers" (InheritCloneConsumers)
  } else {
    return false;
  }
  return Lit(kClose);
}

bool CanonicalReader::ReadProduct(Product* p) {
  static constexpr auto kName = Member<true, 7>("name");
  static constexpr auto kClose = Line<6>('}');
  return Char('{') && Lit(kName) && String(&p->name) && Lit(kClose);
}

bool CanonicalReader::ReadConsumer(Consumer* c) {
  static constexpr auto kName = Member<true, 7>("name");
  static constexpr auto kProducer = Member<false, 7>("producer");
  static constexpr auto kProduct = Member<false, 7>("product");
  static constexpr auto kPlaceholder = Member<false, 7>("placeholder");
  static constexpr auto kReaction = Member<false, 7>("reaction");
  static constexpr auto kClose = Line<6>('}');
  std::string_view reaction;
  if (!Char('{') || !Lit(kName) || !String(&c->name) || !Lit(kProducer) || !String(&c->producer) ||
      !Lit(kProduct) || !String(&c->product)) {
    return false;
  }
  if (Optional(kPlaceholder) && !String(&c->placeholder.emplace())) return false;
  if (!Lit(kReaction) || !String(&reaction) || !Lit(kClose)) return false;
  std::optional<Reaction> parsed = ParseReaction(reaction);
  if (!parsed) return false;
  c->reaction = *parsed;
  return true;
}

}  // namespace odmd::model::internal
