//! The socket side: keep-alive, malformed HTTP, limits, timeouts and the graceful drain.

use std::io::Read;
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

#[test]
fn a_stalled_head_is_timed_out_with_408() {
    let server = Server::mcpd(&["--header-timeout", "300ms"]);
    let mut c = server.client();
    c.send_raw(b"GET /health HTTP/1.1\r\nhost: x\r\n");
    let started = Instant::now();
    let res = c.read_response();
    assert_eq!(res.status, 408);
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[test]
fn a_stalled_body_is_timed_out_with_408() {
    let server = Server::mcpd(&["--body-timeout", "300ms"]);
    let mut c = server.client();
    c.send_raw(b"POST /mcp HTTP/1.1\r\nhost: 127.0.0.1\r\naccept: */*\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{\"js");
    let res = c.read_response();
    assert_eq!(res.status, 408);
}

#[test]
fn idle_connections_are_closed() {
    let server = Server::mcpd(&["--idle-timeout", "200ms"]);
    let mut c = server.client();
    assert_eq!(c.request("GET", "/health", &[], "").status, 200);
    std::thread::sleep(Duration::from_millis(600));
    let mut rest = Vec::new();
    let mut raw = std::net::TcpStream::connect(&server.addr).unwrap();
    raw.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let started = Instant::now();
    assert_eq!(
        raw.read_to_end(&mut rest).unwrap(),
        0,
        "closed without a request"
    );
    assert!(started.elapsed() < Duration::from_secs(3));
}

#[test]
fn connections_over_the_cap_get_503() {
    let server = Server::mcpd(&["--max-connections", "1"]);
    let mut first = server.client();
    assert_eq!(first.request("GET", "/health", &[], "").status, 200);
    let res = server.client().read_response();
    assert_eq!(res.status, 503);
    assert!(res.header("retry-after").is_some());
}

#[test]
fn sigterm_drains_and_exits_0() {
    for signal in ["TERM", "INT"] {
        let mut server = Server::mcpd(&["--keepalive", "100ms"]);
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
        assert_eq!(server.wait(Duration::from_secs(10)), Some(0), "{signal}");
    }
}
