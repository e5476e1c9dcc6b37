//! The original README's routes (aliases of Streamable HTTP) and the session admin endpoints
//! (on `--admin-listen`).

use serde_json::json;

use crate::support::{initialize_body, Server, ACCEPT_BOTH, JSON, WAIT};

#[test]
fn a_whole_session_through_the_v1_aliases() {
    let server = Server::everything(&[]);
    let mut c = server.client();
    let init = c.request(
        "POST",
        "/mcp/v1/init",
        &[ACCEPT_BOTH, JSON],
        &initialize_body("2025-11-25").to_string(),
    );
    assert_eq!(init.status, 200);
    let session = init
        .header("mcp-session-id")
        .expect("session id")
        .to_owned();
    let headers = [ACCEPT_BOTH, JSON, ("mcp-session-id", session.as_str())];
    let done = c.request(
        "POST",
        "/mcp/v1/message",
        &headers,
        &json!({"jsonrpc": "2.0", "method": "notifications/initialized"}).to_string(),
    );
    assert_eq!(done.status, 202);
    let mut stream = server.client();
    stream.send(
        "GET",
        &format!("/mcp/v1/stream/{session}"),
        &[("accept", "text/event-stream")],
        "",
    );
    assert_eq!(stream.read_head().0, 200);
    let call = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "test_simple_text", "arguments": {}}});
    let res = c.request("POST", "/mcp/v1/message", &headers, &call.to_string());
    assert_eq!(res.json()["result"]["content"][0]["type"], "text");
    let second = c.request(
        "GET",
        &format!("/mcp/v1/stream/{session}"),
        &[("accept", "text/event-stream")],
        "",
    );
    assert_eq!(
        second.status, 409,
        "the alias is the same GET stream as /mcp"
    );
    let unknown = c.request(
        "GET",
        "/mcp/v1/stream/nope",
        &[("accept", "text/event-stream")],
        "",
    );
    assert_eq!(unknown.status, 404);
    let wrong_method = c.request("GET", "/mcp/v1/init", &[], "");
    assert_eq!(wrong_method.status, 405);
}

#[test]
fn sessions_are_listed_and_ended_by_the_admin_endpoints() {
    let server = Server::everything(&["--node-id", "admin1", "--admin-listen", "127.0.0.1:0"]);
    let mut admin = server.admin();
    let mut c = server.client();
    let streamable = c.initialize("2025-06-18");
    let mut get = server.client();
    assert_eq!(get.open_get(&streamable, None), 200);
    let mut legacy = server.client();
    legacy.send("GET", "/sse", &[("accept", "text/event-stream")], "");
    assert_eq!(legacy.read_head().0, 200);
    legacy.next_event(WAIT).expect_item("the endpoint event");
    let hidden = c.request("GET", "/sessions", &[], "");
    assert_eq!(
        hidden.status, 404,
        "never on the MCP port without --admin-token-file"
    );
    let list = admin.request("GET", "/sessions", &[], "").json();
    assert_eq!(list["total"], 2);
    let entry = list["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == streamable.as_str())
        .unwrap()
        .clone();
    assert_eq!(entry["transport"], "streamable-http");
    assert_eq!(entry["protocolVersion"], "2025-06-18");
    assert_eq!(entry["client"]["name"], "mcpd-tests");
    assert_eq!(entry["nodeId"], "admin1");
    assert_eq!(entry["openStreams"], 1);
    assert!(entry["createdMs"].as_u64().unwrap() <= entry["lastSeenMs"].as_u64().unwrap());
    assert!(list["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .any(|s| s["transport"] == "sse"));
    let page = admin.request("GET", "/sessions?limit=1", &[], "").json();
    assert_eq!(page["sessions"].as_array().unwrap().len(), 1);
    assert_eq!(page["nextCursor"], "1");

    let ended = admin.request("DELETE", &format!("/sessions/{streamable}"), &[], "");
    assert_eq!(ended.status, 200);
    get.expect_end(WAIT); // "its stream closed"
    assert_eq!(c.call(&streamable, 1, "ping", json!({})).status, 404);
    let again = admin.request("DELETE", &format!("/sessions/{streamable}"), &[], "");
    assert_eq!((again.status, again.error_code()), (404, -32001));
    assert_eq!(
        admin.request("GET", "/sessions", &[], "").json()["total"],
        1
    );
}
