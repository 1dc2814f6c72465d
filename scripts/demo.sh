#!/usr/bin/env bash
# The main job on the embedded default: synthesise the sample org's manifest from its C++
# contracts, validate it, and print its graph, bootstrap plan and derived names, a clone
# preview and a parsed commit command; then the platform scenario on `odmd serve`
# (scripts/platform-demo.sh), which keeps serving until Ctrl-C unless --once is given.
# Usage: scripts/demo.sh [build-dir [--once]]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
once=${2:-}
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

section "odmd gen workflows / roles -> $out/gen"
rm -rf "$out/gen"
"$odmd" gen workflows "$manifest" --out "$out/gen/workflows" | tail -n 3
"$odmd" gen roles "$manifest" --out "$out/gen" | tail -n 3
echo "(every file: $out/gen)"

# The config store on the embedded default: a fresh SQLite file, secrets key beside it.
export ODMD_STORE="sqlite:$out/state.db"
rm -f "$out/state.db" "$out/state.db-wal" "$out/state.db-shm" "$out/secret.key"

section "odmd contracts publish (as the local operator: admin)"
"$odmd" contracts publish "$manifest"

section "tokens for a producer and a consumer enver (shown once, stored hashed)"
net_token=$("$odmd" token issue enver:networking/b..main 2>/dev/null)
log_token=$("$odmd" token issue enver:centralLogging/b..main 2>/dev/null)
"$odmd" token ls

section "networking/b..main publishes hostedZoneId; centralLogging/b..main consumes it"
"$odmd" store put --token "$net_token" /odmd-share/networking/b..main/hostedZoneId Z0123EXAMPLE
"$odmd" store put --token "$net_token" /odmd-share/networking/b..main/hostedZoneId Z0456EXAMPLE
printf 'consumer reads: '
"$odmd" store get --token "$log_token" /odmd-share/networking/b..main/hostedZoneId
echo
"$odmd" store history /odmd-share/networking/b..main/hostedZoneId

section "access rules: the consumer may not overwrite its producer's product"
"$odmd" store put --token "$log_token" /odmd-share/networking/b..main/hostedZoneId evil || true

section "secrets: sealed at rest, decrypted only for the owning enver"
"$odmd" secret put --token "$net_token" networking/b..main apiKey s3cr3t-value
"$odmd" secret ls networking/b..main
printf 'owner reads: '
"$odmd" secret get --token "$net_token" networking/b..main apiKey
echo
"$odmd" secret get networking/b..main apiKey || true

section "odmd store watch --from 0 (every change, as JSON lines)"
"$odmd" store watch /odmd-share/ --from 0 --count 2

printf '\ndemo: manifest, graph, plan, generated files and the store are in %s\n' "$out"

section "the platform: odmd serve runs the demo org (examples/platform)"
exec ./scripts/platform-demo.sh "$build" ${once:+"$once"}
