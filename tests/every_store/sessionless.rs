//! The 2026-07-28 wire on `/mcp`, for the rows of mcp-2026.md §3 the conformance suite does not
//! observe (§5.6): discover's contents, the session header ignored, GET/DELETE 405, streams
//! without event ids (and `Last-Event-ID` ignored), `X-Accel-Buffering`, a notification's 202,
//! log filtering by the requested level, and a closed response stream cancelling its request.

use serde_json::{json, Value};

use crate::support::modern::*;
use crate::support::sse::{messages, parse_event};
use crate::support::*;

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

fn slow_call(id: u64, steps: u64, interval_ms: u64) -> Value {
    let mut body = modern(
        json!(id),
        "tools/call",
        json!({"name": "slow_progress", "arguments": {"steps": steps, "interval_ms": interval_ms}}),
        json!({}),
    );
    body["params"]["_meta"]["progressToken"] = json!(format!("p{id}"));
    body
}

#[test]
fn discover_lists_every_version_newest_first_with_cache_hints_and_server_info() {
    let server = Server::mcpd(&[]);
    let res = send(
        &mut server.client(),
        &modern(json!(1), "server/discover", Value::Null, json!({})),
        &[],
    );
    assert_eq!(res.status, 200);
    let result = &res.json()["result"];
    assert_eq!(
        result["supportedVersions"],
        json!([
            "2026-07-28",
            "2025-11-25",
            "2025-06-18",
            "2025-03-26",
            "2024-11-05"
        ])
    );
    assert_eq!(result["resultType"], "complete");
    assert!(
        result["ttlMs"].as_u64().is_some() && result["cacheScope"] == "public",
        "{result}"
    );
    assert_eq!(
        result["_meta"]["io.modelcontextprotocol/serverInfo"]["name"],
        "mcpd"
    );
    assert_eq!(result["capabilities"]["tools"]["listChanged"], true);
    // The same list names what is served when a version is not.
    let mut bad = modern(json!(2), "tools/list", Value::Null, json!({}));
    bad["params"]["_meta"]["io.modelcontextprotocol/protocolVersion"] = json!("2099-01-01");
    let res = server.client().request(
        "POST",
        "/mcp",
        &[
            ACCEPT_BOTH,
            JSON,
            ("mcp-protocol-version", "2099-01-01"),
            ("mcp-method", "tools/list"),
        ],
        &bad.to_string(),
    );
    assert_eq!((res.status, res.error_code()), (400, -32022));
    assert_eq!(
        res.json()["error"]["data"]["supported"],
        result["supportedVersions"]
    );
    assert_eq!(res.json()["id"], 2);
}

#[test]
fn a_session_header_is_ignored_and_none_is_minted() {
    let server = Server::mcpd(&[]);
    let body = modern(json!(1), "tools/list", Value::Null, json!({}));
    let res = send(&mut server.client(), &body, &[("mcp-session-id", "bogus")]);
    assert_eq!(res.status, 200, "{}", String::from_utf8_lossy(&res.body));
    assert_eq!(res.header("mcp-session-id"), None);
    assert!(res.json()["result"]["tools"]
        .as_array()
        .is_some_and(|t| !t.is_empty()));
    let health = server.client().request("GET", "/health", &[], "").json();
    assert_eq!(
        health["sessions"], 0,
        "a sessionless request opened a session"
    );
}

#[test]
fn get_and_delete_with_the_2026_header_are_405_allow_post() {
    let server = Server::mcpd(&[]);
    for method in ["GET", "DELETE"] {
        let res = server.client().request(
            method,
            "/mcp",
            &[
                ("accept", "text/event-stream"),
                ("mcp-protocol-version", V2026),
            ],
            "",
        );
        assert_eq!(res.status, 405, "{method}");
        assert_eq!(res.header("allow"), Some("POST"), "{method}");
    }
}

#[test]
fn a_notification_gets_202_and_no_body() {
    let server = Server::mcpd(&[]);
    let body =
        json!({"jsonrpc": "2.0", "method": "notifications/cancelled", "params": {"requestId": 9}});
    let res = server.client().request(
        "POST",
        "/mcp",
        &[
            ACCEPT_BOTH,
            JSON,
            ("mcp-protocol-version", V2026),
            ("mcp-method", "notifications/cancelled"),
        ],
        &body.to_string(),
    );
    assert_eq!(res.status, 202);
    assert!(res.body.is_empty());
}

#[test]
fn a_streamed_answer_has_no_event_ids_and_ignores_last_event_id() {
    let server = Server::everything(&[]);
    let mut c = server.client();
    let (status, headers) = open(
        &mut c,
        &slow_call(1, 3, 20),
        &[("last-event-id", "abc:r1:1")],
    );
    assert_eq!(status, 200);
    assert_eq!(header(&headers, "content-type"), Some("text/event-stream"));
    assert_eq!(header(&headers, "x-accel-buffering"), Some("no"));
    assert_eq!(header(&headers, "mcp-session-id"), None);
    // Three progress notifications, then the response, and the stream ends.
    let events = c.events_until_end(WAIT);
    assert_eq!(events.len(), 4, "{events:?}");
    assert!(
        events.iter().all(|e| e.id.is_none() && e.retry.is_none()),
        "{events:?}"
    );
    let progress: Vec<f64> = events[..3]
        .iter()
        .map(|e| {
            e.json()["params"]["progress"]
                .as_f64()
                .expect("a progress value")
        })
        .collect();
    assert_eq!(progress, [1.0, 2.0, 3.0]);
    assert_eq!(events[3].json()["result"]["resultType"], "complete");
    assert_eq!(events[3].json()["id"], 1);
}

/// Every message of a whole response: the JSON body, or the data of each event of an SSE body.
fn all_messages(res: &Response) -> Vec<Value> {
    if res.content_type().starts_with("application/json") {
        return vec![res.json()];
    }
    assert!(
        res.content_type().starts_with("text/event-stream"),
        "{res:?}"
    );
    let text = String::from_utf8_lossy(&res.body);
    messages(
        &text
            .split("\n\n")
            .filter_map(parse_event)
            .collect::<Vec<_>>(),
    )
}

#[test]
fn log_messages_come_only_at_or_above_the_level_the_request_names() {
    let server = Server::everything(&[]);
    // The levels of the log messages before the call's result.
    let call = |level: Option<&str>| {
        let mut body = modern(
            json!(1),
            "tools/call",
            json!({"name": "test_logging_tool"}),
            json!({}),
        );
        if let Some(level) = level {
            body["params"]["_meta"]["io.modelcontextprotocol/logLevel"] = json!(level);
        }
        let res = send(&mut server.client(), &body, &[]);
        assert_eq!(res.status, 200, "{level:?}: {res:?}");
        let mut all = all_messages(&res);
        let result = all.pop().expect("a response");
        assert_eq!(
            (&result["id"], &result["result"]["resultType"]),
            (&json!(1), &json!("complete")),
            "{level:?}: the call ran to its result: {result}"
        );
        all.iter()
            .map(|m| {
                assert_eq!(m["method"], "notifications/message", "{level:?}: {m}");
                m["params"]["level"]
                    .as_str()
                    .unwrap_or_else(|| panic!("a log message without a level: {m}"))
                    .to_owned()
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(call(None), Vec::<String>::new(), "no level, no log");
    assert_eq!(call(Some("info")), ["info", "warning"]);
    assert_eq!(call(Some("debug")), ["debug", "info", "warning"]);
    let mut bad = modern(
        json!(1),
        "tools/call",
        json!({"name": "test_logging_tool"}),
        json!({}),
    );
    bad["params"]["_meta"]["io.modelcontextprotocol/logLevel"] = json!("loud");
    let res = send(&mut server.client(), &bad, &[]);
    assert_eq!((res.status, res.error_code()), (400, -32602));
}

fn cancelled_count(server: &Server) -> u64 {
    let body = modern(
        json!(1),
        "tools/call",
        json!({"name": "test_cancelled_count"}),
        json!({}),
    );
    let res = send(&mut server.client(), &body, &[]);
    let text = res.json()["result"]["content"][0]["text"].clone();
    text.as_str()
        .and_then(|t| t.parse().ok())
        .unwrap_or_else(|| panic!("test_cancelled_count answered {}", res.json()))
}

#[test]
fn a_closed_response_stream_cancels_the_request() {
    let server = Server::everything(&[]);
    assert_eq!(cancelled_count(&server), 0);
    let mut c = server.client();
    // 1000 steps of 50 ms: the run cannot end by itself while the test waits.
    assert_eq!(open(&mut c, &slow_call(1, 1000, 50), &[]).0, 200);
    c.expect_events(1, WAIT);
    drop(c);
    wait::until_true("the handler cancelled", WAIT, || {
        cancelled_count(&server) > 0
    });
    assert_eq!(cancelled_count(&server), 1);
    // A call that runs to its end is not counted.
    let mut c = server.client();
    assert_eq!(open(&mut c, &slow_call(2, 2, 10), &[]).0, 200);
    let run = c.messages_until_end(WAIT);
    assert_eq!(
        run.last().map(|m| m["id"].clone()),
        Some(json!(2)),
        "{run:?}"
    );
    assert_eq!(cancelled_count(&server), 1);
}
