#!/usr/bin/env bash
# Requests/s through NGINX with 1 and with 2 mcpd processes on a shared Redis (issue 5):
# `tools/call echo` over /mcp, JSON responses, 64 connections, spread over 8 sessions (the
# session-id prefix pins each session to its process, so one session alone would use one process).
# Nothing is pinned: wrk, nginx, redis-server and mcpd share the machine's cores, and the CPU
# seconds each took are printed, so the load generator's share is visible.
#
# Usage: benches/cluster.sh [seconds per run, default 5]
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-5}
for tool in wrk nginx redis-server redis-cli curl python3; do
  command -v "$tool" >/dev/null || [ -x "/usr/sbin/$tool" ] || { echo "$tool is missing: apt-get install wrk nginx redis-server curl python3"; exit 1; }
done
nginx_bin=$(command -v nginx || echo /usr/sbin/nginx)
cargo build --release --quiet --bin mcpd
work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
# free_range N: the first of N consecutive free ports below the ephemeral range.
free_range() {
  python3 -c '
import random, socket, sys
n = int(sys.argv[1])
while True:
    base = random.randrange(20000, 32000 - n)
    try:
        for p in range(base, base + n):
            s = socket.socket(); s.bind(("127.0.0.1", p)); s.close()
        print(base); break
    except OSError:
        pass' "$1"
}
cpu_s() { awk -v hz="$(getconf CLK_TCK)" '{printf "%.2f", ($14 + $15) / hz}' "/proc/$1/stat"; }

redis_port=$(free_port)
redis-server --port "$redis_port" --bind 127.0.0.1 --dir "$work" --save "" --appendonly no >/dev/null &
redis_pid=$!; pids+=("$redis_pid")
for _ in $(seq 100); do redis-cli -p "$redis_port" ping >/dev/null 2>&1 && break; sleep 0.05; done

body='{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","arguments":{"message":"hello"}}}'
init='{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"bench","version":"1"}}}'

# run N FIRST_PORT: N nodes behind nginx, prints "rps wrk_cpu nginx_cpu mcpd_cpu redis_cpu"
run() {
  local n=$1 first=$2 listen node_pids=() port
  for port in $(seq "$first" $((first + n - 1))); do
    target/release/mcpd --port "$port" --node-id "p$port" --store redis --redis-url "redis://127.0.0.1:$redis_port" \
      --log-level error >"$work/mcpd-$port.out" 2>&1 &
    node_pids+=("$!"); pids+=("$!")
  done
  for port in $(seq "$first" $((first + n - 1))); do
    for _ in $(seq 100); do grep -q listening "$work/mcpd-$port.out" && break; sleep 0.05; done
    grep -q listening "$work/mcpd-$port.out" || { cat "$work/mcpd-$port.out" >&2; exit 1; }
  done
  listen="127.0.0.1:$(free_port)"
  mkdir -p "$work/nginx-$n"
  nginx/generate --plain --access-log off --nodes "$n" --first-port "$first" --listen "$listen" >"$work/nginx-$n/mcpd.conf"
  printf 'daemon off;\nmaster_process off;\nworker_processes 1;\npid %s/nginx.pid;\nerror_log %s/error.log;\nevents { worker_connections 4096; }\nhttp { access_log off; include %s/mcpd.conf; }\n' \
    "$work/nginx-$n" "$work/nginx-$n" "$work/nginx-$n" >"$work/nginx-$n/nginx.conf"
  "$nginx_bin" -p "$work/nginx-$n" -c "$work/nginx-$n/nginx.conf" &
  local nginx_pid=$!; pids+=("$nginx_pid")
  sleep 0.5
  local sids=()
  for _ in $(seq 8); do
    sids+=("$(curl -s -D - -o /dev/null "http://$listen/mcp" -H 'content-type: application/json' \
      -H 'accept: application/json, text/event-stream' -d "$init" | awk 'tolower($1) == "mcp-session-id:" {print $2}' | tr -d '\r')")
  done
  {
    printf 'local sessions = {'; printf '"%s",' "${sids[@]}"; printf '}\nlocal i = 0\n'
    printf 'request = function()\n  i = i %% #sessions + 1\n'
    printf '  return wrk.format("POST", "/mcp", {["Content-Type"] = "application/json", ["Accept"] = "application/json, text/event-stream", ["Mcp-Session-Id"] = sessions[i]}, %s)\nend\n' "'$body'"
  } >"$work/post-$n.lua"
  local before_nginx before_redis before_mcpd=0 after_mcpd=0 p
  before_nginx=$(cpu_s "$nginx_pid"); before_redis=$(cpu_s "$redis_pid")
  for p in "${node_pids[@]}"; do before_mcpd=$(awk -v a="$before_mcpd" -v b="$(cpu_s "$p")" 'BEGIN {print a + b}'); done
  local out wrk_cpu
  out=$( { /usr/bin/time -f 'WRKCPU %U %S' wrk -t1 -c64 -d"${secs}s" -s "$work/post-$n.lua" "http://$listen/mcp"; } 2>&1 )
  echo "$out" | grep -q "Non-2xx" && { echo "$out" >&2; echo "non-2xx responses" >&2; exit 1; }
  wrk_cpu=$(echo "$out" | awk '$1 == "WRKCPU" {printf "%.2f", $2 + $3}')
  for p in "${node_pids[@]}"; do after_mcpd=$(awk -v a="$after_mcpd" -v b="$(cpu_s "$p")" 'BEGIN {print a + b}'); done
  echo "$(echo "$out" | awk '/^Requests\/sec:/ {print $2}') $wrk_cpu" \
    "$(awk -v a="$(cpu_s "$nginx_pid")" -v b="$before_nginx" 'BEGIN {printf "%.2f", a - b}')" \
    "$(awk -v a="$after_mcpd" -v b="$before_mcpd" 'BEGIN {printf "%.2f", a - b}')" \
    "$(awk -v a="$(cpu_s "$redis_pid")" -v b="$before_redis" 'BEGIN {printf "%.2f", a - b}')"
  kill "$nginx_pid" "${node_pids[@]}" 2>/dev/null || true
  wait "$nginx_pid" "${node_pids[@]}" 2>/dev/null || true
}

echo "through NGINX on Redis, ${secs}s each, 64 connections over 8 sessions (CPU seconds used during the run):"
for n in 1 2; do
  read -r rps wrk_cpu nginx_cpu mcpd_cpu redis_cpu < <(run "$n" "$(free_range "$n")")
  printf '  %d process(es): %8.0f req/s   CPU s: wrk %s, nginx %s, mcpd %s, redis %s\n' "$n" "$rps" "$wrk_cpu" "$nginx_cpu" "$mcpd_cpu" "$redis_cpu"
done
