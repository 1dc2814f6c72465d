#pragma once

// IAM's wildcard matching, as ARNs in policies and StringLike conditions use it.

#include <string_view>

namespace odmd::gen {

// Whether `value` matches `pattern`: '*' matches any run of characters (including '/'),
// '?' exactly one; everything else matches itself, case-sensitively.
bool IamMatch(std::string_view pattern, std::string_view value);

}  // namespace odmd::gen
