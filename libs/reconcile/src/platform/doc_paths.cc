// Doc paths at intake (doc_paths.h): when a push deploys an enver, each context document
// that applies to it is looked up in the pushed commit; a path the commit does not have is a
// "doc.missing" warning. The check never blocks the deployment.

#include "doc_paths.h"

#include <algorithm>
#include <vector>

#include "impl.h"
#include "odmd/base/strings.h"
#include "odmd/model/docs.h"
#include "odmd/model/naming.h"

namespace odmd::reconcile {
namespace {

Event MissingDocEvent(const model::Build& b, const std::string& enver_id, const model::DocPath& doc,
                      const std::string& sha) {
  Event e;
  e.kind = "doc.missing";
  e.enver_id = enver_id;
  e.message = "enver " + enver_id + ": " + std::string(doc.member) + " " + Quote(doc.path) +
              (doc.declared ? "" : " (the default)") + " does not exist in commit " +
              sha.substr(0, 7) + " of " + b.repo.FullName();
  e.suggestion = "add the file at " + Quote(doc.path) +
                 " to the repository, or name another with " + std::string(doc.member) +
                 " in the contracts";
  e.fields = {{"level", "warning"},
              {"repo", b.repo.FullName()},
              {"sha", sha},
              {"path", doc.path},
              {"member", std::string(doc.member)},
              {"default", doc.declared ? "false" : "true"}};
  return e;
}

}  // namespace

std::vector<Event> MissingDocEvents(Git& git, const model::Build& b, const model::Enver& e,
                                    const std::string& repo_path, const std::string& sha) {
  const std::string enver_id = model::EnverId(b.id, e.rev);
  std::vector<model::DocPath> docs = model::DocPaths(b, e);
  std::vector<std::string> paths;
  for (const model::DocPath& d : docs) paths.push_back(d.path);
  Result<std::vector<std::string>> missing = git.MissingFiles(repo_path, sha, paths);
  std::vector<Event> told;
  if (!missing.ok()) {
    Event alert;
    alert.kind = "alert";
    alert.enver_id = enver_id;
    alert.message = "could not check the doc paths of enver " + enver_id + " in commit " +
                    sha.substr(0, 7) + ": " + missing.status().message();
    alert.fields = {{"repo", b.repo.FullName()}, {"sha", sha}};
    told.push_back(std::move(alert));
    return told;
  }
  for (const model::DocPath& d : docs) {
    if (std::find(missing->begin(), missing->end(), d.path) != missing->end()) {
      told.push_back(MissingDocEvent(b, enver_id, d, sha));
    }
  }
  return told;
}

Status Platform::Impl::ReportMissingDocs(const model::Build& b, const model::Enver& e,
                                         const std::string& repo_path, const std::string& sha) {
  std::vector<Event> told = MissingDocEvents(git_, b, e, repo_path, sha);
  if (told.empty()) return OkStatus();
  return events().AppendMany(std::move(told)).status();
}

}  // namespace odmd::reconcile
