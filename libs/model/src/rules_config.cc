#include "rules_config.h"

#include <algorithm>

#include "odmd/base/strings.h"
#include "odmd/model/config.h"
#include "odmd/model/docs.h"
#include "rules_common.h"

namespace odmd::model::rules {
namespace {

void CheckOne(const std::string& config, const std::string& path, const std::string& subject,
              std::vector<Violation>* out) {
  for (ConfigProblem& p : CheckConfigShape(config)) {
    Report(out, "R14", path + p.pointer, subject, std::move(p.value), std::move(p.message));
  }
}

// A declared doc path (docs.h) at `path` + "/" + `member`; nothing when it is absent.
// `path` and `subject` are built only for a violation (most envers declare no doc path).
template <typename PathFn, typename SubjectFn>
void CheckDocPath(const std::optional<std::string>& doc, std::string_view member,
                  const PathFn& path_fn, const SubjectFn& subject_fn, std::vector<Violation>* out) {
  if (!doc) return;
  std::string problem = DocPathProblem(*doc);
  if (problem.empty()) return;
  std::string path = path_fn();
  std::string subject = subject_fn();
  // A long path is shown by its start only, cut between UTF-8 characters.
  size_t cut = std::min<size_t>(doc->size(), 64);
  while (cut > 0 && cut < doc->size() && (static_cast<unsigned char>((*doc)[cut]) & 0xc0) == 0x80) {
    --cut;
  }
  std::string start = doc->substr(0, cut);
  std::string shown = Quote(start) + (cut < doc->size() ? "..." : "");
  Report(out, "R14", path + "/" + std::string(member), subject, std::move(start),
         std::string(member) + " " + shown + " " + problem);
}

}  // namespace

void CheckConfigs(const RuleInput& in, std::vector<Violation>* out) {
  const std::vector<Build>& builds = in.org.builds;
  for (size_t b = 0; b < builds.size(); ++b) {
    const Build& build = builds[b];
    if (!build.config.empty())
      CheckOne(build.config, BuildPath(b) + "/config", BuildSubject(build), out);
    auto build_path = [b] { return BuildPath(b); };
    auto build_subject = [&build] { return BuildSubject(build); };
    CheckDocPath(build.service_overview_md, "serviceOverviewMd", build_path, build_subject, out);
    CheckDocPath(build.service_context_md, "serviceContextMd", build_path, build_subject, out);
    for (size_t e = 0; e < build.envers.size(); ++e) {
      const Enver& enver = build.envers[e];
      CheckDocPath(
          enver.enver_context_md, "enverContextMd", [b, e] { return EnverPath(b, e); },
          [&build, &enver] { return EnverSubject(build, enver); }, out);
      if (enver.config.empty()) continue;
      CheckOne(enver.config, EnverPath(b, e) + "/config", EnverSubject(build, enver), out);
    }
  }
}

}  // namespace odmd::model::rules
