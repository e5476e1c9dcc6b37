//! Scopes with static tokens: a tool that needs a scope is hidden from, and refused with a
//! step-up challenge to, tokens without it; a handler sees who is calling.

use serde_json::{json, Value};

use crate::support::tokens::{bearer, initialize_as, TokensFile, ALICE, BOB};
use crate::support::Server;

/// The names `tools/list` shows, and the answer to `tools/call name`, for the holder of `token`.
fn tools_as(server: &Server, session: &str, token: &str) -> Vec<String> {
    let auth = bearer(token);
    let body = json!({"jsonrpc": "2.0", "id": 3, "method": "tools/list"});
    let res = server
        .client()
        .post(Some(session), &body, &[("authorization", &auth)]);
    res.json()["result"]["tools"]
        .as_array()
        .expect("a tools list")
        .iter()
        .map(|t| t["name"].as_str().unwrap_or_default().to_owned())
        .collect()
}

#[test]
fn a_tool_needing_a_scope_is_hidden_from_and_refused_to_tokens_without_it() {
    let tokens = TokensFile::new(
        "tool-scopes",
        &[("alice", ALICE, "mcp mcp:admin"), ("bob", BOB, "mcp")],
    );
    let server = Server::everything(&["--auth-tokens-file", tokens.flag(), "--auth-scopes", "mcp"]);
    let (a, b) = (initialize_as(&server, ALICE), initialize_as(&server, BOB));
    let alice_sees = tools_as(&server, &a, ALICE);
    let bob_sees = tools_as(&server, &b, BOB);
    assert!(
        alice_sees.iter().any(|t| t == "test_scoped_tool"),
        "{alice_sees:?}"
    );
    assert!(
        !bob_sees.iter().any(|t| t == "test_scoped_tool"),
        "{bob_sees:?}"
    );
    assert_eq!(alice_sees.len(), bob_sees.len() + 1);
    let call = json!({"jsonrpc": "2.0", "id": 4, "method": "tools/call", "params": {"name": "test_scoped_tool"}});
    let refused = server
        .client()
        .post(Some(&b), &call, &[("authorization", &bearer(BOB))]);
    assert_eq!(refused.status, 403);
    let challenge = refused.header("www-authenticate").unwrap_or_default();
    assert!(
        challenge.contains("error=\"insufficient_scope\"")
            && challenge.contains("scope=\"mcp mcp:admin\""),
        "every scope needed, in one challenge: {challenge}"
    );
    let done = server
        .client()
        .post(Some(&a), &call, &[("authorization", &bearer(ALICE))]);
    assert_eq!(done.json()["result"]["content"][0]["text"], "admin done");
}

#[test]
fn a_handler_sees_who_is_calling() {
    let tokens = TokensFile::new("whoami", &[("alice", ALICE, "mcp:read")]);
    let server = Server::everything(&["--auth-tokens-file", tokens.flag()]);
    let s = initialize_as(&server, ALICE);
    let call = json!({"jsonrpc": "2.0", "id": 5, "method": "tools/call", "params": {"name": "test_whoami"}});
    let res = server
        .client()
        .post(Some(&s), &call, &[("authorization", &bearer(ALICE))]);
    let text = res.json()["result"]["content"][0]["text"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let who: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
    assert_eq!(
        who,
        json!({"subject": "alice", "issuer": null, "scopes": ["mcp:read"]}),
        "{text}"
    );
}
