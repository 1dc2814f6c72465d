#!/usr/bin/env bash
# Rewrites every golden file from the current code. Review the diff before committing.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
cmake --build "$build"
(cd "$build" && ODMD_UPDATE_GOLDEN=1 ctest -R 'Golden' --output-on-failure)
git status --short -- '*.golden*'
git status --short -- libs/gen/testdata/workflows  # workflow golden files (*.yaml)
