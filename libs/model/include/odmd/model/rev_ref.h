#pragma once

// RevRef: which git branch or tag an enver follows.
//
//   b..main                 branch enver (mutable)
//   t..v1.0.0               tag enver (immutable)
//   b..master-_b..feat1     clone of b..master on branch feat1
//   b..master-_t..v9        clone of b..master on tag v9
//
// A value matches [A-Za-z0-9_.-]+ and contains none of "..", "_-", "-_"; a branch value may
// not start with 'v' or 'V' (reserved for tags). A clone's text is split at its first "-_".
// Clones are one level deep: the origin is never itself a clone.

#include <optional>
#include <string>
#include <string_view>

#include "odmd/base/status.h"
#include "odmd/model/types.h"

namespace odmd::model {

// One "<b|t>..<value>" part of a RevRef.
struct RevSegment {
  RevType type = RevType::kBranch;
  std::string value;

  // "b..main".
  std::string ToString() const;
  friend bool operator==(const RevSegment&, const RevSegment&) = default;
};

// Checks one value against the rules above for the given type (rule R2). Returns a reason
// such as `contains reserved "-_"` when the value is illegal, nullopt when it is legal.
std::optional<std::string> CheckRevValue(RevType type, std::string_view value);

// An immutable value; cheap to copy. Comparison is by text.
class RevRef {
 public:
  // An empty branch ref "b.."; only useful as a placeholder before assignment.
  RevRef() = default;

  // Parses "b..X", "t..X" or "<origin>-_<b|t>..X".
  // Returns kInvalidArgument naming what is wrong: a missing or unknown prefix, an illegal
  // value (see CheckRevValue), a clone of a clone, or a clone equal to its origin.
  static Result<RevRef> Parse(std::string_view text);

  // Constructors that do not validate; Validate() and the rules do.
  static RevRef Branch(std::string value);
  static RevRef Tag(std::string value);
  // REQUIRES: !origin.is_clone().
  static RevRef CloneOf(const RevRef& origin, RevType type, std::string value);

  // The type and value of this ref's own segment (for a clone, the clone's part).
  RevType type() const { return self_.type; }
  const std::string& value() const { return self_.value; }
  const RevSegment& self() const { return self_; }

  bool is_clone() const { return origin_.has_value(); }
  // The origin segment of a clone; nullopt for a static ref.
  const std::optional<RevSegment>& origin() const { return origin_; }
  // The static ref a clone was made from; *this for a static ref.
  RevRef OriginRef() const;

  // True for a tag, and for any clone whose own segment or origin is a tag
  // ("a clone of a tag is a tag", rule R3).
  bool IsImmutable() const;

  // The canonical text, e.g. "b..master-_b..feat1".
  const std::string& str() const { return text_; }

  friend bool operator==(const RevRef& a, const RevRef& b) { return a.text_ == b.text_; }
  friend auto operator<=>(const RevRef& a, const RevRef& b) { return a.text_ <=> b.text_; }

 private:
  RevRef(RevSegment self, std::optional<RevSegment> origin);

  RevSegment self_;
  std::optional<RevSegment> origin_;
  std::string text_ = "b..";
};

}  // namespace odmd::model
