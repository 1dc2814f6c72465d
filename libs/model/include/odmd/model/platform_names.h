#pragma once

// Names the original ondemandenv platform keeps beside an enver's own names (naming.h):
// where a build's artifact bucket is recorded, where a workflow's run status is recorded,
// and the platform's own CloudFormation stacks for a build. odmd does not create these; it
// derives them so that tools written for the original (and users moving over) can find them
// with `odmd show`. Byte-exact with the original; see ONDEMANDENV-CONVENTIONS.md and
// docs/differences.md.

#include <string>
#include <string_view>

#include "odmd/model/org.h"
#include "odmd/model/rev_ref.h"

namespace odmd::model {

// "/odmd-config/<build>/buildArtifactBucketName/<accountId>": the parameter naming the bucket
// the build's artifacts go to in the target account `account_id` (the original's
// OdmdBuild.artifactSsmPath, one per account).
std::string ArtifactBucketPath(std::string_view build, std::string_view account_id);

// "/odmd-github/<owner>/<repo>/<value>/<workflow file path>": where the original records the
// status of an enver's workflow runs. <value> is the rev's own value (a clone's, not its
// origin's: "feat1" for b..master-_b..feat1); `workflow_file_path` is
// WorkflowFilePath(...), ".github/workflows/ODMD_...yaml".
std::string WorkflowStatusPath(const Repo& repo, const RevRef& rev,
                               std::string_view workflow_file_path);

// The platform's stack for a build in one target account: "odmd-BUILD-<build>-<accountId>".
std::string PlatformBuildStackName(std::string_view build, std::string_view account_id);

// The platform's stack for one enver's pipeline:
// "odmd-ctl-BUILD-<build>-<accountId>-pp-<value>", <value> being the rev's own value
// without the characters outside [A-Za-z0-9-] ("v100" for t..v1.0.0).
std::string PlatformEnverStackName(std::string_view build, std::string_view account_id,
                                   const RevRef& rev);

// "/odmd-managed-stack/<build>/<stack name>": where the original records a platform stack.
std::string PlatformStackPath(std::string_view build, std::string_view stack_name);

}  // namespace odmd::model
