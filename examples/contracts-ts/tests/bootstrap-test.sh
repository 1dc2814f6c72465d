#!/usr/bin/env bash
# The platform bootstraps from the TypeScript contracts repo, with real git and the real
# binary: the demo org of examples/platform whose demo/contracts repo is this example
# (src/contracts.ts instead of the hand-written manifest.json). An empty store bootstraps
# from it: the contracts enver's build (sandboxed) type-checks, tests and synthesises the
# manifest, the platform publishes it and deploys every enver. Checks: the published
# manifest is byte-identical to examples/platform/contracts/manifest.json (the same org,
# written by hand), every enver deployed, and the per-org package was packed into the
# contracts enver's account directory with the manifest's version.
#
# Usage: tests/bootstrap-test.sh BUILD_DIR   (needs scripts/install-deps.sh: sdk/contracts)
set -euo pipefail
[ $# -eq 1 ] || { echo "usage: $0 BUILD_DIR" >&2; exit 2; }
root="$(cd "$(dirname "$0")/../../.." && pwd)"
odmd="$(cd "$1" && pwd)/apps/odmd/odmd"
sdk="$root/sdk/contracts"
timeout=${ODMD_TEST_TIMEOUT:-120}
unset ODMD_STORE ODMD_API ODMD_TOKEN
export GIT_CONFIG_GLOBAL=/dev/null GIT_CONFIG_NOSYSTEM=1
for need in "$odmd" "$sdk/node_modules/.bin/tsx" "$sdk/node_modules/.bin/odmd-contracts"; do
  [ -x "$need" ] || { echo "bootstrap-test: $need is missing (build odmd; scripts/install-deps.sh)" >&2; exit 1; }
done
command -v jq > /dev/null || { echo "bootstrap-test: jq is not installed" >&2; exit 1; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/odmd-contracts-ts.XXXXXX")
state="$tmp/state"
server_pid=""
cleanup() {
  if [ -n "$server_pid" ]; then
    kill -TERM "$server_pid" 2> /dev/null || true
    wait "$server_pid" 2> /dev/null || true
  fi
  if [ "${ok:-0}" = 1 ]; then rm -rf "$tmp"; else echo "bootstrap-test: kept $tmp" >&2; fi
}
trap cleanup EXIT
die() {
  echo "bootstrap-test: FAILED: $*" >&2
  tail -n 30 "$tmp/serve.log" >&2 || true
  for log in "$state"/logs/bootstrap-*.log; do
    [ -f "$log" ] && { echo "--- $log ---" >&2; tail -n 30 "$log" >&2; }
  done
  for id in $("$odmd" deployments --json --limit 1000 2> /dev/null |
    jq -r '.deployments[] | select(.state == "failed") | .id' 2> /dev/null); do
    echo "--- log of failed deployment $id ---" >&2
    "$odmd" logs "$id" >&2 2> /dev/null || true
  done
  exit 1
}
wait_for() { # DESCRIPTION CHECK...
  local what=$1 deadline=$(($(date +%s) + timeout))
  shift
  while ! "$@" 2> /dev/null; do
    kill -0 "$server_pid" 2> /dev/null || die "odmd serve exited while waiting for: $what"
    local failed
    failed=$("$odmd" deployments --json --limit 1000 2> /dev/null |
      jq -r '[(.deployments // [])[] | select(.state == "failed") | .enver] | join(", ")' || true)
    [ -z "$failed" ] || die "deployments failed ($failed) while waiting for: $what"
    [ "$(date +%s)" -lt "$deadline" ] || die "timed out after ${timeout}s waiting for: $what"
    sleep 0.2
  done
}

# The demo org's repos, with this example as demo/contracts; node_modules links to the
# shared install of sdk/contracts (read-only in the sandbox through --tool-dir).
examples="$tmp/examples"
mkdir -p "$examples"
cp -R "$root/examples/platform/." "$examples/"
rm -rf "$examples/contracts"
mkdir "$examples/contracts"
(cd "$root/examples/contracts-ts" && tar cf - --exclude=./node_modules --exclude=./build \
  --exclude=./build-tests.log --exclude=./tests .) | tar xf - -C "$examples/contracts"
"$root/scripts/make-demo-org.sh" "$tmp/org" "$examples" > /dev/null
git clone -q "$tmp/org/repos/demo/contracts.git" "$tmp/contracts"
ln -s "$sdk/node_modules" "$tmp/contracts/node_modules"
git -C "$tmp/contracts" add node_modules
git -C "$tmp/contracts" -c user.name=test -c user.email=test@odmd.invalid \
  commit -q -m "node_modules: the shared install of @odmd/contracts"
git -C "$tmp/contracts" push -q origin main

repo_args=()
while read -r src name _; do
  case "$src" in '' | '#'*) continue ;; esac
  repo_args+=(--repo "$name=$tmp/org/repos/$name.git")
done < "$examples/repos.txt"
mkdir -p "$state"
"$odmd" serve --listen 127.0.0.1:0 --state-dir "$state" "${repo_args[@]}" \
  --contracts-repo demo/contracts --tool-dir "$sdk" > "$tmp/serve.log" 2>&1 &
server_pid=$!
api_ready() { [ -s "$state/api.url" ] && [ -s "$state/admin.token" ]; }
wait_for "odmd serve to start" api_ready
ODMD_API=$(cat "$state/api.url")
ODMD_TOKEN=$(cat "$state/admin.token")
export ODMD_API ODMD_TOKEN

bootstrapped() {
  "$odmd" envers --json | jq -e '(.envers | length) == 8
    and all(.envers[]; .status == "succeeded")' > /dev/null &&
    "$odmd" deployments --json --limit 1000 | jq -e '[.deployments[]
      | select(.state == "queued" or .state == "running")] | length == 0' > /dev/null
}
wait_for "the bootstrap from the TypeScript contracts to converge" bootstrapped
echo "bootstrap-test: every enver of the demo org deployed"

"$odmd" contracts show --store "sqlite:$state/state.db" > "$tmp/published.json"
cmp -s "$tmp/published.json" "$root/examples/platform/contracts/manifest.json" ||
  die "the published manifest differs from examples/platform/contracts/manifest.json:
$(diff "$tmp/published.json" "$root/examples/platform/contracts/manifest.json" | head -20)"
echo "bootstrap-test: the published manifest is byte-identical to the hand-written JSON org"

tarball=$(find -L "$state/accounts/central/us-west-1" -path '*/packages/demo-contracts-1.0.0.tgz' | head -1)
[ -n "$tarball" ] || die "no packages/demo-contracts-1.0.0.tgz under $state/accounts/central/us-west-1"
tar -xzf "$tarball" -C "$tmp" package/package.json package/index.d.ts
[ "$(jq -r .version "$tmp/package/package.json")" = 1.0.0 ] || die "the package's version is not 1.0.0"
grep -q 'readonly inventoryApi: Consumer<"orderManager/b..main"' "$tmp/package/index.d.ts" ||
  die "the packed index.d.ts has no typed orderManager.main.consumers.inventoryApi"
echo "bootstrap-test: packed $tarball"
ok=1
