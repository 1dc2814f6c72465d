#pragma once

// The CDK tail of a CDK enver on an AWS target (docs/aws-targets.md, "Deploy targets and the
// CDK tail"): after the build script synthesised <work dir>/cdk.out, the platform deploys the
// enver's stacks in order with `cdk deploy`, passing only the parameters each template
// declares, and reads the stacks' `OdmdProducts` outputs as product values.

#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "odmd/base/status.h"
#include "odmd/model/org.h"
#include "odmd/reconcile/state.h"

namespace odmd::reconcile {

// The stack output whose value is a JSON object {product name: value}.
inline constexpr char kProductsOutput[] = "OdmdProducts";

// The enver's CloudFormation stacks in deployment order (ODMD_stack_names).
std::vector<std::string> EnverStackNames(const model::Build& build, const model::Enver& enver);

// True for the kinds whose envers deploy CDK stacks (ciType CdkGithubWF: cdk, networking,
// eks-cluster, user-auth).
bool RunsCdkTail(model::BuildKind kind);

// One stack of a synthesised cloud assembly.
struct AssemblyStack {
  std::string selector;                 // what `cdk deploy` selects it by (its display name)
  std::filesystem::path template_file;  // absolute
};

// The stack whose stack name is `stack` in the cloud assembly `cdk_out` (its manifest.json).
// kFailedPrecondition when cdk.out or its manifest is missing or malformed, kNotFound when
// no stack of the assembly has that name; messages name the directory and the stack.
Result<AssemblyStack> FindAssemblyStack(const std::filesystem::path& cdk_out,
                                        const std::string& stack);

// The names of the template's "Parameters" (none: empty). kFailedPrecondition naming the
// file when it cannot be read or is not a JSON object.
Result<std::set<std::string>> TemplateParameters(const std::filesystem::path& template_file);

// What the platform passes to a stack, by the original's parameter names: odmdBuildId (the
// build id), buildSrcRev (the commit sha), buildSrcRef (the rev ref), buildSrcRepo (owner/
// name), odmdDepRev (DependencyRevision). Only those the template declares are passed.
std::map<std::string, std::string> DeployParameters(const model::Build& build,
                                                    const model::Enver& enver,
                                                    const std::string& sha,
                                                    const std::string& dep_rev);

// odmdDepRev: the first 16 hex digits of the SHA-256 of "<consumer>=<path>@<version>\n" (the
// version 0 and "placeholder" for a placeholder) over the consumers in order; "none" without
// consumers. It changes whenever a consumed version does, so the stack is updated then.
std::string DependencyRevision(const std::vector<ConsumedValue>& consumed);

// `<cdk> deploy <selector> --app <app_dir> --exclusively --require-approval never
// --method=direct --no-previous-parameters --no-notices --outputs-file <file>
// [--parameters k=v]...` (the parameters sorted by name).
std::vector<std::string> CdkDeployArgv(const std::vector<std::string>& cdk,
                                       const std::string& app_dir, const std::string& selector,
                                       const std::string& outputs_file,
                                       const std::map<std::string, std::string>& parameters);

// The products the outputs file (`--outputs-file`, {stack: {output: value}}) gives for
// `stack`: its OdmdProducts output parsed as a JSON object; a string value is taken as is,
// any other JSON value as its JSON text. No such output: empty. kFailedPrecondition naming
// the stack when the file or the output is not what it should be.
Result<std::map<std::string, std::string>> StackProducts(const std::string& outputs_json,
                                                         const std::string& stack);

}  // namespace odmd::reconcile
