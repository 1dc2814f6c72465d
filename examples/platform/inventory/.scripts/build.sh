#!/bin/sh
# inventory: "deploys" an API into its local account directory, named after its enver (the
# branch and the tag get different endpoints). Publishes apiUrl through `odmd product put`.
set -eu
repo=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=../config.env
. "$repo/config.env"

json() { printf '"%s"' "$(printf '%s' "$1" | sed 's/\\/\\\\/g; s/"/\\"/g')"; }
lower() { printf '%s' "$1" | tr '[:upper:]' '[:lower:]'; }

stack=${ODMD_stack_names:?}
stack=${stack%% *}
enver=${ODMD_enver_id:?}
build=${ODMD_build_id:?}
rev=${ODMD_rev_ref:?}
out="${ODMD_account_dir:?}/$stack"
commit=$(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo unknown)

api_url="https://$(lower "$stack").inventory.local/$api_version"

mkdir -p "$out"
cat > "$out/resources.json" <<JSON
{
  "enver": $(json "$enver"),
  "build": $(json "$build"),
  "stack": $(json "$stack"),
  "rev": $(json "$rev"),
  "commit": $(json "$commit"),
  "deployment": $(json "${ODMD_deployment_id:-}"),
  "resources": {
    "api": {"name": $(json "$stack-api"), "url": $(json "$api_url")},
    "table": {"name": $(json "$stack-items")}
  }
}
JSON

odmd product put "$build/$rev/apiUrl" "$api_url"
echo "inventory: stack $stack: $api_url"
