#!/usr/bin/env bash
# Creates a demo org's git repositories from an examples directory (default examples/platform;
# its repos.txt lists them): DIR/repos/<owner>/<name>.git, bare, with branch main and the
# listed tags (a folder's cdk.out and node_modules are left out). Every commit has a fixed
# author, committer and date, so the same examples give the same shas every time.
# Refuses a DIR that exists and is not empty.
# Usage: scripts/make-demo-org.sh DIR [EXAMPLES_DIR]   (e.g. examples/aws)
set -euo pipefail

if [ $# -lt 1 ] || [ $# -gt 2 ] || [ -z "$1" ]; then
  echo "usage: $0 DIR [EXAMPLES_DIR]   (DIR must not exist or be empty; default examples/platform)" >&2
  exit 2
fi
dir=$1
examples="${2:-$(cd "$(dirname "$0")/.." && pwd)/examples/platform}"
if [ ! -f "$examples/repos.txt" ]; then
  echo "make-demo-org: $examples/repos.txt does not exist (an examples dir lists its repos there)" >&2
  exit 1
fi
examples=$(cd "$examples" && pwd)
if [ -d "$dir" ] && [ -n "$(ls -A "$dir")" ]; then
  echo "make-demo-org: $dir exists and is not empty; refusing to touch it" >&2
  exit 1
fi
if [ -e "$dir" ] && [ ! -d "$dir" ]; then
  echo "make-demo-org: $dir exists and is not a directory" >&2
  exit 1
fi
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)

# Deterministic commits: no user config, fixed identity and time.
export GIT_CONFIG_GLOBAL=/dev/null GIT_CONFIG_NOSYSTEM=1
export GIT_AUTHOR_NAME="odmd demo" GIT_AUTHOR_EMAIL="demo@odmd.invalid"
export GIT_COMMITTER_NAME="odmd demo" GIT_COMMITTER_EMAIL="demo@odmd.invalid"
export GIT_AUTHOR_DATE="2026-01-01T00:00:00Z" GIT_COMMITTER_DATE="2026-01-01T00:00:00Z"

work="$dir/.work"
printf '%-20s %-9s %s\n' "repository" "main" "path"
while read -r src name tags; do
  case "$src" in '' | '#'*) continue ;; esac
  if [ ! -d "$examples/$src" ]; then
    echo "make-demo-org: $examples/$src (listed in repos.txt) does not exist" >&2
    exit 1
  fi
  bare="$dir/repos/$name.git"
  mkdir -p "$(dirname "$bare")"
  git init -q --bare -b main "$bare"
  rm -rf "$work"
  git init -q -b main "$work"
  cp -R "$examples/$src/." "$work/"
  rm -rf "$work/cdk.out" "$work/node_modules"
  git -C "$work" add -A
  git -C "$work" commit -q -m "$name: initial import from examples/${examples##*/}/$src"
  # shellcheck disable=SC2086  # tags: a space-separated list, possibly empty
  for tag in $tags; do git -C "$work" tag "$tag"; done
  git -C "$work" push -q "$bare" main ${tags:+--tags}
  sha=$(git -C "$bare" rev-parse --short main)
  printf '%-20s %-9s %s%s\n' "$name" "$sha" "$bare" "${tags:+  (tags: $tags)}"
done < "$examples/repos.txt"
rm -rf "$work"
