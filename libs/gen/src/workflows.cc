// GenerateWorkflows: groups each build's envers by (account, region), checks that every
// name a workflow interpolates is safe there, and renders one file per group.

#include "odmd/gen/workflows.h"

#include <algorithm>
#include <map>
#include <tuple>
#include <utility>

#include "odmd/base/strings.h"
#include "odmd/model/naming.h"
#include "workflow_text.h"

namespace odmd::gen {
namespace {

// A longer file name is refused by common file systems (and so by git checkouts).
constexpr size_t kMaxFileNameBytes = 255;

bool AllOf(std::string_view s, bool (*ok)(char)) {
  return !s.empty() && std::all_of(s.begin(), s.end(), ok);
}

bool IsBuildIdChar(char c) { return IsAsciiAlnum(c) || c == '_' || c == '-'; }
bool IsRegionChar(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'; }
bool IsAccountNameChar(char c) { return IsAsciiAlnum(c) || c == '_' || c == '.' || c == '-'; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// The envers of one build that share a workflow, keyed by (account name, region).
struct Group {
  const model::Enver* first = nullptr;  // names the group in error messages
  bool user_owned = false;
};
using GroupKey = std::pair<std::string, std::string>;

Status CheckNames(const model::Build& build, const model::Enver& enver,
                  const model::Account& account) {
  std::string subject = "enver " + Quote(model::EnverId(build.id, enver.rev)) + ": ";
  std::string tail = "; no workflow can be generated for it";
  if (!AllOf(build.id, IsBuildIdChar)) {
    return InvalidArgumentError(subject + "build id " + Quote(build.id) +
                                " has characters outside [A-Za-z0-9_-]" + tail);
  }
  if (!AllOf(enver.region, IsRegionChar)) {
    return InvalidArgumentError(subject + "region " + Quote(enver.region) +
                                " is empty or has characters outside [a-z0-9-]" + tail);
  }
  if (!AllOf(account.name, IsAccountNameChar)) {
    return InvalidArgumentError(subject + "account name " + Quote(account.name) +
                                " is empty or has characters outside [A-Za-z0-9_.-]" + tail);
  }
  if (account.id.size() != 12 || !AllOf(account.id, IsDigit)) {
    return InvalidArgumentError(subject + "account " + Quote(account.name) + " has id " +
                                Quote(account.id) + ", not 12 digits" + tail);
  }
  std::string file = model::WorkflowFileName(build.id, build.kind, enver.region, account.name);
  if (file.size() > kMaxFileNameBytes) {
    return InvalidArgumentError(subject + "workflow file name " + Quote(file) + " is " +
                                std::to_string(file.size()) + " bytes; the limit is " +
                                std::to_string(kMaxFileNameBytes));
  }
  return OkStatus();
}

Result<GeneratedFile> GenerateOne(const model::Org& org, const model::Build& build,
                                  const Group& group) {
  const model::Enver& enver = *group.first;
  const model::Account* account = org.FindAccount(enver.account);
  ODMD_RETURN_IF_ERROR(CheckNames(build, enver, *account));
  WorkflowSpec spec;
  spec.build_id = build.id;
  spec.kind = build.kind;
  spec.region = enver.region;
  spec.account_id = account->id;
  spec.name = model::WorkflowFileName(build.id, build.kind, enver.region, account->name);
  spec.name.resize(spec.name.size() - std::string_view(".yaml").size());
  spec.role_arn = model::RoleArn(account->id, build.id,
                                 model::BuildRoleName(build.id, enver.region, account->id));
  spec.secret_name = WorkflowSecretName(spec.name);
  GeneratedFile file;
  file.path = model::WorkflowFilePath(build.id, build.kind, enver.region, account->name);
  file.content = Sealed(RenderWorkflow(spec));  // its digest line: edits can be told
  file.user_owned = group.user_owned;
  file.build_id = build.id;
  return file;
}

}  // namespace

std::string WorkflowSecretName(std::string_view workflow_name) {
  std::string out = "ODMD_SECRETS_";
  for (char c : workflow_name) out += IsAsciiAlnum(c) ? c : '_';
  return out;
}

Result<std::vector<GeneratedFile>> GenerateWorkflows(const model::Org& org) {
  // Builds in id order: the first error reported does not depend on declaration order.
  std::vector<const model::Build*> builds;
  for (const model::Build& build : org.builds) builds.push_back(&build);
  std::stable_sort(builds.begin(), builds.end(),
                   [](const model::Build* a, const model::Build* b) { return a->id < b->id; });
  std::vector<GeneratedFile> files;
  for (const model::Build* build_ptr : builds) {
    const model::Build& build = *build_ptr;
    // A map keeps the groups in key order whatever the envers' declaration order.
    std::map<GroupKey, Group> groups;
    for (const model::Enver& enver : build.envers) {
      if (org.FindAccount(enver.account) == nullptr) {
        return NotFoundError("enver " + Quote(model::EnverId(build.id, enver.rev)) + ": account " +
                             Quote(enver.account) + " is not declared");
      }
      Group& group = groups[{enver.account, enver.region}];
      // The smallest rev names the group, so error messages do not depend on order either.
      if (group.first == nullptr || enver.rev.str() < group.first->rev.str()) {
        group.first = &enver;
      }
      group.user_owned = group.user_owned || !enver.overwrite_workflow;
    }
    for (const auto& entry : groups) {
      ODMD_ASSIGN_OR_RETURN(GeneratedFile file, GenerateOne(org, build, entry.second));
      files.push_back(std::move(file));
    }
  }
  std::sort(files.begin(), files.end(), [](const GeneratedFile& a, const GeneratedFile& b) {
    return std::tie(a.build_id, a.path) < std::tie(b.build_id, b.path);
  });
  return files;
}

}  // namespace odmd::gen
