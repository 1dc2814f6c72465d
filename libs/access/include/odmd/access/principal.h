#pragma once

// Principals: who is asking (DESIGN.md §7). Four kinds: the admin, the console viewer, one
// principal per enver (the token its deployments carry), and one per workflow group (the
// token in a generated GitHub workflow's repository secret, shared by every enver and clone
// that runs that workflow: docs/workflows.md, "Repository setup").

#include <string>
#include <string_view>

#include "odmd/base/status.h"

namespace odmd::access {

// A value type; cheap to copy.
struct Principal {
  // Never renumbered; principals are stored by their text form (ToString), not by number.
  enum class Kind { kAdmin, kViewer, kEnver, kWorkflow };

  Kind kind = Kind::kViewer;
  // "<build>/<rev>" for kEnver, empty otherwise.
  std::string enver_id;
  // The workflow name (the file name without ".yaml", model::WorkflowFileName), e.g.
  // "ODMD_svc-CdkGithubWFus-west-1-workspace1", for kWorkflow; empty otherwise.
  std::string workflow;

  static Principal Admin();
  static Principal Viewer();
  // Does not validate `enver_id`; Parse does.
  static Principal Enver(std::string enver_id);
  // Does not validate `workflow_name`; Parse does.
  static Principal Workflow(std::string workflow_name);

  // "admin", "viewer", "enver:<build>/<rev>", "workflow:<workflow name>".
  std::string ToString() const;

  // The inverse of ToString. An enver id must be "<build>/<rev>" with a non-empty build
  // and a rev that parses as a RevRef (model/rev_ref.h); a workflow name must be "ODMD_"
  // followed by at least one of [A-Za-z0-9_.-] (ValidateWorkflowName).
  // kInvalidArgument naming the text otherwise.
  static Result<Principal> Parse(std::string_view text);

  friend bool operator==(const Principal&, const Principal&) = default;
};

// OK when `name` can be a generated workflow's name: "ODMD_" followed by 1 to 250 characters
// of [A-Za-z0-9_.-] (what model::WorkflowFileName makes of names gen::GenerateWorkflows
// accepts, without ".yaml"). kInvalidArgument saying what is wrong otherwise (the caller
// names the text).
Status ValidateWorkflowName(std::string_view name);

}  // namespace odmd::access
