#include "odmd/model/violation.h"

namespace odmd::model {

std::string Violation::ToString() const {
  std::string out = rule;
  if (!path.empty()) out += " " + path;
  out += ": ";
  if (!subject.empty()) out += subject + ": ";
  out += message;
  return out;
}

Status ViolationsToStatus(std::span<const Violation> violations) {
  if (violations.empty()) return OkStatus();
  std::string msg =
      std::to_string(violations.size()) + (violations.size() == 1 ? " violation:" : " violations:");
  for (const Violation& v : violations) msg += "\n  " + v.ToString();
  return InvalidArgumentError(std::move(msg));
}

}  // namespace odmd::model
