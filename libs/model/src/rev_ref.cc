#include "odmd/model/rev_ref.h"

#include <cstdio>

#include "odmd/base/strings.h"

namespace odmd::model {
namespace {

bool IsValueChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '.' || c == '-';
}

// The offending character of a value, quoted. A non-ASCII byte is written as \xNN like a
// control byte: it is one byte of a multi-byte character, and printing it raw would put
// invalid UTF-8 into messages (and into the JSON that carries them).
std::string QuoteChar(char c) {
  if (static_cast<unsigned char>(c) < 0x80) return Quote(std::string_view(&c, 1));
  char buf[16];
  std::snprintf(buf, sizeof(buf), "\"\\x%02x\"", static_cast<unsigned char>(c));
  return buf;
}

// Parses one "<b|t>..<value>" segment.
Result<RevSegment> ParseSegment(std::string_view text) {
  if (text.size() < 3 || text[1] != '.' || text[2] != '.' || (text[0] != 'b' && text[0] != 't')) {
    return InvalidArgumentError("rev " + Quote(text) + " must start with \"b..\" or \"t..\"");
  }
  RevSegment seg{text[0] == 'b' ? RevType::kBranch : RevType::kTag, std::string(text.substr(3))};
  if (auto reason = CheckRevValue(seg.type, seg.value)) {
    return InvalidArgumentError("rev " + Quote(text) + ": value " + Quote(seg.value) + " " +
                                *reason);
  }
  return seg;
}

}  // namespace

std::string RevSegment::ToString() const {
  std::string out(1, RevTypeLetter(type));
  out += "..";
  out += value;
  return out;
}

std::optional<std::string> CheckRevValue(RevType type, std::string_view value) {
  if (value.empty()) return "is empty";
  // One pass over the characters, which also notes a reserved pair; the message names the
  // first of "..", "_-", "-_" the value contains, so that search runs only when there is one.
  bool any_reserved = false;
  char previous = 0;
  for (char c : value) {
    if (!IsValueChar(c)) return "has character " + QuoteChar(c) + " outside [A-Za-z0-9_.-]";
    any_reserved = any_reserved || (previous == '.' && c == '.') || (previous == '_' && c == '-') ||
                   (previous == '-' && c == '_');
    previous = c;
  }
  for (std::string_view reserved : {"..", "_-", "-_"}) {
    if (any_reserved && value.find(reserved) != std::string_view::npos) {
      return "contains reserved " + Quote(reserved);
    }
  }
  if (type == RevType::kBranch && (value[0] == 'v' || value[0] == 'V')) {
    return "starts with 'v', which is reserved for tags";
  }
  return std::nullopt;
}

RevRef::RevRef(RevSegment self, std::optional<RevSegment> origin)
    : self_(std::move(self)), origin_(std::move(origin)) {
  text_ = origin_ ? origin_->ToString() + "-_" + self_.ToString() : self_.ToString();
}

Result<RevRef> RevRef::Parse(std::string_view text) {
  size_t split = text.find("-_");
  if (split == std::string_view::npos) {
    ODMD_ASSIGN_OR_RETURN(RevSegment self, ParseSegment(text));
    return RevRef(std::move(self), std::nullopt);
  }
  ODMD_ASSIGN_OR_RETURN(RevSegment origin, ParseSegment(text.substr(0, split)));
  std::string_view rest = text.substr(split + 2);
  // "b..a-_b" is a value with the reserved "-_" in it, not a malformed clone part "b".
  if (rest.size() < 3 || (rest[0] != 'b' && rest[0] != 't') || rest[1] != '.' || rest[2] != '.') {
    return InvalidArgumentError(
        "rev " + Quote(text) + ": value " + Quote(text.substr(3)) +
        " contains reserved \"-_\", which joins a clone's rev to its origin's "
        "(\"<origin>-_<b|t>..<value>\")");
  }
  if (rest.find("-_") != std::string_view::npos) {
    return InvalidArgumentError("rev " + Quote(text) +
                                " is a clone of a clone; clones are one level deep");
  }
  ODMD_ASSIGN_OR_RETURN(RevSegment self, ParseSegment(rest));
  if (self == origin) {
    return InvalidArgumentError("rev " + Quote(text) + ": a clone must differ from its origin");
  }
  return RevRef(std::move(self), std::move(origin));
}

RevRef RevRef::Branch(std::string value) {
  return RevRef(RevSegment{RevType::kBranch, std::move(value)}, std::nullopt);
}

RevRef RevRef::Tag(std::string value) {
  return RevRef(RevSegment{RevType::kTag, std::move(value)}, std::nullopt);
}

RevRef RevRef::CloneOf(const RevRef& origin, RevType type, std::string value) {
  ODMD_CHECK(!origin.is_clone());
  return RevRef(RevSegment{type, std::move(value)}, origin.self_);
}

RevRef RevRef::OriginRef() const {
  if (!origin_) return *this;
  return RevRef(*origin_, std::nullopt);
}

bool RevRef::IsImmutable() const {
  return self_.type == RevType::kTag || (origin_ && origin_->type == RevType::kTag);
}

}  // namespace odmd::model
