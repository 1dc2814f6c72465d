#!/usr/bin/env bash
# Installs, with apt, whatever the build and tests need that is missing. Idempotent: a
# machine that has everything gets no apt call at all.
set -euo pipefail

packages=(
  build-essential cmake ninja-build git pkg-config
  clang clang-format libclang-rt-14-dev  # sanitizer build, libFuzzer targets, format check
  nlohmann-json3-dev libcli11-dev libssl-dev libsqlite3-dev libsodium-dev
  libpq-dev postgresql  # PostgreSQL store backend; the tests start a throwaway cluster
  libgtest-dev libgmock-dev libbenchmark-dev
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: everything is installed"
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
