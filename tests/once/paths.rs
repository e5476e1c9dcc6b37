//! Request targets refused before routing: a path holding `\`, `%5C`, `%2F`, a dot segment or
//! `//`, or one the `Host` header would change, gets 400 with a JSON-RPC error and reaches no
//! route (each of these would otherwise reach another route than the one its text names, here
//! the admin routes `/sessions` and `/sessions/:id`); the query is data and is not checked.

use serde_json::json;

use crate::support::{Response, Server, WAIT};

/// Sends `GET <target>` (or another request line) with `host` as it is, and reads the answer.
fn raw(server: &Server, method: &str, target: &str, host: &str) -> Response {
    let mut c = server.client();
    c.send_raw(format!("{method} {target} HTTP/1.1\r\nhost: {host}\r\n\r\n").as_bytes());
    let res = c.read_response();
    if res.status == 400 {
        c.expect_closed(WAIT);
    }
    res
}

/// Asserts a 400 whose JSON-RPC error (id null) says `why`, and that no session list came back.
fn assert_refused(res: &Response, what: &str, why: &str) {
    let body = res.json();
    assert_eq!(res.status, 400, "{what}: {body}");
    assert!(body.get("sessions").is_none(), "{what}: a listing: {body}");
    assert_eq!(body["id"], json!(null), "{what}: {body}");
    assert_eq!(res.error_code(), -32000, "{what}: {body}");
    let message = body["error"]["message"].as_str().unwrap_or_default();
    assert!(message.contains(why), "{what}: {message:?} lacks {why:?}");
}

#[test]
fn paths_that_could_mean_another_path_are_refused_before_routing() {
    let server = Server::mcpd(&["--store", "memory"]);
    let session = server.client().initialize("2025-11-25");
    for (target, why) in [
        ("/mcp\\..\\sessions", "backslash"),
        ("/sse/..\\..\\sessions", "backslash"),
        ("/mcp/%5C..%5Csessions", "%5C"),
        ("/mcp/..%2Fsessions", "%2F"),
        ("/mcp/..%2fsessions", "%2F"),
        ("/%2e%2e/sessions", "dot segment"),
        ("/mcp/%2E%2e/sessions", "dot segment"),
        ("/mcp/.%2e/sessions", "dot segment"),
        ("/mcp/../sessions", "dot segment"),
        ("/./sessions", "dot segment"),
        ("/sessions/x/..", "dot segment"),
        ("//sessions", "empty segment"),
        ("/sessions//", "empty segment"),
        ("http://127.0.0.1/mcp/../sessions", "dot segment"),
        ("/mcp\"", "byte 0x22"),
    ] {
        assert_refused(&raw(&server, "GET", target, "127.0.0.1"), target, why);
    }
    // `GET /mcp` with this Host is `http://localhost:1/sessions?/mcp` to the url crate.
    let res = raw(&server, "GET", "/mcp", "localhost:1/sessions?");
    assert_refused(&res, "a Host holding a path", "Host header");

    let deleting = format!("/mcp\\..\\sessions\\{session}");
    assert_refused(
        &raw(&server, "DELETE", &deleting, "127.0.0.1"),
        &deleting,
        "backslash",
    );
    let deleting = format!("/%2e%2e/sessions/{session}");
    assert_refused(
        &raw(&server, "DELETE", &deleting, "127.0.0.1"),
        &deleting,
        "dot segment",
    );
    let mut c = server.client();
    assert_eq!(
        c.call(&session, 1, "ping", json!({})).status,
        200,
        "the session survived the DELETEs"
    );
}

#[test]
fn the_routes_and_their_queries_still_work() {
    let server = Server::mcpd(&["--store", "memory"]);
    let mut c = server.client();
    let session = c.initialize("2025-11-25");
    let res = c.call(
        &session,
        1,
        "tools/call",
        json!({"name": "echo", "arguments": {"message": "hi"}}),
    );
    assert_eq!(res.json()["result"]["content"][0]["text"], "hi");
    assert_eq!(
        raw(&server, "GET", "/health?probe=../%2F", "127.0.0.1").status,
        200
    );
    // The query is data: `%2F`, `\` and `..` there reach the route, which finds no such session.
    for target in [
        "/messages?sessionId=a%2Fb",
        "/messages?sessionId=..\\..",
        "/messages?sessionId=x.y&next=/../sessions",
    ] {
        let res = raw(&server, "POST", target, "127.0.0.1");
        assert_eq!(res.status, 404, "{target}: {:?}", res.json());
        assert_eq!(res.error_code(), -32001, "{target}: session not found");
    }
    // An absolute-form target is served like its path.
    let health = raw(&server, "GET", "http://127.0.0.1/health", "127.0.0.1");
    assert_eq!(health.status, 200, "{:?}", health.json());
}
