#include "odmd/access/principal.h"

#include <utility>

#include "odmd/base/strings.h"
#include "odmd/model/org.h"
#include "odmd/model/rev_ref.h"

namespace odmd::access {
namespace {

constexpr std::string_view kEnverPrefix = "enver:";
constexpr std::string_view kWorkflowPrefix = "workflow:";
constexpr std::string_view kWorkflowNameStart = "ODMD_";
// A workflow file name ("<name>.yaml") must fit in 255 bytes.
constexpr size_t kMaxWorkflowNameChars = 250;

bool IsWorkflowNameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '.' || c == '-';
}

}  // namespace

Principal Principal::Admin() { return Principal{Kind::kAdmin, "", ""}; }
Principal Principal::Viewer() { return Principal{Kind::kViewer, "", ""}; }
Principal Principal::Enver(std::string enver_id) {
  return Principal{Kind::kEnver, std::move(enver_id), ""};
}
Principal Principal::Workflow(std::string workflow_name) {
  return Principal{Kind::kWorkflow, "", std::move(workflow_name)};
}

Status ValidateWorkflowName(std::string_view name) {
  if (!name.starts_with(kWorkflowNameStart) || name.size() == kWorkflowNameStart.size()) {
    return InvalidArgumentError("a workflow name is \"ODMD_\" followed by the rest of the name");
  }
  if (name.size() > kMaxWorkflowNameChars) {
    return InvalidArgumentError("a workflow name has at most " +
                                std::to_string(kMaxWorkflowNameChars) + " characters");
  }
  for (char c : name) {
    if (!IsWorkflowNameChar(c)) {
      return InvalidArgumentError("a workflow name has only characters of [A-Za-z0-9_.-]");
    }
  }
  return OkStatus();
}

std::string Principal::ToString() const {
  switch (kind) {
    case Kind::kAdmin:
      return "admin";
    case Kind::kViewer:
      return "viewer";
    case Kind::kEnver:
      return std::string(kEnverPrefix) + enver_id;
    case Kind::kWorkflow:
      return std::string(kWorkflowPrefix) + workflow;
  }
  return "unknown";
}

Result<Principal> Principal::Parse(std::string_view text) {
  if (text == "admin") return Admin();
  if (text == "viewer") return Viewer();
  auto invalid = [&](std::string_view why) {
    return InvalidArgumentError("principal " + Quote(text) + ": " + std::string(why));
  };
  if (text.starts_with(kWorkflowPrefix)) {
    std::string_view name = text.substr(kWorkflowPrefix.size());
    Status valid = ValidateWorkflowName(name);
    if (!valid.ok()) return invalid(valid.message());
    return Workflow(std::string(name));
  }
  if (!text.starts_with(kEnverPrefix)) {
    return invalid(
        "expected \"admin\", \"viewer\", \"enver:<build>/<rev>\" or \"workflow:<workflow "
        "name>\"");
  }
  std::string_view id = text.substr(kEnverPrefix.size());
  auto parts = model::SplitEnverId(id);
  if (!parts || parts->first.empty()) return invalid("enver id is not \"<build>/<rev>\"");
  Result<model::RevRef> rev = model::RevRef::Parse(parts->second);
  if (!rev.ok()) return invalid(rev.status().message());
  return Enver(std::string(id));
}

}  // namespace odmd::access
