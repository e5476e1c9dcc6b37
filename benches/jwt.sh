#!/usr/bin/env bash
# The cost of authentication (issue 11's budget): `tools/call echo` over /mcp (one session, JSON
# responses, 64 connections) with an RS256 JWT access token on every request, against the same
# run without authentication. The token comes from a real issuer (oidc-provider,
# tests/scripts/issuer.mjs); mcpd verifies it once and then finds it in its cache of verified
# tokens (SHA-256 of the token each request). Servers on core 1, wrk and the issuer on core 0;
# rounds alternate the two servers. Prints requests/s and server CPU per request (the steadier
# figure on a shared machine). Target: ratio ≥ 0.85.
#
# Usage: benches/jwt.sh [seconds per run, default 5] [rounds, default 3]
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-5}
rounds=${2:-3}
for tool in wrk taskset curl; do
  command -v "$tool" >/dev/null || { echo "$tool is missing: apt-get install wrk util-linux curl"; exit 1; }
done
node=target/tools/node22/node_modules/.bin/node
[ -x "$node" ] || { echo "Node 22 and oidc-provider are missing: run tests/scripts/setup"; exit 1; }
[ "$(nproc)" -ge 2 ] || { echo "needs 2 cores (servers on one, load generator on the other)"; exit 1; }

cargo build --release --quiet --bin mcpd
mcpd=${CARGO_TARGET_DIR:-target}/release/mcpd
work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
# start NAME CORE CMD… : runs CMD on CORE, waits for its banner, sets PORT.
start() {
  local name=$1 core=$2; shift 2
  taskset -c "$core" "$@" >"$work/$name.out" 2>&1 &
  PID=$!; pids+=("$PID")
  for _ in $(seq 200); do grep -q listening "$work/$name.out" && break; sleep 0.05; done
  PORT=$(sed -n 's#.*http://127.0.0.1:\([0-9]*\).*#\1#p' "$work/$name.out" | head -1)
  [ -n "$PORT" ] || { cat "$work/$name.out"; exit 1; }
}

issuer_port=$(free_port)
start issuer 0 "$node" tests/scripts/issuer.mjs "$issuer_port" "$work/issuer"
issuer=http://127.0.0.1:$issuer_port
start open 1 "$mcpd" --port 0 --log-level error
open_port=$PORT; open_pid=$PID
start jwt 1 "$mcpd" --port 0 --log-level error --auth-issuer "$issuer"
jwt_port=$PORT; jwt_pid=$PID
token=$(curl -s -u client-a:secret-a -d grant_type=client_credentials -d "resource=http://127.0.0.1:$jwt_port/mcp" \
  "$issuer/token" | sed -n 's/.*"access_token":"\([^"]*\)".*/\1/p')
[ -n "$token" ] || { echo "no token from the issuer"; exit 1; }
echo "token: RS256, $(printf %s "$token" | wc -c) bytes"

body='{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","arguments":{"message":"hello"}}}'
# script PORT [TOKEN]: opens a session on PORT, checks echo, writes the wrk script for it.
script() {
  local auth=() init sid check
  if [ -n "${2:-}" ]; then auth=(-H "authorization: Bearer $2"); fi
  init='{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"bench","version":"1"}}}'
  sid=$(curl -s -D - -o /dev/null "http://127.0.0.1:$1/mcp" "${auth[@]}" -H 'content-type: application/json' \
    -H 'accept: application/json, text/event-stream' -d "$init" | awk 'tolower($1) == "mcp-session-id:" {print $2}' | tr -d '\r')
  [ -n "$sid" ] || { echo "initialize failed on port $1"; exit 1; }
  curl -s -o /dev/null "http://127.0.0.1:$1/mcp" "${auth[@]}" -H 'content-type: application/json' -H "mcp-session-id: $sid" \
    -H 'accept: application/json, text/event-stream' -d '{"jsonrpc":"2.0","method":"notifications/initialized"}'
  check=$(curl -s "http://127.0.0.1:$1/mcp" "${auth[@]}" -H 'content-type: application/json' -H "mcp-session-id: $sid" \
    -H 'accept: application/json, text/event-stream' -d "$body")
  echo "$check" | grep -q '"text":"hello"' || { echo "echo failed on port $1: $check"; exit 1; }
  {
    printf 'wrk.method = "POST"\nwrk.body = %s\n' "'$body'"
    printf 'wrk.headers["Content-Type"] = "application/json"\nwrk.headers["Accept"] = "application/json, text/event-stream"\n'
    printf 'wrk.headers["Mcp-Session-Id"] = "%s"\n' "$sid"
    if [ -n "${2:-}" ]; then printf 'wrk.headers["Authorization"] = "Bearer %s"\n' "$2"; fi
  } >"$work/post-$1.lua"
}
script "$open_port"
script "$jwt_port" "$token"

# load PORT PID: "requests/s µs-of-server-CPU-per-request" of one wrk run (non-2xx answers fail
# the benchmark).
load() {
  local out rps t0 t1
  t0=$(cpu_ticks "$2")
  out=$(taskset -c 0 wrk -t1 -c64 -d"${secs}s" -s "$work/post-$1.lua" "http://127.0.0.1:$1/mcp")
  t1=$(cpu_ticks "$2")
  if echo "$out" | grep -q "Non-2xx"; then echo "$out" >&2; echo "non-2xx responses" >&2; exit 1; fi
  rps=$(echo "$out" | awk '/^Requests\/sec:/ {print $2}')
  echo "$rps $(awk -v t=$((t1 - t0)) -v hz="$(getconf CLK_TCK)" -v r="$rps" -v s="$secs" 'BEGIN {printf "%.1f", t / hz * 1e6 / (r * s)}')"
}
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a / b}'; }

echo "jwt benchmark: $rounds rounds × ${secs}s, 64 connections, servers on core 1, wrk and the issuer on core 0"
best_open=0; best_jwt=0; ratios=()
for round in $(seq "$rounds"); do
  read -r o o_cpu < <(load "$open_port" "$open_pid")
  read -r j j_cpu < <(load "$jwt_port" "$jwt_pid")
  ratios+=("$(ratio "$j" "$o")")
  printf '  round %d: no auth %8.0f req/s (%s µs CPU each)   RS256 JWT %8.0f req/s (%s µs CPU each)   ratio %s\n' \
    "$round" "$o" "$o_cpu" "$j" "$j_cpu" "$(ratio "$j" "$o")"
  best_open=$(awk -v a="$best_open" -v b="$o" 'BEGIN {print (b > a) ? b : a}')
  best_jwt=$(awk -v a="$best_jwt" -v b="$j" 'BEGIN {print (b > a) ? b : a}')
done
median=$(printf '%s\n' "${ratios[@]}" | sort -n | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}')
echo "results:"
printf '  mcpd tools/call, no auth   %8.0f req/s (best round)\n' "$best_open"
printf '  mcpd tools/call, RS256 JWT %8.0f req/s (best round)   ratio of bests %s, median ratio of rounds %s (target ≥ 0.85)\n' \
  "$best_jwt" "$(ratio "$best_jwt" "$best_open")" "$median"
printf '  release binary             %s bytes (target ≤ 5 MiB = 5242880)\n' "$(stat -c %s "$mcpd")"
