// GenerateRoles: groups a build's static envers by (account, region) and writes each
// group's two templates. See role_grants.cc for what is granted and why.

#include "odmd/gen/roles.h"

#include <algorithm>
#include <map>
#include <tuple>

#include "odmd/base/strings.h"
#include "odmd/model/naming.h"
#include "role_grants.h"

namespace odmd::gen {
namespace {

bool IsFileNameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '.' || c == '-';
}

// The template paths name the build, the account and the region; the CLI writes them
// under a directory, so none of them may climb out of it or hide a '/'.
Status CheckPathPart(std::string_view what, std::string_view part) {
  bool ok =
      !part.empty() && part.front() != '.' && std::all_of(part.begin(), part.end(), IsFileNameChar);
  if (ok) return OkStatus();
  return InvalidArgumentError(std::string(what) + " " + Quote(part) +
                              " cannot be part of a file name (use [A-Za-z0-9_.-], not "
                              "starting with '.')");
}

// (account name, region) -> the group; std::map orders groups deterministically.
using GroupKey = std::pair<std::string, std::string>;

Result<std::map<GroupKey, RoleGroup>> GroupEnvers(const model::Org& org,
                                                  const model::Build& build) {
  std::map<GroupKey, RoleGroup> groups;
  for (const model::Enver& enver : build.envers) {
    if (enver.rev.is_clone()) continue;  // covered by its origin's clone grants
    const model::Account* account = org.FindAccount(enver.account);
    if (account == nullptr) {
      return NotFoundError("enver " + Quote(model::EnverId(build.id, enver.rev)) + ": account " +
                           Quote(enver.account) + " is not declared");
    }
    RoleGroup& group = groups[{enver.account, enver.region}];
    group.build = &build;
    group.account = account;
    group.region = enver.region;
    group.envers.push_back(&enver);
  }
  for (auto& entry : groups) {
    std::vector<const model::Enver*>& envers = entry.second.envers;
    std::sort(envers.begin(), envers.end(),
              [](const model::Enver* a, const model::Enver* b) { return a->rev < b->rev; });
  }
  return groups;
}

Status AddGroupFiles(const model::Org& org, const RoleGroup& group,
                     std::vector<GeneratedFile>* out) {
  ODMD_ASSIGN_OR_RETURN(RoleGrants grants, ComputeRoleGrants(org, group));
  ODMD_RETURN_IF_ERROR(CheckPathPart("build id", group.build->id));
  ODMD_RETURN_IF_ERROR(CheckPathPart("account name", group.account->name));
  ODMD_RETURN_IF_ERROR(CheckPathPart("region", group.region));
  std::string stem =
      "roles/" + group.build->id + "/" + group.account->name + "-" + group.region + "-";
  ODMD_ASSIGN_OR_RETURN(std::string build_role, BuildRoleTemplate(group, grants));
  ODMD_ASSIGN_OR_RETURN(std::string central_role, CentralRoleTemplate(group, grants));
  out->push_back(GeneratedFile{stem + "build-role.json", std::move(build_role), false, ""});
  out->push_back(GeneratedFile{stem + "central-role.json", std::move(central_role), false, ""});
  return OkStatus();
}

}  // namespace

Result<std::vector<GeneratedFile>> GenerateRoles(const model::Org& org) {
  std::vector<GeneratedFile> files;
  for (const model::Build& build : org.builds) {
    ODMD_ASSIGN_OR_RETURN(auto groups, GroupEnvers(org, build));
    for (const auto& entry : groups) {
      ODMD_RETURN_IF_ERROR(AddGroupFiles(org, entry.second, &files));
    }
  }
  std::sort(files.begin(), files.end(),
            [](const GeneratedFile& a, const GeneratedFile& b) { return a.path < b.path; });
  return files;
}

}  // namespace odmd::gen
