#!/usr/bin/env python3
"""mcpd's memory, measured: RSS idle, with N sessions, after they expired; then per open SSE stream.

Usage: benches/memory.py [N, default 1000] [STREAMS, default 2000]  (after `cargo build --release`)

Starts target/release/mcpd on a free port with --session-ttl 2s, creates N sessions (initialize,
initialized, one tools/call each), waits until the sweep has expired them, and prints VmRSS and
RssAnon (the process's own memory) at each step. Then opens STREAMS sessions each holding a GET
SSE stream and prints the memory per stream.
"""
import json
import re
import socket
import subprocess
import sys
import time


def memory(pid):
    status = open(f"/proc/{pid}/status").read()
    return tuple(int(re.search(rf"{key}:\s+(\d+)", status).group(1)) for key in ("VmRSS", "RssAnon"))


def post(port, body, session=None):
    raw = json.dumps(body).encode()
    head = (f"POST /mcp HTTP/1.1\r\nhost: 127.0.0.1\r\naccept: application/json, text/event-stream\r\n"
            f"content-type: application/json\r\ncontent-length: {len(raw)}\r\nconnection: close\r\n")
    if session:
        head += f"mcp-session-id: {session}\r\n"
    with socket.create_connection(("127.0.0.1", port)) as conn:
        conn.sendall(head.encode() + b"\r\n" + raw)
        reply = b""
        while chunk := conn.recv(65536):
            reply += chunk
    return reply.decode()


def open_session(port):
    init = {"jsonrpc": "2.0", "id": 1, "method": "initialize",
            "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "memory", "version": "1"}}}
    session = re.search(r"mcp-session-id: (\S+)", post(port, init)).group(1)
    post(port, {"jsonrpc": "2.0", "method": "notifications/initialized"}, session)
    return session


def main():
    sessions = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    streams = int(sys.argv[2]) if len(sys.argv) > 2 else 2000
    server = subprocess.Popen(["target/release/mcpd", "--port", "0", "--log-level", "error", "--session-ttl", "2s",
                               "--max-sessions", str(10 * (sessions + streams)), "--max-connections", str(2 * streams + 100)],
                              stdout=subprocess.PIPE, text=True)
    try:
        port = int(re.search(r"127\.0\.0\.1:(\d+)", server.stdout.readline()).group(1))
        time.sleep(0.5)
        idle = memory(server.pid)
        for _ in range(sessions):
            session = open_session(port)
            call = {"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {"name": "echo", "arguments": {"message": "x"}}}
            post(port, call, session)
        busy = memory(server.pid)
        time.sleep(3.5)
        expired = memory(server.pid)
        print(f"idle: RSS {idle[0]} KiB (own {idle[1]} KiB)")
        print(f"with {sessions} sessions: RSS {busy[0]} KiB (own {busy[1]} KiB)")
        print(f"after they expired: RSS {expired[0]} KiB (own {expired[1]} KiB)")

        before = memory(server.pid)
        held = []
        for _ in range(streams):
            session = open_session(port)
            conn = socket.create_connection(("127.0.0.1", port))
            conn.sendall(f"GET /mcp HTTP/1.1\r\nhost: 127.0.0.1\r\naccept: text/event-stream\r\nmcp-session-id: {session}\r\n\r\n".encode())
            held.append(conn)
        time.sleep(1)
        after = memory(server.pid)
        print(f"{streams} sessions each with an open GET stream: own memory +{after[1] - before[1]} KiB, "
              f"{(after[1] - before[1]) * 1024 // streams} bytes per session and stream")
    finally:
        server.terminate()
        server.wait()


main()
