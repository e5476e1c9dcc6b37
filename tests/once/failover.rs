//! Nodes dying and draining under a live cluster (Redis, real NGINX): streams move to live nodes
//! without losing or repeating an event, a request whose node died is reported to its client,
//! and a drain fails no request. The tests print their figures (run with `--nocapture`).

use serde_json::{json, Value};

use crate::support::cluster::{cluster, progress_call};
use crate::support::Backing;
use crate::support::{initialize_body, JSON, WAIT};

#[test]
fn a_draining_node_hands_its_streams_over_and_finishes_its_work() {
    let mut c = cluster(Backing::redis(), 2, &[]);
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
        .unwrap();
    let seen_on_a = first
        .iter()
        .chain(&rest_on_a)
        .filter(|e| !e.data.is_empty())
        .count();
    let mut on_b = c.nodes[1].client();
    assert_eq!(on_b.open_get(&s, Some(&last_id)), 200);
    let rest: Vec<Value> = on_b.messages_until_end(WAIT);
    assert_eq!(
        seen_on_a + rest.len(),
        7,
        "six progress events and the result, each once: {rest:?}"
    );
    assert_eq!(
        rest.last().unwrap()["id"],
        5,
        "node A finished the work while draining"
    );
    assert_eq!(c.nodes[0].wait(std::time::Duration::from_secs(10)), Some(0));
}

#[test]
fn a_node_draining_under_steady_load_through_nginx_fails_no_request() {
    let mut c = cluster(Backing::redis(), 3, &[]);
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
    let load = std::thread::spawn(move || {
        let (mut ok, mut failed) = (0, Vec::new());
        let deadline = std::time::Instant::now() + std::time::Duration::from_millis(1500);
        let mut id = 0;
        while std::time::Instant::now() < deadline {
            id += 1;
            let call = json!({"jsonrpc": "2.0", "id": id, "method": "tools/call", "params": {"name": "test_simple_text"}});
            let res = crate::support::Client::connect(&addr).post(Some(&s), &call, &[]);
            if res.status == 200 && res.json()["result"]["content"].is_array() {
                ok += 1;
            } else {
                failed.push((res.status, String::from_utf8_lossy(&res.body).into_owned()));
            }
        }
        (ok, failed)
    });
    std::thread::sleep(std::time::Duration::from_millis(500));
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
    let (ok, failed) = load.join().unwrap();
    assert!(
        failed.is_empty(),
        "{} failed of {}: {failed:?}",
        failed.len(),
        ok + failed.len()
    );
    assert!(ok > 20, "the load kept going: {ok} requests");
    assert_eq!(
        c.nodes[owner].wait(std::time::Duration::from_secs(10)),
        Some(0)
    );
}

#[test]
fn a_legacy_stream_survives_kill_9_of_the_node_holding_it() {
    let mut c = cluster(Backing::redis(), 2, &[]);
    let mut stream = c.nginx.client();
    stream.send("GET", "/sse", &[("accept", "text/event-stream")], "");
    assert_eq!(stream.read_head().0, 200);
    let endpoint = stream.next_event(WAIT).expect_item("endpoint").data;
    let session = endpoint.split('=').nth(1).unwrap().to_owned();
    let holder = c.owner_of(&session);
    let executor = &c.nodes[1 - holder];
    let post = |addr: &str, body: Value| {
        crate::support::Client::connect(addr)
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
        .unwrap();
    let mut steps: Vec<f64> = before
        .iter()
        .filter(|e| !e.data.is_empty())
        .filter_map(|e| e.json()["params"]["progress"].as_f64())
        .collect();
    let started = std::time::Instant::now();
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
    let mut results = 0;
    loop {
        let event = again
            .next_event(WAIT)
            .expect_item("the rest of the progress and the result");
        if event.event.as_deref() != Some("message") {
            continue;
        }
        let message = event.json();
        if message["id"] == 9 {
            results += 1;
            break;
        }
        steps.push(message["params"]["progress"].as_f64().unwrap());
    }
    assert_eq!(
        steps,
        (1..=10).map(f64::from).collect::<Vec<_>>(),
        "every event exactly once"
    );
    assert_eq!(results, 1, "and the result");
    assert!(
        started.elapsed() < std::time::Duration::from_secs(5),
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
        .unwrap();
    let _ = c.nodes[0].child.kill();
    let _ = c.nodes[0].child.wait();
    let killed = std::time::Instant::now();
    let mut on_b = c.nodes[1].client();
    assert_eq!(on_b.open_get(&s, Some(&last_id)), 200);
    let rest: Vec<Value> = on_b.messages_until_end(WAIT);
    let told = killed.elapsed();
    let last = rest.last().expect("something after the kill");
    assert_eq!(last["id"], 21, "the error names the request: {last}");
    assert_eq!(last["error"]["code"], -32603, "{last}");
    assert!(
        told < std::time::Duration::from_secs(8),
        "told after {told:?}"
    );
    eprintln!("executor killed: its client was told {told:?} after the kill");
    assert_eq!(
        c.nodes[1].client().call(&s, 22, "ping", json!({})).status,
        200,
        "the session lives on"
    );
}
