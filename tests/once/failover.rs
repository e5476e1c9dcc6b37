//! Nodes dying and draining under a live cluster (Redis, real NGINX): streams move to live nodes
//! without losing or repeating an event, a request whose node died is reported to its client,
//! and a drain fails no request. The tests print their figures (run with `--nocapture`).

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::support::cluster::{cluster, progress_call};
use crate::support::sse::messages;
use crate::support::{initialize_body, wait, Backing, Client, JSON, WAIT};

#[test]
fn a_draining_node_hands_its_streams_over_and_finishes_its_work() {
    // A grace far beyond the waits below: a node exiting by reaching it does not pass.
    let mut c = cluster(Backing::redis(), 2, &["--shutdown-grace", "60s"]);
    let s = c.nodes[0].client().initialize("2025-11-25");
    let mut on_a = c.nodes[0].client();
    assert_eq!(on_a.open_post(&s, &progress_call(5, 6, 100)), 200);
    let first = on_a.expect_events(1, WAIT);
    c.nodes[0].signal("TERM");
    let rest_on_a = on_a.events_until_end(WAIT);
    assert!(
        rest_on_a.iter().any(|e| e.retry.is_some()),
        "a retry hint before the stream closes: {rest_on_a:?}"
    );
    let last_id = first
        .iter()
        .chain(&rest_on_a)
        .filter_map(|e| e.id.clone())
        .next_back()
        .expect("an event id on A's stream");
    let mut on_b = c.nodes[1].client();
    assert_eq!(on_b.open_get(&s, Some(&last_id)), 200);
    let rest: Vec<Value> = on_b.messages_until_end(WAIT);
    let all: Vec<Value> = messages(&first)
        .into_iter()
        .chain(messages(&rest_on_a))
        .chain(rest)
        .collect();
    let steps: Vec<f64> = all
        .iter()
        .filter_map(|m| m["params"]["progress"].as_f64())
        .collect();
    assert_eq!(
        steps,
        (1..=6).map(f64::from).collect::<Vec<_>>(),
        "six progress events, each once, on A then B: {all:?}"
    );
    assert_eq!(
        all.iter().filter(|m| m["id"] == 5).count(),
        1,
        "the result once: {all:?}"
    );
    assert_eq!(
        all.last().map(|m| &m["id"]),
        Some(&json!(5)),
        "node A finished the work while draining: {all:?}"
    );
    assert_eq!(
        c.nodes[0].wait(Duration::from_secs(10)),
        Some(0),
        "node A exits 0 once its work is done"
    );
}

#[test]
fn a_node_draining_under_steady_load_through_nginx_fails_no_request() {
    let mut c = cluster(Backing::redis(), 3, &["--shutdown-grace", "60s"]);
    let addr = c.nginx.addr.clone();
    let s = c.nginx.client().initialize("2025-11-25");
    let owner = c.owner_of(&s);
    let subscribed = c.nginx.client().call(
        &s,
        0,
        "resources/subscribe",
        json!({"uri": "test://watched-resource"}),
    );
    assert_eq!(subscribed.status, 200);
    let mut stream = c.nginx.client();
    assert_eq!(
        stream.open_get(&s, None),
        200,
        "a stream client, on the owner through NGINX"
    );
    let session = s.clone();
    let (ok, stop) = (
        Arc::new(AtomicUsize::new(0)),
        Arc::new(AtomicBool::new(false)),
    );
    let load = std::thread::spawn({
        let (ok, stop) = (ok.clone(), stop.clone());
        move || {
            let mut failed = Vec::new();
            for id in 1.. {
                if stop.load(Ordering::Relaxed) {
                    break;
                }
                let call = json!({"jsonrpc": "2.0", "id": id, "method": "tools/call", "params": {"name": "test_simple_text"}});
                let res = Client::connect(&addr).post(Some(&s), &call, &[]);
                let answer: Value = serde_json::from_slice(&res.body).unwrap_or_default();
                if res.status == 200 && answer["result"]["content"].is_array() {
                    ok.fetch_add(1, Ordering::Relaxed);
                } else {
                    failed.push((res.status, String::from_utf8_lossy(&res.body).into_owned()));
                }
            }
            failed
        }
    });
    let served = || ok.load(Ordering::Relaxed);
    wait::until_true("the load running", WAIT, || served() >= 10);
    c.nodes[owner].signal("TERM");
    let closing = stream.events_until_end(WAIT);
    assert!(
        closing.iter().any(|e| e.retry.is_some()),
        "the stream was told to come back: {closing:?}"
    );
    let mut resumed = c.nginx.client();
    assert_eq!(
        resumed.open_get(&session, None),
        200,
        "NGINX takes the stream client to another node"
    );
    let updated = c.nginx.client().call(
        &session,
        99_999,
        "tools/call",
        json!({"name": "update_watched_resource"}),
    );
    assert_eq!(updated.status, 200);
    let note = resumed
        .expect_events(1, WAIT)
        .into_iter()
        .find(|e| !e.data.is_empty())
        .expect("a notification")
        .json();
    assert_eq!(
        note["method"], "notifications/resources/updated",
        "the resumed stream works: {note}"
    );
    // The owner is gone, and the load goes on past its exit; only then it stops.
    assert_eq!(
        c.nodes[owner].wait(Duration::from_secs(10)),
        Some(0),
        "the owner exits 0 once drained"
    );
    let at_exit = served();
    wait::until_true("the load going on after the drain", WAIT, || {
        served() >= at_exit + 10
    });
    stop.store(true, Ordering::Relaxed);
    let failed = load.join().expect("the load thread (its panic is above)");
    assert!(
        failed.is_empty(),
        "{} failed of {}: {failed:?}",
        failed.len(),
        served() + failed.len()
    );
}

#[test]
fn a_legacy_stream_survives_kill_9_of_the_node_holding_it() {
    let mut c = cluster(Backing::redis(), 2, &[]);
    let mut stream = c.nginx.client();
    stream.send("GET", "/sse", &[("accept", "text/event-stream")], "");
    assert_eq!(stream.read_head().0, 200);
    let endpoint = stream.next_event(WAIT).expect_item("endpoint").data;
    let session = endpoint
        .split_once("sessionId=")
        .map(|(_, id)| id.to_owned())
        .unwrap_or_else(|| panic!("no session in the endpoint {endpoint:?}"));
    let holder = c.owner_of(&session);
    let executor = &c.nodes[1 - holder];
    let post = |addr: &str, body: Value| {
        Client::connect(addr)
            .request("POST", &endpoint, &[JSON], &body.to_string())
            .status
    };
    assert_eq!(post(&c.nginx.addr, initialize_body("2024-11-05")), 202);
    assert_eq!(
        post(
            &c.nginx.addr,
            json!({"jsonrpc": "2.0", "method": "notifications/initialized"})
        ),
        202
    );
    stream.expect_events(1, WAIT);
    assert_eq!(
        post(&executor.addr, progress_call(9, 10, 100)),
        202,
        "the call runs on the other node"
    );
    let before: Vec<_> = stream.expect_events(2, WAIT);
    let last_id = before
        .iter()
        .filter_map(|e| e.id.clone())
        .next_back()
        .expect("an event id");
    let mut steps: Vec<f64> = before
        .iter()
        .filter(|e| !e.data.is_empty())
        .filter_map(|e| e.json()["params"]["progress"].as_f64())
        .collect();
    let started = Instant::now();
    let _ = c.nodes[holder].child.kill();
    let _ = c.nodes[holder].child.wait();
    let mut again = c.nginx.client();
    again.send(
        "GET",
        &format!("/sse/{session}"),
        &[("accept", "text/event-stream"), ("last-event-id", &last_id)],
        "",
    );
    assert_eq!(
        again.read_head().0,
        200,
        "NGINX sends the re-attach to the live node"
    );
    // Events until the result (none is lost, so all of them come within WAIT).
    let deadline = Instant::now() + WAIT;
    let mut results = 0;
    while results == 0 {
        let left = deadline.saturating_duration_since(Instant::now());
        let event = again
            .next_event(left)
            .expect_item("the rest of the progress and the result");
        if event.event.as_deref() != Some("message") {
            continue;
        }
        let message = event.json();
        if message["id"] == 9 {
            results += 1;
        } else {
            steps.push(
                message["params"]["progress"]
                    .as_f64()
                    .unwrap_or_else(|| panic!("a progress notification: {message}")),
            );
        }
    }
    assert_eq!(
        steps,
        (1..=10).map(f64::from).collect::<Vec<_>>(),
        "every event exactly once"
    );
    assert_eq!(results, 1, "and the result");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "resumed in {:?}",
        started.elapsed()
    );
    eprintln!(
        "stream holder killed: 10 events + result sent, {} + {results} received, no duplicates, complete {:?} after the kill",
        steps.len(),
        started.elapsed()
    );
    let ping = json!({"jsonrpc": "2.0", "id": 10, "method": "ping"});
    assert_eq!(post(&c.nginx.addr, ping), 202, "the session lives on");
    let pong = again.expect_messages(1, WAIT);
    assert_eq!(
        pong[0]["id"], 10,
        "answered on the re-attached stream: {pong:?}"
    );
}

#[test]
fn a_request_whose_node_dies_is_reported_on_its_resumed_stream() {
    let mut c = cluster(Backing::redis(), 2, &[]);
    let s = c.nodes[0].client().initialize("2025-11-25");
    let mut on_a = c.nodes[0].client();
    assert_eq!(on_a.open_post(&s, &progress_call(21, 100, 100)), 200);
    let seen = on_a.expect_events(1, WAIT);
    let last_id = seen
        .iter()
        .filter_map(|e| e.id.clone())
        .next_back()
        .expect("an event id");
    let _ = c.nodes[0].child.kill();
    let _ = c.nodes[0].child.wait();
    let killed = Instant::now();
    let mut on_b = c.nodes[1].client();
    assert_eq!(on_b.open_get(&s, Some(&last_id)), 200);
    let rest: Vec<Value> = on_b.messages_until_end(WAIT);
    let told = killed.elapsed();
    let last = rest.last().expect("something after the kill");
    assert_eq!(last["id"], 21, "the error names the request: {last}");
    assert_eq!(last["error"]["code"], -32603, "{last}");
    assert!(told < Duration::from_secs(8), "told after {told:?}");
    eprintln!("executor killed: its client was told {told:?} after the kill");
    assert_eq!(
        c.nodes[1].client().call(&s, 22, "ping", json!({})).status,
        200,
        "the session lives on"
    );
}
