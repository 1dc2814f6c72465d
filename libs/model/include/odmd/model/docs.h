#pragma once

// Context documents (docs/manifest.md, "Doc paths"). The original ondemandenv lets a build
// name the Markdown files that describe it (serviceOverviewMD, serviceContextMD) and an
// enver the one that describes its own deltas (enverContextMD), each with a default. odmd
// carries them as the build's `serviceOverviewMd` and `serviceContextMd` and the enver's
// `enverContextMd` (Build::service_overview_md, ..., absent = the default): paths relative
// to the root of the build's repository. Rule R14 checks their form (DocPathProblem); when
// a push deploys an enver, a path its commit does not have is reported ("doc.missing").

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "odmd/model/org.h"

namespace odmd::model {

// The original's defaults (OdmdBuild and OdmdEnver in odmd-contracts-base).
inline constexpr std::string_view kDefaultServiceOverviewMd = ".odmd/ONDEMANDENV_PLATFORM.md";
inline constexpr std::string_view kDefaultServiceContextMd =
    ".odmd/SERVICE_PHASE_DEVELOPMENT_PATTERN.md";
inline constexpr std::string_view kDefaultEnverContextMd =
    ".odmd/ENVER_BASED_SERVICE_CONTEXT_PATTERN.md";

// A doc path is at most this many bytes.
inline constexpr std::size_t kMaxDocPathBytes = 1024;

// One context document of an enver, as it applies.
struct DocPath {
  std::string_view member;        // the manifest member: "serviceOverviewMd", ...
  std::string path;               // the declared path, or the default when none is declared
  std::string_view default_path;  // the default
  bool declared = false;          // false: the default applies
};

// The documents that apply to `enver` of `build`, in the order serviceOverviewMd,
// serviceContextMd (the build's), enverContextMd (the enver's).
std::vector<DocPath> DocPaths(const Build& build, const Enver& enver);

// "" when `path` is a relative path inside a repository: 1 to kMaxDocPathBytes bytes of
// '/'-separated segments, none of them empty, ".", ".." or ".git" (so no leading or
// trailing '/'),
// and no control character (below 0x20, or 0x7f). Otherwise what is wrong (lowercase, no
// full stop), e.g. "must not start with '/'".
std::string DocPathProblem(std::string_view path);

}  // namespace odmd::model
