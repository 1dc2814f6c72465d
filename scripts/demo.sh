#!/usr/bin/env bash
# The main job on the embedded default: synthesise the sample org's manifest from its C++
# contracts, validate it, and print its graph, bootstrap plan and derived names, a clone
# preview and a parsed commit command. Usage: scripts/demo.sh [build-dir]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
odmd="$build/apps/odmd/odmd"
out="$build/demo"
mkdir -p "$out"
manifest="$out/sandbox.manifest.json"

section() { printf '\n==== %s ====\n' "$*"; }

section "synthesise the sample org (examples/sandbox) -> $manifest"
"$build/examples/sandbox/sandbox_synth" > "$manifest"
echo "$(wc -c < "$manifest") bytes"

section "odmd validate"
"$odmd" validate "$manifest"

section "odmd graph --format mermaid"
"$odmd" graph "$manifest" --format mermaid
"$odmd" graph "$manifest" --format dot > "$out/sandbox.dot"
echo "(dot written to $out/sandbox.dot)"

section "odmd plan"
"$odmd" plan "$manifest"

section "odmd show coffeeShopOrderManager/b..main"
"$odmd" show "$manifest" coffeeShopOrderManager/b..main

section "odmd impact networking/b..main"
"$odmd" impact "$manifest" networking/b..main

section "odmd clone-preview coffeeShopOrderManager/b..main feature/login"
"$odmd" clone-preview "$manifest" coffeeShopOrderManager/b..main feature/login

section "odmd parse-commit"
"$odmd" parse-commit --manifest "$manifest" $'add login\n\nodmd: create@main' || true
"$odmd" parse-commit --manifest "$manifest" 'odmd: create@mian' || true

printf '\ndemo done: manifest, graph and plan are in %s\n' "$out"
