#!/usr/bin/env bash
# Runs every service repo's .scripts/build.sh and destroy.sh as the platform's local runner
# would (the environment of docs/platform.md, a fake `odmd` first in PATH that records
# `odmd product put`), and checks what they "deploy" and publish: names derived from the
# enver (a clone differs from its origin), consumers read, products published both ways,
# a config edit changing a product, and destroy removing the stack.
# Usage: build-scripts-test.sh   (exit 0 when every check passes)
set -euo pipefail
examples="$(cd "$(dirname "$0")/.." && pwd)"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }
expect_eq() { [ "$2" = "$3" ] || fail "$1: expected '$3', got '$2'"; }

# The fake odmd: `odmd product put PATH VALUE` appends "PATH=VALUE" to $ODMD_FAKE_PUTS.
mkdir -p "$tmp/bin"
cat > "$tmp/bin/odmd" <<'SH'
#!/bin/sh
if [ "$1 $2" = "product put" ] && [ $# -eq 4 ]; then
  printf '%s=%s\n' "$3" "$4" >> "$ODMD_FAKE_PUTS"
  exit 0
fi
echo "fake odmd: unexpected call: $*" >&2
exit 2
SH
chmod +x "$tmp/bin/odmd"

# run_script REPO_DIR SCRIPT ENVER_ID STACK ACCOUNT [NAME=VALUE consumers...]
# Runs in a copy of the repo (as a worktree would be); the products land in
# $tmp/out/<stack>/products and the puts in $tmp/out/<stack>/puts.
run_script() {
  local repo=$1 script=$2 enver=$3 stack=$4 account=$5
  shift 5
  local build=${enver%%/*} rev=${enver#*/}
  local out="$tmp/out/$stack"
  rm -rf "$out/products" "$out/work"
  mkdir -p "$out/products" "$tmp/accounts/$account/us-west-1"
  cp -R "$repo/." "$out/work"
  local -a env=(PATH="$tmp/bin:/usr/bin:/bin" HOME="$out/work" ODMD_build_id="$build"
    ODMD_rev_ref="$rev" ODMD_enver_id="$enver" ODMD_stack_names="$stack"
    ODMD_awsRegion=us-west-1 ODMD_awsAccount=300000000003 ODMD_account_name="$account"
    ODMD_account_dir="$tmp/accounts/$account/us-west-1" ODMD_PRODUCTS_DIR="$out/products"
    ODMD_deployment_id=d0000000001 ODMD_FAKE_PUTS="$out/puts" ODMD_work_dir=""
    ODMD_build_script=".scripts/build.sh")
  local c
  for c in "$@"; do env+=("ODMD_consumer_$c"); done
  : > "$out/puts"
  (cd "$out/work" && env -i "${env[@]}" sh "$script") > "$out/log" 2>&1 || {
    fail "$enver: $script failed: $(cat "$out/log")"
    return 0
  }
}
product() { # STACK NAME -> the value the run published, from a file or a put
  local out="$tmp/out/$1"
  if [ -f "$out/products/$2" ]; then cat "$out/products/$2"; return; fi
  sed -n "s|^[^=]*/$2=||p" "$out/puts"
}
resources() { cat "$tmp/accounts/$1/us-west-1/$2/resources.json"; }
check_json() { python3 -m json.tool > /dev/null 2>&1 || fail "$1: resources.json is not JSON"; }

ex=$examples
run_script "$ex/networking" .scripts/build.sh networking/b..main networking--main workspace0 \
  logBucket=pending-log-bucket
expect_eq "networking hostedZone" "$(product networking--main hostedZone)" \
  networking--main.demo.internal
vpc=$(product networking--main vpcId)
[[ $vpc == vpc-* ]] || fail "networking vpcId: got '$vpc'"
grep -q '^networking/b..main/hostedZone=' "$tmp/out/networking--main/puts" ||
  fail "networking: hostedZone not published with odmd product put"
resources workspace0 networking--main | check_json networking
resources workspace0 networking--main | grep -q '"bucket": "pending-log-bucket"' ||
  fail "networking: the placeholder consumer is not in resources.json"

run_script "$ex/logging" .scripts/build.sh logging/b..main logging--main central \
  hostedZone=networking--main.demo.internal
expect_eq "logging logBucket" "$(product logging--main logBucket)" logging--main-logs-30d
resources central logging--main | check_json logging
resources central logging--main | grep -q 'ingest.networking--main.demo.internal' ||
  fail "logging: the consumed hostedZone is not in resources.json"

# The cycle converges: networking redeployed with the real bucket publishes the same zone.
run_script "$ex/networking" .scripts/build.sh networking/b..main networking--main workspace0 \
  logBucket=logging--main-logs-30d
expect_eq "networking hostedZone after the real bucket" \
  "$(product networking--main hostedZone)" networking--main.demo.internal

run_script "$ex/inventory" .scripts/build.sh inventory/b..main inventory--main workspace1
run_script "$ex/inventory" .scripts/build.sh inventory/t..v1.0.0 inventory--t--v1-0-0 workspace1
expect_eq "inventory main apiUrl" "$(product inventory--main apiUrl)" \
  https://inventory--main.inventory.local/v1
expect_eq "inventory tag apiUrl" "$(product inventory--t--v1-0-0 apiUrl)" \
  https://inventory--t--v1-0-0.inventory.local/v1

main_consumers=(hostedZone=networking--main.demo.internal logBucket=logging--main-logs-30d
  inventoryApi=https://inventory--main.inventory.local/v1)
run_script "$ex/order-manager" .scripts/build.sh orderManager/b..main orderManager--main \
  workspace1 "${main_consumers[@]}"
run_script "$ex/order-manager" .scripts/build.sh orderManager/b..main-_b..feature-x \
  orderManager--feature-x workspace1 "${main_consumers[@]}"
run_script "$ex/order-manager" .scripts/build.sh orderManager/t..v1.0.0 \
  orderManager--t--v1-0-0 workspace1 inventoryApi=https://inventory--t--v1-0-0.inventory.local/v1
expect_eq "orderManager main apiUrl" "$(product orderManager--main apiUrl)" \
  https://ordermanager--main.networking--main.demo.internal/v2
expect_eq "orderManager clone apiUrl" "$(product orderManager--feature-x apiUrl)" \
  https://ordermanager--feature-x.networking--main.demo.internal/v2
expect_eq "orderManager clone ordersTable" "$(product orderManager--feature-x ordersTable)" \
  orderManager--feature-x-orders-standard
grep -q '^orderManager/b..main-_b..feature-x/ordersTable=' \
  "$tmp/out/orderManager--feature-x/puts" || fail "orderManager clone: ordersTable not put"
expect_eq "orderManager tag apiUrl" "$(product orderManager--t--v1-0-0 apiUrl)" \
  https://ordermanager--t--v1-0-0.orders.local/v2
for s in orderManager--main orderManager--feature-x orderManager--t--v1-0-0; do
  resources workspace1 "$s" | check_json "$s"
done

run_script "$ex/dashboard" .scripts/build.sh dashboard/b..main dashboard--main workspace1 \
  orderApi=https://ordermanager--main.networking--main.demo.internal/v2
expect_eq "dashboard url" "$(product dashboard--main url)" \
  https://dashboard--main.dashboard.local/orders

# An upstream change: editing networking's config changes its product.
cp -R "$ex/networking" "$tmp/networking-edited"
sed -i 's/^zone_domain=.*/zone_domain=demo.example/' "$tmp/networking-edited/config.env"
run_script "$tmp/networking-edited" .scripts/build.sh networking/b..main networking--main \
  workspace0 logBucket=logging--main-logs-30d
expect_eq "networking hostedZone after the config edit" \
  "$(product networking--main hostedZone)" networking--main.demo.example

# A missing consumer is a clear failure, not a deployment with an empty value.
if (cd "$ex/logging" && env -i PATH="$tmp/bin:/usr/bin:/bin" ODMD_stack_names=x \
  ODMD_enver_id=logging/b..main ODMD_build_id=logging ODMD_rev_ref=b..main \
  ODMD_account_dir="$tmp/accounts/x" ODMD_PRODUCTS_DIR="$tmp" sh .scripts/build.sh) \
  > "$tmp/missing.log" 2>&1; then
  fail "logging without ODMD_consumer_hostedZone succeeded"
fi
grep -q hostedZone "$tmp/missing.log" || fail "logging: the error does not name hostedZone"

# destroy.sh removes exactly the enver's stack.
run_script "$ex/order-manager" .scripts/destroy.sh orderManager/b..main-_b..feature-x \
  orderManager--feature-x workspace1
[ ! -e "$tmp/accounts/workspace1/us-west-1/orderManager--feature-x" ] ||
  fail "destroy.sh left the clone's stack"
[ -e "$tmp/accounts/workspace1/us-west-1/orderManager--main" ] ||
  fail "destroy.sh of the clone removed main's stack"
for d in networking logging inventory dashboard; do
  stack="$d--main"
  [ "$d" = networking ] && acct=workspace0 || acct=workspace1
  [ "$d" = logging ] && acct=central
  run_script "$ex/$d" .scripts/destroy.sh "$d/b..main" "$stack" "$acct"
  [ ! -e "$tmp/accounts/$acct/us-west-1/$stack" ] || fail "$d destroy.sh left $stack"
done

if [ "$failures" -ne 0 ]; then
  echo "build-scripts-test: $failures failure(s)" >&2
  exit 1
fi
echo "build-scripts-test: every check passed"
