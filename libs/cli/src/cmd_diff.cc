// odmd diff <old> <new>: what a contracts change adds, removes and changes, and its impact.
#include <memory>

#include "command.h"
#include "common.h"
#include "impact_output.h"
#include "odmd/model/diff.h"

namespace odmd::cli {

namespace {

nlohmann::json ChangesJson(const model::ManifestDiff& diff) {
  nlohmann::json list = nlohmann::json::array();
  for (const model::Change& c : diff.changes) {
    list.push_back({{"kind", model::ChangeKindName(c.kind)},
                    {"object", c.object},
                    {"id", c.id},
                    {"detail", c.detail}});
  }
  return list;
}

char Sign(model::ChangeKind k) {
  switch (k) {
    case model::ChangeKind::kAdded:
      return '+';
    case model::ChangeKind::kRemoved:
      return '-';
    case model::ChangeKind::kChanged:
      return '~';
  }
  return '?';
}

}  // namespace

RunFn SetupDiff(CLI::App& sub, Io& io) {
  struct Opts {
    std::string before, after;
    bool json = false;
  };
  auto o = std::make_shared<Opts>();
  sub.add_option("old", o->before, "The previous manifest")->required();
  sub.add_option("new", o->after, "The new manifest")->required();
  AddJsonFlag(sub, o->json);
  return [o, &io]() {
    auto before = LoadManifestOrReport(io, o->json, o->before);
    if (!before) return kExitFailure;
    auto after = LoadManifestOrReport(io, o->json, o->after);
    if (!after) return kExitFailure;
    model::ManifestDiff diff = model::DiffOrgs(*before, *after);
    std::vector<model::ImpactedEnver> impact = model::DiffImpact(*before, *after, diff);
    if (o->json) {
      PrintJson(io, {{"from", before->version},
                     {"to", after->version},
                     {"changes", ChangesJson(diff)},
                     {"impacted", ImpactJson(impact)}});
      return kExitOk;
    }
    io.out << before->version << " -> " << after->version << ": " << diff.changes.size()
           << " change(s)\n";
    for (const model::Change& c : diff.changes) {
      io.out << "  " << Sign(c.kind) << " " << c.object << " " << c.id;
      if (!c.detail.empty()) io.out << ": " << c.detail;
      io.out << "\n";
    }
    io.out << impact.size() << " enver(s) impacted:\n";
    PrintImpact(io, impact);
    return kExitOk;
  };
}

}  // namespace odmd::cli
