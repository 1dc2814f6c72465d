// Writing the canonical manifest (docs/manifest.md). The text is the contract between a
// contracts library and the platform and is hashed for the digest, so every byte is
// deterministic: canonical order, the documented key order, two-space indent, final
// newline.
//
// The text is written directly rather than through a JSON DOM: a large org (1M consumers)
// makes a 200 MB manifest, and building a DOM for it first costs several times the writing
// itself; reading a manifest writes it once more to check the digest. The layout is the
// one nlohmann's dump(2) produces, so any JSON tool reformats it to the same bytes.

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <nlohmann/json.hpp>

#include "config_internal.h"
#include "manifest_canonical_read.h"
#include "odmd/base/sha256.h"
#include "odmd/model/config.h"
#include "odmd/model/manifest.h"

namespace odmd::model {
namespace {

// Appends `s` as a JSON string. Bytes that are not UTF-8 become U+FFFD so that the output
// is always valid JSON; only an Org built in code can hold them, never one read from a
// manifest (the parser rejects them).
void AppendString(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  while (!s.empty()) {
    // Fast path: a run of printable ASCII that needs no escaping is copied at once.
    size_t plain = 0;
    while (plain < s.size() && s[plain] >= 0x20 && s[plain] < 0x7f && s[plain] != '"' &&
           s[plain] != '\\') {
      ++plain;
    }
    out.append(s.substr(0, plain));
    s.remove_prefix(plain);
    if (s.empty()) break;
    auto c = static_cast<unsigned char>(s[0]);
    size_t n = internal::Utf8SequenceLength(s);
    if (n == 0) {
      out += "\xef\xbf\xbd";  // U+FFFD
      n = 1;
    } else if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20) {
      switch (c) {
        case '\b':
          out += "\\b";
          break;
        case '\f':
          out += "\\f";
          break;
        case '\n':
          out += "\\n";
          break;
        case '\r':
          out += "\\r";
          break;
        case '\t':
          out += "\\t";
          break;
        default:
          out += "\\u00";
          out += kHex[c >> 4];
          out += kHex[c & 0xf];
      }
    } else {
      out.append(s.substr(0, n));  // DEL or a multi-byte UTF-8 character
    }
    s.remove_prefix(n);
  }
  out += '"';
}

// Writes nested objects and arrays with nlohmann's dump(2) layout: one member per line,
// two spaces per level, "[]" for an empty array.
class Writer {
 public:
  // With a sink, the text goes to it in pieces as it is written (Take() gives the rest).
  explicit Writer(Sha256* sink = nullptr) : sink_(sink) {}

  void BeginObject() { Open('{'); }
  void EndObject() { Close('}'); }
  // Begins the array member `key`; an empty array is written as "[]" at once.
  bool BeginArray(std::string_view key, size_t size) {
    Key(key);
    if (size == 0) {
      out_ += "[]";
      return false;
    }
    Open('[');
    return true;
  }
  void EndArray() { Close(']'); }
  void BeginObjectMember(std::string_view key) {
    Key(key);
    Open('{');
  }

  void String(std::string_view key, std::string_view value) {
    Key(key);
    AppendString(out_, value);
  }
  void Int(std::string_view key, std::int64_t value) {
    Key(key);
    out_ += std::to_string(value);
  }
  void Bool(std::string_view key, bool value) {
    Key(key);
    out_ += value ? "true" : "false";
  }

  // The member `key` holding `json`, text in nlohmann's dump(2) layout at depth 0, indented
  // to the current depth.
  void Json(std::string_view key, std::string_view json) {
    Key(key);
    for (char c : json) {
      out_ += c;
      if (c == '\n') out_.append(2 * depth_, ' ');
    }
  }

  std::string Take() { return std::move(out_) + "\n"; }
  // Bytes written so far (without a sink: the whole text).
  size_t size() const { return out_.size(); }

 private:
  // Starts the next element of the current object or array ("" key inside an array).
  void Key(std::string_view key) {
    if (sink_ != nullptr && out_.size() >= kPiece) {
      sink_->Update(out_);
      out_.clear();
    }
    if (!first_) out_ += ',';
    first_ = false;
    NewLine();
    if (!key.empty()) {
      // Keys are the format's own member names: plain ASCII, nothing to escape.
      out_ += '"';
      out_.append(key);
      out_.append("\": ", 3);
    }
  }
  void Open(char c) {
    out_ += c;
    ++depth_;
    first_ = true;
  }
  void Close(char c) {
    --depth_;
    NewLine();
    out_ += c;
    first_ = false;
  }

  // A newline and the current depth's indent, in one append.
  void NewLine() {
    static constexpr std::string_view kSpaces =
        "\n                                                                ";
    size_t n = 1 + 2 * depth_;
    if (n <= kSpaces.size()) {
      out_.append(kSpaces.data(), n);
    } else {
      out_ += '\n';
      out_.append(2 * depth_, ' ');
    }
  }

  static constexpr size_t kPiece = 1 << 16;
  Sha256* sink_;
  std::string out_;
  size_t depth_ = 0;
  bool first_ = true;
};

// Omitted when there is none, so manifests without configs keep their text and digest. A
// config that is not JSON or nests too deep to serialize safely (only an Org built in code
// can hold one; rule R14 reports it) is written as a string, so the output is always JSON.
void WriteConfig(Writer& w, const std::string& config) {
  if (config.empty()) return;
  nlohmann::json parsed = nlohmann::json::parse(config, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded() || internal::NestsTooDeep(parsed)) return w.String("config", config);
  w.Json("config", parsed.dump(2, ' ', false, nlohmann::json::error_handler_t::replace));
}

void WriteConsumer(Writer& w, const Consumer& c) {
  w.BeginObjectMember("");
  w.String("name", c.name);
  w.String("producer", c.producer);
  w.String("product", c.product);
  if (c.placeholder) w.String("placeholder", *c.placeholder);
  w.String("reaction", ReactionName(c.reaction));
  w.EndObject();
}

void WriteEnver(Writer& w, const Enver& e) {
  w.BeginObjectMember("");
  w.String("rev", e.rev.str());
  w.String("account", e.account);
  w.String("region", e.region);
  w.String("buildScript", e.build_script);
  w.String("workDir", e.work_dir);
  w.Bool("ephemeral", e.ephemeral);
  w.Int("cloneLimit", e.clone_limit);
  w.Bool("overwriteWorkflow", e.overwrite_workflow);
  // Doc paths are written only when declared: manifests without them keep their digest.
  if (e.enver_context_md) w.String("enverContextMd", *e.enver_context_md);
  // Omitted when it is the default (the build's one stack): manifests without several
  // stacks keep their text and digest.
  if (!e.stacks.empty() && w.BeginArray("stacks", e.stacks.size())) {
    for (const std::string& base : e.stacks) w.String("", base);
    w.EndArray();
  }
  WriteConfig(w, e.config);
  if (w.BeginArray("products", e.products.size())) {
    for (const Product& p : e.products) {
      w.BeginObjectMember("");
      w.String("name", p.name);
      w.EndObject();
    }
    w.EndArray();
  }
  if (!e.inherits_consumers && w.BeginArray("consumers", e.consumers.size())) {
    for (const Consumer& c : e.consumers) WriteConsumer(w, c);
    w.EndArray();
  }
  w.EndObject();
}

void WriteBuild(Writer& w, const Build& b) {
  w.BeginObjectMember("");
  w.String("id", b.id);
  w.String("kind", BuildKindName(b.kind));
  w.BeginObjectMember("repo");
  w.String("owner", b.repo.owner);
  w.String("name", b.repo.name);
  w.Int("installationId", b.repo.installation_id);
  w.EndObject();
  if (b.service_overview_md) w.String("serviceOverviewMd", *b.service_overview_md);
  if (b.service_context_md) w.String("serviceContextMd", *b.service_context_md);
  WriteConfig(w, b.config);
  if (w.BeginArray("envers", b.envers.size())) {
    for (const Enver& e : b.envers) WriteEnver(w, e);
    w.EndArray();
  }
  w.EndObject();
}

// The digest member's value while the text is written: as long as the real one.
constexpr std::string_view kDigestSlot =
    "sha256:0000000000000000000000000000000000000000000000000000000000000000";

// The canonical text of an already canonicalized org. With `digest_slot`, a digest member
// holding kDigestSlot follows "version", and *digest_slot gets the bytes it added (which
// the digest leaves out); without, there is no digest member.
void WriteCanonical(Writer& w, const Org& canonical,
                    std::pair<size_t, size_t>* digest_slot = nullptr) {
  w.BeginObject();
  w.String("schema", kManifestSchema);
  w.String("org", canonical.name);
  w.String("version", canonical.version);
  if (digest_slot != nullptr) {
    digest_slot->first = w.size();
    w.String("digest", kDigestSlot);
    digest_slot->second = w.size();
  }
  w.String("centralAccount", canonical.central_account);
  if (w.BeginArray("accounts", canonical.accounts.size())) {
    for (const Account& a : canonical.accounts) {
      w.BeginObjectMember("");
      w.String("name", a.name);
      w.String("id", a.id);
      w.EndObject();
    }
    w.EndArray();
  }
  if (w.BeginArray("builds", canonical.builds.size())) {
    for (const Build& b : canonical.builds) WriteBuild(w, b);
    w.EndArray();
  }
  w.EndObject();
}

std::atomic<std::uint64_t> canonical_texts{0};

template <typename T, typename Key>
bool SortedBy(const std::vector<T>& v, Key key) {
  return std::is_sorted(v.begin(), v.end(),
                        [&](const T& a, const T& b) { return key(a) < key(b); });
}

// True when Canonicalize would leave `org` as it is, so it can be written without a copy.
// A manifest read back is in this order; an org built in code usually is not.
bool IsCanonical(const Org& org) {
  auto name = [](const auto& x) -> std::string_view { return x.name; };
  if (!SortedBy(org.accounts, name)) return false;
  if (!SortedBy(org.builds, [](const Build& b) -> const std::string& { return b.id; })) {
    return false;
  }
  for (const Build& b : org.builds) {
    if (!b.config.empty() && b.config != CanonicalConfig(b.config)) return false;
    if (!SortedBy(b.envers, [](const Enver& e) -> const RevRef& { return e.rev; })) return false;
    for (const Enver& e : b.envers) {
      if (e.stacks.size() == 1 && e.stacks.front() == b.id) return false;
      if (!e.config.empty() && e.config != CanonicalConfig(e.config)) return false;
      if (!SortedBy(e.products, name) || !SortedBy(e.consumers, name)) return false;
    }
  }
  return true;
}

// "sha256:<hex>" of what `sha` was given.
std::string DigestText(Sha256& sha) { return "sha256:" + sha.HexDigest(); }

// `write(org)` with `org` in canonical form, copying it only when it is not so already.
template <typename Write>
std::string WithCanonical(const Org& org, Write write) {
  if (IsCanonical(org)) return write(org);
  Org canonical = org;
  Canonicalize(canonical);
  return write(canonical);
}

}  // namespace

std::uint64_t CanonicalTextsWritten() { return canonical_texts.load(); }

namespace internal {

size_t Utf8SequenceLength(std::string_view s) {
  auto byte = [&](size_t i) { return static_cast<unsigned char>(s[i]); };
  unsigned char b0 = byte(0);
  if (b0 < 0x80) return 1;
  size_t n = 0;
  if (b0 >= 0xc2 && b0 <= 0xdf) n = 2;
  if (b0 >= 0xe0 && b0 <= 0xef) n = 3;
  if (b0 >= 0xf0 && b0 <= 0xf4) n = 4;
  if (n == 0 || s.size() < n) return 0;
  for (size_t i = 1; i < n; ++i) {
    if ((byte(i) & 0xc0) != 0x80) return 0;
  }
  unsigned char b1 = byte(1);
  if (b0 == 0xe0 && b1 < 0xa0) return 0;   // overlong
  if (b0 == 0xed && b1 >= 0xa0) return 0;  // surrogate
  if (b0 == 0xf0 && b1 < 0x90) return 0;   // overlong
  if (b0 == 0xf4 && b1 >= 0x90) return 0;  // above U+10FFFF
  return n;
}

void CountCanonicalText() { canonical_texts.fetch_add(1, std::memory_order_relaxed); }

}  // namespace internal

std::string WriteManifest(const Org& org) {
  // The digest member is written in place with a stand-in value, the digest is computed over
  // the text around it, and the stand-in is overwritten: the text is written once and never
  // moved (inserting the member afterwards moved all of it).
  return WithCanonical(org, [](const Org& canonical) {
    canonical_texts.fetch_add(1, std::memory_order_relaxed);
    Writer w;
    std::pair<size_t, size_t> slot;
    WriteCanonical(w, canonical, &slot);
    std::string text = w.Take();
    std::string_view view = text;
    Sha256 sha;
    sha.Update(view.substr(0, slot.first));
    sha.Update(view.substr(slot.second));
    // The member's value is its last kDigestSlot.size() bytes before the closing quote.
    text.replace(slot.second - 1 - kDigestSlot.size(), kDigestSlot.size(), DigestText(sha));
    return text;
  });
}

std::string ManifestDigest(const Org& org) {
  // Hashed as it is written: a large org's text is never held whole.
  return WithCanonical(org, [](const Org& canonical) {
    canonical_texts.fetch_add(1, std::memory_order_relaxed);
    Sha256 sha;
    Writer w(&sha);
    WriteCanonical(w, canonical);
    sha.Update(w.Take());
    return DigestText(sha);
  });
}

}  // namespace odmd::model
