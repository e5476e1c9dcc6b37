//! The socket side: keep-alive, malformed HTTP, limits, timeouts and the graceful drain.

use std::time::{Duration, Instant};

use serde_json::json;

use crate::support::{Server, WAIT};

#[test]
fn keep_alive_serves_many_requests_on_one_connection() {
    let server = Server::mcpd(&[]);
    let mut c = server.client();
    let s = c.initialize("2025-11-25");
    for id in 0..20 {
        assert_eq!(c.call(&s, id, "ping", json!({})).json()["id"], id);
    }
}

#[test]
fn malformed_http_gets_an_answer_not_a_silent_close() {
    let server = Server::mcpd(&[]);
    for (raw, status) in [
        (b"GARBAGE\r\n\r\n".to_vec(), 400),
        (b"GET /health HTTP/1.0\r\nhost: 127.0.0.1\r\n\r\n".to_vec(), 505),
        (b"GET /health HTTP/1.1\r\n\r\n".to_vec(), 400),
        (format!("GET /health HTTP/1.1\r\nhost: x\r\nx-big: {}\r\n\r\n", "a".repeat(9000)).into_bytes(), 431),
        (b"POST /mcp HTTP/1.1\r\nhost: x\r\ncontent-length: 5\r\ntransfer-encoding: chunked\r\n\r\n".to_vec(), 400),
    ] {
        let mut c = server.client();
        c.send_raw(&raw);
        let res = c.read_response();
        assert_eq!(res.status, status, "{}", String::from_utf8_lossy(&raw[..20.min(raw.len())]));
        assert_eq!(res.error_code(), -32000);
    }
    assert_eq!(
        server.client().request("GET", "/health", &[], "").status,
        200,
        "still up"
    );
}

/// Starts mcpd with `flag` at 300 ms, sends `raw` and stalls: a 408 must come well before the
/// flag's default (10 s and more), which shows the flag at work.
fn stalled_gets_408(flag: &str, raw: &[u8]) {
    let server = Server::mcpd(&[flag, "300ms"]);
    let mut c = server.client();
    c.send_raw(raw);
    let started = Instant::now();
    let res = c.read_response();
    assert_eq!(res.status, 408, "{flag}");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{flag}: 408 after {:?}",
        started.elapsed()
    );
}

#[test]
fn a_stalled_head_is_timed_out_with_408() {
    stalled_gets_408("--header-timeout", b"GET /health HTTP/1.1\r\nhost: x\r\n");
}

#[test]
fn a_stalled_body_is_timed_out_with_408() {
    stalled_gets_408(
        "--body-timeout",
        b"POST /mcp HTTP/1.1\r\nhost: 127.0.0.1\r\naccept: */*\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{\"js",
    );
}

#[test]
fn idle_connections_are_closed() {
    // 200 ms idle, where the default is 60 s and the head timeout 10 s: closing within 5 s is
    // the flag at work.
    let server = Server::mcpd(&["--idle-timeout", "200ms"]);
    let mut served = server.client();
    assert_eq!(served.request("GET", "/health", &[], "").status, 200);
    served.expect_closed(Duration::from_secs(5));
    // A connection that never sends a request is closed too.
    server.client().expect_closed(Duration::from_secs(5));
}

#[test]
fn connections_over_the_cap_get_503() {
    let server = Server::mcpd(&["--max-connections", "1"]);
    let mut first = server.client();
    assert_eq!(first.request("GET", "/health", &[], "").status, 200);
    let mut over = server.client();
    let res = over.read_response();
    assert_eq!(res.status, 503);
    assert!(res.header("retry-after").is_some());
    over.expect_closed(WAIT);
    // The first connection is still served.
    assert_eq!(first.request("GET", "/health", &[], "").status, 200);
}

#[test]
fn sigterm_drains_and_exits_0() {
    for signal in ["TERM", "INT"] {
        // A grace far beyond the waits below: exiting by reaching it does not pass.
        let mut server = Server::mcpd(&["--keepalive", "100ms", "--shutdown-grace", "60s"]);
        let mut c = server.client();
        let s = c.initialize("2025-11-25");
        let mut get = server.client();
        assert_eq!(get.open_get(&s, None), 200);
        server.signal(signal);
        let events = get.events_until_end(WAIT);
        assert!(
            events.iter().any(|e| e.retry.is_some()),
            "a retry hint before the stream closes: {events:?}"
        );
        assert_eq!(
            server.wait(Duration::from_secs(10)),
            Some(0),
            "{signal}: exit 0 once drained"
        );
    }
}
