#!/bin/sh
# logging: "deploys" a log bucket into its local account directory, named after its enver,
# and a DNS record for its ingest endpoint in the hosted zone it consumes from networking.
# Publishes logBucket as a file.
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
hosted_zone=${ODMD_consumer_hostedZone:?logging consumes hostedZone}

log_bucket="$(lower "$stack")-logs-${retention_days}d"
ingest="ingest.$hosted_zone"

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
    "bucket": {"name": $(json "$log_bucket"), "retentionDays": $retention_days},
    "dnsRecord": {"name": $(json "$ingest"), "zone": $(json "$hosted_zone")}
  }
}
JSON

printf '%s' "$log_bucket" > "${ODMD_PRODUCTS_DIR:?}/logBucket"
echo "logging: stack $stack: bucket $log_bucket, $ingest"
