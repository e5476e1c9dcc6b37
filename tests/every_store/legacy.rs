//! The legacy HTTP+SSE transport (2024-11-05): `GET /sse`, `POST /messages`, re-attaching.

use serde_json::{json, Value};

use crate::support::{initialize_body, wait, Client, Server, JSON, WAIT};

/// Opens `GET /sse` (or `/sse/:id`) and returns the stream and the endpoint path it announced.
fn open(server: &Server, path: &str, last_event_id: Option<&str>) -> (Client, String) {
    let mut stream = server.client();
    let mut headers = vec![("accept", "text/event-stream")];
    if let Some(id) = last_event_id {
        headers.push(("last-event-id", id));
    }
    stream.send("GET", path, &headers, "");
    let (status, headers) = stream.read_head();
    assert_eq!(status, 200);
    assert!(headers
        .iter()
        .any(|(n, v)| n == "content-type" && v.starts_with("text/event-stream")));
    let endpoint = stream.next_event(WAIT).expect_item("endpoint event");
    assert_eq!(endpoint.event.as_deref(), Some("endpoint"));
    assert!(
        endpoint.data.starts_with("/messages?sessionId="),
        "{endpoint:?}"
    );
    (stream, endpoint.data)
}

fn post(server: &Server, endpoint: &str, body: &Value) -> u16 {
    server
        .client()
        .request("POST", endpoint, &[JSON], &body.to_string())
        .status
}

/// The next message on the stream (its id and JSON).
fn next_message(stream: &mut Client) -> (String, Value) {
    let event = stream
        .expect_events(1, WAIT)
        .into_iter()
        .find(|e| !e.data.is_empty())
        .expect("a message");
    assert_eq!(event.event.as_deref(), Some("message"));
    (event.id.clone().expect("an event id"), event.json())
}

#[test]
fn a_whole_session_over_sse_and_messages() {
    let server = Server::mcpd(&[]);
    let (mut stream, endpoint) = open(&server, "/sse", None);
    assert_eq!(
        post(&server, &endpoint, &initialize_body("2024-11-05")),
        202
    );
    let (_, init) = next_message(&mut stream);
    assert_eq!(init["result"]["protocolVersion"], "2024-11-05");
    assert_eq!(
        post(
            &server,
            &endpoint,
            &json!({"jsonrpc": "2.0", "method": "notifications/initialized"})
        ),
        202
    );
    let call = json!({"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {"name": "echo", "arguments": {"message": "old school"}}});
    assert_eq!(post(&server, &endpoint, &call), 202);
    let (_, answer) = next_message(&mut stream);
    assert_eq!(answer["id"], 2);
    assert_eq!(answer["result"]["content"][0]["text"], "old school");
    let read = json!({"jsonrpc": "2.0", "id": 3, "method": "resources/read", "params": {"uri": "config://server"}});
    assert_eq!(
        post(&server, &endpoint.replace("/messages", "/message"), &read),
        202
    );
    let (_, answer) = next_message(&mut stream);
    assert_eq!(answer["id"], 3);
    assert!(answer["result"]["contents"][0]["text"]
        .as_str()
        .unwrap()
        .contains("nodeId"));
}

#[test]
fn unknown_sessions_bad_json_and_bad_messages_are_refused() {
    let server = Server::mcpd(&[]);
    let (_stream, endpoint) = open(&server, "/sse", None);
    let mut c = server.client();
    let unknown = c.request("POST", "/messages?sessionId=nope", &[JSON], "{}");
    assert_eq!((unknown.status, unknown.error_code()), (404, -32001));
    let missing = c.request("POST", "/messages", &[JSON], "{}");
    assert_eq!(missing.status, 400);
    let bad_json = c.request("POST", &endpoint, &[JSON], "{nope");
    assert_eq!((bad_json.status, bad_json.error_code()), (400, -32700));
    let not_rpc = c.request("POST", &endpoint, &[JSON], "[1, 2]");
    assert_eq!((not_rpc.status, not_rpc.error_code()), (400, -32600));
    let evil = c.request(
        "GET",
        "/sse",
        &[
            ("accept", "text/event-stream"),
            ("origin", "http://evil.example.com"),
        ],
        "",
    );
    assert_eq!(evil.status, 403);
    let reattach_unknown = c.request("GET", "/sse/nope", &[("accept", "text/event-stream")], "");
    assert_eq!(
        (reattach_unknown.status, reattach_unknown.error_code()),
        (404, -32001)
    );
}

#[test]
fn a_dropped_stream_reattaches_and_replays_what_it_missed() {
    let server = Server::everything(&[]);
    let (mut stream, endpoint) = open(&server, "/sse", None);
    let session = endpoint.split('=').nth(1).unwrap().to_owned();
    assert_eq!(
        post(&server, &endpoint, &initialize_body("2024-11-05")),
        202
    );
    let (last_id, _) = next_message(&mut stream);
    drop(stream);
    let call = json!({"jsonrpc": "2.0", "id": 5, "method": "tools/call", "params": {"name": "test_simple_text", "arguments": {}}});
    assert_eq!(post(&server, &endpoint, &call), 202);
    // Answered while no stream is attached (replayed from the log, or delivered live if the
    // answer is logged after the re-attach): either way once, and before what comes next.
    let (mut again, endpoint_again) = open(&server, &format!("/sse/{session}"), Some(&last_id));
    assert_eq!(endpoint_again, endpoint);
    let (_, missed) = next_message(&mut again);
    assert_eq!(
        missed["id"], 5,
        "the answer sent while no stream was attached"
    );
    let ping = json!({"jsonrpc": "2.0", "id": 6, "method": "ping"});
    assert_eq!(post(&server, &endpoint, &ping), 202);
    let (_, next) = next_message(&mut again);
    assert_eq!(next["id"], 6, "the missed answer came once");
    let second = server.client().request(
        "GET",
        &format!("/sse/{session}"),
        &[("accept", "text/event-stream")],
        "",
    );
    assert_eq!(second.status, 409, "one live stream per session");
    // Both answers were delivered, so both are in the log now: a re-attach from the same point
    // can only get them by replaying it.
    drop(again);
    let mut replayed = wait::until("a re-attach once the stream is gone", WAIT, || {
        let mut c = server.client();
        c.send(
            "GET",
            &format!("/sse/{session}"),
            &[("accept", "text/event-stream"), ("last-event-id", &last_id)],
            "",
        );
        (c.read_head().0 == 200).then_some(c)
    });
    let endpoint_event = replayed.next_event(WAIT).expect_item("the endpoint event");
    assert_eq!(endpoint_event.event.as_deref(), Some("endpoint"));
    let ids: Vec<Value> = replayed
        .expect_messages(2, WAIT)
        .iter()
        .map(|m| m["id"].clone())
        .collect();
    assert_eq!(ids, [json!(5), json!(6)], "replayed from the log, in order");
}
