//! Authentication with `--auth-tokens-file` (static bearer tokens): the 401/403/400 answers and
//! their challenges, every request checked, SIGHUP reloading the file, and sessions (and
//! 2026-07-28 `requestState`) bound to the principal that made them: principal B holding A's
//! session id gets exactly what an unknown session gets on every route, and A is unaffected.

use std::time::Duration;

use serde_json::{json, Value};

use crate::support::modern::{modern, send};
use crate::support::tokens::{bearer, initialize_as, TokensFile, ALICE, BOB};
use crate::support::{wait, Client, Server, ACCEPT_BOTH, JSON, WAIT};

fn ping_as(server: &Server, session: &str, token: &str) -> u16 {
    let auth = bearer(token);
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": "ping"});
    server
        .client()
        .post(Some(session), &body, &[("authorization", &auth)])
        .status
}

#[test]
fn requests_without_a_valid_token_get_401_with_a_challenge_and_a_json_rpc_error() {
    let tokens = TokensFile::new("challenge", &[("alice", ALICE, "")]);
    let server = Server::mcpd(&["--auth-tokens-file", tokens.flag()]);
    let mut c = server.client();
    let init = crate::support::initialize_body("2025-11-25");
    let missing = c.post(None, &init, &[]);
    assert_eq!(missing.status, 401);
    assert_eq!(missing.header("www-authenticate"), Some("Bearer"));
    assert_eq!(missing.error_code(), -32000);
    for bad in ["Bearer not-a-known-token", "Basic YWxpY2U6eA==", "Bearer"] {
        let res = c.post(None, &init, &[("authorization", bad)]);
        assert_eq!(res.status, 401, "{bad}");
    }
    let unknown = c.post(
        None,
        &init,
        &[("authorization", "Bearer not-a-known-token")],
    );
    let challenge = unknown.header("www-authenticate").unwrap_or_default();
    assert!(challenge.contains("error=\"invalid_token\""), "{challenge}");
    let in_query = c.request(
        "POST",
        &format!("/mcp?access_token={ALICE}"),
        &[ACCEPT_BOTH, JSON, ("authorization", &bearer(ALICE))],
        &init.to_string(),
    );
    assert_eq!(in_query.status, 400, "a token in the URL is refused");
    let legacy = c.request("GET", "/sse", &[("accept", "text/event-stream")], "");
    assert_eq!(legacy.status, 401, "the legacy transport too");
    assert_eq!(
        c.request("GET", "/health", &[], "").status,
        200,
        "health needs none"
    );
    assert_eq!(ping_as(&server, &initialize_as(&server, ALICE), ALICE), 200);
}

#[test]
fn every_request_is_checked_not_only_the_first_of_a_session() {
    let tokens = TokensFile::new("every", &[("alice", ALICE, "")]);
    let server = Server::mcpd(&["--auth-tokens-file", tokens.flag()]);
    let s = initialize_as(&server, ALICE);
    let body = json!({"jsonrpc": "2.0", "id": 2, "method": "ping"});
    assert_eq!(server.client().post(Some(&s), &body, &[]).status, 401);
}

#[test]
fn a_token_without_a_needed_scope_gets_403_naming_every_scope() {
    let tokens = TokensFile::new(
        "scopes",
        &[
            ("alice", ALICE, "mcp:tools mcp:read"),
            ("bob", BOB, "mcp:read"),
        ],
    );
    let server = Server::mcpd(&[
        "--auth-tokens-file",
        tokens.flag(),
        "--auth-scopes",
        "mcp:tools mcp:read",
    ]);
    initialize_as(&server, ALICE);
    let init = crate::support::initialize_body("2025-11-25");
    let res = server
        .client()
        .post(None, &init, &[("authorization", &bearer(BOB))]);
    assert_eq!(res.status, 403);
    let challenge = res.header("www-authenticate").unwrap_or_default();
    assert!(
        challenge.contains("error=\"insufficient_scope\"")
            && challenge.contains("scope=\"mcp:tools mcp:read\""),
        "{challenge}"
    );
}

#[test]
fn another_principal_holding_a_session_id_gets_what_an_unknown_session_gets() {
    let tokens = TokensFile::new("hijack", &[("alice", ALICE, ""), ("bob", BOB, "")]);
    let server = Server::everything(&["--auth-tokens-file", tokens.flag()]);
    let s = initialize_as(&server, ALICE);
    let (alice, bob) = (bearer(ALICE), bearer(BOB));
    let as_bob = |c: &mut Client, method: &str, path: &str, extra: &[(&str, &str)]| {
        let mut headers = vec![("authorization", bob.as_str())];
        headers.extend_from_slice(extra);
        let body = match method {
            "POST" => json!({"jsonrpc": "2.0", "id": 7, "method": "ping"}).to_string(),
            _ => String::new(),
        };
        c.request(method, path, &headers, &body)
    };
    let mut c = server.client();
    let id = ("mcp-session-id", s.as_str());
    let sse = ("accept", "text/event-stream");
    let refusals = [
        as_bob(&mut c, "POST", "/mcp", &[ACCEPT_BOTH, JSON, id]),
        as_bob(&mut c, "GET", "/mcp", &[sse, id]),
        as_bob(
            &mut c,
            "GET",
            "/mcp",
            &[
                sse,
                id,
                ("last-event-id", &format!("{}:g:1", &s[s.len() - 8..])),
            ],
        ),
        as_bob(&mut c, "POST", "/mcp/v1/message", &[ACCEPT_BOTH, JSON, id]),
        as_bob(&mut c, "GET", &format!("/mcp/v1/stream/{s}"), &[sse]),
        as_bob(&mut c, "DELETE", "/mcp", &[id]),
    ];
    for res in &refusals {
        assert_eq!((res.status, res.error_code()), (404, -32001), "{res:?}");
    }
    // A's session works on, with its GET stream, and B's DELETE did not end it.
    let mut get = server.client();
    get.send("GET", "/mcp", &[sse, id, ("authorization", &alice)], "");
    assert_eq!(get.read_head().0, 200);
    assert_eq!(ping_as(&server, &s, ALICE), 200);

    // The legacy transport: B can neither post to A's session nor re-attach its stream.
    let mut legacy = server.client();
    legacy.send("GET", "/sse", &[sse, ("authorization", &alice)], "");
    assert_eq!(legacy.read_head().0, 200);
    let endpoint = legacy
        .next_event(WAIT)
        .expect_item("the endpoint event")
        .data;
    let legacy_id = endpoint.split('=').nth(1).unwrap().to_owned();
    let post = as_bob(&mut c, "POST", &endpoint, &[JSON]);
    assert_eq!((post.status, post.error_code()), (404, -32001));
    let reattach = as_bob(&mut c, "GET", &format!("/sse/{legacy_id}"), &[sse]);
    assert_eq!((reattach.status, reattach.error_code()), (404, -32001));
    let init = crate::support::initialize_body("2024-11-05").to_string();
    let mine = c.request("POST", &endpoint, &[JSON, ("authorization", &alice)], &init);
    assert_eq!(mine.status, 202);
    let answer = legacy.expect_messages(1, WAIT);
    assert_eq!(answer[0]["result"]["protocolVersion"], "2024-11-05");
}

#[test]
fn a_refreshed_token_of_the_same_subject_keeps_its_sessions() {
    let tokens = TokensFile::new(
        "refresh",
        &[("alice", ALICE, ""), ("alice", "alice-new-token", "")],
    );
    let server = Server::mcpd(&["--auth-tokens-file", tokens.flag()]);
    let s = initialize_as(&server, ALICE);
    assert_eq!(ping_as(&server, &s, "alice-new-token"), 200);
}

#[test]
fn sighup_reloads_the_tokens_file() {
    let tokens = TokensFile::new("reload", &[("alice", ALICE, "")]);
    let server = Server::mcpd(&["--auth-tokens-file", tokens.flag()]);
    let init = crate::support::initialize_body("2025-11-25");
    let as_bob = || {
        server
            .client()
            .post(None, &init, &[("authorization", &bearer(BOB))])
            .status
    };
    assert_eq!(as_bob(), 401);
    tokens.write(&[("alice", ALICE, ""), ("bob", BOB, "")]);
    server.signal("HUP");
    wait::until_true(
        "bob's token accepted after SIGHUP",
        Duration::from_secs(5),
        || as_bob() == 200,
    );
    std::fs::write(&tokens.0, "not a tokens line\n").unwrap();
    server.signal("HUP");
    // Nothing to wait for: the tokens must simply stay, over a window longer than a reload.
    let watched = std::time::Instant::now();
    while watched.elapsed() < Duration::from_millis(300) {
        let status = as_bob();
        assert_eq!(
            status, 200,
            "a file that does not parse keeps the tokens loaded before"
        );
    }
    tokens.write(&[("alice", ALICE, "")]);
    server.signal("HUP");
    wait::until_true(
        "bob's token refused once removed",
        Duration::from_secs(5),
        || as_bob() == 401,
    );
}

#[test]
fn a_request_state_issued_to_one_principal_is_refused_to_another() {
    let tokens = TokensFile::new("mrtr", &[("alice", ALICE, ""), ("bob", BOB, "")]);
    let server = Server::everything(&["--auth-tokens-file", tokens.flag()]);
    let tool = "test_input_required_result_elicitation";
    let first = modern(
        json!(1),
        "tools/call",
        json!({"name": tool, "arguments": {}}),
        json!({"elicitation": {}}),
    );
    let res = send(
        &mut server.client(),
        &first,
        &[("authorization", &bearer(ALICE))],
    );
    let result = &res.json()["result"];
    assert_eq!(result["resultType"], "input_required", "{result}");
    let state = result["requestState"]
        .as_str()
        .expect("a requestState")
        .to_owned();
    let answers: Value = result["inputRequests"]
        .as_object()
        .expect("input requests")
        .keys()
        .map(|k| {
            (
                k.clone(),
                json!({"action": "accept", "content": {"name": "x"}}),
            )
        })
        .collect::<serde_json::Map<_, _>>()
        .into();
    let mut retry = first.clone();
    retry["params"]["requestState"] = json!(state);
    retry["params"]["inputResponses"] = answers;
    let stolen = send(
        &mut server.client(),
        &retry,
        &[("authorization", &bearer(BOB))],
    );
    assert_eq!(stolen.json()["error"]["code"], -32602, "{}", stolen.json());
    let own = send(
        &mut server.client(),
        &retry,
        &[("authorization", &bearer(ALICE))],
    );
    assert_eq!(
        own.json()["result"]["resultType"],
        "complete",
        "{}",
        own.json()
    );
}
