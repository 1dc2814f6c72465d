#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the store's tests and benchmarks (issue 3).
#
#   scripts/pg-test-cluster.sh start DIR   initdb in DIR/data, start the server listening only
#                                          on a unix socket in DIR, create database "odmd" and
#                                          write its connection URL to DIR/url
#   scripts/pg-test-cluster.sh stop DIR    stop that server and remove DIR
#
# The server never runs as root: when this script is run as root, initdb and pg_ctl run as
# the "postgres" user (created by Debian's postgresql package) and DIR is chowned to it.
# `start` first stops and removes a cluster left in DIR by an interrupted run. Full benchmark:
#   scripts/pg-test-cluster.sh start /tmp/pg && build/bench/odmd_store_bench \
#     --store="$(cat /tmp/pg/url)" && scripts/pg-test-cluster.sh stop /tmp/pg
set -euo pipefail

readonly MARKER=.odmd-pg-test-cluster
readonly PORT=5432

die() {
  echo "pg-test-cluster: $*" >&2
  exit 1
}

[ $# -eq 2 ] || { echo "usage: $0 start|stop DIR" >&2; exit 2; }
command=$1
dir=$2
case "$dir" in
  /*) ;;
  *) dir="$PWD/$dir" ;;
esac
dir=${dir%/}
[ -n "$dir" ] || die "refusing to use / as the cluster directory"

# The newest server installed (Debian: /usr/lib/postgresql/<major>/bin).
server_bin() {
  local bin
  bin=$(find /usr/lib/postgresql -mindepth 2 -maxdepth 2 -name bin -type d 2>/dev/null |
    sort -V | tail -n 1)
  if [ -z "$bin" ] || [ ! -x "$bin/initdb" ] || [ ! -x "$bin/pg_ctl" ]; then
    die "no PostgreSQL server (initdb, pg_ctl) under /usr/lib/postgresql/*/bin;" \
      "install it with scripts/install-deps.sh (package postgresql)"
  fi
  echo "$bin"
}

# Runs a server program as a non-root user.
as_owner() {
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

# Percent-encodes a path for the query part of a libpq URL.
url_encode() {
  local s=$1 out="" c i
  for ((i = 0; i < ${#s}; i++)); do
    c=${s:i:1}
    case "$c" in
      [A-Za-z0-9/._~-]) out+="$c" ;;
      *) out+=$(printf '%%%02X' "'$c") ;;
    esac
  done
  echo "$out"
}

stop_cluster() {
  [ -e "$dir" ] || return 0
  if [ ! -e "$dir/$MARKER" ]; then
    if [ -d "$dir" ] && [ -z "$(ls -A "$dir")" ]; then
      rmdir "$dir"
      return 0
    fi
    die "$dir exists but was not made by this script; not touching it"
  fi
  if [ -f "$dir/data/postmaster.pid" ]; then
    local bin
    bin=$(server_bin)
    if ! as_owner "$bin/pg_ctl" -D "$dir/data" -m fast -w -t 60 stop >/dev/null 2>&1; then
      # Not running any more (a stale pid file), or stuck: make sure it is gone.
      as_owner "$bin/pg_ctl" -D "$dir/data" -m immediate -w -t 60 stop >/dev/null 2>&1 || true
    fi
  fi
  if [ -f "$dir/socket_dir" ]; then
    local socket_dir
    socket_dir=$(cat "$dir/socket_dir")
    case "$socket_dir" in
      /tmp/odmd-pg-*) rm -rf "$socket_dir" ;;
    esac
  fi
  rm -rf "$dir"
}

start_cluster() {
  local bin
  bin=$(server_bin)
  stop_cluster # a cluster left by an interrupted run
  mkdir -p "$dir"
  touch "$dir/$MARKER"
  # Unix socket paths are limited to about 107 bytes; a deep DIR gets a short one in /tmp.
  local socket_dir=$dir
  if [ $((${#dir} + 20)) -gt 100 ]; then
    socket_dir=$(mktemp -d /tmp/odmd-pg-XXXXXX)
    echo "$socket_dir" >"$dir/socket_dir"
  fi
  if [ "$(id -u)" -eq 0 ]; then
    id postgres >/dev/null 2>&1 ||
      die "running as root, but there is no 'postgres' user to run the server as"
    chown -R postgres: "$dir" "$socket_dir"
    runuser -u postgres -- test -w "$dir" ||
      die "user postgres cannot write $dir (a parent directory is not searchable)"
  fi
  if ! as_owner "$bin/initdb" -D "$dir/data" --auth=trust -U odmd --encoding=UTF8 --locale=C \
    --no-sync >"$dir/initdb.log" 2>&1; then
    cat "$dir/initdb.log" >&2
    die "initdb failed in $dir/data"
  fi
  cat >>"$dir/data/postgresql.conf" <<EOF
# pg-test-cluster.sh: unix socket only, in the cluster's own directory.
listen_addresses = ''
unix_socket_directories = '$socket_dir'
port = $PORT
max_connections = 300
EOF
  if ! as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start >/dev/null; then
    cat "$dir/server.log" >&2 || true
    die "the server in $dir/data did not start"
  fi
  as_owner "$bin/createdb" -h "$socket_dir" -p "$PORT" -U odmd odmd ||
    die "cannot create database odmd in $dir"
  echo "postgresql:///odmd?host=$(url_encode "$socket_dir")&port=$PORT&user=odmd" >"$dir/url"
  echo "pg-test-cluster: running in $dir: $(cat "$dir/url")"
}

case "$command" in
  start) start_cluster ;;
  stop) stop_cluster ;;
  *) echo "usage: $0 start|stop DIR" >&2; exit 2 ;;
esac
