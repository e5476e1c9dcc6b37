//! The legacy HTTP+SSE transport (2024-11-05): `GET /sse` opens a session and its stream, whose
//! first event, `endpoint`, names `/messages?sessionId=<id>`; each `POST /messages` (or
//! `/message`) carries one JSON-RPC message and is answered `202 Accepted` at once, while the
//! response travels on the stream as `event: message`. `GET /sse/:sessionId` re-attaches a stream
//! to a live session, replaying what was missed after `Last-Event-ID`.
//!
//! The session outlives its stream (clients may re-attach) and expires like any other: after
//! `--session-ttl` idle, or `--init-timeout` if it never initializes.

use http_types::{Method, Request, Response, StatusCode};
use mcpd_storage::Store;
use serde_json::json;

use crate::app::App;
use crate::error::Error;
use crate::http::header;
use crate::jsonrpc::{self, Message};
use crate::mcp::lifecycle::{self, Hello};
use crate::outbox::LEGACY_STREAM;
use crate::protocol::ProtocolVersion;
use crate::session::Transport;
use crate::transport::event_stream::{self, StreamSpec};
use crate::transport::inbound::{self, store_down};
use crate::transport::request::{self, Call};
use crate::transport::streamable::{create, resume_point};

/// `GET /sse` (a new session) or `GET /sse/:sessionId` (re-attach).
pub async fn open(app: &App, req: Request, reattach: Option<&str>) -> Response {
    open_stream(app, &req, reattach)
        .await
        .unwrap_or_else(Error::into_response)
}

async fn open_stream(app: &App, req: &Request, reattach: Option<&str>) -> Result<Response, Error> {
    if req.method() != Method::Get {
        return Err(Error::MethodNotAllowed("GET"));
    }
    if let Some(accept) = header(req, "accept") {
        if !accept.contains("text/event-stream") && !accept.contains("*/*") {
            return Err(Error::NotAcceptable("text/event-stream"));
        }
    }
    let (session, stream, after) = match reattach {
        None => {
            let placeholder = Hello {
                version: ProtocolVersion::V2024_11_05,
                client_info: json!({}),
                capabilities: json!({}),
            };
            (
                create(app, req, Transport::Sse, placeholder).await?,
                LEGACY_STREAM.to_owned(),
                0,
            )
        }
        Some(id) => {
            let session = inbound::session(app, req, id).await?;
            let (stream, after) = resume_point(app, req, &session, LEGACY_STREAM).await?;
            (session, stream, after)
        }
    };
    let is_exclusive = stream == LEGACY_STREAM;
    if is_exclusive && session.has_get_stream.replace(true) {
        return Err(Error::Conflict);
    }
    let endpoint = format!(
        "event: endpoint\ndata: /messages?sessionId={}\n\n",
        session.id
    );
    let spec = StreamSpec {
        key: session.id.clone(),
        stream,
        after,
        first: Some(endpoint.into_bytes()),
        session: Some(session),
        is_exclusive,
        throwaway: None,
    };
    Ok(event_stream::open(&app.state, spec))
}

/// `POST /messages?sessionId=…`: one message in, 202 out; answers go on the session's stream.
pub async fn post(app: &App, req: Request) -> Response {
    accept_message(app, req)
        .await
        .unwrap_or_else(Error::into_response)
}

async fn accept_message(app: &App, mut req: Request) -> Result<Response, Error> {
    if req.method() != Method::Post {
        return Err(Error::MethodNotAllowed("POST"));
    }
    let id = req
        .url()
        .query_pairs()
        .find(|(k, _)| k == "sessionId")
        .map(|(_, v)| v.into_owned());
    let session = inbound::session(app, &req, &id.ok_or(Error::MissingSession)?).await?;
    inbound::check_content_type(&req)?;
    let message = inbound::classify(inbound::json_body(app, &mut req).await?)?;
    match message {
        Message::Request { id, method, params } if method == "initialize" => {
            let response = match lifecycle::hello(&params) {
                Ok(hello) => {
                    let result = lifecycle::result(&app.state.registry, hello.version);
                    session.greet(hello);
                    let state = &app.state;
                    state
                        .sessions
                        .save(&state.store, &session)
                        .await
                        .map_err(store_down)?;
                    jsonrpc::result(id, result)
                }
                Err(e) => jsonrpc::error(id, &e),
            };
            let store = &app.state.store;
            store
                .append(&session.id, LEGACY_STREAM, &response.to_string(), false)
                .await
                .map_err(store_down)?;
        }
        Message::Request { id, method, params } => {
            let version = session.version();
            let call = Call::sessionful(Some(session), version, id, method, params)
                .by(crate::auth::caller(&req));
            if let Some(refusal) = request::step_up(app, &call) {
                return Ok(refusal);
            }
            request::serve_legacy(app, call);
        }
        Message::Notification { method, params } => {
            inbound::notification(app, Some(&session), &method, &params).await
        }
        Message::Response { id, body } => inbound::deliver(app, Some(&session), &id, &body).await,
    }
    let mut res = Response::new(StatusCode::Accepted);
    res.set_body("Accepted");
    Ok(res)
}
