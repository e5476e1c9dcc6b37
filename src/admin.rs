//! Session admin: `GET /sessions` lists this node's live sessions (paginated; with their log
//! level and resource subscriptions), and
//! `DELETE /sessions/:id` ends one (its streams close, later requests get 404).
//!
//! These routes sit behind the same Host/Origin guard as `/mcp`; mcpd binds to loopback by
//! default, and a deployment that exposes it should keep `/sessions` off the public proxy.

use http_types::{Method, Request, Response, StatusCode};
use serde_json::{json, Value};

use crate::app::App;
use crate::error::Error;
use crate::http::{empty, json_response};
use crate::transport::inbound::store_down;

/// Sessions per page of `GET /sessions` unless `?limit=` asks for fewer (at most this many).
const PAGE: usize = 100;

/// `GET /sessions[?cursor=…&limit=…]` → `{sessions, total, nextCursor?}`.
pub fn list(app: &App, req: &Request) -> Response {
    if req.method() != Method::Get {
        return Error::MethodNotAllowed("GET").into_response();
    }
    let query = |key: &str| {
        req.url()
            .query_pairs()
            .find(|(k, _)| k == key)
            .and_then(|(_, v)| v.parse::<usize>().ok())
    };
    let start = query("cursor").unwrap_or(0);
    let limit = query("limit").unwrap_or(PAGE).clamp(1, PAGE);
    let all = app.state.sessions.all();
    let node = &app.config().node_id;
    let sessions: Vec<Value> = all
        .iter()
        .skip(start)
        .take(limit)
        .map(|s| {
            let client = s.client_info();
            json!({
                "id": s.id,
                "transport": s.transport.as_str(),
                "protocolVersion": s.version().as_str(),
                "client": { "name": client["name"], "version": client["version"] },
                "initialized": s.is_initialized.get(),
                "logLevel": s.log_level.get().map(|l| l.as_str()),
                "subscriptions": *s.subscriptions.borrow(),
                "createdMs": s.created_ms,
                "lastSeenMs": s.last_seen_ms(),
                "nodeId": node,
                "openStreams": s.open_streams.get(),
            })
        })
        .collect();
    let mut body = json!({ "sessions": sessions, "total": all.len() });
    if start + limit < all.len() {
        body["nextCursor"] = (start + limit).to_string().into();
    }
    json_response(StatusCode::Ok, &body)
}

/// `DELETE /sessions/:id`: 200 when it ended, 404 when it was not live.
pub async fn end(app: &App, req: &Request, id: &str) -> Response {
    if req.method() != Method::Delete {
        return Error::MethodNotAllowed("DELETE").into_response();
    }
    let state = &app.state;
    match state.sessions.remove(&state.store, id).await {
        Ok(true) => empty(StatusCode::Ok),
        Ok(false) => Error::SessionNotFound.into_response(),
        Err(e) => store_down(e).into_response(),
    }
}
