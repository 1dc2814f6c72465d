#!/usr/bin/env bash
# .scripts/build.sh of this example, run as the platform runs it but unsandboxed, in a copy:
# it type-checks, tests, synthesises the manifest into $ODMD_MANIFEST_FILE byte-identical to
# examples/platform/contracts/manifest.json (the same org written by hand) and packs the
# per-org package with the manifest's version. Usage: tests/build-test.sh BUILD_DIR
set -euo pipefail
[ $# -eq 1 ] || { echo "usage: $0 BUILD_DIR" >&2; exit 2; }
root="$(cd "$(dirname "$0")/../../.." && pwd)"
odmd_dir="$(cd "$1" && pwd)/apps/odmd"
[ -x "$odmd_dir/odmd" ] || { echo "build-test: $odmd_dir/odmd is missing (build odmd)" >&2; exit 1; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/odmd-contracts-ts-build.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/repo"
(cd "$root/examples/contracts-ts" && tar cf - --exclude=./node_modules --exclude=./build \
  --exclude=./build-tests.log .) | tar xf - -C "$tmp/repo"
ln -s "$root/sdk/contracts/node_modules" "$tmp/repo/node_modules"
ODMD_MANIFEST_FILE="$tmp/manifest.json" PATH="$odmd_dir:$PATH" "$tmp/repo/.scripts/build.sh"
cmp "$tmp/manifest.json" "$root/examples/platform/contracts/manifest.json" || {
  echo "build-test: the synthesised manifest differs from examples/platform/contracts/manifest.json" >&2
  exit 1
}
tar -xzf "$tmp/repo/build/packages/demo-contracts-1.0.0.tgz" -C "$tmp" package/package.json
grep -q '"version": "1.0.0"' "$tmp/package/package.json" || {
  echo "build-test: the packed package's version is not the manifest's 1.0.0" >&2
  exit 1
}
echo "build-test: manifest byte-identical to the JSON org; packed demo-contracts-1.0.0.tgz"
