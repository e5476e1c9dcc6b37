//! The MCP methods of the sample server: negotiation, tools, resources, prompts, completion,
//! logging and pagination.

use serde_json::{json, Value};

use crate::support::{initialize_body, Server};

#[test]
fn negotiation_echoes_each_supported_version_and_answers_unknown_with_the_latest() {
    let server = Server::mcpd(&[]);
    let mut c = server.client();
    for version in ["2024-11-05", "2025-03-26", "2025-06-18", "2025-11-25"] {
        let res = c.post(None, &initialize_body(version), &[]);
        assert_eq!(res.json()["result"]["protocolVersion"], version);
    }
    let res = c.post(None, &initialize_body("1999-01-01"), &[]);
    let result = res.json()["result"].clone();
    assert_eq!(result["protocolVersion"], "2025-11-25");
    assert_eq!(result["serverInfo"]["name"], "mcpd");
    for capability in ["tools", "resources", "prompts", "logging", "completions"] {
        assert!(
            result["capabilities"][capability].is_object(),
            "{capability}"
        );
    }
}

#[test]
fn initialize_without_protocol_version_is_32602() {
    let server = Server::mcpd(&[]);
    let body =
        json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"capabilities": {}}});
    let res = server.client().post(None, &body, &[]);
    assert_eq!(res.error_code(), -32602);
}

fn call_tool(c: &mut crate::support::Client, session: &str, name: &str, args: Value) -> Value {
    let res = c.call(
        session,
        1,
        "tools/call",
        json!({"name": name, "arguments": args}),
    );
    assert_eq!(res.status, 200);
    res.json()["result"].clone()
}

#[test]
fn calculator_computes_and_reports_bad_math_as_tool_errors() {
    let server = Server::mcpd(&[]);
    let mut c = server.client();
    let s = c.initialize("2025-11-25");
    for (op, a, b, want) in [
        ("add", 2.5, 4.0, "6.5"),
        ("subtract", 1.0, 3.0, "-2"),
        ("multiply", 6.0, 7.0, "42"),
        ("divide", 1.0, 4.0, "0.25"),
    ] {
        let result = call_tool(
            &mut c,
            &s,
            "calculator",
            json!({"operation": op, "a": a, "b": b}),
        );
        assert_eq!(result["content"][0]["text"], want, "{op}");
        assert!(
            result.get("isError").is_none_or(|e| e == false),
            "{op}: {result}"
        );
    }
    let by_zero = call_tool(
        &mut c,
        &s,
        "calculator",
        json!({"operation": "divide", "a": 1, "b": 0}),
    );
    assert_eq!(by_zero["isError"], true);
    assert!(
        by_zero["content"][0]["text"]
            .as_str()
            .is_some_and(|t| t.contains("divide by zero")),
        "{by_zero}"
    );
    let overflow = call_tool(
        &mut c,
        &s,
        "calculator",
        json!({"operation": "multiply", "a": 1e308, "b": 1e308}),
    );
    assert_eq!(overflow["isError"], true);
    let unknown_op = call_tool(
        &mut c,
        &s,
        "calculator",
        json!({"operation": "modulo", "a": 1, "b": 2}),
    );
    assert_eq!(unknown_op["isError"], true);
}

#[test]
fn echo_returns_the_message_unchanged() {
    let server = Server::mcpd(&[]);
    let mut c = server.client();
    let s = c.initialize("2025-06-18");
    let text = "héllo \"wörld\" \n ✓";
    let result = call_tool(&mut c, &s, "echo", json!({"message": text}));
    assert_eq!(result["content"][0], json!({"type": "text", "text": text}));
}

#[test]
fn every_tool_is_listed_with_description_and_object_schema() {
    let server = Server::mcpd(&[]);
    let mut c = server.client();
    let s = c.initialize("2025-11-25");
    let tools = c.call(&s, 1, "tools/list", json!({})).json()["result"]["tools"].clone();
    let tools = tools
        .as_array()
        .unwrap_or_else(|| panic!("no tool list: {tools}"));
    let names: Vec<&Value> = tools.iter().map(|t| &t["name"]).collect();
    assert_eq!(names, [&json!("calculator"), &json!("echo")]);
    for tool in tools {
        assert!(
            tool["description"].as_str().is_some_and(|d| !d.is_empty()),
            "{tool}"
        );
        assert_eq!(tool["inputSchema"]["type"], "object", "{tool}");
    }
}

#[test]
fn pagination_visits_every_item_exactly_once() {
    let server = Server::everything(&["--page-size", "2"]);
    let mut c = server.client();
    let s = c.initialize("2025-11-25");
    let all = Server::everything(&[]);
    let mut c_all = all.client();
    let s_all = c_all.initialize("2025-11-25");
    for (method, key) in [
        ("tools/list", "tools"),
        ("resources/list", "resources"),
        ("prompts/list", "prompts"),
    ] {
        let expected = c_all.call(&s_all, 1, method, json!({})).json()["result"][key]
            .as_array()
            .map(Vec::len)
            .unwrap_or_else(|| panic!("{method} without {key}"));
        assert!(
            expected > 2,
            "{method}: {expected} items fit on one page of 2, nothing to page through"
        );
        let mut seen = Vec::new();
        let mut cursor: Option<String> = None;
        for pages in 1.. {
            assert!(
                pages <= expected,
                "{method}: more pages than items, the cursors go round: {seen:?}"
            );
            let params = cursor.as_ref().map_or(json!({}), |c| json!({"cursor": c}));
            let result = c.call(&s, 1, method, params).json()["result"].clone();
            let page = result[key]
                .as_array()
                .unwrap_or_else(|| panic!("{method}: no {key} in {result}"));
            assert!(
                (1..=2).contains(&page.len()),
                "{method}: a page of {}",
                page.len()
            );
            seen.extend(
                page.iter()
                    .map(|i| i["name"].as_str().unwrap_or_default().to_owned()),
            );
            match result["nextCursor"].as_str() {
                Some(next) => cursor = Some(next.to_owned()),
                None => break,
            }
        }
        let mut unique = seen.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(
            (seen.len(), unique.len()),
            (expected, expected),
            "{method}: {seen:?}"
        );
    }
}

#[test]
fn resources_are_read_live() {
    let server = Server::mcpd(&["--node-id", "reader"]);
    let mut c = server.client();
    let s = c.initialize("2025-11-25");
    let listed = c.call(&s, 1, "resources/list", json!({})).json()["result"]["resources"].clone();
    let uris: Vec<&Value> = listed
        .as_array()
        .unwrap_or_else(|| panic!("no resource list: {listed}"))
        .iter()
        .map(|r| &r["uri"])
        .collect();
    assert_eq!(uris, [&json!("system://info"), &json!("config://server")]);
    let read = |c: &mut crate::support::Client, uri: &str| -> Value {
        let content = c.call(&s, 2, "resources/read", json!({"uri": uri})).json()["result"]
            ["contents"][0]
            .clone();
        assert_eq!(
            (content["uri"].as_str(), content["mimeType"].as_str()),
            (Some(uri), Some("application/json"))
        );
        content["text"]
            .as_str()
            .and_then(|t| serde_json::from_str(t).ok())
            .unwrap_or_else(|| panic!("{uri}: no JSON text in {content}"))
    };
    let info = read(&mut c, "system://info");
    assert_eq!(info["pid"].as_u64(), Some(server.child.id() as u64));
    assert_eq!(info["nodeId"], "reader");
    assert!(info["rssBytes"].as_u64().is_some_and(|n| n > 0), "{info}");
    assert!(info["cpus"].as_u64().is_some_and(|n| n >= 1), "{info}");
    for key in ["hostname", "os", "arch", "systemUptimeSeconds", "version"] {
        assert!(!info[key].is_null(), "{key}");
    }
    let config = read(&mut c, "config://server");
    assert_eq!(config["nodeId"], "reader");
    assert_eq!(config["store"], server.backing.kind());
    let templates = c.call(&s, 3, "resources/templates/list", json!({})).json();
    assert!(templates["result"]["resourceTemplates"].is_array());
}

#[test]
fn subscribe_and_unsubscribe_answer_empty_objects() {
    let server = Server::mcpd(&[]);
    let mut c = server.client();
    let s = c.initialize("2025-11-25");
    for method in ["resources/subscribe", "resources/unsubscribe"] {
        assert_eq!(
            c.call(&s, 1, method, json!({"uri": "system://info"}))
                .json()["result"],
            json!({})
        );
    }
}

#[test]
fn prompts_list_get_and_complete() {
    let server = Server::mcpd(&[]);
    let mut c = server.client();
    let s = c.initialize("2025-11-25");
    let prompts = c.call(&s, 1, "prompts/list", json!({})).json()["result"]["prompts"].clone();
    assert_eq!(prompts[0]["name"], "summarize");
    assert!(prompts[0]["description"].is_string());
    let got = c.call(&s, 2, "prompts/get", json!({"name": "summarize", "arguments": {"text": "Rust is fast.", "style": "detailed"}})).json();
    let text = got["result"]["messages"][0]["content"]["text"]
        .as_str()
        .unwrap_or_else(|| panic!("no text in {got}"))
        .to_owned();
    assert!(
        text.contains("Rust is fast.") && text.contains("detailed"),
        "{text}"
    );
    let done = c.call(&s, 3, "completion/complete", json!({"ref": {"type": "ref/prompt", "name": "summarize"}, "argument": {"name": "style", "value": "b"}})).json();
    assert_eq!(
        done["result"]["completion"]["values"],
        json!(["brief", "bullet-points"])
    );
    assert_eq!(done["result"]["completion"]["total"], 2);
}

#[test]
fn logging_set_level_answers_empty_object() {
    let server = Server::mcpd(&[]);
    let mut c = server.client();
    let s = c.initialize("2025-11-25");
    assert_eq!(
        c.call(&s, 1, "logging/setLevel", json!({"level": "warning"}))
            .json()["result"],
        json!({})
    );
}
