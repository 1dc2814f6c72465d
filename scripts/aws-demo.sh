#!/usr/bin/env bash
# The platform scenario of `make demo-aws` (issue 13 point 6), done as a developer would,
# with the real binary, the real CDK CLI and an AWS emulator: its own moto_server on a free
# localhost port, a temporary demo org (examples/aws: CDK apps on @odmd/cdk,
# scripts/make-demo-org.sh), `odmd aws bootstrap` of the contracts' accounts, `odmd serve
# --aws-config` on SQLite with the workspace account as an AWS target, then: the bootstrap
# with the networking <-> logging cycle (every stack complete in the emulator); a clone of
# order-service from branch feature-x (`odmd: create@main`) deploying a second stack with its
# own physical names in the same account on the same upstream values (both templates pass
# cfn-lint and differ only in names; `cdk deploy` got only parameters the template declares);
# an upstream change in logging with its downstream redeploys; the products in SSM (one SSM
# version per store version) and their events on EventBridge (through an SQS queue); the
# clone's deletion (its stack gone, main's intact). Every step checks what the platform did
# and fails loudly (exit 1) when it did not. Then it keeps serving until Ctrl-C, or with
# --once stops everything and exits 0. It prints what it did with timings.
#
# Usage: scripts/aws-demo.sh BUILD_DIR [--once]
# Environment: ODMD_DEMO_TIMEOUT (seconds each step may take, default 300),
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

# This demo's state only: no odmd server of the caller's, no AWS profile or real
# credentials, no git configuration (a global commit.gpgsign or hook would break the steps).
unset ODMD_STORE ODMD_API ODMD_TOKEN AWS_PROFILE AWS_SESSION_TOKEN AWS_DEFAULT_PROFILE
for v in $(compgen -e); do case "$v" in AWS_ENDPOINT_URL_*) unset "$v" ;; esac; done
export GIT_CONFIG_GLOBAL=/dev/null GIT_CONFIG_NOSYSTEM=1
root="$(cd "$(dirname "$0")/.." && pwd)"
examples="$root/examples/aws"
sdk="$root/sdk/cdk"
odmd="$(cd "$build" && pwd)/apps/odmd/odmd"
timeout=${ODMD_DEMO_TIMEOUT:-300}

# The demo org's accounts (examples/aws/contracts/manifest.json). The central account is
# moto's default account: the dummy central credentials below belong to it.
central=123456789012
workspace=222222222222
region=us-west-1

fail_tool() {
  echo "aws-demo: $1" >&2
  exit 1
}
for tool in git jq curl python3 node; do
  command -v "$tool" > /dev/null ||
    fail_tool "'$tool' is not installed (scripts/install-deps.sh installs it)"
done
command -v moto_server > /dev/null ||
  fail_tool "moto_server (the AWS emulator, moto 5.2.1) is not on PATH; scripts/install-deps.sh documents the AWS tools"
command -v aws > /dev/null || fail_tool "the aws CLI (awscli) is not on PATH"
command -v cfn-lint > /dev/null || fail_tool "cfn-lint is not on PATH"
{ [ -x "$sdk/node_modules/.bin/cdk" ] && [ -e "$sdk/node_modules/@odmd/cdk" ]; } ||
  fail_tool "the shared CDK install $sdk/node_modules is missing: run scripts/install-deps.sh"
[ -x "$odmd" ] || fail_tool "$odmd does not exist; build first (make build)"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/odmd-aws-demo.XXXXXX")
org="$tmp/org"
state="$tmp/state"
work="$tmp/work"
serve_log="$tmp/serve.log"
moto_log="$tmp/moto.log"
aws_config="$tmp/aws-config.json"
server_pid=""
moto_pid=""

section() { printf '\n==== %s ====\n' "$*"; }
now_ms() { date +%s%3N; }
elapsed() { # START_MS -> "1.234s"
  local ms=$(($(now_ms) - $1))
  printf '%d.%03ds' $((ms / 1000)) $((ms % 1000))
}

stop_pid() { # PID NAME: SIGTERM, then SIGKILL after 10 s
  local pid=$1 tries=100
  [ -n "$pid" ] && kill -0 "$pid" 2> /dev/null || return 0
  kill -TERM "$pid" 2> /dev/null || true
  while [ "$tries" -gt 0 ] && kill -0 "$pid" 2> /dev/null; do
    tries=$((tries - 1))
    sleep 0.1
  done
  if kill -0 "$pid" 2> /dev/null; then
    echo "aws-demo: $2 (pid $pid) did not stop on SIGTERM; killing it" >&2
    kill -KILL "$pid" 2> /dev/null || true
  fi
  wait "$pid" 2> /dev/null || true
}
stop_server() {
  stop_pid "$server_pid" "odmd serve"
  server_pid=""
}

finished=0
cleanup() {
  stop_server
  stop_pid "$moto_pid" moto_server
  moto_pid=""
  if [ "$finished" = 1 ] && [ "${ODMD_DEMO_KEEP:-0}" != 1 ]; then
    rm -rf "$tmp"
    echo "aws-demo: stopped; removed $tmp"
  else
    echo "aws-demo: the org, the state, the moto and server logs are kept in $tmp" >&2
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Fails the demo: says what did not happen, then shows the server log's tail and the log of
# every failed deployment.
die() {
  printf '\naws-demo: FAILED: %s\n' "$*" >&2
  if [ -f "$serve_log" ]; then
    echo "--- last lines of the server log ($serve_log) ---" >&2
    tail -n 30 "$serve_log" >&2
  fi
  if [ -n "$server_pid" ]; then
    local id
    for id in $(od deployments --json --limit 1000 2> /dev/null |
      jq -r '.deployments[] | select(.state == "failed") | .id' 2> /dev/null); do
      echo "--- log of failed deployment $id (last 60 lines) ---" >&2
      od logs "$id" 2> /dev/null | tail -n 60 >&2 || true
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
    if [ -n "$server_pid" ]; then
      kill -0 "$server_pid" 2> /dev/null || die "odmd serve exited while waiting for: $what"
      local failed
      failed=$(od deployments --json --limit 1000 2> /dev/null |
        jq -r '[.deployments[] | select(.state == "failed") | "\(.id) \(.enver): \(.reason)"]
               | join("; ")' 2> /dev/null || true)
      [ -z "$failed" ] || die "a deployment failed while waiting for $what: $failed"
    fi
    [ "$(date +%s)" -lt "$deadline" ] || die "timed out after ${timeout}s waiting for: $what"
    sleep 0.5
  done
}

# --- AWS: the central account (the platform's dummy credentials) and the workspace ---
free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("localhost", 0)); print(s.getsockname()[1])'
}
# aws_central ARGS...: the aws CLI as the central account.
aws_central() { aws --endpoint-url "$endpoint" --output json "$@"; }
# q COMMAND ARGS...: the demo's questions to AWS, with boto3 in one process each
# (scripts/aws-demo-query.py; the workspace is read through a role session of its account).
q() { python3 "$root/scripts/aws-demo-query.py" "$@"; }
# The workspace's stacks: {"<name>": "<status>"} (deleted stacks left out).
ws_stacks() { q stacks "$workspace"; }
stacks_complete() { # NAME...: every one CREATE_COMPLETE or UPDATE_COMPLETE
  local all
  all=$(ws_stacks) || return 1
  for s in "$@"; do
    jq -e --arg s "$s" '.[$s] == "CREATE_COMPLETE" or .[$s] == "UPDATE_COMPLETE"' \
      <<< "$all" > /dev/null || return 1
  done
}
all_stacks_complete() { # every stack of the workspace CREATE_COMPLETE or UPDATE_COMPLETE
  ws_stacks | jq -e 'length > 0 and all(.[]; . == "CREATE_COMPLETE" or . == "UPDATE_COMPLETE")' \
    > /dev/null
}
template_of() { # STACK FILE: the deployed template, as CloudFormation has it
  q template "$workspace" "$1" > "$2" || die "cannot read the template of stack $1"
}

# --- JSON helpers over the CLI's --json output ---
deployments_json() { od deployments --json --limit 1000; }
enver_json() { od enver "$1" --json; }
idle() {
  deployments_json | jq -e '[.deployments[] | select(.state == "queued" or .state == "running")]
                            | length == 0' > /dev/null
}
bootstrapped() {
  od envers --json | jq -e '(.envers | length) >= 4
    and all(.envers[]; .status == "succeeded")' > /dev/null && idle
}
on_real_values() { enver_json "$1" | jq -e 'all(.consumers[]; .placeholder == false)' > /dev/null; }
enver_exists() { od envers --json | jq -e --arg id "$1" 'any(.envers[]; .id == $id)' > /dev/null; }
enver_succeeded_at() { # ENVER SHA
  enver_json "$1" | jq -e --arg sha "$2" '.status == "succeeded" and .sha == $sha' > /dev/null
}
enver_succeeded() { enver_json "$1" | jq -e '.status == "succeeded"' > /dev/null; }
enver_gone() { ! enver_exists "$1"; }
last_deployment() { deployments_json | jq -r '[.deployments[].id] | max // ""'; }
deployments_after() { deployments_json | jq --arg after "$1" '[.deployments[] | select(.id > $after)]'; }
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
product() { od product get "$1"; } # BUILD/REV/PRODUCT -> its current value
push() {
  if git -C "$1" ls-remote --exit-code -q origin "refs/heads/$2" > /dev/null; then
    git -C "$1" pull -q --rebase origin "$2"
  fi
  git -C "$1" push origin "$2" > "$tmp/push.log" 2>&1 || die "git push failed: $(cat "$tmp/push.log")"
  grep '^remote:' "$tmp/push.log" || true
}
work_clone() { # REPO DIR: a developer's clone of the demo repo
  git clone -q "$repos/$1.git" "$2"
  git -C "$2" config user.name "A Developer"
  git -C "$2" config user.email "dev@demo.invalid"
}
# Every `cdk deploy` command line of DEPLOYMENT's log: one JSON {stack, parameters: [names]}
# per line. The CDK tail writes "== odmd: cdk deploy of stack "S" (account A): <argv>".
cdk_deploys() {
  od logs "$1" | grep '^== odmd: cdk deploy of stack ' |
    sed -E 's/^== odmd: cdk deploy of stack "([^"]+)".*$/\1\t&/' |
    while IFS=$'\t' read -r stack line; do
      # shellcheck disable=SC2001  # one substitution per --parameters k=v
      params=$(grep -o -- '--parameters [^ =]*=' <<< "$line" | sed 's/^--parameters //; s/=$//' |
        jq -R . | jq -sc .)
      jq -nc --arg s "$stack" --argjson p "$params" '{stack: $s, parameters: $p}'
    done
}
# check_deploy_parameters DEPLOYMENT STACK...: the deployment ran `cdk deploy` for each STACK
# with only parameters its deployed template declares, and with all five of the original's.
check_deploy_parameters() {
  local id=$1 runs s declared passed
  shift
  runs=$(cdk_deploys "$id") || die "cannot read the log of deployment $id"
  for s in "$@"; do
    passed=$(jq -sc --arg s "$s" '[.[] | select(.stack == $s)] | last | .parameters // empty' <<< "$runs")
    [ -n "$passed" ] ||
      die "the log of deployment $id shows no 'cdk deploy' command line for stack $s (the CDK tail records each as '== odmd: cdk deploy of stack ...')"
    template_of "$s" "$tmp/params-check.json"
    declared=$(jq -c '.Parameters // {} | keys' "$tmp/params-check.json")
    jq -e --argjson d "$declared" 'all(.[]; . as $p | $d | index($p))' <<< "$passed" > /dev/null ||
      die "cdk deploy of $s (deployment $id) got parameters $passed; its template declares only $declared"
    jq -e 'sort == ["buildSrcRef", "buildSrcRepo", "buildSrcRev", "odmdBuildId", "odmdDepRev"]' \
      <<< "$passed" > /dev/null ||
      die "cdk deploy of $s (deployment $id) got parameters $passed, not the five the template declares"
    echo "  $s: cdk deploy --parameters $(jq -r 'join(", ")' <<< "$passed") (all declared)"
  done
}
latest_deployment_of() { # ENVER -> the id of its newest succeeded deployment
  deployments_json | jq -r --arg e "$1" '[.deployments[] | select(.enver == $e and .state == "succeeded")
                                          | .id] | max // empty'
}

t_start=$(now_ms)
section "moto_server: the AWS emulator"
port=$(free_port)
moto_server -H localhost -p "$port" > "$moto_log" 2>&1 &
moto_pid=$!
endpoint="http://localhost:$port"
moto_up() { curl -fsS "$endpoint/moto-api/" > /dev/null; }
wait_for "moto_server to answer at $endpoint" moto_up
# The platform's central credentials: moto's dummy ones (account $central).
export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing
export AWS_REGION=$region AWS_DEFAULT_REGION=$region AWS_ENDPOINT_URL=$endpoint
export AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null
export CDK_DISABLE_VERSION_CHECK=1 CDK_DISABLE_CLI_TELEMETRY=true
[ "$(aws_central sts get-caller-identity | jq -r .Account)" = "$central" ] ||
  die "moto's default account is not $central"
echo "moto_server: pid $moto_pid, $endpoint (central account $central, workspace $workspace)"

section "the product events' SQS target on the central EventBridge bus (before anything publishes)"
queue_url=$(q setup-events odmd-demo-product-events odmd-demo-products default) ||
  die "cannot make the SQS queue and the EventBridge rule"
echo "rule odmd-demo-products on bus default (source odmd, detail-type odmd.product.version) -> $queue_url"

section "the demo org: one bare git repo per service (examples/aws)"
"$root/scripts/make-demo-org.sh" "$org" "$examples"
repos="$org/repos"
cat > "$aws_config" << EOF
{
  "endpoint_url": "$endpoint",
  "region": "$region",
  "accounts": ["$workspace"],
  "products": {"ssm": true, "event_bus": "default"},
  "secrets_manager": true
}
EOF
echo "AWS settings ($aws_config): $(jq -c . "$aws_config")"

section "odmd aws bootstrap: role stacks and the CDK bootstrap in every account of the contracts"
t0=$(now_ms)
od aws bootstrap "$examples/contracts/manifest.json" --aws-config "$aws_config" \
  --cdk-sdk "$sdk" || die "odmd aws bootstrap failed"
t_aws_bootstrap=$(elapsed "$t0")
# The apps' default synthesizer needs the CDK bootstrap's version parameter (CDKToolkit).
stacks_complete CDKToolkit || die "the workspace account has no complete CDKToolkit stack after odmd aws bootstrap (the CDK bootstrap)"
all_stacks_complete || die "not every stack of the workspace is complete after odmd aws bootstrap: $(ws_stacks)"
echo "accounts bootstrapped in $t_aws_bootstrap; workspace stacks: $(ws_stacks)"

section "odmd serve --aws-config (SQLite state in $state)"
repo_args=()
while read -r src name _; do
  case "$src" in '' | '#'*) continue ;; esac
  repo_args+=(--repo "$name=$repos/$name.git")
done < "$examples/repos.txt"
# The sandboxed build scripts synthesise with the shared CDK install (sdk/cdk): `--cdk-sdk`
# lets them see it read-only, gives the CDK tail its cdk CLI and build.sh ODMD_CDK_SDK.
mkdir -p "$state"
"$odmd" serve --listen 127.0.0.1:0 --state-dir "$state" "${repo_args[@]}" \
  --contracts-repo demo/contracts --aws-config "$aws_config" --cdk-sdk "$sdk" > "$serve_log" 2>&1 &
server_pid=$!
api_ready() { [ -s "$state/api.url" ] && [ -s "$state/admin.token" ]; }
wait_for "odmd serve to write $state/api.url" api_ready
ODMD_API=$(cat "$state/api.url")
ODMD_TOKEN=$(cat "$state/admin.token")
export ODMD_API ODMD_TOKEN
api_up() { od envers --json > /dev/null; }
wait_for "the API at $ODMD_API to answer" api_up
echo "odmd serve: pid $server_pid, $ODMD_API"
grep '^odmd serve: AWS' "$serve_log" || die "odmd serve did not report its AWS settings"
while read -r src name _; do
  case "$src" in '' | '#'*) continue ;; esac
  od repo add "$name" "$repos/$name.git" --hook > /dev/null
done < "$examples/repos.txt"
t_bootstrap_start=$(now_ms)

main_stacks=(networking--main networking-share-nat--main logging--main orderSvc--main)
section "bootstrap from demo/contracts: every enver deployed to the workspace (networking <-> logging cycle)"
wait_for "the bootstrap to converge (every enver deployed, nothing queued)" bootstrapped
wait_for "networking/b..main to be redeployed with the real logDestination" \
  on_real_values networking/b..main
wait_for "the platform to go idle after the bootstrap" bootstrapped
t_bootstrap=$(elapsed "$t_bootstrap_start")
for e in networking/b..main logging/b..main orderSvc/b..main; do
  on_real_values "$e" || die "$e still consumes a placeholder after the bootstrap"
done
{ stacks_complete "${main_stacks[@]}" && all_stacks_complete; } ||
  die "not every stack of main is complete in the workspace: $(ws_stacks)"
networking_runs=$(deployments_json | jq -c '[.deployments[] | select(.enver == "networking/b..main"
  and .state == "succeeded")] | sort_by(.id)
  | map({id, logDestination: (.consumed[] | select(.consumer == "logDestination"))})')
jq -e 'length >= 2 and (first.logDestination.placeholder == true)
       and (last.logDestination.placeholder == false)' <<< "$networking_runs" > /dev/null ||
  die "networking/b..main was not deployed on the placeholder and then on logging's bucket: $networking_runs"
log_destination=$(product logging/b..main/logDestination)
case "$log_destination" in
  arn:aws:s3:::logs-logging-b-main-*) ;;
  *) die "logging's logDestination is '$log_destination', not its bucket's ARN" ;;
esac
od deployments
od envers
echo "the workspace's stacks: $(ws_stacks)"
echo "bootstrap converged in $t_bootstrap; networking's flow logs -> $log_destination"
section "cdk deploy got only the parameters each template declares"
check_deploy_parameters "$(latest_deployment_of networking/b..main)" \
  networking--main networking-share-nat--main
check_deploy_parameters "$(latest_deployment_of orderSvc/b..main)" orderSvc--main

section "clone: branch feature-x of order-service with 'odmd: create@main'"
clone_id="orderSvc/b..main-_b..feature-x"
clone_stack=orderSvc--feature-x
mkdir -p "$work"
svc="$work/order-service"
work_clone demo/order-service "$svc"
git -C "$svc" checkout -q -b feature-x
echo "x: try a new order routing" >> "$svc/FEATURE-X.md"
git -C "$svc" add FEATURE-X.md
git -C "$svc" commit -q -m $'try x\n\nodmd: create@main'
before_e=$(last_event)
t0=$(now_ms)
push "$svc" feature-x
wait_for "the clone $clone_id to exist" enver_exists "$clone_id"
wait_for "the clone $clone_id to deploy" enver_succeeded "$clone_id"
wait_for "the platform to go idle after the clone" idle
t_clone=$(elapsed "$t0")
# From the push of the command to CloudFormation's CREATE_COMPLETE of the clone's stack (its
# own event's timestamp; CDK's synth and deploy dominate).
created=$(q created-ms "$workspace" "$clone_stack") || die "no CREATE_COMPLETE event of $clone_stack"
ms=$((created - t0))
t_clone_stack=$(printf '%d.%03ds' $((ms / 1000)) $((ms % 1000)))
has_event "$before_e" command.accepted "$clone_id" ||
  die "no command.accepted event for 'odmd: create@main' on feature-x"
od enver "$clone_id"
[ "$(enver_json "$clone_id" | jq -r '.names.stack_name')" = "$clone_stack" ] ||
  die "the clone's stack name is not $clone_stack"
stacks_complete "$clone_stack" "${main_stacks[@]}" ||
  die "the clone's stack $clone_stack and main's are not side by side in the workspace: $(ws_stacks)"
main_bucket=$(product orderSvc/b..main/ordersBucketName)
clone_bucket=$(product "$clone_id/ordersBucketName")
[ "$main_bucket" != "$clone_bucket" ] || die "the clone and main share the bucket $main_bucket"
q bucket-exists "$workspace" "$clone_bucket" ||
  die "the clone's bucket $clone_bucket does not exist in the workspace"
consumed() { enver_json "$1" | jq -c '[.consumers[] | {name, path, consumed_version}]'; }
[ "$(consumed "$clone_id")" = "$(consumed orderSvc/b..main)" ] ||
  die "the clone does not consume the same upstream product versions as main:
  clone: $(consumed "$clone_id")
  main:  $(consumed orderSvc/b..main)"
echo "clone command -> its stack CREATE_COMPLETE in $t_clone_stack (figure only: CDK dominates)"
echo "clone deployed in $t_clone as stack $clone_stack (bucket $clone_bucket; main: $main_bucket)," \
  "consuming the same upstream versions as main"

section "the clone's and main's templates: cfn-lint, and they differ only in names"
template_of orderSvc--main "$tmp/orderSvc--main.template.json"
template_of "$clone_stack" "$tmp/$clone_stack.template.json"
cfn-lint "$tmp/orderSvc--main.template.json" "$tmp/$clone_stack.template.json" ||
  die "cfn-lint rejects the deployed templates"
# Mask the stack names and @odmd/cdk's physical names (<base>-<build>-<rev>-<8 hex>).
normalise() {
  jq -S . "$1" | sed -E -e "s/$2/<stack>/g" \
    -e 's/[a-z][a-z0-9-]*-ordersvc-b-main(-b-feature-x)?-[0-9a-f]{8}/<name>/g'
}
diff <(normalise "$tmp/orderSvc--main.template.json" orderSvc--main) \
  <(normalise "$tmp/$clone_stack.template.json" "$clone_stack") ||
  die "the clone's template differs from main's in more than names"
main_names=$(grep -oE '[a-z][a-z0-9-]*-ordersvc-b-main-[0-9a-f]{8}' "$tmp/orderSvc--main.template.json" | sort -u)
clone_names=$(grep -oE '[a-z][a-z0-9-]*-ordersvc-b-main-b-feature-x-[0-9a-f]{8}' \
  "$tmp/$clone_stack.template.json" | sort -u)
{ [ -n "$main_names" ] && [ "$(wc -l <<< "$main_names")" = "$(wc -l <<< "$clone_names")" ]; } ||
  die "main's and the clone's templates do not name the same number of resources"
echo "both templates pass cfn-lint; physical names: main $(tr '\n' ' ' <<< "$main_names")/" \
  "clone $(tr '\n' ' ' <<< "$clone_names")"
check_deploy_parameters "$(latest_deployment_of "$clone_id")" "$clone_stack"

section "an enver secret: odmd secret put; its next deployment writes it to Secrets Manager"
od secret put orderSvc/b..main dbPassword "demo-pw-$$" --store "sqlite:$state/state.db" ||
  die "odmd secret put orderSvc/b..main dbPassword failed"
echo "orderSvc/b..main's secret dbPassword is sealed in the store; the upstream change below redeploys it"

section "upstream change: logging moves its logs to a new bucket ('archive')"
before_d=$(last_deployment)
before_e=$(last_event)
lg="$work/logging"
work_clone demo/logging "$lg"
sed -i "s/physicalName('logs')/physicalName('archive')/" "$lg/lib/logging-stack.ts"
git -C "$lg" commit -q -am "logging: a new bucket for the logs"
t0=$(now_ms)
push "$lg" main
lg_sha=$(git -C "$lg" rev-parse HEAD)
wait_for "logging/b..main to deploy $lg_sha" enver_succeeded_at logging/b..main "$lg_sha"
reacted() {
  deployments_after "$before_d" | jq -e '
    [.[] | select(.cause.kind == "reaction" and .state == "succeeded") | .enver] as $done
    | all("networking/b..main", "orderSvc/b..main", "orderSvc/b..main-_b..feature-x";
          . as $e | $done | index($e))' > /dev/null && idle
}
wait_for "the consumers of logDestination to redeploy" reacted
t_reaction=$(elapsed "$t0")
new=$(deployments_after "$before_d")
od deployments --limit "$(jq length <<< "$new")"
for e in networking/b..main orderSvc/b..main "$clone_id"; do
  n=$(jq --arg e "$e" '[.[] | select(.enver == $e)] | length' <<< "$new")
  [ "$n" = 1 ] || die "$e was deployed $n times for one upstream change (expected once)"
done
new_destination=$(product logging/b..main/logDestination)
case "$new_destination" in
  arn:aws:s3:::archive-logging-b-main-*) ;;
  *) die "logging's logDestination is '$new_destination' after the change" ;;
esac
for s in orderSvc--main "$clone_stack" networking--main; do
  template_of "$s" "$tmp/after.json"
  grep -q "$new_destination" "$tmp/after.json" || die "stack $s does not use the new $new_destination"
done
stacks_complete "$clone_stack" "${main_stacks[@]}" ||
  die "not every stack is complete after the upstream change: $(ws_stacks)"
echo "one push to logging: $(jq length <<< "$new") deployments in $t_reaction;" \
  "networking, orderSvc and its clone now use $new_destination"
[ "$(q secret-names "$workspace" odmd/orderSvc/b..main)" = dbPassword ] ||
  die "orderSvc/b..main's secret odmd/orderSvc/b..main in the workspace does not hold dbPassword after its redeploy"
[ "$(q secret-names "$workspace" "odmd/$clone_id")" = - ] ||
  die "the clone, which has no secret, has a Secrets Manager secret odmd/$clone_id"
echo "Secrets Manager in the workspace: odmd/orderSvc/b..main holds dbPassword (value not shown);" \
  "the clone has no secret"

section "products in SSM (central account): one SSM version per store version"
# The products (not the platform's own record of what an enver consumed, share..version).
keys=$("$odmd" store ls /odmd-share/ --store "sqlite:$state/state.db" --json |
  jq -r '.[].key | select(endswith("/share..version") | not)')
[ -n "$keys" ] || die "the store lists no product under /odmd-share/"
# {"<key>": [the values of its versions since its last deletion]}, from the store.
store_history="{}"
versions="[]"
for key in $keys; do
  values=$("$odmd" store history "$key" --store "sqlite:$state/state.db" --json |
    jq -c 'reduce .[] as $v ([]; if $v.kind == "delete" then [] else . + [$v] end)')
  store_history=$(jq -c --arg k "$key" --argjson v "$values" '. + {($k): ($v | map(.value))}' \
    <<< "$store_history")
  versions=$(jq -c --argjson v "$values" '. + ($v | map("\(.key)@\(.version)"))' <<< "$versions")
done
n_versions=$(jq '[.[] | length] | add' <<< "$store_history")
ssm_in_step() { q ssm-matches <<< "$store_history" > "$tmp/ssm.txt"; }
wait_for "SSM's history of every product to be the store's" ssm_in_step
cat "$tmp/ssm.txt"
echo "aws ssm get-parameter-history --name /odmd-share/logging/b..main/logDestination:"
aws_central ssm get-parameter-history --name /odmd-share/logging/b..main/logDestination |
  jq -r '.Parameters[] | "  v\(.Version): \(.Value)"'

section "the product events on EventBridge (the SQS queue)"
events_file="$tmp/product-events.jsonl"
: > "$events_file"
drain_queue() { q drain "$queue_url" "$events_file"; }
all_events() { drain_queue && [ "$(wc -l < "$events_file")" -ge "$n_versions" ]; }
wait_for "$n_versions product events on the queue" all_events
jq -s -e --argjson want "$versions" 'map(.detail | "\(.path)@\(.version)") | sort == ($want | sort)' \
  "$events_file" > /dev/null ||
  die "the queue's events are not exactly one per product version:
  events:   $(jq -sc 'map(.detail | "\(.path)@\(.version)") | sort' "$events_file")
  versions: $(jq -c sort <<< "$versions")"
jq -r '"  \(.detail.path) v\(.detail.version) (producer \(.detail.producer), revision \(.detail.revision))"' \
  "$events_file" | sort
echo "$n_versions product versions: $n_versions SSM versions, $n_versions events, each once"

section "delete: 'odmd: delete' on feature-x"
before_e=$(last_event)
git -C "$svc" pull -q --rebase origin feature-x
git -C "$svc" commit -q --allow-empty -m "odmd: delete"
t0=$(now_ms)
push "$svc" feature-x
wait_for "the clone $clone_id to be deleted" enver_gone "$clone_id"
clone_stack_gone() { ws_stacks | jq -e --arg s "$clone_stack" 'has($s) | not' > /dev/null; }
wait_for "the clone's stack $clone_stack to be deleted" clone_stack_gone
wait_for "the platform to go idle after the delete" idle
t_delete=$(elapsed "$t0")
has_event "$before_e" clone.deleted "$clone_id" || die "no clone.deleted event for $clone_id"
stacks_complete CDKToolkit "${main_stacks[@]}" || die "deleting the clone touched main's stacks: $(ws_stacks)"
if q bucket-exists "$workspace" "$clone_bucket"; then
  die "the clone's bucket $clone_bucket is still there"
fi
clone_params_gone() { q ssm-path-empty "/odmd-share/orderSvc/b..main-_b..feature-x"; }
wait_for "the clone's products to leave SSM" clone_params_gone
od events --after "$before_e" --limit 10000
echo "stacks left in the workspace: $(ws_stacks)"
echo "clone deleted in $t_delete; its stack, bucket and SSM products are gone, main's are intact"

section "summary"
printf '%-40s %s\n' \
  "odmd aws bootstrap (2 accounts)" "$t_aws_bootstrap" \
  "bootstrap (4 envers, 5 stacks, 1 cycle)" "$t_bootstrap" \
  "clone command -> stack CREATE_COMPLETE" "$t_clone_stack" \
  "clone command -> clone deployed" "$t_clone" \
  "upstream change -> reactions done" "$t_reaction" \
  "clone delete -> stack deleted" "$t_delete" \
  "whole demo" "$(elapsed "$t_start")"
echo "deployments: $(deployments_json | jq '.deployments | length')," \
  "events: $(last_event), product versions in SSM and on the bus: $n_versions"

finished=1
if [ "$once" = 1 ]; then
  stop_server
  echo "aws-demo: done"
  exit 0
fi
echo
echo "odmd serve keeps running at $ODMD_API (admin token in $state/admin.token), moto at $endpoint."
echo "Try: ODMD_API=$ODMD_API ODMD_TOKEN=\$(cat $state/admin.token) $odmd events --follow"
echo "     AWS_ENDPOINT_URL=$endpoint AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing \\"
echo "       aws --region $region ssm get-parameters-by-path --path /odmd-share --recursive"
echo "Ctrl-C stops both (and removes $tmp unless ODMD_DEMO_KEEP=1)."
wait "$server_pid" || true
