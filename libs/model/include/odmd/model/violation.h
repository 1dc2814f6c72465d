#pragma once

// Violation: one broken rule, reported as data so users see every problem at once
// (STYLE.md §7.3: validation is data, not an error).

#include <span>
#include <string>
#include <vector>

#include "odmd/base/status.h"

namespace odmd::model {

struct Violation {
  // Stable rule id: "R1", "R2", ... for the contract rules (validate.h's table); "M1".."M6" for
  // manifest reading (see manifest.h). Never renumbered.
  std::string rule;
  // JSON Pointer (RFC 6901) to the offending node in the manifest layout, e.g.
  // "/builds/3/envers/0/consumers/1/product". For an Org built in code the indices are
  // those of the Org's vectors.
  std::string path;
  // The object named by ids, e.g. `enver "svcA/b..main": consumer "vpc"`; may be empty
  // for manifest syntax errors.
  std::string subject;
  // The offending value as text (may be empty when nothing specific is at fault).
  std::string value;
  // What is wrong, lowercase, no full stop.
  std::string message;

  // `R4 /builds/3/envers/0/consumers/1/product: enver "svcA/b..main": consumer "vpc":
  // names unknown product "x"` -- the value is quoted inside the message by convention.
  std::string ToString() const;

  friend bool operator==(const Violation&, const Violation&) = default;
};

// OK if `violations` is empty, else kInvalidArgument whose message lists every violation,
// one per line, prefixed with "<count> violation(s):".
Status ViolationsToStatus(std::span<const Violation> violations);

}  // namespace odmd::model
