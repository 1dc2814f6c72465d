#!/bin/sh
# networking: "deploys" a hosted zone and a VPC into its local account directory, with names
# derived from its enver (a clone gets its own), and flow logs into the logging bucket it
# consumes (a placeholder until logging has deployed: the networking <-> logging cycle).
# Publishes hostedZone through `odmd product put` and vpcId as a file.
set -eu
repo=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=../config.env
. "$repo/config.env"

json() { printf '"%s"' "$(printf '%s' "$1" | sed 's/\\/\\\\/g; s/"/\\"/g')"; }
lower() { printf '%s' "$1" | tr '[:upper:]' '[:lower:]'; }
short_hash() { printf '%s' "$1" | cksum | cut -d' ' -f1; }

stack=${ODMD_stack_names:?}
stack=${stack%% *}
enver=${ODMD_enver_id:?}
build=${ODMD_build_id:?}
rev=${ODMD_rev_ref:?}
out="${ODMD_account_dir:?}/$stack"
commit=$(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo unknown)
log_bucket=${ODMD_consumer_logBucket:?networking consumes logBucket}

hosted_zone="$(lower "$stack").$zone_domain"
vpc_id="vpc-$(short_hash "$stack $vpc_cidr")"

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
    "hostedZone": $(json "$hosted_zone"),
    "vpc": {"id": $(json "$vpc_id"), "cidr": $(json "$vpc_cidr")},
    "flowLogs": {"name": $(json "$stack-flow-logs"), "bucket": $(json "$log_bucket")}
  }
}
JSON

odmd product put "$build/$rev/hostedZone" "$hosted_zone"
printf '%s' "$vpc_id" > "${ODMD_PRODUCTS_DIR:?}/vpcId"
echo "networking: stack $stack: zone $hosted_zone, $vpc_id, flow logs -> $log_bucket"
