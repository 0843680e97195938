#!/usr/bin/env bash
# Installs, starts, seeds and stops the real InfluxDB servers the test suite and the demo talk to.
#
#   tools/test-servers.sh install         install what the servers need (Debian packages)
#   tools/test-servers.sh start [NAME..]  start servers (default: all known), print nothing on success
#   tools/test-servers.sh env             print `export ...` lines describing the running servers
#   tools/test-servers.sh stop [NAME..]   stop the named servers (default: every server this script started)
#   tools/test-servers.sh status          one line per server
#   tools/test-servers.sh v3-python       create the 3.x stand-in's venv when missing, print its python
#
# 1.6.7 comes from Debian; 1.8.10 and 1.13.2 (Flux enabled) and 2.7.12 (onboarded through
# /api/v2/setup, with DBRP mappings so InfluxQL finds its buckets) are built by
# tools/build-servers.sh, as is the opt-in v2.10.0-flux0.200 (2.10.0 with a substituted Flux; not
# started unless named). v3-standin is tools/influxdb3-standin, a stand-in of the InfluxDB 3 Core
# HTTP API (no 3.x can be installed or built here), run by a Python venv with PyPI datafusion
# cached below $INFLUXTK_CACHE; its admin token is exported as INFLUXTK_V3_STANDIN_TOKEN. Every server listens on loopback only, has its own data directory below
# $INFLUXTK_SERVER_ROOT (default /tmp/influxdbtoolkit-servers) and runs with authentication on and
# usage reporting off: nothing started here may try to reach an address outside this machine.
# $INFLUXTK_PORT_OFFSET (default 0) shifts every port, so that a second set of servers (another
# root) can run next to the first. Builds that take long are cached below $INFLUXTK_CACHE
# (default ~/.cache/influxdbtoolkit).
set -euo pipefail

ROOT=${INFLUXTK_SERVER_ROOT:-/tmp/influxdbtoolkit-servers}
PORT_OFFSET=${INFLUXTK_PORT_OFFSET:-0}
ADMIN_USER=${INFLUXTK_ADMIN_USER:-admin}
ADMIN_PASSWORD=${INFLUXTK_ADMIN_PASSWORD:-admin-pw-Zürich-1}
# name:port pairs started by default; the port is the HTTP port (before the offset), the RPC port
# is HTTP port + 1000. A name ending in -tls is the same server over HTTPS with a self-signed
# certificate, for TLS tests.
KNOWN_SERVERS="v1.6.7:18086 v1.6.7-tls:18096 v1.8.10:18087 v2.7.12:18088 v1.13.2:18089 v3-standin:18181"
# Started only when named: builds that are not a release as published.
OPT_IN_SERVERS="v2.10.0-flux0.200:18090"
# The operator token of the 2.x server, and its organisation.
ADMIN_TOKEN=${INFLUXTK_ADMIN_TOKEN:-influxtk-operator-token-0123456789}
ORG=${INFLUXTK_ORG:-influxtk}
TEST_DATABASES="influxtk_test influxtk_demo"
CACHE=${INFLUXTK_CACHE:-$HOME/.cache/influxdbtoolkit}
# The Python environment of the 3.x stand-in: PyPI datafusion (the SQL engine InfluxDB 3 runs)
# and pyarrow, outside the repository like the server builds.
V3_VENV=${INFLUXTK_V3_VENV:-$CACHE/venv-v3}
V3_PYPI_PACKAGES="datafusion==55.0.0 pyarrow==26.0.1"

log() { printf '[test-servers] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

server_port() {
  local name=$1 entry
  case "$PORT_OFFSET" in ''|*[!0-9]*) die "INFLUXTK_PORT_OFFSET must be a whole number" ;; esac
  for entry in $KNOWN_SERVERS $OPT_IN_SERVERS; do
    if [ "${entry%%:*}" = "$name" ]; then echo "$((${entry##*:} + PORT_OFFSET))"; return 0; fi
  done
  die "unknown server '$name' (known: $KNOWN_SERVERS $OPT_IN_SERVERS)"
}

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    die "need root (or sudo) to run: $*"; fi
}

cmd_install() {
  local missing=()
  command -v /usr/bin/influxd >/dev/null 2>&1 || missing+=(influxdb)
  command -v curl >/dev/null 2>&1 || missing+=(curl)
  command -v openssl >/dev/null 2>&1 || missing+=(openssl)
  if [ ${#missing[@]} -gt 0 ]; then
    log "installing ${missing[*]}"
    as_root apt-get update -qq
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
  # Debian starts the packaged service where an init system runs; our servers never use it.
}

http() { # http METHOD URL [curl args...]: prints the body, fails on a non-2xx status
  local method=$1 url=$2; shift 2
  curl -sS -k --fail-with-body -X "$method" "$url" "$@"
}

wait_for_ping() {
  local url=$1 pidfile=$2 logfile=$3 i
  for i in $(seq 1 150); do
    if curl -s -k -o /dev/null -w '%{http_code}' "$url/ping" 2>/dev/null | grep -q 204; then return 0; fi
    if ! kill -0 "$(cat "$pidfile")" 2>/dev/null; then
      tail -n 30 "$logfile" >&2 || true
      die "server at $url exited during start-up (log: $logfile)"
    fi
    sleep 0.2
  done
  tail -n 30 "$logfile" >&2 || true
  die "server at $url did not answer /ping within 30 s (log: $logfile)"
}

start_v1() { # start_v1 NAME BINARY
  local name=$1 binary=$2 port dir url tls=false flux=false
  port=$(server_port "$name")
  dir="$ROOT/$name"
  url="http://127.0.0.1:$port"
  case "$name" in *-tls) tls=true; url="https://127.0.0.1:$port" ;; esac
  case "$name" in v1.6.*) ;; *) flux=true ;; esac
  if [ -f "$dir/pid" ] && kill -0 "$(cat "$dir/pid")" 2>/dev/null; then
    log "$name already running at $url"; return 0
  fi
  # A fresh data directory every start: the tests own everything in it.
  rm -rf "$dir"
  mkdir -p "$dir/meta" "$dir/data" "$dir/wal"
  if $tls; then
    openssl req -x509 -newkey rsa:2048 -nodes -days 7 -subj "/CN=127.0.0.1" \
      -addext "subjectAltName=IP:127.0.0.1" -keyout "$dir/key.pem" -out "$dir/cert.pem" 2>/dev/null
  fi
  # Usage reporting off: upstream 1.x reads reporting-disabled, Debian's patched 1.6.7 also
  # reads reporting-enabled. Without the upstream key 1.8 and later send usage statistics to
  # usage.influxdata.com at start-up.
  cat >"$dir/influxdb.conf" <<EOF
reporting-enabled = false
reporting-disabled = true
bind-address = "127.0.0.1:$((port + 1000))"
[meta]
  dir = "$dir/meta"
  logging-enabled = false
[data]
  dir = "$dir/data"
  wal-dir = "$dir/wal"
  query-log-enabled = false
[http]
  enabled = true
  bind-address = "127.0.0.1:$port"
  auth-enabled = true
  log-enabled = false
  pprof-enabled = false
  max-row-limit = 0
  flux-enabled = $flux
  https-enabled = $tls
  https-certificate = "$dir/cert.pem"
  https-private-key = "$dir/key.pem"
[continuous_queries]
  # on, checked every second, so that the downsampling tests see a continuous query run
  enabled = true
  log-enabled = false
  run-interval = "1s"
EOF
  log "starting $name on $url"
  nohup "$binary" -config "$dir/influxdb.conf" >"$dir/server.log" 2>&1 &
  echo $! >"$dir/pid"
  wait_for_ping "$url" "$dir/pid" "$dir/server.log"
  # With auth on and no users, 1.x accepts exactly the statement that creates the first admin.
  http POST "$url/query" --data-urlencode \
    "q=CREATE USER \"$ADMIN_USER\" WITH PASSWORD '$ADMIN_PASSWORD' WITH ALL PRIVILEGES" >/dev/null
  http POST "$url/query" -u "$ADMIN_USER:$ADMIN_PASSWORD" \
    --data-urlencode "q=CREATE DATABASE influxtk_test; CREATE DATABASE influxtk_demo; CREATE DATABASE _internal" >/dev/null
  printf '%s\n' "$url" >"$dir/url"
  printf 'v1\n' >"$dir/generation"
}

start_v2() { # start_v2 NAME BINARY: a fresh 2.x server, onboarded, with DBRP mappings for InfluxQL
  local name=$1 binary=$2 port dir url auth org_id bucket_id db
  port=$(server_port "$name")
  dir="$ROOT/$name"
  url="http://127.0.0.1:$port"
  if [ -f "$dir/pid" ] && kill -0 "$(cat "$dir/pid")" 2>/dev/null; then
    log "$name already running at $url"; return 0
  fi
  rm -rf "$dir"
  mkdir -p "$dir"
  log "starting $name on $url"
  nohup "$binary" --bolt-path "$dir/influxd.bolt" --engine-path "$dir/engine" \
    --sqlite-path "$dir/influxd.sqlite" --http-bind-address "127.0.0.1:$port" \
    --reporting-disabled --log-level error --metrics-disabled --ui-disabled \
    >"$dir/server.log" 2>&1 &
  echo $! >"$dir/pid"
  wait_for_ping "$url" "$dir/pid" "$dir/server.log"
  http POST "$url/api/v2/setup" -H 'Content-Type: application/json' --data-binary \
    "{\"username\":\"$ADMIN_USER\",\"password\":\"$ADMIN_PASSWORD\",\"org\":\"$ORG\",\"bucket\":\"influxtk_test\",\"token\":\"$ADMIN_TOKEN\"}" >/dev/null
  auth=(-H "Authorization: Token $ADMIN_TOKEN")
  org_id=$(http GET "$url/api/v2/orgs?org=$ORG" "${auth[@]}" | grep -o '"id": *"[0-9a-f]\{16\}"' | head -n 1 | grep -o '[0-9a-f]\{16\}')
  [ -n "$org_id" ] || die "$name: no organisation id after setup"
  for db in $TEST_DATABASES; do
    bucket_id=$(http GET "$url/api/v2/buckets?org=$ORG&name=$db" "${auth[@]}" 2>/dev/null | grep -o '"id": *"[0-9a-f]\{16\}"' | head -n 1 | grep -o '[0-9a-f]\{16\}' || true)
    if [ -z "$bucket_id" ]; then
      bucket_id=$(http POST "$url/api/v2/buckets" "${auth[@]}" -H 'Content-Type: application/json' \
        --data-binary "{\"orgID\":\"$org_id\",\"name\":\"$db\"}" | grep -o '"id": *"[0-9a-f]\{16\}"' | head -n 1 | grep -o '[0-9a-f]\{16\}')
    fi
    # InfluxQL over /query finds a bucket through a DBRP mapping named like the 1.x database.
    http POST "$url/api/v2/dbrps" "${auth[@]}" -H 'Content-Type: application/json' --data-binary \
      "{\"bucketID\":\"$bucket_id\",\"orgID\":\"$org_id\",\"database\":\"$db\",\"retention_policy\":\"autogen\",\"default\":true}" >/dev/null
  done
  # A v1 authorization (user name and password) for the 1.x-compatible endpoints, so that code
  # written for 1.x credentials runs unchanged against this server.
  local perms="" id
  for db in $TEST_DATABASES; do
    bucket_id=$(http GET "$url/api/v2/buckets?org=$ORG&name=$db" "${auth[@]}" | grep -o '"id": *"[0-9a-f]\{16\}"' | head -n 1 | grep -o '[0-9a-f]\{16\}')
    for action in read write; do
      perms="$perms${perms:+,}{\"action\":\"$action\",\"resource\":{\"type\":\"buckets\",\"id\":\"$bucket_id\",\"orgID\":\"$org_id\"}}"
    done
  done
  id=$(http POST "$url/private/legacy/authorizations" "${auth[@]}" -H 'Content-Type: application/json' --data-binary \
    "{\"orgID\":\"$org_id\",\"token\":\"$ADMIN_USER\",\"permissions\":[$perms]}" | grep -o '"id": *"[0-9a-f]\{16\}"' | head -n 1 | grep -o '[0-9a-f]\{16\}')
  [ -n "$id" ] || die "$name: could not create the v1 authorization"
  http POST "$url/private/legacy/authorizations/$id/password" "${auth[@]}" -H 'Content-Type: application/json' \
    --data-binary "{\"password\":\"$ADMIN_PASSWORD\"}" >/dev/null
  printf '%s\n' "$url" >"$dir/url"
  printf 'v2\n' >"$dir/generation"
}

v3_venv() { # creates the stand-in's venv when missing; prints its python
  if [ ! -x "$V3_VENV/bin/python" ] || ! "$V3_VENV/bin/python" -c 'import datafusion, pyarrow' 2>/dev/null; then
    log "creating the Python environment of the 3.x stand-in in $V3_VENV"
    rm -rf "$V3_VENV"
    python3 -m venv "$V3_VENV" || die "python3 -m venv failed (Debian: apt-get install python3-venv)"
    "$V3_VENV/bin/pip" install -q $V3_PYPI_PACKAGES >&2 || die "pip install $V3_PYPI_PACKAGES failed"
  fi
  printf '%s\n' "$V3_VENV/bin/python"
}

start_v3_standin() { # start_v3_standin NAME: a fresh stand-in, its first admin token, the test databases
  local name=$1 port dir url python token db
  port=$(server_port "$name")
  dir="$ROOT/$name"
  url="http://127.0.0.1:$port"
  if [ -f "$dir/pid" ] && kill -0 "$(cat "$dir/pid")" 2>/dev/null; then
    log "$name already running at $url"; return 0
  fi
  python=$(v3_venv)
  rm -rf "$dir"
  mkdir -p "$dir"
  log "starting $name on $url"
  # --test-hooks: a query with X-Standin-Cut-After: N ends its body after N bytes (truncation tests).
  nohup "$python" "$(cd "$(dirname "$0")" && pwd)/influxdb3-standin/server.py" --bind 127.0.0.1 --port "$port" \
    --dir "$dir" --test-hooks >"$dir/stdout.log" 2>&1 &
  echo $! >"$dir/pid"
  # /ping needs a token on 3.x; the first admin token needs none and can be had exactly once.
  local i body=""
  for i in $(seq 1 150); do
    body=$(curl -s -X POST "$url/api/v3/configure/token/admin" 2>/dev/null) && [ -n "$body" ] && break
    if ! kill -0 "$(cat "$dir/pid")" 2>/dev/null; then
      tail -n 30 "$dir/stdout.log" "$dir/server.log" >&2 || true
      die "$name exited during start-up (log: $dir/server.log)"
    fi
    sleep 0.2
  done
  token=$(printf '%s' "$body" | grep -o '"token":"[^"]*"' | head -n 1 | sed 's/^"token":"//; s/"$//')
  [ -n "$token" ] || die "$name: no admin token from /api/v3/configure/token/admin (got: $body)"
  printf '%s\n' "$token" >"$dir/token"
  for db in $TEST_DATABASES; do
    http POST "$url/api/v3/configure/database" -H "Authorization: Bearer $token" \
      -H 'Content-Type: application/json' --data-binary "{\"db\":\"$db\"}" >/dev/null
  done
  printf '%s\n' "$url" >"$dir/url"
  printf 'v3\n' >"$dir/generation"
}

cmd_start() {
  local names=("$@") name
  [ ${#names[@]} -gt 0 ] || read -r -a names <<<"$(for e in $KNOWN_SERVERS; do printf '%s ' "${e%%:*}"; done)"
  mkdir -p "$ROOT"
  for name in "${names[@]}"; do
    case "$name" in
      v1.6.7|v1.6.7-tls)
        [ -x /usr/bin/influxd ] || die "/usr/bin/influxd missing: run '$0 install' first"
        start_v1 "$name" /usr/bin/influxd ;;
      v1.8.10|v1.13.2)
        "$(dirname "$0")/build-servers.sh" "$name"
        start_v1 "$name" "$("$(dirname "$0")/build-servers.sh" --path "$name")" ;;
      v2.7.12|v2.10.0-flux0.200)
        "$(dirname "$0")/build-servers.sh" "$name"
        start_v2 "$name" "$("$(dirname "$0")/build-servers.sh" --path "$name")" ;;
      v3-standin) start_v3_standin "$name" ;;
      *) die "unknown server '$name'" ;;
    esac
  done
}

cmd_env() {
  local names=() dir name
  for dir in "$ROOT"/*/; do
    dir=${dir%/}
    [ -f "$dir/pid" ] && kill -0 "$(cat "$dir/pid")" 2>/dev/null || continue
    name=$(basename "$dir")
    if [[ "$name" == *-tls ]]; then
      printf 'export INFLUXTK_TLS_URL=%q\n' "$(cat "$dir/url")"
      printf 'export INFLUXTK_TLS_CA=%q\n' "$dir/cert.pem"
      printf 'export INFLUXTK_TLS_DIR=%q\n' "$dir"
      continue
    fi
    names+=("$name")
    local key=${name//[.-]/_}; key=${key^^}
    printf 'export INFLUXTK_%s_URL=%q\n' "$key" "$(cat "$dir/url")"
    printf 'export INFLUXTK_%s_GENERATION=%q\n' "$key" "$(cat "$dir/generation")"
    # The server's directory (pid, influxdb.conf, server.log), for the tests that check how it runs.
    printf 'export INFLUXTK_%s_DIR=%q\n' "$key" "$dir"
    # A server with a token of its own (3.x): INFLUXTK_<NAME>_TOKEN.
    if [ -f "$dir/token" ]; then printf 'export INFLUXTK_%s_TOKEN=%q\n' "$key" "$(cat "$dir/token")"; fi
  done
  printf 'export INFLUXTK_SERVERS=%q\n' "${names[*]:-}"
  printf 'export INFLUXTK_ADMIN_USER=%q\n' "$ADMIN_USER"
  printf 'export INFLUXTK_ADMIN_PASSWORD=%q\n' "$ADMIN_PASSWORD"
  printf 'export INFLUXTK_ADMIN_TOKEN=%q\n' "$ADMIN_TOKEN"
  printf 'export INFLUXTK_ORG=%q\n' "$ORG"
}

cmd_stop() {
  local pidfile pid pidfiles=()
  if [ $# -gt 0 ]; then
    for pid in "$@"; do server_port "$pid" >/dev/null; pidfiles+=("$ROOT/$pid/pid"); done
  else
    pidfiles=("$ROOT"/*/pid)
  fi
  for pidfile in "${pidfiles[@]}"; do
    [ -f "$pidfile" ] || continue
    pid=$(cat "$pidfile")
    if kill -0 "$pid" 2>/dev/null; then
      kill "$pid" 2>/dev/null || true
      for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -9 "$pid" 2>/dev/null || true
    fi
    rm -f "$pidfile"
  done
}

cmd_status() {
  local dir
  for dir in "$ROOT"/*/; do
    [ -d "$dir" ] || continue
    if [ -f "$dir/pid" ] && kill -0 "$(cat "$dir/pid")" 2>/dev/null; then
      printf '%s running at %s\n' "$(basename "$dir")" "$(cat "$dir/url")"
    else
      printf '%s stopped\n' "$(basename "$dir")"
    fi
  done
}

case "${1:-}" in
  install) cmd_install ;;
  v3-python) v3_venv ;;
  start) shift; cmd_start "$@" ;;
  env) cmd_env ;;
  stop) shift; cmd_stop "$@" ;;
  status) cmd_status ;;
  *) die "usage: $0 install|start [NAME..]|env|stop [NAME..]|status|v3-python" ;;
esac
