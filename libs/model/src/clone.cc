#include "odmd/model/clone.h"

#include <vector>

#include "odmd/base/strings.h"

namespace odmd::model {
namespace {

// ` (did you mean "x"?)` or "".
std::string DidYouMean(std::string_view word, const std::vector<std::string>& candidates) {
  std::optional<std::string> match = ClosestMatch(word, candidates);
  return match ? " (did you mean " + Quote(*match) + "?)" : "";
}

Result<const Build*> FindOriginBuild(const Org& org, std::string_view origin_id,
                                     std::string_view build_id) {
  if (const Build* build = org.FindBuild(build_id)) return build;
  std::vector<std::string> ids;
  for (const Build& b : org.builds) ids.push_back(b.id);
  return NotFoundError("origin enver " + Quote(origin_id) + " not found: no build " +
                       Quote(build_id) + DidYouMean(build_id, ids));
}

Result<const Enver*> FindOriginEnver(const Build& build, std::string_view origin_id,
                                     std::string_view rev) {
  std::vector<std::string> ids;
  for (const Enver& e : build.envers) {
    if (e.rev.str() == rev) return &e;  // duplicates: the first, as everywhere
    ids.push_back(EnverId(build.id, e.rev));
  }
  return NotFoundError("origin enver " + Quote(origin_id) + " not found" +
                       DidYouMean(origin_id, ids));
}

// Rule R9: a clone's origin is a static enver. A clone id never names a static enver, so
// say so before looking it up.
Status CheckOriginIsStatic(std::string_view origin_id, std::string_view build_id,
                           std::string_view rev_text) {
  Result<RevRef> rev = RevRef::Parse(rev_text);
  if (!rev.ok() || !rev->is_clone()) return OkStatus();
  return InvalidArgumentError("R9: origin " + Quote(origin_id) +
                              " is a clone; clones are one level deep (clone " +
                              Quote(EnverId(build_id, rev->OriginRef())) + " instead)");
}

Status CheckClonable(const Build& build, const Enver& origin, std::string_view origin_id) {
  if (origin.rev.is_clone()) return CheckOriginIsStatic(origin_id, build.id, origin.rev.str());
  if (build.kind == BuildKind::kContracts || build.kind == BuildKind::kUserAuth) {
    return InvalidArgumentError("R7: " + std::string(BuildKindName(build.kind)) + " enver " +
                                Quote(origin_id) + " is a singleton and is never cloned");
  }
  return OkStatus();
}

Result<std::string> MapGitName(const CloneRequest& request) {
  Result<std::string> mapped = request.type == RevType::kBranch ? BranchToRevValue(request.git_name)
                                                                : TagToRevValue(request.git_name);
  if (mapped.ok()) return mapped;
  const char* what = request.type == RevType::kBranch ? "git branch " : "git tag ";
  return InvalidArgumentError(std::string("R2: ") + what + Quote(request.git_name) +
                              " maps to no legal rev value: " + mapped.status().message());
}

Status CheckLength(std::string_view what, const std::string& name, size_t limit) {
  if (name.size() <= limit) return OkStatus();
  return InvalidArgumentError("R10: " + std::string(what) + " " + Quote(name) + " has " +
                              std::to_string(name.size()) + " characters; the limit is " +
                              std::to_string(limit));
}

Status CheckNameLimits(const EnverNames& names) {
  for (const std::string& stack : names.stack_names) {
    ODMD_RETURN_IF_ERROR(CheckLength("stack name", stack, kMaxStackNameLength));
  }
  ODMD_RETURN_IF_ERROR(CheckLength("build role name", names.build_role_name, kMaxRoleNameLength));
  return CheckLength("central role name", names.central_role_name, kMaxRoleNameLength);
}

std::string MappingNote(const CloneRequest& request, const std::string& mapped) {
  if (mapped == request.git_name) return "";
  return std::string(request.type == RevType::kBranch ? "git branch " : "git tag ") +
         Quote(request.git_name) + " is not a legal rev value; the clone uses " + Quote(mapped);
}

// Clones of `origin` the contracts declare in `build` (rule R9 counts them as live).
int DeclaredClones(const Build& build, const RevRef& origin) {
  int n = 0;
  for (const Enver& e : build.envers) n += e.rev.is_clone() && e.rev.OriginRef() == origin;
  return n;
}

}  // namespace

Result<DerivedClone> DeriveClone(const Org& org, const CloneRequest& request) {
  const std::string& origin_id = request.origin_enver_id;
  std::optional<std::pair<std::string_view, std::string_view>> parts = SplitEnverId(origin_id);
  if (!parts) {
    return NotFoundError("origin enver " + Quote(origin_id) +
                         " not found: an enver id is \"<build>/<rev>\"");
  }
  ODMD_RETURN_IF_ERROR(CheckOriginIsStatic(origin_id, parts->first, parts->second));
  ODMD_ASSIGN_OR_RETURN(const Build* build, FindOriginBuild(org, origin_id, parts->first));
  ODMD_ASSIGN_OR_RETURN(const Enver* origin, FindOriginEnver(*build, origin_id, parts->second));
  ODMD_RETURN_IF_ERROR(CheckClonable(*build, *origin, origin_id));
  ODMD_ASSIGN_OR_RETURN(std::string value, MapGitName(request));
  if (request.type == origin->rev.type() && value == origin->rev.value()) {
    return InvalidArgumentError("R9: the clone's rev value " + Quote(value) +
                                " equals that of its origin " + Quote(origin_id) +
                                "; a clone must differ from its origin");
  }
  const int declared = DeclaredClones(*build, origin->rev);
  const int live = request.live_clones + declared;
  if (request.enforce_limit && live >= origin->clone_limit) {
    return FailedPreconditionError(
        "R9: origin " + Quote(origin_id) + " already has " + std::to_string(live) + " live clones" +
        (declared ? " (" + std::to_string(declared) + " declared in the contracts)" : "") +
        "; its limit is " + std::to_string(origin->clone_limit));
  }
  DerivedClone clone;
  clone.build_id = build->id;
  clone.enver = *origin;
  clone.enver.rev = RevRef::CloneOf(origin->rev, request.type, value);
  ODMD_ASSIGN_OR_RETURN(clone.names, DeriveEnverNames(org, *build, clone.enver));
  ODMD_RETURN_IF_ERROR(CheckNameLimits(clone.names));
  clone.mapping_note = MappingNote(request, value);
  return clone;
}

}  // namespace odmd::model
