#!/bin/sh
# The contracts enver's build, for contracts written in TypeScript: type-check, run the org's
# own tests, synthesise the manifest into $ODMD_MANIFEST_FILE (odmd-contracts synth: `odmd
# validate` must accept it, or every violation is printed and nothing is written), then
# generate the per-org package (odmd gen package) and `npm pack` it: into $ODMD_PACKAGE_DIR
# when set (the generated contracts workflow, whose next step npm-publishes what is there),
# else into the enver's account directory, the local package directory of the demo
# (docs/contracts-typescript.md).
#
# node_modules must hold typescript, tsx and @odmd/contracts: `npm ci` in a real org; in this
# repository a symlink to sdk/contracts/node_modules (tests/bootstrap-test.sh makes one).
set -eu
cd "$(dirname "$0")/.."
for tool in tsc tsx odmd-contracts; do
  if [ ! -x "node_modules/.bin/$tool" ]; then
    echo "contracts: node_modules/.bin/$tool is missing: run npm ci (this repo: link node_modules to sdk/contracts/node_modules)" >&2
    exit 1
  fi
done
manifest=${ODMD_MANIFEST_FILE:?the platform sets ODMD_MANIFEST_FILE for contracts builds}
export npm_config_update_notifier=false npm_config_fund=false npm_config_audit=false

echo "contracts: type-check"
node_modules/.bin/tsc --noEmit -p tsconfig.json
echo "contracts: the org's tests"
node --import tsx --test test/*.test.ts > build-tests.log 2>&1 || {
  cat build-tests.log >&2
  exit 1
}
echo "contracts: synthesise into $manifest"
node_modules/.bin/odmd-contracts synth --entry src/contracts.ts --out "$manifest"

package_dir=build/package
rm -rf "$package_dir"
odmd gen package "$manifest" --out "$package_dir" --name "${ODMD_CONTRACTS_PACKAGE:-@demo/contracts}" > /dev/null
if [ -n "${ODMD_PACKAGE_DIR:-}" ]; then
  packages=$ODMD_PACKAGE_DIR
elif [ -n "${ODMD_account_dir:-}" ]; then
  stack=${ODMD_stack_names:?}
  packages="$ODMD_account_dir/${stack%% *}/packages"
else
  packages=build/packages
fi
mkdir -p "$packages"
packages=$(cd "$packages" && pwd)
tarball=$(cd "$package_dir" && npm pack --offline --silent --pack-destination "$packages")
echo "contracts: packed the per-org package: $packages/$tarball"
