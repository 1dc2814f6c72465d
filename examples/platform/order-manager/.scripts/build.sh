#!/bin/sh
# order-manager: "deploys" the order API and its table into its local account directory,
# named after its enver: a clone (odmd: create@main) gets its own stack, API host and table
# while consuming the same upstream products as main. The branch enver's API lives in the
# networking hosted zone and logs to the logging bucket; the tag enver consumes only the
# inventory tag (rule R3), so it has neither. Publishes apiUrl as a file and ordersTable
# through `odmd product put`.
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
inventory_api=${ODMD_consumer_inventoryApi:?order-manager consumes inventoryApi}
hosted_zone=${ODMD_consumer_hostedZone:-orders.local}
log_bucket=${ODMD_consumer_logBucket:-}

api_url="https://$(lower "$stack").$hosted_zone/$api_version"
orders_table="$stack-orders-$table_class"

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
    "api": {"name": $(json "$stack-api"), "url": $(json "$api_url"),
            "inventory": $(json "$inventory_api"), "accessLogs": $(json "$log_bucket")},
    "table": {"name": $(json "$orders_table")}
  }
}
JSON

printf '%s' "$api_url" > "${ODMD_PRODUCTS_DIR:?}/apiUrl"
odmd product put "$build/$rev/ordersTable" "$orders_table"
echo "order-manager: stack $stack: $api_url (inventory $inventory_api), table $orders_table"
