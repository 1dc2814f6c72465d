#pragma once

// Least-privilege IAM role templates (issue 4), derived from the contracts alone.
//
// The roles of a build are shared by every enver (and clone) of that build in one target
// account and region (ONDEMANDENV-CONVENTIONS.md, "Roles"). A CloudFormation stack lives in
// one account, so each (build, account, region) group gets two templates:
//
//   roles/<build>/<accountName>-<region>-build-role.json    deployed in the target account
//   roles/<build>/<accountName>-<region>-central-role.json  deployed in the central account
//
// The build role is assumed by the build's GitHub workflow through GitHub OIDC and may
// deploy only the group's stacks and assume the central role; the central role may write
// only the group's own product paths and consumed-versions records and read exactly the
// product paths the group's consumers name. docs/roles.md explains every grant and the
// trade-offs (clone branches, git names of rev values).

#include <vector>

#include "odmd/base/status.h"
#include "odmd/gen/generated_file.h"
#include "odmd/model/org.h"

namespace odmd::gen {

// One or more CloudFormation JSON templates per (build, account, region).
//
// Returns the templates sorted by path (build_id empty, user_owned false); the same org
// gives the same bytes whatever the order of its builds and envers. Groups are formed from
// static envers; clone envers in `org` are covered by their origin's clone grants and add
// nothing (a build whose only envers are clones gets no templates).
//
// Errors, each naming the build or enver and the offending value:
//   kNotFound         an enver's account or the central account is not declared
//   kInvalidArgument  a value that goes into an ARN, a trust condition or a file path has
//                     a character outside its legal set (a '*' or '?' would widen a grant);
//                     a derived name exceeds its target's limit (R10: role name 64, stack
//                     name 128); a policy exceeds IAM's size limit (trust policy 2048,
//                     inline policies 10240 characters without whitespace)
Result<std::vector<GeneratedFile>> GenerateRoles(const model::Org& org);

}  // namespace odmd::gen
