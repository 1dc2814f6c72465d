#!/usr/bin/env bash
# Fails if any tracked C++ file differs from clang-format's output (.clang-format: Google, 100).
set -euo pipefail
cd "$(dirname "$0")/.."
git ls-files '*.h' '*.cc' | xargs clang-format --dry-run --Werror
echo "check-format: ok"
