// odmd clone-preview <manifest> <enver-id> <branch>: the dynamic enver a clone would be.
#include <memory>

#include "command.h"
#include "common.h"
#include "names_output.h"
#include "odmd/model/clone.h"

namespace odmd::cli {

RunFn SetupClonePreview(CLI::App& sub, Io& io) {
  struct Opts {
    std::string manifest, origin, git_name;
    bool tag = false;
    int live = 0;
    bool json = false;
  };
  auto o = std::make_shared<Opts>();
  AddManifestArgument(sub, o->manifest);
  sub.add_option("origin", o->origin, "Origin enver id, e.g. svcA/b..master")->required();
  sub.add_option("branch", o->git_name, "Git branch (or tag, with --tag) of the clone")->required();
  sub.add_flag("--tag", o->tag, "The clone lives on a git tag (immutable)");
  sub.add_option("--live", o->live, "Clones of the origin already live (limit check)")
      ->check(CLI::NonNegativeNumber);
  AddJsonFlag(sub, o->json);
  return [o, &io]() {
    auto org = LoadManifestOrReport(io, o->json, o->manifest);
    if (!org) return kExitFailure;
    model::CloneRequest req{o->origin, o->git_name,
                            o->tag ? model::RevType::kTag : model::RevType::kBranch, o->live};
    auto clone = model::DeriveClone(*org, req);
    if (!clone.ok()) return ReportFailure(io, o->json, clone.status());
    if (o->json) {
      nlohmann::json j = EnverNamesJson(clone->names);
      j["build"] = clone->build_id;
      j["origin"] = o->origin;
      j["account"] = clone->enver.account;
      j["region"] = clone->enver.region;
      j["immutable"] = clone->enver.rev.IsImmutable();
      j["mappingNote"] = clone->mapping_note;
      PrintJson(io, j);
      return kExitOk;
    }
    io.out << "clone of " << o->origin << " on " << (o->tag ? "tag " : "branch ") << o->git_name
           << "\n";
    if (!clone->mapping_note.empty()) io.out << "note: " << clone->mapping_note << "\n";
    io.out << "account/region:        " << clone->enver.account << " / " << clone->enver.region
           << "\n";
    PrintEnverNames(io, clone->names);
    return kExitOk;
  };
}

}  // namespace odmd::cli
