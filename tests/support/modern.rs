//! 2026-07-28 requests as a client of that revision sends them: `_meta` in the body and the
//! routing headers beside it.

use serde_json::{json, Value};

use super::client::{Client, ACCEPT_BOTH, JSON, WAIT};
use super::response::Response;
use super::server::Server;

pub const V2026: &str = "2026-07-28";

/// A 2026-07-28 request: `params` plus `_meta` with the version and `capabilities`.
pub fn modern(id: Value, method: &str, params: Value, capabilities: Value) -> Value {
    let mut params = if params.is_null() { json!({}) } else { params };
    params["_meta"] = json!({
        "io.modelcontextprotocol/protocolVersion": V2026,
        "io.modelcontextprotocol/clientCapabilities": capabilities,
    });
    json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params})
}

/// The routing headers a 2026-07-28 client sends for `body`.
pub fn routing(body: &Value) -> Vec<(&'static str, String)> {
    let method = body["method"].as_str().unwrap_or_default().to_owned();
    let mut headers = vec![
        ("mcp-protocol-version", V2026.to_owned()),
        ("mcp-method", method),
    ];
    let name = body["params"]["name"]
        .as_str()
        .or(body["params"]["uri"].as_str());
    if let Some(name) = name {
        headers.push(("mcp-name", name.to_owned()));
    }
    headers
}

fn all_headers<'a>(
    body: &'a [(&'static str, String)],
    extra: &[(&'a str, &'a str)],
) -> Vec<(&'a str, &'a str)> {
    let mut headers = vec![ACCEPT_BOTH, JSON];
    headers.extend(body.iter().map(|(n, v)| (*n, v.as_str())));
    headers.extend_from_slice(extra);
    headers
}

/// POSTs a 2026-07-28 request with its routing headers plus `extra`; the whole response.
pub fn send(c: &mut Client, body: &Value, extra: &[(&str, &str)]) -> Response {
    let routing = routing(body);
    c.request(
        "POST",
        "/mcp",
        &all_headers(&routing, extra),
        &body.to_string(),
    )
}

/// POSTs a 2026-07-28 request and reads only the head (status and headers); the body (an SSE
/// stream) is read next with the client's event readers.
pub fn open(c: &mut Client, body: &Value, extra: &[(&str, &str)]) -> (u16, Vec<(String, String)>) {
    let routing = routing(body);
    c.send(
        "POST",
        "/mcp",
        &all_headers(&routing, extra),
        &body.to_string(),
    );
    c.read_head()
}

/// Opens a listen stream with request id `id` for `notifications`; checks the response head and
/// the acknowledgement, and returns the client holding the stream.
pub fn listen(server: &Server, id: Value, notifications: Value) -> Client {
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
    let ack = c
        .expect_messages(1, WAIT)
        .pop()
        .expect("an acknowledgement");
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

pub fn modern_call(server: &Server, tool: &str) {
    let body = modern(json!(1), "tools/call", json!({"name": tool}), json!({}));
    let res = send(&mut server.client(), &body, &[]);
    assert_eq!(
        res.json()["result"]["resultType"],
        "complete",
        "{}",
        res.json()
    );
}
