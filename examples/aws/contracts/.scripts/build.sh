#!/bin/sh
# The contracts enver's build: check the hand-written manifest against every rule (R1-R14,
# M1-M6) with the platform's own validator, then hand it to the platform, which validates it
# again, stores it under its version and syncs every enver (DESIGN.md §3, flow 2).
set -eu
cd "$(dirname "$0")/.."
odmd validate manifest.json
cp manifest.json "${ODMD_MANIFEST_FILE:?the platform sets ODMD_MANIFEST_FILE for contracts builds}"
echo "contracts: manifest.json handed to the platform ($ODMD_MANIFEST_FILE)"
