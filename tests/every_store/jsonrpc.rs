//! JSON-RPC framing and every error code of mcp-spec.md §3–4, over HTTP against `mcpd`.

use serde_json::json;

use crate::support::{Server, ACCEPT_BOTH, JSON};

#[test]
fn json_that_is_not_json_rpc_is_400_32600_keeping_a_readable_id() {
    let server = Server::mcpd(&[]);
    let mut c = server.client();
    let session = c.initialize("2025-11-25");
    for (body, id) in [
        (json!(42), json!(null)),
        (
            json!({"jsonrpc": "1.0", "id": 3, "method": "ping"}),
            json!(3),
        ),
        (
            json!({"jsonrpc": "2.0", "id": null, "method": "ping"}),
            json!(null),
        ),
        (
            json!({"jsonrpc": "2.0", "id": {"x": 1}, "method": "ping"}),
            json!(null),
        ),
        (json!({"jsonrpc": "2.0", "id": 4, "method": 5}), json!(4)),
        (json!({"jsonrpc": "2.0", "id": 5}), json!(5)),
    ] {
        let res = c.post(Some(&session), &body, &[]);
        assert_eq!(res.status, 400, "{body}");
        assert_eq!(res.error_code(), -32600, "{body}");
        assert_eq!(res.json()["id"], id, "{body}");
    }
}

#[test]
fn unknown_method_is_32601_with_the_request_id() {
    let server = Server::mcpd(&[]);
    let mut c = server.client();
    let session = c.initialize("2025-11-25");
    let res = c.call(&session, 11, "tools/explode", json!({}));
    assert_eq!(res.status, 200);
    assert_eq!(res.error_code(), -32601);
    assert_eq!(res.json()["id"], 11);
}

#[test]
fn string_ids_come_back_unchanged() {
    let server = Server::mcpd(&[]);
    let mut c = server.client();
    let session = c.initialize("2025-11-25");
    let res = c.post(
        Some(&session),
        &json!({"jsonrpc": "2.0", "id": "abc", "method": "ping"}),
        &[],
    );
    assert_eq!(
        res.json(),
        json!({"jsonrpc": "2.0", "id": "abc", "result": {}}),
        "a ping answered"
    );
}

#[test]
fn invalid_params_are_32602() {
    let server = Server::mcpd(&[]);
    let mut c = server.client();
    let session = c.initialize("2025-11-25");
    for (method, params) in [
        ("tools/call", json!({"name": "no_such_tool"})),
        ("tools/call", json!({"arguments": {}})),
        ("tools/list", json!({"cursor": "bogus"})),
        ("logging/setLevel", json!({"level": "loud"})),
        ("prompts/get", json!({"name": "summarize"})),
        ("prompts/get", json!({"name": "nope"})),
        ("resources/read", json!({})),
        (
            "completion/complete",
            json!({"ref": {"type": "ref/other"}, "argument": {"name": "a", "value": ""}}),
        ),
    ] {
        let res = c.call(&session, 1, method, params.clone());
        assert_eq!(res.error_code(), -32602, "{method} {params}");
    }
}

#[test]
fn missing_resource_is_32002_with_the_uri() {
    let server = Server::mcpd(&[]);
    let mut c = server.client();
    let session = c.initialize("2025-11-25");
    let res = c.call(&session, 1, "resources/read", json!({"uri": "test://nope"}));
    assert_eq!(res.error_code(), -32002);
    assert_eq!(res.json()["error"]["data"]["uri"], "test://nope");
}

#[test]
fn a_handler_failure_is_32603() {
    let server = Server::everything(&[]);
    let mut c = server.client();
    let session = c.initialize("2025-11-25");
    let res = c.call(
        &session,
        1,
        "tools/call",
        json!({"name": "test_internal_error"}),
    );
    assert_eq!(res.error_code(), -32603);
}

#[test]
fn invalid_arguments_are_a_tool_error_on_2025_11_25_and_32602_before() {
    let server = Server::mcpd(&[]);
    let mut c = server.client();
    let args = json!({"name": "calculator", "arguments": {"operation": "add", "a": "one", "b": 2}});
    let new = c.initialize("2025-11-25");
    let res = c.call(&new, 1, "tools/call", args.clone());
    let result = res.json()["result"].clone();
    assert_eq!(result["isError"], true, "{result}");
    assert!(
        result["content"][0]["text"]
            .as_str()
            .is_some_and(|t| t.contains("'a'")),
        "the error names the argument: {result}"
    );
    let old = c.initialize("2025-06-18");
    assert_eq!(c.call(&old, 1, "tools/call", args).error_code(), -32602);
}

#[test]
fn notifications_are_never_answered_even_unknown_ones() {
    let server = Server::mcpd(&[]);
    let mut c = server.client();
    let session = c.initialize("2025-11-25");
    let res = c.post(
        Some(&session),
        &json!({"jsonrpc": "2.0", "method": "notifications/whatever", "params": {}}),
        &[],
    );
    assert_eq!(res.status, 202);
    assert!(res.body.is_empty());
}

#[test]
fn params_that_are_not_an_object_are_rejected() {
    let server = Server::mcpd(&[]);
    let mut c = server.client();
    let session = c.initialize("2025-11-25");
    let not_structured = c.request(
        "POST",
        "/mcp",
        &[ACCEPT_BOTH, JSON, ("mcp-session-id", &session)],
        r#"{"jsonrpc":"2.0","id":1,"method":"ping","params":3}"#,
    );
    assert_eq!(
        (not_structured.status, not_structured.error_code()),
        (400, -32600)
    );
    let array = c.call(&session, 2, "tools/list", json!([1]));
    assert_eq!(array.error_code(), -32602);
}
