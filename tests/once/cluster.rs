//! Several mcpd processes behind a real NGINX (configured by `nginx/generate`), on a shared
//! Redis or each on its own memory store: any node serves any session, streams resume on another
//! node, and the session-id prefix keeps memory-store sessions on their node. (What happens when a
//! node dies or drains is in `failover.rs`.)

use std::io::{BufRead, BufReader, Read};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use serde_json::{json, Value};

use crate::support::cluster::{cluster, cluster_of, progress_call};
use crate::support::nginx::{free_port, free_ports};
use crate::support::process::{self, Terminated};
use crate::support::{initialize_body, wait, Backing, Client, JSON, WAIT};

#[test]
fn one_session_spread_over_every_node_bypassing_nginx() {
    let c = cluster(Backing::redis(), 3, &[]);
    let s = c.nodes[0].client().initialize("2025-11-25");
    let subscribed = c.nodes[0].client().call(
        &s,
        1,
        "resources/subscribe",
        json!({"uri": "test://watched-resource"}),
    );
    assert_eq!(
        subscribed.json()["result"],
        json!({}),
        "node A takes the subscription"
    );
    let mut get = c.nodes[2].client();
    assert_eq!(get.open_get(&s, None), 200, "node C holds the GET stream");

    let mut on_b = c.nodes[1].client();
    assert_eq!(on_b.open_post(&s, &progress_call(7, 3, 10)), 200);
    let answered: Vec<Value> = on_b.messages_until_end(WAIT);
    let tokens: Vec<&Value> = answered
        .iter()
        .filter_map(|m| m["params"].get("progressToken"))
        .collect();
    assert_eq!(
        tokens,
        [&json!(7), &json!(7), &json!(7)],
        "progress on node B's POST stream"
    );
    assert_eq!(
        answered.last().map(|m| &m["id"]),
        Some(&json!(7)),
        "{answered:?}"
    );

    let updated = c.nodes[1].client().call(
        &s,
        8,
        "tools/call",
        json!({"name": "update_watched_resource"}),
    );
    assert_eq!(updated.json()["id"], 8, "node B changes the resource");
    let note = get
        .expect_events(1, WAIT)
        .into_iter()
        .find(|e| !e.data.is_empty())
        .expect("a notification on C")
        .json();
    assert_eq!(
        note["method"], "notifications/resources/updated",
        "produced on B, delivered by C: {note}"
    );
    assert_eq!(note["params"]["uri"], "test://watched-resource");
}

#[test]
fn a_stream_dropped_on_one_node_resumes_on_another_exactly_once() {
    let c = cluster(Backing::redis(), 2, &[]);
    let s = c.nodes[0].client().initialize("2025-11-25");
    let mut on_a = c.nodes[0].client();
    assert_eq!(on_a.open_post(&s, &progress_call(3, 8, 100)), 200);
    let first = on_a.expect_events(1, WAIT);
    let last_id = first
        .last()
        .and_then(|e| e.id.clone())
        .expect("an event id");
    drop(on_a);
    let mut on_b = c.nodes[1].client();
    assert_eq!(on_b.open_get(&s, Some(&last_id)), 200);
    let rest: Vec<Value> = on_b.messages_until_end(WAIT);
    let steps: Vec<f64> = rest
        .iter()
        .filter_map(|m| m["params"]["progress"].as_f64())
        .collect();
    assert_eq!(
        steps,
        (2..=8).map(f64::from).collect::<Vec<_>>(),
        "every remaining step once: {rest:?}"
    );
    assert_eq!(
        rest.iter().filter(|m| m["id"] == 3).count(),
        1,
        "the result once"
    );
}

#[test]
fn memory_store_sessions_stick_to_their_node_through_nginx() {
    let c = cluster(Backing::Memory, 3, &["--store", "memory"]);
    let mut seen_nodes = std::collections::BTreeSet::new();
    for _ in 0..6 {
        let mut client = c.nginx.client();
        let s = client.initialize("2025-11-25");
        seen_nodes.insert(s.split('.').next().unwrap_or_default().to_owned());
        for id in 0..5 {
            assert_eq!(
                c.nginx.client().call(&s, id, "ping", json!({})).status,
                200,
                "{s} stays on its node"
            );
        }
    }
    assert!(
        seen_nodes.len() > 1,
        "new sessions are spread: {seen_nodes:?}"
    );
}

#[test]
fn the_legacy_transport_works_through_nginx_on_any_node() {
    let c = cluster(Backing::redis(), 2, &[]);
    let mut stream = c.nginx.client();
    stream.send("GET", "/sse", &[("accept", "text/event-stream")], "");
    assert_eq!(stream.read_head().0, 200);
    let endpoint = stream.next_event(WAIT).expect_item("endpoint").data;
    let post = |body: Value| {
        c.nginx
            .client()
            .request("POST", &endpoint, &[JSON], &body.to_string())
            .status
    };
    assert_eq!(post(initialize_body("2024-11-05")), 202);
    assert_eq!(
        post(json!({"jsonrpc": "2.0", "method": "notifications/initialized"})),
        202
    );
    assert_eq!(post(progress_call(4, 2, 10)), 202);
    // The initialize result, two progress notifications and the result.
    let events = stream.expect_events(4, WAIT);
    let messages: Vec<Value> = events
        .iter()
        .filter(|e| e.event.as_deref() == Some("message"))
        .map(|e| e.json())
        .collect();
    assert_eq!(messages.len(), 4, "all as `message` events: {events:?}");
    assert_eq!(messages[0]["result"]["protocolVersion"], "2024-11-05");
    assert_eq!(messages[3]["id"], 4, "{messages:?}");
}

#[test]
fn the_python_sdk_client_works_through_nginx() {
    let c = cluster_of(false, Backing::redis(), 2, &[]);
    let python = concat!(env!("CARGO_MANIFEST_DIR"), "/target/tools/venv/bin/python");
    assert!(
        std::path::Path::new(python).exists(),
        "{python} is missing: run tests/scripts/setup (tests/run does)"
    );
    for mode in ["auto", "legacy", "sse"] {
        let out = process::output_within(
            Command::new(python)
                .arg(concat!(
                    env!("CARGO_MANIFEST_DIR"),
                    "/tests/scripts/sdk_client.py"
                ))
                .args([
                    format!("http://{}", c.nginx.addr),
                    mode.to_owned(),
                    "redis".to_owned(),
                ])
                .args(["--any-node"]),
            Duration::from_secs(60),
        );
        assert!(
            out.status.success(),
            "{mode}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// `nginx/cluster` up with 2 nodes on ports `first`, `first + 1`, NGINX on `listen` and Redis on
/// `redis`; stopped (SIGTERM: it stops what it started) when dropped.
struct LocalCluster {
    script: Terminated,
    first: u16,
    listen: String,
    redis: u16,
}

/// Starts `nginx/cluster` on free ports; when a port is taken before the script binds it (it
/// then exits saying so), starts it again on other ports.
fn local_cluster() -> LocalCluster {
    for _ in 0..10 {
        let first = free_ports(2);
        let listen = format!("127.0.0.1:{}", free_port());
        let mut child = Command::new(concat!(env!("CARGO_MANIFEST_DIR"), "/nginx/cluster"))
            .args(["--nodes", "2", "--first-port", &first.to_string()])
            .args(["--listen", &listen, "--binary", env!("CARGO_BIN_EXE_mcpd")])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run nginx/cluster");
        // Read on threads, so that no read blocks the test past its deadline.
        let (line_tx, lines) = mpsc::channel();
        let stdout = BufReader::new(child.stdout.take().expect("stdout"));
        std::thread::spawn(move || {
            for line in stdout.lines().map_while(Result::ok) {
                let _ = line_tx.send(line);
            }
        });
        let (err_tx, stderr_text) = mpsc::channel();
        let mut stderr = child.stderr.take().expect("stderr");
        std::thread::spawn(move || {
            let mut text = String::new();
            let _ = stderr.read_to_string(&mut text);
            let _ = err_tx.send(text);
        });
        let mut script = Terminated(child);
        // The script prints one line, the banner, once everything is up.
        let first_line = match lines.recv_timeout(Duration::from_secs(60)) {
            Ok(line) if line.contains(&format!("http://{listen}/mcp")) => {
                let redis = line
                    .split("Redis on ")
                    .nth(1)
                    .map(|rest| rest.chars().take_while(char::is_ascii_digit).collect())
                    .and_then(|port: String| port.parse().ok())
                    .unwrap_or_else(|| panic!("no Redis port in the banner {line:?}"));
                return LocalCluster {
                    script,
                    first,
                    listen,
                    redis,
                };
            }
            Ok(line) => line,
            Err(mpsc::RecvTimeoutError::Disconnected) => String::new(),
            Err(mpsc::RecvTimeoutError::Timeout) => {
                panic!("nginx/cluster printed no banner within 60 s")
            }
        };
        // It did not start: it exits (stopping what it started) and says why.
        let status = process::exit_within(&mut script.0, Duration::from_secs(30));
        let why = stderr_text
            .recv_timeout(Duration::from_secs(10))
            .unwrap_or_default();
        let status = status.map_or("still running".to_owned(), |s| s.to_string());
        let why = format!("{status}: {first_line}\n{why}");
        if !why.contains("Address already in use") {
            panic!("nginx/cluster did not start: {why}");
        }
        eprintln!("nginx/cluster did not start ({why}); trying other ports");
    }
    panic!("nginx/cluster did not start on 10 sets of ports");
}

/// Whether something accepts connections on `addr`.
fn listening(addr: &str) -> bool {
    TcpStream::connect(addr).is_ok()
}

#[test]
fn the_local_cluster_command_starts_everything_and_stops_it_all() {
    let mut local = local_cluster();
    let redis = format!("127.0.0.1:{}", local.redis);
    let nodes = [local.first, local.first + 1].map(|port| format!("127.0.0.1:{port}"));
    // Up: each node answers as itself, ready (so its Redis answers too), and NGINX in front
    // reaches them.
    for (port, addr) in [local.first, local.first + 1].iter().zip(&nodes) {
        let health = Client::connect(addr).request("GET", "/health", &[], "");
        assert_eq!(health.status, 200, "{addr}: {health:?}");
        assert_eq!(health.json()["nodeId"], format!("p{port}"), "{addr}");
    }
    assert!(listening(&redis), "Redis on {redis}");
    let s = Client::connect(&local.listen).initialize("2025-11-25");
    assert!(
        s.starts_with(&format!("p{}.", local.first))
            || s.starts_with(&format!("p{}.", local.first + 1)),
        "{s}: a session of one of the script's nodes"
    );
    assert_eq!(
        Client::connect(&local.listen)
            .call(&s, 1, "ping", json!({}))
            .status,
        200
    );
    local.script.terminate();
    let status = process::exit_within(&mut local.script.0, Duration::from_secs(30));
    assert!(
        status.is_some_and(|s| s.success()),
        "nginx/cluster exits 0 on SIGTERM: {status:?}"
    );
    // Everything it started stops with it (each was listening above).
    for (what, addr) in [("nginx", &local.listen), ("redis-server", &redis)]
        .into_iter()
        .chain(nodes.iter().map(|addr| ("node", addr)))
    {
        wait::until_true(&format!("{what} on {addr} stopped"), WAIT, || {
            !listening(addr)
        });
    }
}

#[test]
fn a_cancellation_reaches_the_node_running_the_request() {
    let c = cluster(Backing::redis(), 2, &[]);
    let s = c.nodes[0].client().initialize("2025-11-25");
    let mut on_a = c.nodes[0].client();
    let call = json!({"jsonrpc": "2.0", "id": 12, "method": "tools/call", "params": {"name": "test_sampling", "arguments": {"prompt": "hi"}}});
    assert_eq!(on_a.open_post(&s, &call), 200);
    let asked = on_a.expect_messages(1, WAIT);
    assert_eq!(asked[0]["method"], "sampling/createMessage", "{asked:?}");
    let cancel =
        json!({"jsonrpc": "2.0", "method": "notifications/cancelled", "params": {"requestId": 12}});
    assert_eq!(
        c.nodes[1].client().post(Some(&s), &cancel, &[]).status,
        202,
        "sent to node B"
    );
    // The sampling request is never answered (it would time out after 60 s): only the
    // cancellation can end A's stream, and with no result.
    on_a.expect_end(WAIT);
}

#[test]
fn the_shipped_nginx_config_is_what_the_generator_prints_for_two_nodes() {
    let shipped = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/nginx/mcpd.conf"))
        .expect("nginx/mcpd.conf");
    let generated = process::output_within(
        &mut Command::new(concat!(env!("CARGO_MANIFEST_DIR"), "/nginx/generate")),
        WAIT,
    );
    assert!(generated.status.success(), "{generated:?}");
    assert_eq!(
        shipped,
        String::from_utf8_lossy(&generated.stdout),
        "regenerate it: nginx/generate > nginx/mcpd.conf"
    );
}

#[test]
fn a_sampling_answer_posted_to_another_node_reaches_the_waiting_tool() {
    let c = cluster(Backing::redis(), 2, &[]);
    let s = c.nodes[0].client().initialize("2025-11-25");
    let mut on_a = c.nodes[0].client();
    let call = json!({"jsonrpc": "2.0", "id": 31, "method": "tools/call", "params": {"name": "test_sampling", "arguments": {"prompt": "hi"}}});
    assert_eq!(on_a.open_post(&s, &call), 200);
    let request = on_a.expect_messages(1, WAIT).remove(0);
    assert_eq!(request["method"], "sampling/createMessage", "{request}");
    let answer = json!({"jsonrpc": "2.0", "id": request["id"], "result": {"role": "assistant", "content": {"type": "text", "text": "answered on B"}, "model": "m"}});
    assert_eq!(c.nodes[1].client().post(Some(&s), &answer, &[]).status, 202);
    let result = on_a.expect_messages(1, WAIT).remove(0);
    assert_eq!(result["id"], 31, "{result}");
    assert!(
        result["result"]["content"][0]["text"]
            .as_str()
            .is_some_and(|t| t.contains("answered on B")),
        "{result}"
    );
}
