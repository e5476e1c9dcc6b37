#!/usr/bin/env bash
# The mcpd benchmark (design.md §7): `tools/call echo` over /mcp (one session, JSON responses)
# against a bare async-h1 "200 OK" responder measured in the same run, each server pinned to
# core 1 and wrk pinned to core 0. Prints requests/s, the ratio to the baseline, latency
# percentiles, server CPU per request and RSS. Absolute numbers vary between runs on shared
# machines; compare the ratio.
#
# Usage: benches/bench.sh [seconds per run, default 5] [rounds, default 3]
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-5}
rounds=${2:-3}
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk"; exit 1; }
command -v taskset >/dev/null || { echo "taskset is missing: apt-get install util-linux"; exit 1; }
[ "$(nproc)" -ge 2 ] || { echo "needs 2 cores (server on one, load generator on the other)"; exit 1; }

cargo build --release --quiet --bin mcpd --example bare_responder
mcpd=target/release/mcpd
bare=target/release/examples/bare_responder
work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT

# start NAME CMD… : runs CMD on core 1, waits for its banner, sets PORT and PID.
start() {
  local name=$1; shift
  taskset -c 1 "$@" >"$work/$name.out" 2>&1 &
  PID=$!; pids+=("$PID")
  for _ in $(seq 100); do grep -q listening "$work/$name.out" && break; sleep 0.05; done
  PORT=$(sed -n 's#.*http://127.0.0.1:\([0-9]*\)/.*#\1#p' "$work/$name.out")
  [ -n "$PORT" ] || { cat "$work/$name.out"; exit 1; }
}
rss_kib() { awk -v k="$2" '$1 == k":" {print $2}' "/proc/$1/status"; }
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
to_us() { awk '{v=$1; m=1; if (v ~ /us$/) sub(/us/,"",v); else if (v ~ /ms$/) {sub(/ms/,"",v); m=1000} else if (v ~ /s$/) {sub(/s/,"",v); m=1000000}; printf "%d\n", v*m}'; }

start mcpd "$mcpd" --port 0 --log-level error
mcpd_pid=$PID; mcpd_port=$PORT
start bare "$bare" 0
bare_pid=$PID; bare_port=$PORT
sleep 0.5
idle_rss=$(rss_kib "$mcpd_pid" VmRSS)
idle_anon=$(rss_kib "$mcpd_pid" RssAnon)
idle_pss=$(awk '$1 == "Pss:" {print $2}' "/proc/$mcpd_pid/smaps_rollup")

init='{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"bench","version":"1"}}}'
sid=$(curl -s -D - -o /dev/null "http://127.0.0.1:$mcpd_port/mcp" -H 'content-type: application/json' \
  -H 'accept: application/json, text/event-stream' -d "$init" | awk 'tolower($1) == "mcp-session-id:" {print $2}' | tr -d '\r')
[ -n "$sid" ] || { echo "initialize failed"; exit 1; }
body='{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","arguments":{"message":"hello"}}}'
check=$(curl -s "http://127.0.0.1:$mcpd_port/mcp" -H 'content-type: application/json' -H "mcp-session-id: $sid" \
  -H 'accept: application/json, text/event-stream' -d "$body")
echo "$check" | grep -q '"text":"hello"' || { echo "echo failed: $check"; exit 1; }
cat >"$work/post.lua" <<LUA
wrk.method = "POST"
wrk.body = '$body'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Accept"] = "application/json, text/event-stream"
wrk.headers["Mcp-Session-Id"] = "$sid"
LUA

# load PORT CONNECTIONS: runs wrk, prints "rps p50_us p99_us"
load() {
  local out
  out=$(taskset -c 0 wrk -t1 -c"$2" -d"${secs}s" --latency -s "$work/post.lua" "http://127.0.0.1:$1/mcp")
  if echo "$out" | grep -q "Non-2xx"; then echo "$out" >&2; echo "non-2xx responses" >&2; exit 1; fi
  local rps p50 p99
  rps=$(echo "$out" | awk '/^Requests\/sec:/ {print $2}')
  p50=$(echo "$out" | awk '$1 == "50%" {print $2}' | to_us)
  p99=$(echo "$out" | awk '$1 == "99%" {print $2}' | to_us)
  echo "$rps $p50 $p99"
}

echo "mcpd benchmark: $rounds rounds × ${secs}s, 64 connections, server on core 1, wrk on core 0"
best_mcpd=0; best_bare=0; ticks=0; reqs=0
for round in $(seq "$rounds"); do
  read -r b _ _ < <(load "$bare_port" 64)
  t0=$(cpu_ticks "$mcpd_pid")
  read -r m p50 p99 < <(load "$mcpd_port" 64)
  t1=$(cpu_ticks "$mcpd_pid")
  ticks=$((ticks + t1 - t0)); reqs=$(awk -v r="$reqs" -v m="$m" -v s="$secs" 'BEGIN {print r + m * s}')
  printf '  round %d: bare %10.0f req/s   mcpd %10.0f req/s   ratio %.2f   p50 %s µs  p99 %s µs\n' \
    "$round" "$b" "$m" "$(awk -v m="$m" -v b="$b" 'BEGIN {print m / b}')" "$p50" "$p99"
  best_mcpd=$(awk -v a="$best_mcpd" -v b="$m" 'BEGIN {print (b > a) ? b : a}')
  best_bare=$(awk -v a="$best_bare" -v b="$b" 'BEGIN {print (b > a) ? b : a}')
done
read -r _ p50_16 p99_16 < <(load "$mcpd_port" 16)
hz=$(getconf CLK_TCK)
echo "results:"
printf '  mcpd tools/call echo   %10.0f req/s (best round)\n' "$best_mcpd"
printf '  bare async-h1 200 OK   %10.0f req/s (best round)\n' "$best_bare"
printf '  ratio                  %10.2f (target ≥ 0.70)\n' "$(awk -v m="$best_mcpd" -v b="$best_bare" 'BEGIN {print m / b}')"
printf '  server CPU per request %10.1f µs (target ≤ 30)\n' "$(awk -v t="$ticks" -v hz="$hz" -v r="$reqs" 'BEGIN {print t / hz * 1e6 / r}')"
printf '  latency at 16 conns    p50 %s µs, p99 %s µs (target p99 ≤ 2000)\n' "$p50_16" "$p99_16"
printf '  mcpd RSS               idle %s KiB (anonymous %s KiB, PSS %s KiB), peak %s KiB (target idle ≤ 3072)\n' \
  "$idle_rss" "$idle_anon" "$idle_pss" "$(rss_kib "$mcpd_pid" VmHWM)"
printf '  release binary         %s bytes (target ≤ 4 MiB)\n' "$(stat -c %s "$mcpd")"
