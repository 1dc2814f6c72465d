#!/usr/bin/env bash
# The enver's build: synthesises this CDK app into cdk.out with the repo's ONE shared install
# (sdk/cdk/node_modules: aws-cdk-lib, constructs, tsx, @odmd/cdk, the cdk CLI); it never runs
# npm. The platform then deploys the stacks of ODMD_stack_names from cdk.out (the CDK tail).
# The install is found through ODMD_CDK_SDK (the sdk/cdk directory) or, inside the odmd
# repository, in a parent's node_modules (examples/aws/node_modules). A checkout elsewhere
# gets a node_modules symlink to it, never a copy.
set -euo pipefail
cd "$(dirname "$0")/.."

modules=""
if [ -n "${ODMD_CDK_SDK:-}" ]; then
  modules="$ODMD_CDK_SDK/node_modules"
else
  dir="$PWD"
  while [ "$dir" != "/" ]; do
    if [ -x "$dir/node_modules/.bin/cdk" ]; then modules="$dir/node_modules"; break; fi
    dir="$(dirname "$dir")"
  done
fi
if [ -z "$modules" ] || [ ! -x "$modules/.bin/cdk" ] || [ ! -e "$modules/@odmd/cdk" ]; then
  echo "build.sh: no shared CDK install (want node_modules/.bin/cdk and @odmd/cdk); set" \
    "ODMD_CDK_SDK to the odmd repo's sdk/cdk after scripts/install-deps.sh" >&2
  exit 1
fi
# Node resolves modules from the app's directory upwards: link the install in when the app
# is not inside the odmd repository.
# (@odmd/cdk exports only its main entry: resolving its package.json always failed, and then
# a node_modules found right here was linked to itself.)
if ! node -e 'require.resolve("@odmd/cdk", { paths: [process.cwd()] })' 2> /dev/null; then
  ln -sfn "$modules" node_modules
fi

# CDK's own template validation takes seconds a synth; the platform's checks (cfn-lint in the
# tests) stand in for it unless the caller asks for it (CDK_VALIDATION=true).
export CDK_DISABLE_VERSION_CHECK=1 CDK_DISABLE_CLI_TELEMETRY=true CDK_VALIDATION="${CDK_VALIDATION:-false}"
rm -rf cdk.out
"$modules/.bin/cdk" synth --quiet --no-notices --output cdk.out
echo "build.sh: synthesised ${ODMD_stack_names:?} into $PWD/cdk.out"
