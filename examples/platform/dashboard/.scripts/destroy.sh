#!/bin/sh
# dashboard: removes what .scripts/build.sh "deployed" for this enver (its stack directory in
# the local account). The platform runs it when the enver is deleted.
set -eu
stack=${ODMD_stack_names:?}
stack=${stack%% *}
rm -rf "${ODMD_account_dir:?}/$stack"
echo "dashboard: removed stack $stack"
