#pragma once

// Doc paths at intake (issue 16; docs/manifest.md, "Doc paths"): what
// Platform::Impl::ReportMissingDocs tells when a push deploys an enver.

#include <string>
#include <vector>

#include "odmd/model/org.h"
#include "odmd/reconcile/git.h"
#include "odmd/reconcile/state.h"

namespace odmd::reconcile {

// The events for enver `e` of build `b` deployed from commit `sha` of the repository at
// `repo_path`: one "doc.missing" warning (fields level, repo, sha, path, member, default)
// for each context document that applies to the enver (model::DocPaths: declared or the
// original's default) and that the commit has no file at, in the order serviceOverviewMd,
// serviceContextMd, enverContextMd; none when all are there. When git cannot tell (an
// unknown commit, a repository that is gone) one "alert" saying so instead: unchecked is
// not missing. One git lookup for the three paths (Git::MissingFiles).
std::vector<Event> MissingDocEvents(Git& git, const model::Build& b, const model::Enver& e,
                                    const std::string& repo_path, const std::string& sha);

}  // namespace odmd::reconcile
