//! Streamable HTTP at `/mcp`. A POST whose body or `MCP-Protocol-Version` says 2026-07-28 is
//! sessionless (`transport/sessionless.rs`, the era rule in `protocol.rs`); GET or DELETE with
//! such a header gets 405. The rest is the sessionful wire of 2025-03-26, 2025-06-18 and
//! 2025-11-25 (and the 2025 requests of `--stateless`): POST a message, GET the
//! session's standalone stream (or resume one with `Last-Event-ID`), DELETE the session. The
//! original README's routes are aliases that take the same path through this file:
//! `POST /mcp/v1/init` and `POST /mcp/v1/message` are `POST /mcp`, and
//! `GET /mcp/v1/stream/:sessionId` is `GET /mcp` with the session id in the path.
//!
//! Every check answers with the status of the spec's cheat sheet and a JSON-RPC error body:
//! 406 Accept, 415 Content-Type, 413 body size, 400 bad JSON (-32700) / not JSON-RPC (-32600) /
//! missing session header / batch outside 2025-03-26 /
//! `Last-Event-ID` malformed or of another session, 404 unknown session (-32001), 409 second GET
//! stream, 503 session cap or store down.

use std::rc::Rc;

use http_types::{Method, Request, Response, StatusCode};
use mcpd_storage::Store;
use serde_json::Value;

use crate::app::App;
use crate::error::Error;
use crate::http::{empty, header, json_response};
use crate::jsonrpc::{self, Message};
use crate::mcp::lifecycle;
use crate::outbox::GET_STREAM;
use crate::protocol::{Era, ProtocolVersion};
use crate::session::{Session, Transport};
use crate::sessions::CreateError;
use crate::transport::event_id::{self, BadEventId};
use crate::transport::event_stream::{self, StreamSpec};
use crate::transport::inbound::{self, store_down, RETRY_AFTER};
use crate::transport::request::{self, Call};
use crate::transport::sessionless;

/// Which route of Streamable HTTP a request came in on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route<'a> {
    /// `/mcp`: POST, GET and DELETE.
    Endpoint,
    /// `/mcp/v1/init` and `/mcp/v1/message`: POST only.
    PostAlias,
    /// `/mcp/v1/stream/:sessionId`: GET only, the session id in the path.
    StreamAlias(&'a str),
}

/// Answers a request on one of the Streamable HTTP routes.
pub async fn handle(app: &App, req: Request, route: Route<'_>) -> Response {
    let stateless = app.config().stateless;
    let sessionless = Era::of_header(header(&req, "mcp-protocol-version")) == Era::Sessionless;
    let result = match (req.method(), route) {
        (Method::Post, Route::Endpoint | Route::PostAlias) => post(app, req).await,
        // 2026-07-28 has no streams to GET and no sessions to DELETE.
        _ if sessionless => Err(Error::MethodNotAllowed("POST")),
        (Method::Get, Route::Endpoint) if !stateless => get(app, &req, None).await,
        (Method::Get, Route::StreamAlias(id)) if !stateless => get(app, &req, Some(id)).await,
        (Method::Delete, Route::Endpoint) if !stateless => delete(app, &req).await,
        (_, Route::Endpoint) if !stateless => Err(Error::MethodNotAllowed("GET, POST, DELETE")),
        (_, Route::StreamAlias(_)) if !stateless => Err(Error::MethodNotAllowed("GET")),
        _ => Err(Error::MethodNotAllowed("POST")),
    };
    result.unwrap_or_else(Error::into_response)
}

fn check_accept(req: &Request, needs_json: bool) -> Result<(), Error> {
    let accept = header(req, "accept").unwrap_or("").to_ascii_lowercase();
    let any = accept.contains("*/*");
    let sse = any || accept.contains("text/event-stream");
    let json = any || accept.contains("application/json");
    match (sse, json || !needs_json) {
        (true, true) => Ok(()),
        _ if needs_json => Err(Error::NotAcceptable(
            "application/json and text/event-stream",
        )),
        _ => Err(Error::NotAcceptable("text/event-stream")),
    }
}

/// The `MCP-Protocol-Version` header of a sessionful request (one naming any other version was
/// routed to the sessionless rules by `handle`/`post`).
fn header_version(req: &Request) -> Option<ProtocolVersion> {
    header(req, "mcp-protocol-version").and_then(|v| ProtocolVersion::parse_sessionful(v.trim()))
}

/// The session a request names (in the path, else in `Mcp-Session-Id`): 400 without one, 404
/// when unknown; `None` in `--stateless` mode.
async fn resolve(
    app: &App,
    req: &Request,
    in_path: Option<&str>,
) -> Result<Option<Rc<Session>>, Error> {
    if app.config().stateless {
        return Ok(None);
    }
    let id = in_path
        .or_else(|| header(req, "mcp-session-id"))
        .ok_or(Error::MissingSession)?;
    inbound::session(app, req, id).await.map(Some)
}

/// The version a request speaks: its session's, else its header's, else 2025-03-26.
fn spoken(session: Option<&Rc<Session>>, header: Option<ProtocolVersion>) -> ProtocolVersion {
    session
        .map(|s| s.version())
        .or(header)
        .unwrap_or(ProtocolVersion::HEADERLESS)
}

fn with_session(mut res: Response, session: Option<&Rc<Session>>) -> Response {
    if let Some(s) = session {
        res.insert_header("mcp-session-id", s.id.as_str());
    }
    res
}

async fn post(app: &App, mut req: Request) -> Result<Response, Error> {
    check_accept(&req, true)?;
    inbound::check_content_type(&req)?;
    let value = inbound::json_body(app, &mut req).await?;
    if Era::of_post(&value, header(&req, "mcp-protocol-version")) == Era::Sessionless {
        return sessionless::post(app, &req, value).await;
    }
    let version = header_version(&req);
    let message = match value {
        Value::Array(items) => return batch(app, &req, version, items).await,
        single => inbound::classify(single)?,
    };
    if let Message::Request { id, method, params } = &message {
        if method == "initialize" {
            return initialize(app, &req, id.clone(), params).await;
        }
    }
    let session = resolve(app, &req, None).await?;
    let version = spoken(session.as_ref(), version);
    match message {
        Message::Request { id, method, params } => {
            let call = Call::sessionful(session.clone(), version, id, method, params)
                .by(crate::auth::caller(&req));
            Ok(with_session(
                request::serve(app, call).await,
                session.as_ref(),
            ))
        }
        Message::Notification { method, params } => {
            inbound::notification(app, session.as_ref(), &method, &params).await;
            Ok(empty(StatusCode::Accepted))
        }
        Message::Response { id, body } => {
            inbound::deliver(app, session.as_ref(), &id, &body).await;
            Ok(empty(StatusCode::Accepted))
        }
    }
}

async fn initialize(
    app: &App,
    req: &Request,
    id: Value,
    params: &Value,
) -> Result<Response, Error> {
    let state = &app.state;
    if !app.config().stateless && header(req, "mcp-session-id").is_some() {
        resolve(app, req, None).await?;
        return Err(Error::InvalidRequest(
            id,
            "Server already initialized".into(),
        ));
    }
    let hello = match lifecycle::hello(params) {
        Ok(hello) => hello,
        Err(e) => return Ok(json_response(StatusCode::Ok, &jsonrpc::error(id, &e))),
    };
    let result = lifecycle::result(&state.registry, hello.version);
    if app.config().stateless {
        return Ok(json_response(StatusCode::Ok, &jsonrpc::result(id, result)));
    }
    let session = create(app, req, Transport::StreamableHttp, hello).await?;
    let res = json_response(StatusCode::Ok, &jsonrpc::result(id, result));
    Ok(with_session(res, Some(&session)))
}

/// Opens a session owned by the caller of `req`: 503 while draining, at `--max-sessions`, or
/// with the store down.
pub async fn create(
    app: &App,
    req: &Request,
    transport: Transport,
    hello: lifecycle::Hello,
) -> Result<Rc<Session>, Error> {
    let principal = crate::auth::caller(req).map(crate::auth::Principal::key);
    let state = &app.state;
    if state.shutdown.is_draining() {
        return Err(Error::Unavailable("shutting down".into(), RETRY_AFTER));
    }
    match state
        .sessions
        .create(&state.store, transport, hello, principal)
        .await
    {
        Ok(session) => {
            crate::log::debug(format_args!(
                "session {} opened ({})",
                session.id,
                transport.as_str()
            ));
            Ok(session)
        }
        Err(CreateError::Full) => Err(Error::Unavailable("too many sessions".into(), RETRY_AFTER)),
        Err(CreateError::Store(e)) => Err(store_down(e)),
    }
}

/// A JSON-RPC batch: only on 2025-03-26; answered with one JSON array (202 when it holds no
/// requests).
async fn batch(
    app: &App,
    req: &Request,
    version: Option<ProtocolVersion>,
    items: Vec<Value>,
) -> Result<Response, Error> {
    let invalid = |why: &str| Error::InvalidRequest(Value::Null, why.to_owned());
    let session = resolve(app, req, None).await?;
    let version = spoken(session.as_ref(), version);
    if !version.allows_batches() {
        return Err(invalid("batches are only accepted on 2025-03-26"));
    }
    if items.is_empty() {
        return Err(invalid("empty batch"));
    }
    if items
        .iter()
        .any(|m| m.get("method").and_then(Value::as_str) == Some("initialize"))
    {
        return Err(invalid("initialize must not be batched"));
    }
    let mut responses = Vec::new();
    for item in items {
        match jsonrpc::classify(item) {
            Err(bad) => responses.push(jsonrpc::error(bad.id, &bad.error)),
            Ok(Message::Request { id, method, params }) => {
                let call = Call::sessionful(session.clone(), version, id, method, params)
                    .by(crate::auth::caller(req));
                responses.push(request::serve_json(app, call).await);
            }
            Ok(Message::Notification { method, params }) => {
                inbound::notification(app, session.as_ref(), &method, &params).await
            }
            Ok(Message::Response { id, body }) => {
                inbound::deliver(app, session.as_ref(), &id, &body).await
            }
        }
    }
    if responses.is_empty() {
        return Ok(empty(StatusCode::Accepted));
    }
    Ok(with_session(
        json_response(StatusCode::Ok, &Value::Array(responses)),
        session.as_ref(),
    ))
}

/// Where a stream of `session` resumes: after `Last-Event-ID` on the stream it names (400 if it
/// is malformed or another session's), else at the current end of `default_stream`.
pub async fn resume_point(
    app: &App,
    req: &Request,
    session: &Session,
    default_stream: &str,
) -> Result<(String, u64), Error> {
    match header(req, "last-event-id") {
        Some(last) => match event_id::parse_event_id(last, &session.id) {
            Ok((stream, seq)) => Ok((stream.to_owned(), seq)),
            Err(BadEventId::Malformed) => Err(Error::InvalidRequest(
                Value::Null,
                "invalid event ID format".into(),
            )),
            Err(BadEventId::OtherSession) => Err(Error::InvalidRequest(
                Value::Null,
                "event ID belongs to another session".into(),
            )),
        },
        None => {
            let log = app
                .state
                .store
                .read_after(&session.id, default_stream, 0)
                .await
                .map_err(store_down)?;
            Ok((default_stream.to_owned(), log.last().map_or(0, |e| e.seq)))
        }
    }
}

/// GET: the standalone stream (one per session, 409 for a second), or with `Last-Event-ID` the
/// replay of the stream that id names, then its live continuation.
async fn get(app: &App, req: &Request, in_path: Option<&str>) -> Result<Response, Error> {
    check_accept(req, false)?;
    let session = resolve(app, req, in_path)
        .await?
        .ok_or(Error::MethodNotAllowed("POST"))?;
    let (stream, after) = resume_point(app, req, &session, GET_STREAM).await?;
    let is_exclusive = stream == GET_STREAM;
    if is_exclusive && session.has_get_stream.replace(true) {
        return Err(Error::Conflict);
    }
    let spec = StreamSpec {
        key: session.id.clone(),
        stream,
        after,
        first: None,
        session: Some(session.clone()),
        is_exclusive,
        throwaway: None,
    };
    Ok(with_session(
        event_stream::open(&app.state, spec),
        Some(&session),
    ))
}

/// DELETE: ends the session; its streams close and later requests get 404.
async fn delete(app: &App, req: &Request) -> Result<Response, Error> {
    let session = resolve(app, req, None)
        .await?
        .ok_or(Error::MethodNotAllowed("POST"))?;
    let state = &app.state;
    state
        .sessions
        .remove(&state.store, &session.id)
        .await
        .map_err(store_down)?;
    Ok(empty(StatusCode::Ok))
}
