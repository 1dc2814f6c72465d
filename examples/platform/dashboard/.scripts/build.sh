#!/bin/sh
# dashboard: "deploys" a dashboard showing the order API it consumes. Its consumer reacts
# with `notify`: when order-manager publishes a new apiUrl the platform records an alert
# instead of redeploying. Publishes url as a file.
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
order_api=${ODMD_consumer_orderApi:?dashboard consumes orderApi}

url="https://$(lower "$stack").dashboard.local/$title"

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
    "dashboard": {"name": $(json "$stack-$title"), "url": $(json "$url"),
                  "source": $(json "$order_api")}
  }
}
JSON

printf '%s' "$url" > "${ODMD_PRODUCTS_DIR:?}/url"
echo "dashboard: stack $stack: $url showing $order_api"
