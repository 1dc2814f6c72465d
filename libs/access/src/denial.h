#pragma once

// The one wording of an access denial, shared by every check in this library.

#include <string_view>

#include "odmd/access/policy.h"
#include "odmd/access/principal.h"
#include "odmd/base/status.h"

namespace odmd::access {

// kPermissionDenied "principal <p> may not <access> <key>", plus ": <reason>" if given.
Status DenyAccess(const Principal& principal, Access access, std::string_view key,
                  std::string_view reason = {});

// True when `key` is `dir` without its trailing '/' or lies under `dir`.
// REQUIRES: `dir` ends with '/'.
bool IsUnderDir(std::string_view key, std::string_view dir);

}  // namespace odmd::access
