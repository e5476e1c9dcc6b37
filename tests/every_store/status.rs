//! One test per row of the Streamable HTTP status cheat sheet (mcp-spec.md §5): status, content
//! type and JSON-RPC error code, against the real `mcpd` binary.

use serde_json::json;

use crate::support::{initialize_body, Server, ACCEPT_BOTH, JSON, WAIT};

fn ping() -> serde_json::Value {
    json!({"jsonrpc": "2.0", "id": 7, "method": "ping"})
}

#[test]
fn initialize_returns_json_and_a_visible_ascii_session_id() {
    let server = Server::mcpd(&[]);
    let res = server
        .client()
        .post(None, &initialize_body("2025-11-25"), &[]);
    assert_eq!(res.status, 200);
    assert!(res.content_type().starts_with("application/json"));
    let id = res.header("mcp-session-id").expect("session id");
    assert!(id.bytes().all(|b| (0x21..=0x7e).contains(&b)));
    let (node, random) = id.split_once('.').expect("node prefix");
    assert!(!node.is_empty() && random.len() >= 22, "{id}");
    assert_eq!(res.json()["result"]["protocolVersion"], "2025-11-25");
}

#[test]
fn notifications_and_responses_get_202_with_an_empty_body() {
    let server = Server::mcpd(&[]);
    let mut c = server.client();
    let session = c.initialize("2025-06-18");
    let note = c.post(
        Some(&session),
        &json!({"jsonrpc": "2.0", "method": "notifications/progress", "params": {}}),
        &[],
    );
    assert_eq!((note.status, note.body.len()), (202, 0));
    let answer = c.post(
        Some(&session),
        &json!({"jsonrpc": "2.0", "id": "x", "result": {}}),
        &[],
    );
    assert_eq!((answer.status, answer.body.len()), (202, 0));
}

#[test]
fn missing_session_header_is_400() {
    let server = Server::mcpd(&[]);
    let res = server.client().post(None, &ping(), &[]);
    assert_eq!(res.status, 400);
    assert_eq!(res.error_code(), -32000);
    assert!(res.json()["id"].is_null());
}

#[test]
fn unknown_session_is_404_with_32001() {
    let server = Server::mcpd(&[]);
    let res = server.client().post(Some("nope"), &ping(), &[]);
    assert_eq!(res.status, 404);
    assert_eq!(res.error_code(), -32001);
}

#[test]
fn unsupported_protocol_version_header_is_400_and_a_supported_one_is_fine() {
    // A version header naming no sessionful version makes the request sessionless
    // (mcp-2026.md §1), whose ladder refuses a body without `_meta`: 400, -32602.
    let server = Server::mcpd(&[]);
    let mut c = server.client();
    let session = c.initialize("2025-11-25");
    let bad = c.post(
        Some(&session),
        &ping(),
        &[("mcp-protocol-version", "1999-01-01")],
    );
    assert_eq!(bad.status, 400);
    assert_eq!(bad.error_code(), -32602);
    let other_supported = c.post(
        Some(&session),
        &ping(),
        &[("mcp-protocol-version", "2025-03-26")],
    );
    assert_eq!(other_supported.status, 200);
    let none = c.post(Some(&session), &ping(), &[]);
    assert_eq!(none.status, 200);
    assert_eq!(
        none.json(),
        json!({"jsonrpc": "2.0", "id": 7, "result": {}})
    );
}

#[test]
fn accept_without_both_types_is_406() {
    let server = Server::mcpd(&[]);
    let mut c = server.client();
    let res = c.request(
        "POST",
        "/mcp",
        &[("accept", "application/json"), JSON],
        &initialize_body("2025-11-25").to_string(),
    );
    assert_eq!(res.status, 406);
    assert_eq!(res.error_code(), -32000);
    let get = c.request(
        "GET",
        "/mcp",
        &[("accept", "application/json"), ("mcp-session-id", "x")],
        "",
    );
    assert_eq!(get.status, 406);
}

#[test]
fn content_type_other_than_json_is_415() {
    let server = Server::mcpd(&[]);
    let res = server.client().request(
        "POST",
        "/mcp",
        &[ACCEPT_BOTH, ("content-type", "text/plain")],
        "{}",
    );
    assert_eq!(res.status, 415);
    assert_eq!(res.error_code(), -32000);
}

#[test]
fn invalid_json_is_400_with_32700_and_null_id() {
    let server = Server::mcpd(&[]);
    let res = server.client().request(
        "POST",
        "/mcp",
        &[ACCEPT_BOTH, JSON],
        "{\"jsonrpc\":\"2.0\",",
    );
    assert_eq!(res.status, 400);
    assert!(res.content_type().starts_with("application/json"));
    assert_eq!(res.error_code(), -32700);
    assert!(res.json()["id"].is_null());
}

#[test]
fn batch_is_accepted_on_2025_03_26_and_rejected_later() {
    let server = Server::mcpd(&[]);
    let mut c = server.client();
    let old = c.initialize("2025-03-26");
    let batch = json!([ping(), {"jsonrpc": "2.0", "method": "notifications/initialized"}, {"jsonrpc": "2.0", "id": 8, "method": "tools/list"}]);
    let res = c.post(Some(&old), &batch, &[]);
    assert_eq!(res.status, 200);
    let answers = res.json();
    assert_eq!(answers.as_array().map(Vec::len), Some(2), "{answers}");
    assert_eq!(answers[0]["id"], 7);
    let empty = c.post(Some(&old), &json!([]), &[]);
    assert_eq!((empty.status, empty.error_code()), (400, -32600));
    let only_notes = c.post(
        Some(&old),
        &json!([{"jsonrpc": "2.0", "method": "notifications/initialized"}]),
        &[],
    );
    assert_eq!(only_notes.status, 202);
    let with_init = c.post(Some(&old), &json!([initialize_body("2025-03-26")]), &[]);
    assert_eq!((with_init.status, with_init.error_code()), (400, -32600));

    let new = c.initialize("2025-11-25");
    let res = c.post(Some(&new), &json!([ping()]), &[]);
    assert_eq!(res.status, 400);
    assert_eq!(res.error_code(), -32600);
    assert!(res.json()["id"].is_null());
}

#[test]
fn get_opens_one_sse_stream_per_session_and_a_second_is_409() {
    let server = Server::mcpd(&[]);
    let mut c = server.client();
    let session = c.initialize("2025-11-25");
    let mut stream = server.client();
    stream.send(
        "GET",
        "/mcp",
        &[
            ("accept", "text/event-stream"),
            ("mcp-session-id", &session),
        ],
        "",
    );
    let (status, headers) = stream.read_head();
    assert_eq!(status, 200);
    assert!(headers
        .iter()
        .any(|(n, v)| n == "content-type" && v.starts_with("text/event-stream")));
    let second = c.request(
        "GET",
        "/mcp",
        &[
            ("accept", "text/event-stream"),
            ("mcp-session-id", &session),
        ],
        "",
    );
    assert_eq!(second.status, 409);
    assert_eq!(second.error_code(), -32000);
}

#[test]
fn other_methods_are_405_with_allow() {
    let server = Server::mcpd(&[]);
    let res = server.client().request("PUT", "/mcp", &[ACCEPT_BOTH], "");
    assert_eq!(res.status, 405);
    assert_eq!(res.header("allow"), Some("GET, POST, DELETE"));
    assert_eq!(res.error_code(), -32000);
}

#[test]
fn delete_ends_the_session_then_404() {
    let server = Server::mcpd(&[]);
    let mut c = server.client();
    let session = c.initialize("2025-11-25");
    let res = c.request("DELETE", "/mcp", &[("mcp-session-id", &session)], "");
    assert_eq!(res.status, 200);
    let after = c.post(Some(&session), &ping(), &[]);
    assert_eq!(after.status, 404);
    let again = c.request("DELETE", "/mcp", &[("mcp-session-id", &session)], "");
    assert_eq!(again.status, 404);
}

#[test]
fn bad_host_or_origin_is_403_and_loopback_is_fine() {
    let server = Server::mcpd(&[]);
    let mut c = server.client();
    let body = initialize_body("2025-11-25").to_string();
    let evil_host = c.request(
        "POST",
        "/mcp",
        &[
            ACCEPT_BOTH,
            JSON,
            ("host", "evil.example.com"),
            ("origin", "http://evil.example.com"),
        ],
        &body,
    );
    assert_eq!(evil_host.status, 403);
    assert_eq!(evil_host.error_code(), -32000);
    let evil_origin = c.request(
        "POST",
        "/mcp",
        &[ACCEPT_BOTH, JSON, ("origin", "http://evil.example.com")],
        &body,
    );
    assert_eq!(evil_origin.status, 403);
    let local = c.request(
        "POST",
        "/mcp",
        &[ACCEPT_BOTH, JSON, ("origin", "http://localhost:1234")],
        &body,
    );
    assert_eq!(local.status, 200);
}

#[test]
fn allowed_origins_flag_lets_a_named_origin_in() {
    let server = Server::mcpd(&["--allowed-origins", "https://app.example.com"]);
    let body = initialize_body("2025-11-25").to_string();
    let res = server.client().request(
        "POST",
        "/mcp",
        &[ACCEPT_BOTH, JSON, ("origin", "https://app.example.com")],
        &body,
    );
    assert_eq!(res.status, 200);
}

#[test]
fn body_over_max_body_is_413_without_reading_it() {
    let server = Server::mcpd(&["--max-body", "1000"]);
    let mut c = server.client();
    c.send_raw(b"POST /mcp HTTP/1.1\r\nhost: 127.0.0.1\r\naccept: application/json, text/event-stream\r\ncontent-type: application/json\r\ncontent-length: 50000000\r\n\r\n{");
    let res = c.read_response();
    assert_eq!(res.status, 413);
    assert_eq!(res.error_code(), -32000);
    assert_eq!(res.header("connection"), Some("close"));
    c.expect_closed(WAIT);
}

#[test]
fn initialize_twice_on_a_session_is_400_32600() {
    let server = Server::mcpd(&[]);
    let mut c = server.client();
    let session = c.initialize("2025-11-25");
    let res = c.post(Some(&session), &initialize_body("2025-11-25"), &[]);
    assert_eq!(res.status, 400);
    assert_eq!(res.error_code(), -32600);
}

#[test]
fn stateless_mode_has_no_sessions_and_no_get_or_delete() {
    let server = Server::mcpd(&["--stateless"]);
    let mut c = server.client();
    let init = c.post(None, &initialize_body("2025-11-25"), &[]);
    assert_eq!(init.status, 200);
    assert!(init.header("mcp-session-id").is_none());
    let call = c.post(None, &json!({"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {"name": "echo", "arguments": {"message": "alone"}}}), &[]);
    assert_eq!(call.status, 200);
    assert_eq!(call.json()["result"]["content"][0]["text"], "alone");
    for method in ["GET", "DELETE"] {
        let res = c.request(method, "/mcp", &[("accept", "text/event-stream")], "");
        assert_eq!(res.status, 405, "{method}");
        assert_eq!(res.header("allow"), Some("POST"));
    }
}

#[test]
fn session_cap_is_503_with_retry_after() {
    let server = Server::mcpd(&["--max-sessions", "1"]);
    let mut c = server.client();
    c.initialize("2025-11-25");
    let res = c.post(None, &initialize_body("2025-11-25"), &[]);
    assert_eq!(res.status, 503);
    assert!(res.header("retry-after").is_some());
    assert_eq!(res.error_code(), -32000);
}

#[test]
fn unknown_path_is_404_json_and_health_reports_the_node() {
    let server = Server::mcpd(&["--node-id", "edge7"]);
    let mut c = server.client();
    let res = c.request("GET", "/nope", &[], "");
    assert_eq!(res.status, 404);
    assert_eq!(res.error_code(), -32000);
    let health = c.request("GET", "/health", &[], "");
    assert_eq!(health.status, 200);
    let body = health.json();
    assert_eq!(
        (
            body["status"].as_str(),
            body["nodeId"].as_str(),
            body["store"].as_str()
        ),
        (Some("ok"), Some("edge7"), Some(server.backing.kind()))
    );
    assert!(
        body["sessions"].is_u64() && body["uptimeSeconds"].is_u64() && body["version"].is_string()
    );
}
