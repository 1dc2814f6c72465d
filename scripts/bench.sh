#!/usr/bin/env bash
# make bench: every benchmark, then every target line (PASS or MISS, with its baseline) again
# at the end. Usage: scripts/bench.sh <build dir>. Its whole output also goes to
# <build dir>/bench.log. Exits non-zero when a benchmark fails (a MISS is a figure, not a
# failure).
set -euo pipefail
build=${1:?usage: scripts/bench.sh <build dir>}
log=$build/bench.log
: > "$log"
echo "bench: $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$log"
run() { echo "== $*" | tee -a "$log"; "$@" 2>&1 | tee -a "$log"; }
run "$build/bench/odmd_manifest_bench" --odmd="$build/apps/odmd/odmd"
# The model pipeline against the code before issue 17 (b086155) built and run beside it.
baseline=$(./scripts/bench-baseline.sh "$build")
run "$build/bench/odmd_model_bench" ${baseline:+--baseline-bench="$baseline"}
run "$build/bench/odmd_store_bench"
run "$build/bench/odmd_queue_bench"
run "$build/bench/odmd_platform_bench"
run "$build/bench/odmd_http_bench"
run "$build/bench/odmd_failover_bench" --odmd="$build/apps/odmd/odmd"
run "$build/bench/odmd_aws_mirror_bench"
run "$build/bench/odmd_github_dispatch_bench"
run "$build/bench/odmd_contracts_bench"
# Clone command -> the clone's first stack CREATE_COMPLETE (figure only: CDK dominates), from
# the AWS demo on moto; its whole log stays in <build>/aws-demo.log.
if ! ./scripts/aws-demo.sh "$build" --once > "$build/aws-demo.log" 2>&1; then
  tail -20 "$build/aws-demo.log"
  exit 1
fi
sed -n '/==== summary ====/,$p' "$build/aws-demo.log" | tee -a "$log"
run node bench/console/scale.mjs --odmd="$build/apps/odmd/odmd" \
  --fixture="$build/bench/console/odmd_console_fixture"
echo "==== targets (the figures above with their baselines) ===="
grep -E ' (PASS|MISS)$' "$log" || true
echo "$(grep -cE ' PASS$' "$log" || true) PASS, $(grep -cE ' MISS$' "$log" || true) MISS"
