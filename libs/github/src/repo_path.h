#pragma once

#include <string>

#include "odmd/github/api.h"

namespace odmd::github {

// "/repos/<owner>/<name>", escaped.
std::string RepoPath(const RepoRef& repo);

}  // namespace odmd::github
