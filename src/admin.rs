//! Session admin: `GET /sessions` lists this node's live sessions (paginated; with their log
//! level and resource subscriptions), and
//! `DELETE /sessions/:id` ends one (its streams close, later requests get 404).
//!
//! Session ids are capabilities, so these routes are never public: on the MCP port they exist
//! only with `--admin-token-file`, and then only for `Authorization: Bearer <that token>` (404
//! otherwise, as for any unknown path); `--admin-listen` serves them on a listener of its own
//! (loopback unless the token file is given, which it then requires too). They also sit behind
//! the Host/Origin guard.

use http_types::{Method, Request, Response, StatusCode};
use serde_json::{json, Value};

use crate::app::{App, Side};
use crate::error::Error;
use crate::http::{empty, json_response};
use crate::transport::inbound::store_down;

/// The admin token of `--admin-token-file` (its first line), read at start.
pub fn load_token(file: &std::path::Path) -> std::io::Result<String> {
    let text = std::fs::read_to_string(file)?;
    let token = text.lines().next().unwrap_or_default().trim().to_owned();
    if token.len() < 16 {
        return Err(std::io::Error::other(
            "the token must be at least 16 characters",
        ));
    }
    Ok(token)
}

/// Whether `req` may use the admin routes on the listener it came in on.
pub fn admits(app: &App, req: &Request) -> bool {
    let Some(token) = &app.state.admin_token else {
        return app.side == Side::Admin;
    };
    let sent = req
        .header("authorization")
        .and_then(|v| v.last().as_str().strip_prefix("Bearer "))
        .unwrap_or_default()
        .trim();
    same_bytes(sent.as_bytes(), token.as_bytes())
}

/// Compares without stopping at the first difference (no timing hint about the token).
fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

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
    if start.saturating_add(limit) < all.len() {
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
