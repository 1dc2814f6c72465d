#pragma once

// Renders one workflow file from the few values that differ between workflows. Private to
// libs/gen; GenerateWorkflows (workflows.cc) groups envers and checks names first.

#include <string>

#include "odmd/model/types.h"

namespace odmd::gen {

// Everything a workflow file interpolates. REQUIRES: every field passed the checks of
// GenerateWorkflows (none holds a quote, newline or '$').
struct WorkflowSpec {
  std::string build_id;
  model::BuildKind kind = model::BuildKind::kCmd;
  std::string region;
  std::string account_id;
  std::string name;         // the file name without ".yaml"
  std::string role_arn;     // the build role of (build, account, region)
  std::string secret_name;  // WorkflowSecretName(name)
};

// The whole file, ending in a newline.
std::string RenderWorkflow(const WorkflowSpec& spec);

}  // namespace odmd::gen
