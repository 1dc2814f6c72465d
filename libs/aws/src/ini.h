#pragma once

// A small reader of the AWS shared config/credentials INI files.

#include <map>
#include <string>
#include <string_view>

#include "odmd/base/status.h"

namespace odmd::aws::internal {

// section -> key -> value. Comments (# ;) and blank lines ignored; keys and values trimmed.
using Ini = std::map<std::string, std::map<std::string, std::string>>;

// INVALID_ARGUMENT naming `origin` and the line for a line that is neither a section, a
// key = value, nor a comment.
Result<Ini> ParseIni(std::string_view text, std::string_view origin);

}  // namespace odmd::aws::internal
