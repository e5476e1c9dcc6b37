//! Sessionless (2026-07-28) requests on `/mcp`: no session is looked up, created or named (an
//! `Mcp-Session-Id` header is ignored, and so is `Last-Event-ID`). A request passes the
//! ladder (`sessionless/ladder.rs`) and is served like any other, its answer JSON or an SSE
//! stream without event ids; `subscriptions/listen` opens a listen stream. Notifications (and
//! stray responses: this wire has no server→client requests) get 202 and need nothing.

use http_types::{Request, Response, StatusCode};
use serde_json::Value;

use crate::app::App;
use crate::error::Error;
use crate::http::empty;
use crate::jsonrpc::Message;
use crate::protocol::ProtocolVersion;
use crate::sessionless::ladder;
use crate::transport::inbound;
use crate::transport::listen;
use crate::transport::request::{self, Call};

/// Answers one sessionless POST whose body is `value`.
pub async fn post(app: &App, req: &Request, value: Value) -> Result<Response, Error> {
    let Message::Request { id, method, params } = inbound::classify(value)? else {
        return Ok(empty(StatusCode::Accepted));
    };
    let envelope = ladder::check(&app.state, req, &method, &params)
        .map_err(|e| Error::Refused(id.clone(), e))?;
    if method == "subscriptions/listen" {
        return listen::open(app, id, &params).await;
    }
    let call = Call {
        session: None,
        version: ProtocolVersion::SESSIONLESS,
        id,
        method,
        params,
        envelope: Some(envelope),
        principal: crate::auth::caller(req).cloned(),
    };
    Ok(request::serve(app, call).await)
}
