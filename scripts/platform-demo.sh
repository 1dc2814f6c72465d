#!/usr/bin/env bash
# The platform scenario of `make demo` (issue 5), done as a developer would, with the real
# binary: a temporary demo org (examples/platform, scripts/make-demo-org.sh), `odmd serve` on
# SQLite, the bootstrap with the networking <-> logging cycle, a clone of order-manager from
# branch feature-x (`odmd: create@main`), an upstream change in networking with its
# downstream redeploys and the dashboard's alert, the clone's deletion, and a summary with
# timings. Every step checks what the platform did and fails loudly (exit 1) when it did not.
# Then it keeps serving until Ctrl-C, or with --once stops the server and exits 0.
#
# Usage: scripts/platform-demo.sh BUILD_DIR [--once]
# Environment: ODMD_DEMO_TIMEOUT (seconds each step may take, default 120),
# ODMD_DEMO_KEEP=1 keeps the temporary directory after a successful --once run.
set -euo pipefail

usage() {
  echo "usage: $0 BUILD_DIR [--once]" >&2
  exit 2
}
[ $# -ge 1 ] || usage
build=$1
once=0
case "${2:-}" in
  '') ;;
  --once) once=1 ;;
  *) usage ;;
esac
[ $# -le 2 ] || usage

# The server and the clients below must use this demo's state only, and git nobody's
# configuration (a global commit.gpgsign or hook would break the developer's steps).
unset ODMD_STORE ODMD_API ODMD_TOKEN
export GIT_CONFIG_GLOBAL=/dev/null GIT_CONFIG_NOSYSTEM=1
root="$(cd "$(dirname "$0")/.." && pwd)"
odmd="$(cd "$build" && pwd)/apps/odmd/odmd"
timeout=${ODMD_DEMO_TIMEOUT:-120}
for tool in git jq; do
  command -v "$tool" > /dev/null || {
    echo "platform-demo: '$tool' is not installed (scripts/install-deps.sh installs it)" >&2
    exit 1
  }
done
[ -x "$odmd" ] || {
  echo "platform-demo: $odmd does not exist; build first (make build)" >&2
  exit 1
}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/odmd-platform-demo.XXXXXX")
org="$tmp/org"
state="$tmp/state"
work="$tmp/work"
serve_log="$tmp/serve.log"
server_pid=""

section() { printf '\n==== %s ====\n' "$*"; }
now_ms() { date +%s%3N; }
elapsed() { # START_MS -> "1.234s"
  local ms=$(($(now_ms) - $1))
  printf '%d.%03ds' $((ms / 1000)) $((ms % 1000))
}

stop_server() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2> /dev/null; then
    kill -TERM "$server_pid" 2> /dev/null || true
    local tries=100
    while [ "$tries" -gt 0 ] && kill -0 "$server_pid" 2> /dev/null; do
      tries=$((tries - 1))
      sleep 0.1
    done
    if kill -0 "$server_pid" 2> /dev/null; then
      echo "platform-demo: odmd serve (pid $server_pid) did not stop on SIGTERM; killing it" >&2
      kill -KILL "$server_pid" 2> /dev/null || true
    fi
    wait "$server_pid" 2> /dev/null || true
  fi
  server_pid=""
}

finished=0
cleanup() {
  stop_server
  if [ "$finished" = 1 ] && [ "${ODMD_DEMO_KEEP:-0}" != 1 ]; then
    rm -rf "$tmp"
    echo "platform-demo: stopped; removed $tmp"
  else
    echo "platform-demo: the org, the state and the server log are kept in $tmp" >&2
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Fails the demo: says what the platform did not do, then shows the server log's tail and
# the log of every failed deployment.
die() {
  printf '\nplatform-demo: FAILED: %s\n' "$*" >&2
  if [ -f "$serve_log" ]; then
    echo "--- last lines of the server log ($serve_log) ---" >&2
    tail -n 30 "$serve_log" >&2
  fi
  if [ -n "$server_pid" ]; then
    local id
    for id in $(od deployments --json --limit 1000 2> /dev/null |
      jq -r '.deployments[] | select(.state == "failed") | .id' 2> /dev/null); do
      echo "--- log of failed deployment $id ---" >&2
      od logs "$id" >&2 2> /dev/null || true
    done
  fi
  exit 1
}

# The client commands find the server and the admin token through the environment.
od() { "$odmd" "$@"; }

# wait_for DESCRIPTION CHECK...: runs CHECK until it succeeds; a failed deployment or the
# timeout ends the demo with DESCRIPTION.
wait_for() {
  local what=$1
  shift
  local deadline=$(($(date +%s) + timeout))
  while ! "$@" 2> /dev/null; do
    kill -0 "$server_pid" 2> /dev/null || die "odmd serve exited while waiting for: $what"
    local failed
    failed=$(od deployments --json --limit 1000 2> /dev/null |
      jq -r '[.deployments[] | select(.state == "failed") | "\(.id) \(.enver): \(.reason)"]
             | join("; ")' 2> /dev/null || true)
    [ -z "$failed" ] || die "a deployment failed while waiting for $what: $failed"
    [ "$(date +%s)" -lt "$deadline" ] || die "timed out after ${timeout}s waiting for: $what"
    sleep 0.2
  done
}

# --- JSON helpers over the CLI's --json output ---
deployments_json() { od deployments --json --limit 1000; }
enver_json() { od enver "$1" --json; }
# Nothing queued or running.
idle() {
  deployments_json | jq -e '[.deployments[] | select(.state == "queued" or .state == "running")]
                            | length == 0' > /dev/null
}
# Every enver of the manifest has deployed successfully and nothing is left to do.
bootstrapped() {
  od envers --json | jq -e '(.envers | length) >= 8
    and all(.envers[]; .status == "succeeded")' > /dev/null && idle
}
# ENVER has no consumer on a placeholder.
on_real_values() {
  enver_json "$1" | jq -e 'all(.consumers[]; .placeholder == false)' > /dev/null
}
enver_exists() { od envers --json | jq -e --arg id "$1" 'any(.envers[]; .id == $id)' > /dev/null; }
enver_succeeded_at() { # ENVER SHA
  enver_json "$1" | jq -e --arg sha "$2" '.status == "succeeded" and .sha == $sha' > /dev/null
}
enver_succeeded() { enver_json "$1" | jq -e '.status == "succeeded"' > /dev/null; }
enver_gone() { ! enver_exists "$1"; }
# The highest deployment id and event seq so far: later steps look only at what is newer.
last_deployment() { deployments_json | jq -r '[.deployments[].id] | max // ""'; }
deployments_after() { # ID -> the deployments newer than ID
  deployments_json | jq --arg after "$1" '[.deployments[] | select(.id > $after)]'
}
# SEQ -> {"events": [every event after SEQ]}, read page by page (the server caps a page).
events_after() {
  local after=$1 page next all='[]'
  while :; do
    page=$(od events --json --after "$after" --limit 10000)
    next=$(jq -r '[.events[].seq] | max // empty' <<< "$page")
    [ -n "$next" ] || break
    all=$(jq -c --argjson page "$page" '. + $page.events' <<< "$all")
    after=$next
  done
  jq -c '{events: .}' <<< "$all"
}
last_event() { events_after 0 | jq -r '[.events[].seq] | max // 0'; }
has_event() { # AFTER KIND ENVER
  events_after "$1" | jq -e --arg k "$2" --arg e "$3" \
    'any(.events[]; .kind == $k and .enver == $e)' > /dev/null
}
resource() { # ACCOUNT STACK JQ-PATH -> a value of the stack's resources.json
  jq -r "$3" "$state/accounts/$1/us-west-1/$2/resources.json"
}
# push WORK-CLONE BRANCH: as a developer would: rebase on what the platform committed to the
# branch meanwhile (its generated workflow), then push; the repo's post-receive hook (odmd
# repo add --hook) tells the platform (`odmd notify`), and what it answered is shown.
push() {
  if git -C "$1" ls-remote --exit-code -q origin "refs/heads/$2" > /dev/null; then
    git -C "$1" pull -q --rebase origin "$2"
  fi
  git -C "$1" push origin "$2" > "$tmp/push.log" 2>&1 || die "git push failed: $(cat "$tmp/push.log")"
  grep '^remote:' "$tmp/push.log" || true
}

t_start=$(now_ms)
section "the demo org: one bare git repo per service (examples/platform)"
"$root/scripts/make-demo-org.sh" "$org"
repos="$org/repos"

section "odmd serve (SQLite state in $state)"
repo_args=()
while read -r src name _; do
  case "$src" in '' | '#'*) continue ;; esac
  repo_args+=(--repo "$name=$repos/$name.git")
done < "$root/examples/platform/repos.txt"
# First start on an empty store: the platform bootstraps from the contracts repo (builds
# the contracts enver, publishes its manifest, syncs and deploys every enver).
mkdir -p "$state"
"$odmd" serve --listen 127.0.0.1:0 --state-dir "$state" "${repo_args[@]}" \
  --contracts-repo demo/contracts > "$serve_log" 2>&1 &
server_pid=$!
api_ready() { [ -s "$state/api.url" ] && [ -s "$state/admin.token" ]; }
wait_for "odmd serve to write $state/api.url" api_ready
ODMD_API=$(cat "$state/api.url")
ODMD_TOKEN=$(cat "$state/admin.token")
export ODMD_API ODMD_TOKEN
api_up() { od envers --json > /dev/null; }
wait_for "the API at $ODMD_API to answer" api_up
echo "odmd serve: pid $server_pid, $ODMD_API"
# A post-receive hook in every repo: a push tells the platform at once (`odmd notify`).
while read -r src name _; do
  case "$src" in '' | '#'*) continue ;; esac
  od repo add "$name" "$repos/$name.git" --hook > /dev/null
done < "$root/examples/platform/repos.txt"
t_bootstrap_start=$(now_ms)

section "bootstrap from demo/contracts: every enver in plan order (networking <-> logging cycle)"
wait_for "the bootstrap to converge (every enver deployed, nothing queued)" bootstrapped
wait_for "networking/b..main to be redeployed with the real logBucket" \
  on_real_values networking/b..main
wait_for "the platform to go idle after the bootstrap" bootstrapped
t_bootstrap=$(elapsed "$t_bootstrap_start")
for e in networking/b..main logging/b..main orderManager/b..main dashboard/b..main; do
  on_real_values "$e" || die "$e still consumes a placeholder after the bootstrap"
done
bucket=$(resource central logging--main .resources.bucket.name)
[ "$(resource workspace0 networking--main .resources.flowLogs.bucket)" = "$bucket" ] ||
  die "networking's flow logs do not go to the real log bucket '$bucket'"
# The cycle: networking deployed first on the placeholder, then again on the real bucket.
networking_runs=$(deployments_json | jq -c '[.deployments[] | select(.enver == "networking/b..main"
  and .state == "succeeded")] | sort_by(.id)
  | map({id, logBucket: (.consumed[] | select(.consumer == "logBucket"))})')
jq -e 'length >= 2 and (first.logBucket.placeholder == true)
       and (last.logBucket.placeholder == false)' <<< "$networking_runs" > /dev/null ||
  die "networking/b..main was not deployed on the placeholder and then on the real bucket:
  $networking_runs"
od deployments
od envers
jq -r '.[] | "networking \(.id): logBucket = " + (if .logBucket.placeholder then "placeholder"
       else "\(.logBucket.path) v\(.logBucket.version)" end)' <<< "$networking_runs"
echo "bootstrap converged in $t_bootstrap; networking's flow logs -> $bucket"

section "clone: branch feature-x of order-manager with 'odmd: create@main'"
clone_id="orderManager/b..main-_b..feature-x"
mkdir -p "$work"
git clone -q "$repos/demo/order-manager.git" "$work/order-manager"
om="$work/order-manager"
git -C "$om" config user.name "A Developer"
git -C "$om" config user.email "dev@demo.invalid"
git -C "$om" checkout -q -b feature-x
echo "x: try a new discount rule" >> "$om/FEATURE-X.md"
git -C "$om" add FEATURE-X.md
git -C "$om" commit -q -m $'try x\n\nodmd: create@main'
before_e=$(last_event)
t0=$(now_ms)
push "$om" feature-x
wait_for "the clone $clone_id to exist" enver_exists "$clone_id"
wait_for "the clone $clone_id to deploy" enver_succeeded "$clone_id"
wait_for "the platform to go idle after the clone" idle
t_clone=$(elapsed "$t0")
has_event "$before_e" command.accepted "$clone_id" ||
  die "no command.accepted event for 'odmd: create@main' on feature-x"
od events --after "$before_e" --limit 10000 | awk '$3 ~ /^(command|clone)\./'
od enver "$clone_id"
clone_stack=$(enver_json "$clone_id" | jq -r .names.stack_name)
[ "$clone_stack" = orderManager--feature-x ] ||
  die "the clone's stack name is '$clone_stack', expected orderManager--feature-x"
[ -f "$state/accounts/workspace1/us-west-1/$clone_stack/resources.json" ] ||
  die "the clone deployed nothing into its account dir ($clone_stack)"
main_url=$(resource workspace1 orderManager--main .resources.api.url)
clone_url=$(resource workspace1 "$clone_stack" .resources.api.url)
[ "$main_url" != "$clone_url" ] || die "the clone and main share the API url $main_url"
consumed() { enver_json "$1" | jq -c '[.consumers[] | {name, path, consumed_version}]'; }
[ "$(consumed "$clone_id")" = "$(consumed orderManager/b..main)" ] ||
  die "the clone does not consume the same upstream product versions as main:
  clone: $(consumed "$clone_id")
  main:  $(consumed orderManager/b..main)"
echo "clone deployed in $t_clone as stack $clone_stack ($clone_url; main: $main_url)," \
  "consuming the same upstream versions as main"

section "a mistyped command is rejected with a reason, not ignored: 'odmd: create@mian'"
before_e=$(last_event)
git -C "$om" checkout -q -b feature-y main
git -C "$om" commit -q --allow-empty -m $'try y\n\nodmd: create@mian'
push "$om" feature-y
rejected() {
  events_after "$before_e" | jq -e 'any(.events[]; .kind == "command.rejected")' > /dev/null
}
wait_for "the command.rejected event for 'odmd: create@mian'" rejected
od events --after "$before_e" --limit 10000 | awk '$3 == "command.rejected" { p = 1 } p'
enver_gone "orderManager/b..main-_b..feature-y" || die "a rejected command created a clone"
git -C "$om" checkout -q feature-x

section "upstream change: networking moves its zone to demo.example"
before_d=$(last_deployment)
before_e=$(last_event)
git clone -q "$repos/demo/networking.git" "$work/networking"
net="$work/networking"
git -C "$net" config user.name "A Network Engineer"
git -C "$net" config user.email "net@demo.invalid"
sed -i 's/^zone_domain=.*/zone_domain=demo.example/' "$net/config.env"
git -C "$net" commit -q -am "networking: move the hosted zone to demo.example"
t0=$(now_ms)
push "$net" main
net_sha=$(git -C "$net" rev-parse HEAD)
wait_for "networking/b..main to deploy $net_sha" enver_succeeded_at networking/b..main "$net_sha"
reacted() { # the downstream redeploys and the dashboard's alert are done
  deployments_after "$before_d" | jq -e '
    [.[] | select(.cause.kind == "reaction" and .state == "succeeded") | .enver] as $done
    | all("logging/b..main", "orderManager/b..main", "orderManager/b..main-_b..feature-x";
          . as $e | $done | index($e))' > /dev/null &&
    has_event "$before_e" alert dashboard/b..main && idle
}
wait_for "the downstream redeploys and the dashboard's alert" reacted
t_reaction=$(elapsed "$t0")
od deployments --limit "$(deployments_after "$before_d" | jq length)"
od events --after "$before_e" --limit 10000 | awk '$3 == "alert"'
new=$(deployments_after "$before_d")
for e in logging/b..main orderManager/b..main "$clone_id"; do
  n=$(jq --arg e "$e" '[.[] | select(.enver == $e)] | length' <<< "$new")
  [ "$n" = 1 ] || die "$e was deployed $n times for one upstream change (expected once)"
done
for e in dashboard/b..main orderManager/t..v1.0.0 inventory/t..v1.0.0 inventory/b..main; do
  n=$(jq --arg e "$e" '[.[] | select(.enver == $e)] | length' <<< "$new")
  [ "$n" = 0 ] || die "$e was deployed for networking's change (it must not react)"
done
case "$(resource workspace1 orderManager--main .resources.api.url)" in
  *demo.example*) ;;
  *) die "orderManager/b..main did not pick up the new hosted zone" ;;
esac
echo "one push to networking: $(jq length <<< "$new") deployments, one alert, in $t_reaction"

section "delete: 'odmd: delete' on feature-x"
before_e=$(last_event)
git -C "$om" pull -q --rebase origin feature-x
git -C "$om" commit -q --allow-empty -m "odmd: delete"
t0=$(now_ms)
push "$om" feature-x
wait_for "the clone $clone_id to be deleted" enver_gone "$clone_id"
stack_gone() { [ ! -e "$state/accounts/workspace1/us-west-1/$clone_stack" ]; }
wait_for "the clone's stack $clone_stack to be torn down" stack_gone
wait_for "the platform to go idle after the delete" idle
t_delete=$(elapsed "$t0")
has_event "$before_e" clone.deleted "$clone_id" || die "no clone.deleted event for $clone_id"
[ -f "$state/accounts/workspace1/us-west-1/orderManager--main/resources.json" ] ||
  die "deleting the clone removed main's stack"
od events --after "$before_e" --limit 10000
od envers
stacks=("$state"/accounts/workspace1/us-west-1/*)
echo "stacks left in account workspace1/us-west-1: ${stacks[*]##*/}"
echo "clone deleted in $t_delete; its stack directory is gone, main's is intact"

section "summary"
printf '%-34s %s\n' \
  "bootstrap (8 envers, 1 cycle)" "$t_bootstrap" \
  "clone create -> deployed" "$t_clone" \
  "upstream change -> reactions done" "$t_reaction" \
  "clone delete -> torn down" "$t_delete" \
  "whole demo" "$(elapsed "$t_start")"
echo "deployments: $(deployments_json | jq '.deployments | length')," \
  "events: $(last_event)"

section "the web console"
# A viewer token (reads everything but secrets, changes nothing) for the browser; the URL
# carries it in the fragment, which the browser never sends to the server.
viewer_token=$(od token issue viewer --store "sqlite:$state/state.db") ||
  die "could not issue a viewer token"
console_url="$ODMD_API/#token=$viewer_token"
# The page and the graph it reads must answer before the URL is handed out.
page=$(curl -fsS "$ODMD_API/") || die "GET / of odmd serve failed"
grep -qi "<html" <<< "$page" || die "odmd serve does not serve the console at /"
curl -fsS -H "Authorization: Bearer $viewer_token" "$ODMD_API/api/graph" |
  jq -e '(.envers | length) >= 8 and (.edges | length) >= 1' > /dev/null ||
  die "GET /api/graph with the viewer token did not return the demo org's graph"

finished=1
if [ "$once" = 1 ]; then
  stop_server
  echo "console (served until odmd serve stopped just now): $console_url"
  echo "platform-demo: done"
  exit 0
fi
echo
echo "odmd serve keeps running at $ODMD_API (admin token in $state/admin.token)."
echo "Try: ODMD_API=$ODMD_API ODMD_TOKEN=\$(cat $state/admin.token) $odmd events --follow"
echo "Ctrl-C stops it (and removes $tmp unless ODMD_DEMO_KEEP=1)."
echo
echo "Open the web console (viewer token included): $console_url"
wait "$server_pid" || true
