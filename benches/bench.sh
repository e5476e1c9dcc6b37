#!/usr/bin/env bash
# The mcpd benchmark (design.md §7): `tools/call echo` over /mcp (one session, JSON responses,
# 64 connections) on the memory store and on the Redis store, and as a sessionless 2026-07-28
# request (no session; `_meta` and routing headers checked on every request) on the memory store,
# against a bare async-h1 "200 OK" responder measured in the same run. Servers are pinned to core 1, wrk and redis-server to
# core 0. Prints requests/s, the ratios (mcpd/bare, redis/memory), latency percentiles, server
# CPU per request, RSS and the binary size. Absolute numbers vary between runs on shared
# machines; compare the ratios.
#
# Usage: benches/bench.sh [seconds per run, default 5] [rounds, default 3]
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-5}
rounds=${2:-3}
for tool in wrk taskset redis-server curl; do
  command -v "$tool" >/dev/null || { echo "$tool is missing: apt-get install wrk util-linux redis-server curl"; exit 1; }
done
[ "$(nproc)" -ge 2 ] || { echo "needs 2 cores (servers on one, load generator on the other)"; exit 1; }

cargo build --release --quiet --bin mcpd --example bare_responder
mcpd=target/release/mcpd
work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT

# start NAME CORE CMD… : runs CMD on CORE, waits for its banner, sets PORT and PID.
start() {
  local name=$1 core=$2; shift 2
  taskset -c "$core" "$@" >"$work/$name.out" 2>&1 &
  PID=$!; pids+=("$PID")
  for _ in $(seq 100); do grep -q listening "$work/$name.out" && break; sleep 0.05; done
  PORT=$(sed -n 's#.*http://127.0.0.1:\([0-9]*\)/.*#\1#p' "$work/$name.out")
  [ -n "$PORT" ] || { cat "$work/$name.out"; exit 1; }
}
rss_kib() { awk -v k="$2" '$1 == k":" {print $2}' "/proc/$1/status"; }
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
to_us() { awk '{v=$1; m=1; if (v ~ /us$/) sub(/us/,"",v); else if (v ~ /ms$/) {sub(/ms/,"",v); m=1000} else if (v ~ /s$/) {sub(/s/,"",v); m=1000000}; printf "%d\n", v*m}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a / b}'; }

redis_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
taskset -c 0 redis-server --port "$redis_port" --bind 127.0.0.1 --dir "$work" --save "" --appendonly no >/dev/null &
pids+=("$!")
start memory 1 "$mcpd" --port 0 --log-level error
memory_pid=$PID; memory_port=$PORT
sleep 0.5
idle_rss=$(rss_kib "$memory_pid" VmRSS)
idle_anon=$(rss_kib "$memory_pid" RssAnon)
idle_pss=$(awk '$1 == "Pss:" {print $2}' "/proc/$memory_pid/smaps_rollup")
start redis 1 "$mcpd" --port 0 --log-level error --store redis --redis-url "redis://127.0.0.1:$redis_port"
redis_pid=$PID; redis_port_mcpd=$PORT
start bare 1 target/release/examples/bare_responder 0
bare_port=$PORT

body='{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","arguments":{"message":"hello"}}}'
# script PORT: opens a session on PORT, checks echo, writes the wrk script for it.
script() {
  local init sid check
  init='{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"bench","version":"1"}}}'
  sid=$(curl -s -D - -o /dev/null "http://127.0.0.1:$1/mcp" -H 'content-type: application/json' \
    -H 'accept: application/json, text/event-stream' -d "$init" | awk 'tolower($1) == "mcp-session-id:" {print $2}' | tr -d '\r')
  [ -n "$sid" ] || { echo "initialize failed on port $1"; exit 1; }
  # Finish the handshake, or --init-timeout ends the session in the middle of the run.
  curl -s -o /dev/null "http://127.0.0.1:$1/mcp" -H 'content-type: application/json' -H "mcp-session-id: $sid" \
    -H 'accept: application/json, text/event-stream' -d '{"jsonrpc":"2.0","method":"notifications/initialized"}'
  check=$(curl -s "http://127.0.0.1:$1/mcp" -H 'content-type: application/json' -H "mcp-session-id: $sid" \
    -H 'accept: application/json, text/event-stream' -d "$body")
  echo "$check" | grep -q '"text":"hello"' || { echo "echo failed: $check"; exit 1; }
  printf 'wrk.method = "POST"\nwrk.body = %s\nwrk.headers["Content-Type"] = "application/json"\nwrk.headers["Accept"] = "application/json, text/event-stream"\nwrk.headers["Mcp-Session-Id"] = "%s"\n' \
    "'$body'" "$sid" >"$work/post-$1.lua"
}
script "$memory_port"
script "$redis_port_mcpd"
cp "$work/post-$memory_port.lua" "$work/post-$bare_port.lua"

# The same call on the 2026-07-28 wire: its own wrk script (the port's URL gets a query so that
# load() can tell the scripts apart; mcpd routes on the path only).
modern='{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","arguments":{"message":"hello"},"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{}}}}'
modern_headers=(-H 'content-type: application/json' -H 'accept: application/json, text/event-stream'
  -H 'mcp-protocol-version: 2026-07-28' -H 'mcp-method: tools/call' -H 'mcp-name: echo')
check=$(curl -s "http://127.0.0.1:$memory_port/mcp" "${modern_headers[@]}" -d "$modern")
echo "$check" | grep -q '"resultType":"complete"' || { echo "sessionless echo failed: $check"; exit 1; }
printf 'wrk.method = "POST"\nwrk.body = %s\nwrk.headers["Content-Type"] = "application/json"\nwrk.headers["Accept"] = "application/json, text/event-stream"\nwrk.headers["MCP-Protocol-Version"] = "2026-07-28"\nwrk.headers["Mcp-Method"] = "tools/call"\nwrk.headers["Mcp-Name"] = "echo"\n' \
  "'$modern'" >"$work/modern.lua"

# load PORT CONNECTIONS [SCRIPT]: runs wrk (with SCRIPT, default the port's session script),
# prints "rps p50_us p99_us"
load() {
  local out rps p50 p99
  out=$(taskset -c 0 wrk -t1 -c"$2" -d"${secs}s" --latency -s "${3:-$work/post-$1.lua}" "http://127.0.0.1:$1/mcp")
  if echo "$out" | grep -q "Non-2xx"; then echo "$out" >&2; echo "non-2xx responses" >&2; exit 1; fi
  rps=$(echo "$out" | awk '/^Requests\/sec:/ {print $2}')
  p50=$(echo "$out" | awk '$1 == "50%" {print $2}' | to_us)
  p99=$(echo "$out" | awk '$1 == "99%" {print $2}' | to_us)
  echo "$rps $p50 $p99"
}

echo "mcpd benchmark: $rounds rounds × ${secs}s, 64 connections, servers on core 1, wrk and redis on core 0"
best_mem=0; best_bare=0; best_redis=0; best_modern=0; ticks=0; reqs=0
for round in $(seq "$rounds"); do
  read -r b _ _ < <(load "$bare_port" 64)
  t0=$(cpu_ticks "$memory_pid")
  read -r m p50 p99 < <(load "$memory_port" 64)
  t1=$(cpu_ticks "$memory_pid")
  read -r r _ _ < <(load "$redis_port_mcpd" 64)
  read -r s _ _ < <(load "$memory_port" 64 "$work/modern.lua")
  ticks=$((ticks + t1 - t0)); reqs=$(awk -v r="$reqs" -v m="$m" -v s="$secs" 'BEGIN {print r + m * s}')
  printf '  round %d: bare %8.0f req/s   memory %8.0f req/s (%s, p50 %s µs, p99 %s µs)   redis %8.0f req/s (%s of memory)   sessionless %8.0f req/s (%s of memory)\n' \
    "$round" "$b" "$m" "$(ratio "$m" "$b")" "$p50" "$p99" "$r" "$(ratio "$r" "$m")" "$s" "$(ratio "$s" "$m")"
  best_mem=$(awk -v a="$best_mem" -v b="$m" 'BEGIN {print (b > a) ? b : a}')
  best_bare=$(awk -v a="$best_bare" -v b="$b" 'BEGIN {print (b > a) ? b : a}')
  best_redis=$(awk -v a="$best_redis" -v b="$r" 'BEGIN {print (b > a) ? b : a}')
  best_modern=$(awk -v a="$best_modern" -v b="$s" 'BEGIN {print (b > a) ? b : a}')
done
read -r _ p50_16 p99_16 < <(load "$memory_port" 16)
hz=$(getconf CLK_TCK)
echo "results (best round of each):"
printf '  bare async-h1 200 OK       %8.0f req/s\n' "$best_bare"
printf '  mcpd tools/call, memory    %8.0f req/s   ratio to bare %s (target ≥ 0.70)\n' "$best_mem" "$(ratio "$best_mem" "$best_bare")"
printf '  mcpd tools/call, redis     %8.0f req/s   ratio to memory %s (target ≥ 0.60)\n' "$best_redis" "$(ratio "$best_redis" "$best_mem")"
printf '  mcpd tools/call, 2026-07-28 %6.0f req/s   ratio to memory (session) %s\n' "$best_modern" "$(ratio "$best_modern" "$best_mem")"
printf '  server CPU per request     %8.1f µs (memory store; target ≤ 30)\n' "$(awk -v t="$ticks" -v hz="$hz" -v r="$reqs" 'BEGIN {print t / hz * 1e6 / r}')"
printf '  latency at 16 connections  p50 %s µs, p99 %s µs (target p99 ≤ 2000)\n' "$p50_16" "$p99_16"
printf '  mcpd RSS                   idle %s KiB (anonymous %s KiB, PSS %s KiB), peak %s KiB (target idle ≤ 3072)\n' \
  "$idle_rss" "$idle_anon" "$idle_pss" "$(rss_kib "$memory_pid" VmHWM)"
printf '  mcpd RSS on redis          peak %s KiB, threads %s\n' "$(rss_kib "$redis_pid" VmHWM)" "$(ls "/proc/$redis_pid/task" | wc -l)"
printf '  release binary             %s bytes (target ≤ 5 MiB with TLS and JWT)\n' "$(stat -c %s "$mcpd")"
