//! Sessions live and die on a schedule: sliding TTL, the init timeout, the cap, and resumable
//! streams that lose nothing when a connection drops.

use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::support::{initialize_body, wait, Server, WAIT};

#[test]
fn use_slides_the_ttl() {
    let ttl = Duration::from_millis(1200);
    let server = Server::mcpd(&["--session-ttl", "1200ms"]);
    let mut c = server.client();
    let s = c.initialize("2025-11-25");
    // Five uses 400 ms apart span 2 s, well past the TTL: only sliding keeps the session.
    let mut idle = Instant::now();
    for _ in 0..5 {
        std::thread::sleep(Duration::from_millis(400));
        // Taken before the request: the server's last use of the session is no earlier.
        idle = Instant::now();
        assert_eq!(
            c.call(&s, 1, "ping", json!({})).status,
            200,
            "kept alive by use"
        );
    }
    // Idle now: the sweep ends it once the TTL has passed, not before (/health does not use it).
    wait::until_true("the idle session swept", Duration::from_secs(10), || {
        c.request("GET", "/health", &[], "").json()["sessions"] == 0
    });
    assert!(idle.elapsed() >= ttl, "swept after {:?}", idle.elapsed());
    assert_eq!(
        c.call(&s, 1, "ping", json!({})).status,
        404,
        "expired once idle"
    );
}

#[test]
fn sessions_that_never_finish_initialize_expire_after_the_init_timeout() {
    let server = Server::mcpd(&["--init-timeout", "300ms"]);
    let mut c = server.client();
    let ready = c.initialize("2025-11-25");
    let res = c.post(None, &initialize_body("2025-11-25"), &[]);
    let unready = res.header("mcp-session-id").unwrap().to_owned();
    let mut legacy = server.client();
    legacy.send("GET", "/sse", &[("accept", "text/event-stream")], "");
    assert_eq!(legacy.read_head().0, 200);
    legacy.next_event(WAIT).expect_item("the endpoint event");
    // The sweep ends the unready legacy session, closing its stream, within the timeout plus a
    // sweep period; the unready Streamable HTTP session, older, is gone by then too.
    legacy.expect_end(Duration::from_secs(5));
    assert_eq!(c.call(&unready, 1, "ping", json!({})).status, 404);
    assert_eq!(c.call(&ready, 1, "ping", json!({})).status, 200);
    assert_eq!(c.request("GET", "/health", &[], "").json()["sessions"], 1);
}

#[test]
fn the_session_cap_counts_legacy_sessions_too() {
    let server = Server::mcpd(&["--max-sessions", "1"]);
    let mut legacy = server.client();
    legacy.send("GET", "/sse", &[("accept", "text/event-stream")], "");
    assert_eq!(legacy.read_head().0, 200);
    let res = server
        .client()
        .post(None, &initialize_body("2025-11-25"), &[]);
    assert_eq!(res.status, 503);
    assert!(res.header("retry-after").is_some());
    let another = server
        .client()
        .request("GET", "/sse", &[("accept", "text/event-stream")], "");
    assert_eq!(another.status, 503);
}

fn progress_call(id: u64, steps: u64) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "method": "tools/call", "params": {
        "name": "slow_progress", "arguments": {"steps": steps, "interval_ms": 100}, "_meta": {"progressToken": format!("tok-{id}")}}})
}

#[test]
fn a_dropped_request_stream_resumes_with_every_remaining_event_exactly_once() {
    let server = Server::everything(&[]);
    let mut c = server.client();
    let s = c.initialize("2025-11-25");
    let mut first = server.client();
    assert_eq!(first.open_post(&s, &progress_call(1, 10)), 200);
    let seen = first.expect_events(2, WAIT);
    let last_id = seen.last().and_then(|e| e.id.clone()).unwrap();
    let mut progress: Vec<f64> = seen
        .iter()
        .filter(|e| !e.data.is_empty())
        .map(|e| e.json()["params"]["progress"].as_f64().unwrap())
        .collect();
    drop(first);

    let mut resumed = server.client();
    assert_eq!(resumed.open_get(&s, Some(&last_id)), 200);
    // Nothing else runs in the session yet, so the event right after the last one seen is this
    // stream's: the first one resumed must be it (an off-by-one would skip it).
    let next = resumed.expect_messages(1, WAIT);
    assert_eq!(next[0]["params"]["progress"], 3.0, "{next:?}");
    progress.push(3.0);
    // Another request of the session streams meanwhile: none of its events on this stream.
    let mut other = server.client();
    assert_eq!(other.open_post(&s, &progress_call(2, 10)), 200);
    let rest = resumed.events_until_end(WAIT);
    let mut results = 0;
    for message in rest.iter().filter(|e| !e.data.is_empty()).map(|e| e.json()) {
        if message["id"] == 1 {
            results += 1;
            assert_eq!(
                message["result"]["content"][0]["text"],
                "slow_progress finished 10 steps"
            );
            continue;
        }
        assert_eq!(
            message["params"]["progressToken"], "tok-1",
            "nothing from the other stream: {message}"
        );
        progress.push(message["params"]["progress"].as_f64().unwrap());
    }
    assert_eq!(results, 1);
    assert_eq!(
        progress,
        (1..=10).map(f64::from).collect::<Vec<_>>(),
        "every step exactly once, in order"
    );

    let wrong = server.client().request(
        "GET",
        "/mcp",
        &[
            ("accept", "text/event-stream"),
            ("mcp-session-id", &s),
            ("last-event-id", "AAAAAAAA:r1:1"),
        ],
        "",
    );
    assert_eq!(
        (wrong.status, wrong.error_code()),
        (400, -32600),
        "another session's id"
    );
    let other_messages = other.messages_until_end(WAIT);
    assert_eq!(
        other_messages.len(),
        11,
        "ten steps and the result: {other_messages:?}"
    );
    assert!(
        other_messages
            .iter()
            .all(|m| m["params"]["progressToken"] == "tok-2" || m["id"] == 2),
        "nothing of the resumed request on the other stream: {other_messages:?}"
    );
}

#[test]
fn keepalive_comments_flow_on_open_streams() {
    let server = Server::mcpd(&["--keepalive", "100ms"]);
    let mut c = server.client();
    let s = c.initialize("2025-11-25");
    let mut get = server.client();
    assert_eq!(get.open_get(&s, None), 200);
    let chunk = get.next_chunk(WAIT).expect_item("a keep-alive");
    assert!(String::from_utf8_lossy(&chunk).starts_with(':'));
}
