//! `subscriptions/listen` (2026-07-28): the acknowledgement first, only the kinds asked for,
//! each tagged with the listen id (same JSON type), keep-alive comments, a result on shutdown,
//! and with Redis a change made on one node reaching a listen stream on another.

use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::backing::Backing;
use crate::sessionless::{modern, open, send};
use crate::support::*;

/// Opens a listen stream with request id `id` for `notifications`; checks the response head and
/// the acknowledgement, and returns the client holding the stream.
fn listen(server: &Server, id: Value, notifications: Value) -> Client {
    let mut c = server.client();
    let body = modern(
        id.clone(),
        "subscriptions/listen",
        json!({"notifications": notifications}),
        json!({}),
    );
    let (status, headers) = open(&mut c, &body, &[]);
    assert_eq!(status, 200);
    let has = |name: &str, value: &str| {
        headers
            .iter()
            .any(|(n, v)| n.eq_ignore_ascii_case(name) && v == value)
    };
    assert!(
        has("content-type", "text/event-stream") && has("x-accel-buffering", "no"),
        "{headers:?}"
    );
    let ack = c.read_messages(1).pop().expect("an acknowledgement");
    assert_eq!(
        ack["method"], "notifications/subscriptions/acknowledged",
        "{ack}"
    );
    assert_eq!(
        ack["params"]["_meta"]["io.modelcontextprotocol/subscriptionId"],
        id
    );
    assert_eq!(ack["params"]["notifications"], notifications);
    c
}

fn call(server: &Server, tool: &str) {
    let body = modern(json!(1), "tools/call", json!({"name": tool}), json!({}));
    let res = send(&mut server.client(), &body, &[]);
    assert_eq!(
        res.json()["result"]["resultType"],
        "complete",
        "{}",
        res.json()
    );
}

#[test]
fn listen_acknowledges_first_then_sends_only_what_was_asked_tagged_and_ends_on_shutdown() {
    let mut server = Server::everything(&["--keepalive", "200ms"]);
    let mut tools = listen(
        &server,
        json!("listen-1"),
        json!({"toolsListChanged": true}),
    );
    let watched =
        json!({"promptsListChanged": true, "resourceSubscriptions": ["test://watched-resource"]});
    let mut prompts = listen(&server, json!(7), watched);

    call(&server, "test_trigger_tool_change");
    call(&server, "update_watched_resource");
    call(&server, "test_trigger_prompt_change");
    let heard = tools.read_messages(1).pop().unwrap();
    assert_eq!(heard["method"], "notifications/tools/list_changed");
    assert_eq!(
        heard["params"]["_meta"]["io.modelcontextprotocol/subscriptionId"],
        "listen-1"
    );
    assert!(heard.get("id").is_none());
    // The prompts listener heard no tools change: first the resource it follows, then prompts.
    let heard = prompts.read_messages(2);
    assert_eq!(
        heard[0]["method"], "notifications/resources/updated",
        "{heard:?}"
    );
    assert_eq!(heard[0]["params"]["uri"], "test://watched-resource");
    assert_eq!(
        heard[1]["method"], "notifications/prompts/list_changed",
        "{heard:?}"
    );
    assert_eq!(
        heard[1]["params"]["_meta"]["io.modelcontextprotocol/subscriptionId"],
        7
    );

    let deadline = Instant::now() + Duration::from_secs(3);
    let mut raw = String::new();
    while !raw.contains(": keepalive") && Instant::now() < deadline {
        raw.push_str(&String::from_utf8_lossy(
            &tools.read_chunk().expect("the stream is open"),
        ));
    }
    assert!(
        raw.contains(": keepalive"),
        "no keep-alive comment: {raw:?}"
    );

    server.signal("TERM");
    let last = tools.read_messages(1).pop().expect("the listen result");
    assert_eq!(last["id"], "listen-1");
    assert_eq!(last["result"]["resultType"], "complete");
    assert_eq!(
        last["result"]["_meta"]["io.modelcontextprotocol/subscriptionId"],
        "listen-1"
    );
    assert!(
        tools.next_event().is_none(),
        "the stream ends after its result"
    );
    assert_eq!(server.wait(Duration::from_secs(10)), Some(0));
}

#[test]
fn with_redis_a_change_on_one_node_reaches_a_listen_stream_on_another() {
    let a = Server::everything_on(Backing::redis(), &[]);
    let b = a.another_node();
    let mut stream = listen(&a, json!("l"), json!({"toolsListChanged": true}));
    call(&b, "test_trigger_tool_change");
    let heard = stream.read_messages(1).pop().unwrap();
    assert_eq!(heard["method"], "notifications/tools/list_changed");
}
