#!/usr/bin/env bash
# Installs, with apt, whatever the build and tests need that is missing, then the npm
# packages (tools/validators, web/console). Idempotent: a machine that has everything
# gets no apt call and no npm call at all.
set -euo pipefail

packages=(
  build-essential cmake ninja-build git pkg-config
  clang clang-format libclang-rt-14-dev  # sanitizer build, libFuzzer targets, format check
  lld  # the sanitizer build links with it (~4x faster than ld on the big test binaries)
  nlohmann-json3-dev libcli11-dev libssl-dev libsqlite3-dev libsodium-dev
  libsimdjson-dev  # the manifest reader's fast path (libs/model)
  libjemalloc-dev  # odmd's allocator: transparent huge pages (apps/odmd/malloc_conf.cc)
  libpq-dev postgresql  # PostgreSQL store backend; the tests start a throwaway cluster
  libgit2-dev  # git intake reads refs and files and commits workflows in process (libs/reconcile)
  libcpp-httplib-dev  # the CLI's HTTP client (libs/cli), the tests' and benches' clients
  libmicrohttpd-dev zlib1g-dev  # the HTTP server of odmd serve (libs/api; gzip of replies)
  libgtest-dev libgmock-dev libbenchmark-dev
  libyaml-dev  # the workflow tests parse the generated YAML
  jq curl  # scripts/platform-demo.sh reads the CLI's --json output and checks the console
  chromium  # the console's browser tests (playwright-core drives Debian's chromium)
  wrk  # the console bench's HTTP load figure
  libcurl4-openssl-dev libxml2-dev  # libs/aws: SigV4 requests (CURLOPT_AWS_SIGV4), XML answers
  bubblewrap  # odmd serve runs build scripts in a bwrap sandbox (docs/platform.md, Threat model)
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
    missing+=("$p")
  fi
done

# node and npm run the workflow validator (tools/validators, npm package
# @action-validator/cli). Checked as commands, not packages: a machine may have node from
# another packaging, whose nodejs already holds npm and conflicts with Debian's npm.
if ! command -v node > /dev/null || ! command -v npm > /dev/null; then
  missing+=(nodejs npm)
fi

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: every apt package is installed"
else
  echo "install-deps: installing ${missing[*]}"
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# The npm packages, exactly as locked: the validators the tests run, the web console's
# front end (built offline by the build) with its browser-test driver, and sdk/cdk: the
# @odmd/cdk package with aws-cdk-lib, constructs, the cdk CLI, typescript and tsx, the ONE
# install shared by every CDK app of the repo (examples/aws/node_modules is a committed
# symlink to sdk/cdk/node_modules; sdk/cdk/README.md) and the platform's CDK tests. `npm ci`
# only when a lockfile changed since the last install (the copy in node_modules/ records
# which one).
cd "$(dirname "$0")/.."
for dir in tools/validators tools/github-fake web/console sdk/cdk sdk/contracts; do
  [ -f "$dir/package-lock.json" ] || continue
  if ! cmp -s "$dir/package-lock.json" "$dir/node_modules/.odmd-installed-lock.json"; then
    echo "install-deps: npm ci --prefix $dir"
    npm ci --prefix "$dir" --no-audit --no-fund
    cp "$dir/package-lock.json" "$dir/node_modules/.odmd-installed-lock.json"
  else
    echo "install-deps: $dir is up to date"
  fi
done
