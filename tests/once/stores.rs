//! The file and Redis stores under a real mcpd: a session outlives a `kill -9` of mcpd with its
//! log level, subscriptions and event log, a Redis that dies and comes back is survived, and
//! what one node does (ending a session, changing a listing) reaches the others at once.

use std::time::Duration;

use serde_json::{json, Value};

use crate::support::modern::{listen, modern_call};
use crate::support::Backing;
use crate::support::{health, initialize_body, wait, Server, WAIT};

fn wait_for_health(server: &Server, status: u16) {
    wait::until_true(
        &format!("/health answering {status}"),
        Duration::from_secs(10),
        || health(server) == status,
    );
}

fn session_entry(server: &Server, id: &str) -> Value {
    let list = server.admin().request("GET", "/sessions", &[], "").json();
    list["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == id)
        .cloned()
        .unwrap_or(Value::Null)
}

fn survives_a_crash(backing: Backing) {
    let kind = backing.kind();
    let mut server = Server::everything_on(backing, &["--admin-listen", "127.0.0.1:0"]);
    let mut c = server.client();
    let s = c.initialize("2025-11-25");
    c.call(&s, 1, "logging/setLevel", json!({"level": "warning"}));
    c.call(
        &s,
        2,
        "resources/subscribe",
        json!({"uri": "test://watched-resource"}),
    );
    let call = json!({"jsonrpc": "2.0", "id": 3, "method": "tools/call", "params": {
        "name": "slow_progress", "arguments": {"steps": 3, "interval_ms": 10}, "_meta": {"progressToken": "p"}}});
    assert_eq!(c.open_post(&s, &call), 200);
    let before = c.events_until_end(WAIT);
    let first_progress = before
        .iter()
        .find(|e| !e.data.is_empty())
        .and_then(|e| e.id.clone())
        .unwrap();

    server.crash_and_restart();
    let mut c = server.client();
    let echoed = c.call(&s, 4, "tools/call", json!({"name": "test_simple_text"}));
    assert_eq!(echoed.status, 200, "{kind}: the session id keeps working");
    let entry = session_entry(&server, &s);
    assert_eq!(entry["logLevel"], "warning", "{kind}: {entry}");
    assert_eq!(
        entry["subscriptions"],
        json!(["test://watched-resource"]),
        "{kind}"
    );
    let quiet = c.call(
        &s,
        5,
        "tools/call",
        json!({"name": "test_tool_with_logging"}),
    );
    assert!(
        quiet.content_type().starts_with("application/json"),
        "{kind}: info logs stay below warning"
    );
    let mut resumed = server.client();
    assert_eq!(resumed.open_get(&s, Some(&first_progress)), 200);
    let replayed: Vec<Value> = resumed.messages_until_end(WAIT);
    assert_eq!(
        replayed.len(),
        3,
        "{kind}: two progress events and the result: {replayed:?}"
    );
    assert_eq!(replayed[2]["id"], 3);
}

#[test]
fn a_file_store_session_survives_kill_9() {
    survives_a_crash(Backing::file());
}

#[test]
fn a_redis_store_session_survives_kill_9() {
    survives_a_crash(Backing::redis());
}

#[test]
fn redis_going_away_makes_mcpd_unready_and_it_recovers_by_itself() {
    let server = Server::everything_on(Backing::redis_persistent(), &[]);
    let mut c = server.client();
    let s = c.initialize("2025-11-25");
    assert_eq!(health(&server), 200);
    let Backing::Redis(redis) = &*server.backing else {
        unreachable!("a redis backing")
    };
    redis.borrow_mut().kill();
    wait_for_health(&server, 503);
    let new_session = c.post(None, &initialize_body("2025-11-25"), &[]);
    assert_eq!(
        (new_session.status, new_session.error_code()),
        (503, -32000)
    );
    // The session's TTL slides at most once a second; the first request due to slide it needs
    // Redis and is refused (until then the process answers from what it knows).
    let refused = wait::until(
        "a request on the session refused",
        Duration::from_secs(5),
        || {
            let res = c.call(&s, 1, "ping", json!({}));
            assert!(matches!(res.status, 200 | 503), "{res:?}");
            (res.status == 503).then_some(res)
        },
    );
    assert_eq!(refused.error_code(), -32000);
    redis.borrow_mut().restart();
    wait_for_health(&server, 200);
    assert_eq!(
        server.client().call(&s, 2, "ping", json!({})).status,
        200,
        "the session survived in Redis"
    );
}

#[test]
fn a_session_ended_on_one_node_is_gone_at_once_on_another() {
    let a = Server::everything_on(Backing::redis(), &[]);
    let b = a.another_node();
    let s = a.client().initialize("2025-11-25");
    let mut on_b = b.client();
    assert_eq!(
        on_b.call(&s, 1, "ping", json!({})).status,
        200,
        "node B serves node A's session"
    );
    let held_by_b = || b.client().request("GET", "/health", &[], "").json()["sessions"].clone();
    assert_eq!(held_by_b(), 1, "B holds a copy");
    assert_eq!(
        a.client()
            .request("DELETE", "/mcp", &[("mcp-session-id", &s)], "")
            .status,
        200
    );
    // Nothing asks B about the session meanwhile (no TTL slide, no sweep within its 24 h TTL):
    // only the ending A publishes can make B drop its copy.
    wait::until_true("B's copy gone", Duration::from_secs(5), || held_by_b() == 0);
    assert_eq!(on_b.call(&s, 2, "ping", json!({})).status, 404);
}

#[test]
fn use_on_one_node_keeps_the_session_alive_for_the_others() {
    let a = Server::everything_on(Backing::redis(), &["--session-ttl", "1500ms"]);
    let b = a.another_node();
    let s = a.client().initialize("2025-11-25");
    let mut on_a = a.client();
    // Six uses on A, 500 ms apart, span 3 s: twice the TTL. A knows the session, so only its
    // sliding of the TTL in Redis keeps the session there for B.
    for id in 0..6 {
        std::thread::sleep(Duration::from_millis(500));
        assert_eq!(on_a.call(&s, id, "ping", json!({})).status, 200);
    }
    assert_eq!(
        b.client().call(&s, 9, "ping", json!({})).status,
        200,
        "B finds the session A kept using"
    );
}

#[test]
fn with_redis_a_change_on_one_node_reaches_a_listen_stream_on_another() {
    let a = Server::everything_on(Backing::redis(), &[]);
    let b = a.another_node();
    let mut stream = listen(&a, json!("l"), json!({"toolsListChanged": true}));
    modern_call(&b, "test_trigger_tool_change");
    let heard = stream.expect_messages(1, WAIT).pop().unwrap();
    assert_eq!(heard["method"], "notifications/tools/list_changed");
}

#[test]
fn with_redis_a_session_is_bound_to_its_principal_on_every_node() {
    let file = std::env::temp_dir().join(format!("mcpd-tokens-nodes-{}", std::process::id()));
    let line = |subject: &str, token: &str| {
        let out = crate::support::process::output_within(
            std::process::Command::new("sh").args(["-c", "printf %s \"$0\" | sha256sum", token]),
            WAIT,
        );
        format!(
            "{subject} {}\n",
            &String::from_utf8_lossy(&out.stdout)[..64]
        )
    };
    std::fs::write(
        &file,
        line("alice", "alice-token") + &line("bob", "bob-token"),
    )
    .unwrap();
    let a = Server::everything_on(
        Backing::redis(),
        &["--auth-tokens-file", file.to_str().unwrap()],
    );
    let b = a.another_node();
    let init = initialize_body("2025-11-25");
    let res = a
        .client()
        .post(None, &init, &[("authorization", "Bearer alice-token")]);
    let s = res.header("mcp-session-id").expect("a session").to_owned();
    let ping = json!({"jsonrpc": "2.0", "id": 1, "method": "ping"});
    let on_b = |token: &str| {
        let auth = format!("Bearer {token}");
        b.client()
            .post(Some(&s), &ping, &[("authorization", &auth)])
    };
    let stolen = on_b("bob-token");
    assert_eq!(
        (stolen.status, stolen.error_code()),
        (404, -32001),
        "bob on node B"
    );
    assert_eq!(on_b("alice-token").status, 200, "alice on node B");
    assert_eq!(
        on_b("bob-token").status,
        404,
        "bob again, with B holding a copy now"
    );
    let _ = std::fs::remove_file(file);
}
