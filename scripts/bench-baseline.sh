#!/usr/bin/env bash
# Builds the model benchmark of the tree before any issue-17 change (commit b086155, the code
# issue 17 asks the pipeline to be 8x faster than) beside the current build, so that
# odmd_model_bench measures that code in the same run as today's instead of against figures
# recorded on another day: on this kind of VM the same binary runs 2-3x faster or slower from
# one hour to the next.
#
#   scripts/bench-baseline.sh <build dir>
#
# Prints the path of the baseline's odmd_model_bench on stdout (progress on stderr), or
# nothing when the commit is not in this clone (a shallow clone, a tarball): the bench then
# compares with the recorded figures only and says so. The tree is taken with `git archive`
# into <build dir>/bench-baseline and built once (~45 s on 2 cores); later runs reuse it.
# One change to it: its pipeline line prints milliseconds with one decimal (%.1f for %.0f),
# which changes what is printed, not what is measured.
set -euo pipefail
build=${1:?usage: scripts/bench-baseline.sh <build dir>}
commit=b08615525e9c107404aeb86dc041ee09ed361068
root=$(cd "$(dirname "$0")/.." && pwd)
dir=$(cd "$build" && pwd)/bench-baseline
exe=$dir/build/bench/odmd_model_bench

if ! git -C "$root" cat-file -e "$commit^{commit}" 2>/dev/null; then
  echo "bench-baseline: commit ${commit:0:7} is not in this clone (shallow?); the model bench" \
    "compares with the recorded figures only" >&2
  exit 0
fi
if [[ ! -x $exe ]]; then
  echo "bench-baseline: building the model bench of ${commit:0:7} in $dir" >&2
  rm -rf "$dir"
  mkdir -p "$dir/src"
  git -C "$root" archive "$commit" \
    | tar -x -C "$dir/src"
  sed -i 's/=%\.0fms/=%.1fms/g' "$dir/src/bench/model_bench.cc"
  cmake -S "$dir/src" -B "$dir/build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    > "$dir/configure.log" 2>&1 || { tail -20 "$dir/configure.log" >&2; exit 1; }
  ninja -C "$dir/build" odmd_model_bench > "$dir/build.log" 2>&1 ||
    { tail -20 "$dir/build.log" >&2; exit 1; }
fi
echo "$exe"
