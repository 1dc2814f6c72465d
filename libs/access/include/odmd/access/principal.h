#pragma once

// Principals: who is asking (DESIGN.md §7). Three kinds: the admin, the console viewer, and
// one principal per enver (the token its deployments carry).

#include <string>
#include <string_view>

#include "odmd/base/status.h"

namespace odmd::access {

// A value type; cheap to copy.
struct Principal {
  // Never renumbered; principals are stored by their text form (ToString), not by number.
  enum class Kind { kAdmin, kViewer, kEnver };

  Kind kind = Kind::kViewer;
  // "<build>/<rev>" for kEnver, empty otherwise.
  std::string enver_id;

  static Principal Admin();
  static Principal Viewer();
  // Does not validate `enver_id`; Parse does.
  static Principal Enver(std::string enver_id);

  // "admin", "viewer", "enver:<build>/<rev>".
  std::string ToString() const;

  // The inverse of ToString. An enver id must be "<build>/<rev>" with a non-empty build
  // and a rev that parses as a RevRef (model/rev_ref.h).
  // kInvalidArgument naming the text otherwise.
  static Result<Principal> Parse(std::string_view text);

  friend bool operator==(const Principal&, const Principal&) = default;
};

}  // namespace odmd::access
