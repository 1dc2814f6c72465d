#pragma once

// The environment variables a build gets for its consumers (docs/platform.md, "What a script
// sees"; the CDK SDK's consumerVariable): "ODMD_consumer_" + the consumer name with every
// character outside [A-Za-z0-9_] turned to '_'. Two consumer names of one enver that map to
// the same variable are an R4 violation.

#include <string>
#include <string_view>

namespace odmd::model {

inline std::string ConsumerVariable(std::string_view consumer_name) {
  std::string out = "ODMD_consumer_";
  for (char c : consumer_name) {
    const bool keep =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    out += keep ? c : '_';
  }
  return out;
}

}  // namespace odmd::model
