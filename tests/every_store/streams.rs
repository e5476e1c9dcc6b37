//! Server→client messages: progress, logs, sampling round trips, cancellation, the GET stream,
//! and resuming a stream with `Last-Event-ID` (against `examples/everything`).

use std::time::Duration;

use serde_json::{json, Value};

use crate::support::{Client, Server, ACCEPT_BOTH, JSON, WAIT};

fn open_call(
    c: &mut Client,
    session: &str,
    id: u64,
    tool: &str,
    args: Value,
    meta: Value,
) -> (u16, Vec<(String, String)>) {
    let body = json!({"jsonrpc": "2.0", "id": id, "method": "tools/call", "params": {"name": tool, "arguments": args, "_meta": meta}});
    c.send(
        "POST",
        "/mcp",
        &[ACCEPT_BOTH, JSON, ("mcp-session-id", session)],
        &body.to_string(),
    );
    c.read_head()
}

fn is_sse(headers: &[(String, String)]) -> bool {
    headers
        .iter()
        .any(|(n, v)| n == "content-type" && v.starts_with("text/event-stream"))
}

#[test]
fn progress_streams_on_the_request_with_the_token_unchanged_then_the_result() {
    let server = Server::everything(&[]);
    let mut c = server.client();
    let s = c.initialize("2025-11-25");
    let (status, headers) = open_call(
        &mut c,
        &s,
        5,
        "test_tool_with_progress",
        json!({}),
        json!({"progressToken": "tok-1"}),
    );
    assert_eq!(status, 200);
    assert!(is_sse(&headers));
    let events = c.expect_events(4, WAIT);
    assert!(
        events[0].data.is_empty() && events[0].id.is_some() && events[0].retry.is_some(),
        "priming first: {events:?}"
    );
    let messages: Vec<Value> = events
        .iter()
        .filter(|e| !e.data.is_empty())
        .map(|e| e.json())
        .collect();
    let progress: Vec<f64> = messages[..3]
        .iter()
        .map(|m| {
            assert_eq!(m["method"], "notifications/progress");
            assert_eq!(m["params"]["progressToken"], "tok-1");
            m["params"]["progress"].as_f64().unwrap()
        })
        .collect();
    assert_eq!(progress, [0.0, 50.0, 100.0]);
    assert_eq!(messages[3]["id"], 5);
    assert_eq!(
        messages[3]["result"]["content"][0]["text"],
        "Progress test completed"
    );
    c.expect_end(WAIT); // "the stream ends after the result"
    let ids: Vec<&str> = events.iter().filter_map(|e| e.id.as_deref()).collect();
    let mut unique = ids.clone();
    unique.dedup();
    assert_eq!(ids, unique);
}

#[test]
fn numeric_progress_tokens_stay_numbers_and_no_token_means_no_progress() {
    let server = Server::everything(&[]);
    let mut c = server.client();
    let s = c.initialize("2025-06-18");
    open_call(
        &mut c,
        &s,
        6,
        "test_tool_with_progress",
        json!({}),
        json!({"progressToken": 77}),
    );
    let events = c.expect_events(4, WAIT);
    assert!(
        events[0].data.len() > 2,
        "no priming event before 2025-11-25"
    );
    assert_eq!(events[0].json()["params"]["progressToken"], 77);
    c.expect_end(WAIT); // "the stream ends after the result"
    let mut c = server.client();
    let plain = c.call(
        &s,
        7,
        "tools/call",
        json!({"name": "test_tool_with_progress", "arguments": {}}),
    );
    assert!(
        plain.content_type().starts_with("application/json"),
        "no notifications, so plain JSON"
    );
    assert_eq!(plain.json()["id"], 7);
}

#[test]
fn log_messages_respect_the_session_level() {
    let server = Server::everything(&[]);
    let mut c = server.client();
    let s = c.initialize("2025-11-25");
    c.call(&s, 1, "logging/setLevel", json!({"level": "warning"}));
    let quiet = c.call(
        &s,
        2,
        "tools/call",
        json!({"name": "test_tool_with_logging", "arguments": {}}),
    );
    assert!(
        quiet.content_type().starts_with("application/json"),
        "info logs are below warning"
    );
    c.call(&s, 3, "logging/setLevel", json!({"level": "debug"}));
    open_call(
        &mut c,
        &s,
        4,
        "test_tool_with_logging",
        json!({}),
        json!({}),
    );
    let logs: Vec<Value> = c.expect_messages(4, WAIT);
    assert!(
        logs[..3]
            .iter()
            .all(|m| m["method"] == "notifications/message" && m["params"]["level"] == "info"),
        "{logs:?}"
    );
    assert_eq!(logs[3]["id"], 4);
}

/// Starts `test_sampling`, returns the server's sampling request.
fn start_sampling(c: &mut Client, s: &str, id: u64) -> Value {
    let (status, headers) = open_call(
        c,
        s,
        id,
        "test_sampling",
        json!({"prompt": "Say hi"}),
        json!({}),
    );
    assert_eq!(status, 200);
    assert!(is_sse(&headers));
    let request = c
        .expect_events(1, WAIT)
        .into_iter()
        .find(|e| !e.data.is_empty())
        .expect("sampling request")
        .json();
    assert_eq!(request["method"], "sampling/createMessage");
    assert_eq!(
        request["params"]["messages"][0]["content"]["text"],
        "Say hi"
    );
    request
}

#[test]
fn a_posted_client_response_reaches_the_waiting_sampling_request() {
    let server = Server::everything(&[]);
    let mut c = server.client();
    let s = c.initialize("2025-11-25");
    let request = start_sampling(&mut c, &s, 9);
    let answer = json!({"jsonrpc": "2.0", "id": request["id"], "result": {"role": "assistant", "content": {"type": "text", "text": "hi from the model"}, "model": "m"}});
    let posted = server.client().post(Some(&s), &answer, &[]);
    assert_eq!(posted.status, 202);
    let result = c
        .expect_events(1, WAIT)
        .into_iter()
        .find(|e| !e.data.is_empty())
        .unwrap()
        .json();
    assert_eq!(result["id"], 9);
    assert!(result["result"]["content"][0]["text"]
        .as_str()
        .unwrap()
        .contains("hi from the model"));
}

#[test]
fn cancelled_requests_end_their_stream_without_a_result() {
    let server = Server::everything(&[]);
    let mut c = server.client();
    let s = c.initialize("2025-11-25");
    start_sampling(&mut c, &s, 10);
    let cancel = json!({"jsonrpc": "2.0", "method": "notifications/cancelled", "params": {"requestId": 10, "reason": "test"}});
    assert_eq!(server.client().post(Some(&s), &cancel, &[]).status, 202);
    // The sampling request is never answered: only the cancellation can end the stream.
    c.expect_end(Duration::from_secs(5));
}

#[test]
fn json_response_mode_answers_json_and_sends_notifications_on_the_get_stream() {
    let server = Server::everything(&["--json-response"]);
    let mut c = server.client();
    let s = c.initialize("2025-11-25");
    let mut get = server.client();
    assert_eq!(get.open_get(&s, None), 200);
    let res = c.post(Some(&s), &json!({"jsonrpc": "2.0", "id": 3, "method": "tools/call", "params": {"name": "test_tool_with_progress", "arguments": {}, "_meta": {"progressToken": "p"}}}), &[]);
    assert!(res.content_type().starts_with("application/json"));
    assert_eq!(res.json()["id"], 3);
    let notes = get.expect_messages(3, WAIT);
    let progress: Vec<Option<f64>> = notes
        .iter()
        .map(|m| m["params"]["progress"].as_f64())
        .collect();
    assert_eq!(progress, [Some(0.0), Some(50.0), Some(100.0)], "{notes:?}");
    assert!(
        notes
            .iter()
            .all(|m| m["method"] == "notifications/progress" && m["params"]["progressToken"] == "p"),
        "{notes:?}"
    );
}

#[test]
fn a_paused_stream_resumes_with_last_event_id_and_delivers_the_result_once() {
    let server = Server::everything(&[]);
    let mut c = server.client();
    let s = c.initialize("2025-11-25");
    let (_, headers) = open_call(&mut c, &s, 21, "test_reconnection", json!({}), json!({}));
    assert!(is_sse(&headers));
    let before = c.events_until_end(WAIT);
    assert!(
        before.iter().all(|e| e.data.is_empty()),
        "no result before the pause: {before:?}"
    );
    let last = before
        .last()
        .and_then(|e| e.id.clone())
        .expect("an id to resume from");
    let mut resume = server.client();
    assert_eq!(resume.open_get(&s, Some(&last)), 200);
    let after: Vec<Value> = resume.messages_until_end(WAIT);
    assert_eq!(after.len(), 1, "{after:?}");
    assert_eq!(after[0]["id"], 21);
    let bad = server.client().request(
        "GET",
        "/mcp",
        &[
            ("accept", "text/event-stream"),
            ("mcp-session-id", &s),
            ("last-event-id", "???"),
        ],
        "",
    );
    assert_eq!(bad.status, 400);
}

#[test]
fn deleting_a_session_closes_its_get_stream() {
    let server = Server::everything(&[]);
    let mut c = server.client();
    let s = c.initialize("2025-11-25");
    let mut get = server.client();
    assert_eq!(get.open_get(&s, None), 200);
    assert_eq!(
        c.request("DELETE", "/mcp", &[("mcp-session-id", &s)], "")
            .status,
        200
    );
    get.expect_end(WAIT); // "stream ended"
}

#[test]
fn stateless_requests_stream_too_and_leave_no_log_behind() {
    let server = Server::everything(&["--stateless"]);
    for id in 0..3 {
        let mut c = server.client();
        let (status, headers) = open_call(
            &mut c,
            "ignored",
            id,
            "test_tool_with_progress",
            json!({}),
            json!({"progressToken": id}),
        );
        assert_eq!(status, 200);
        assert!(is_sse(&headers));
        assert!(headers.iter().all(|(n, _)| n != "mcp-session-id"));
        let messages: Vec<Value> = c.expect_messages(4, WAIT);
        assert_eq!(messages.len(), 4);
        assert_eq!(messages[3]["id"], id);
        c.expect_end(WAIT);
    }
}

#[test]
fn idle_sessions_expire_and_their_streams_close() {
    let server = Server::everything(&["--session-ttl", "400ms"]);
    let mut c = server.client();
    let s = c.initialize("2025-11-25");
    let mut get = server.client();
    assert_eq!(get.open_get(&s, None), 200);
    get.expect_end(WAIT); // "the sweep closed the stream of the expired session"
    assert_eq!(c.call(&s, 1, "ping", json!({})).status, 404);
    let health = c.request("GET", "/health", &[], "").json();
    assert_eq!(health["sessions"], 0);
}

#[test]
fn resuming_at_the_result_ends_the_stream_with_nothing_more() {
    let server = Server::everything(&[]);
    let mut c = server.client();
    let s = c.initialize("2025-11-25");
    open_call(
        &mut c,
        &s,
        8,
        "test_tool_with_progress",
        json!({}),
        json!({"progressToken": "t"}),
    );
    let events = c.events_until_end(WAIT);
    let result = events.last().expect("the result");
    assert_eq!(result.json()["id"], 8);
    let mut resumed = server.client();
    assert_eq!(resumed.open_get(&s, result.id.as_deref()), 200);
    // Past the lease check (every second): no second ending is written for a finished request.
    resumed.expect_end(Duration::from_secs(3));
}
