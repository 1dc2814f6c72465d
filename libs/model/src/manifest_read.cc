// Reading a manifest (docs/manifest.md): parse, walk the document reporting every problem
// with its JSON Pointer (M2-M6, and R2 for a rev that does not parse), check the digest,
// then run the contract rules. The parser is the only code here that can throw; it is
// driven through its SAX interface so that every parse failure, including a number
// overflow, arrives as data with its byte offset.

#include <algorithm>
#include <nlohmann/json.hpp>

#include "manifest_reader.h"
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
// Returns the content's digest (computed once, here).
std::string CheckDigest(const Org& org, const std::string& digest, std::vector<Violation>* out) {
  std::string expected = ManifestDigest(org);
  if (digest != expected) {
    out->push_back(Violation{"M5", "/digest", "", digest,
                             "digest does not match the content; expected \"" + expected + "\""});
  }
  return expected;
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

}  // namespace

Result<Org> ReadManifest(std::string_view text, std::vector<Violation>* violations,
                         const ManifestReadOptions& options) {
  std::vector<Violation> found;
  Org org;
  std::string digest;  // the content's, once computed
  std::optional<internal::FastManifest> fast;
  if (options.reader == ManifestReadOptions::Reader::kAuto)
    fast = internal::ReadManifestFast(text, options.padded);
  if (options.read_fast != nullptr) *options.read_fast = fast.has_value();
  if (fast) {
    org = std::move(fast->org);
    if (fast->digest) digest = CheckDigest(org, *fast->digest, &found);
  } else {
    org = ReadExactly(text, &found, &digest);
  }
  if (found.empty()) {
    if (options.digest != nullptr) *options.digest = digest.empty() ? ManifestDigest(org) : digest;
    InheritCloneConsumers(org);
    if (options.validate_rules) found = Validate(org);
  }
  if (found.empty()) return org;
  Status status = ViolationsToStatus(found);
  if (violations != nullptr) {
    std::move(found.begin(), found.end(), std::back_inserter(*violations));
  }
  return status;
}

}  // namespace odmd::model
