//! Streamable HTTP at `/mcp` (2025-03-26, 2025-06-18, 2025-11-25): POST a message, GET the
//! session's standalone stream (or resume one with `Last-Event-ID`), DELETE the session.
//!
//! Every check answers with the status of the spec's cheat sheet and a JSON-RPC error body:
//! 406 Accept, 415 Content-Type, 413 body size, 400 bad JSON (-32700) / not JSON-RPC (-32600) /
//! missing session header / unsupported `MCP-Protocol-Version` / batch outside 2025-03-26,
//! 404 unknown session (-32001), 409 second GET stream, 503 session cap or store down.

use std::rc::Rc;
use std::time::Duration;

use http_types::{Method, Request, Response, StatusCode};
use mcpd_storage::Store;
use serde_json::Value;

use crate::app::App;
use crate::ctx::response_topic;
use crate::error::Error;
use crate::http::{empty, header, json_response, read_body};
use crate::jsonrpc::{self, classify, Message};
use crate::mcp::lifecycle;
use crate::outbox::GET_STREAM;
use crate::protocol::{ProtocolVersion, MODERN_VERSION};
use crate::session::{CreateError, Session};
use crate::transport::event_stream::{self, StreamSpec};
use crate::transport::request::{self, flight_key};

/// How long clients are told to wait when the session cap is reached or the store is down.
const RETRY_AFTER: Duration = Duration::from_secs(5);

/// Answers a request to `/mcp`.
pub async fn handle(app: &App, req: Request) -> Response {
    let stateless = app.config().stateless;
    let result = match req.method() {
        Method::Post => post(app, req).await,
        Method::Get if !stateless => get(app, &req).await,
        Method::Delete if !stateless => delete(app, &req).await,
        _ if stateless => Err(Error::MethodNotAllowed("POST")),
        _ => Err(Error::MethodNotAllowed("GET, POST, DELETE")),
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

fn check_content_type(req: &Request) -> Result<(), Error> {
    let ct = header(req, "content-type").unwrap_or("");
    let mime = ct.split(';').next().unwrap_or("").trim();
    if mime.eq_ignore_ascii_case("application/json") {
        Ok(())
    } else {
        Err(Error::UnsupportedMediaType)
    }
}

/// The `MCP-Protocol-Version` header: absent is fine, a version we do not serve is 400.
fn header_version(req: &Request) -> Result<Option<ProtocolVersion>, Error> {
    let Some(text) = header(req, "mcp-protocol-version") else {
        return Ok(None);
    };
    match ProtocolVersion::parse(text.trim()) {
        Some(v) => Ok(Some(v)),
        None => Err(Error::UnsupportedVersion(text.to_owned())),
    }
}

fn store_down(e: mcpd_storage::Error) -> Error {
    Error::Unavailable(format!("session store: {e}"), RETRY_AFTER)
}

/// The session a request names: 400 without the header, 404 when unknown, 503 if the store is
/// down; `None` in `--stateless` mode.
async fn resolve(app: &App, req: &Request) -> Result<Option<Rc<Session>>, Error> {
    if app.config().stateless {
        return Ok(None);
    }
    let id = header(req, "mcp-session-id").ok_or(Error::MissingSession)?;
    let state = &app.state;
    match state
        .sessions
        .find(&state.store, id)
        .await
        .map_err(store_down)?
    {
        Some(session) => Ok(Some(session)),
        None => Err(Error::SessionNotFound),
    }
}

fn with_session(mut res: Response, session: Option<&Rc<Session>>) -> Response {
    if let Some(s) = session {
        res.insert_header("mcp-session-id", s.id.as_str());
    }
    res
}

async fn post(app: &App, mut req: Request) -> Result<Response, Error> {
    check_accept(&req, true)?;
    check_content_type(&req)?;
    let config = app.config();
    let body = read_body(&mut req, config.max_body, config.body_timeout).await?;
    let value: Value = serde_json::from_slice(&body).map_err(|e| Error::Parse(e.to_string()))?;
    if value.get("method").and_then(Value::as_str) == Some("server/discover") {
        let requested = header(&req, "mcp-protocol-version").unwrap_or(MODERN_VERSION);
        return Err(Error::Discover(value["id"].clone(), requested.to_owned()));
    }
    let version = header_version(&req)?;
    let message = match value {
        Value::Array(items) => return batch(app, &req, version, items).await,
        single => {
            classify(single).map_err(|bad| Error::InvalidRequest(bad.id, bad.error.message))?
        }
    };
    if let Message::Request { id, method, params } = &message {
        if method == "initialize" {
            return initialize(app, &req, id.clone(), params).await;
        }
    }
    let session = resolve(app, &req).await?;
    let version = session
        .as_ref()
        .map(|s| s.version)
        .or(version)
        .unwrap_or(ProtocolVersion::HEADERLESS);
    match message {
        Message::Request { id, method, params } => {
            let res = request::serve(app, session.clone(), version, id, method, params).await;
            Ok(with_session(res, session.as_ref()))
        }
        Message::Notification { method, params } => {
            notification(app, session.as_ref(), &method, &params).await;
            Ok(empty(StatusCode::Accepted))
        }
        Message::Response { id, body } => {
            deliver(app, session.as_ref(), &id, &body).await;
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
        resolve(app, req).await?;
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
    if state.shutdown.is_draining() {
        return Err(Error::Unavailable("shutting down".into(), RETRY_AFTER));
    }
    let created = state
        .sessions
        .create(
            &state.store,
            hello.version,
            hello.client_info,
            hello.capabilities,
        )
        .await;
    let session = match created {
        Ok(session) => session,
        Err(CreateError::Full) => {
            return Err(Error::Unavailable("too many sessions".into(), RETRY_AFTER))
        }
        Err(CreateError::Store(e)) => return Err(store_down(e)),
    };
    crate::log::debug(format_args!(
        "session {} opened ({})",
        session.id,
        session.version.as_str()
    ));
    let res = json_response(StatusCode::Ok, &jsonrpc::result(id, result));
    Ok(with_session(res, Some(&session)))
}

async fn notification(app: &App, session: Option<&Rc<Session>>, method: &str, params: &Value) {
    let state = &app.state;
    match (method, session) {
        ("notifications/initialized", Some(session)) => {
            session.is_initialized.set(true);
            if let Err(e) = state.sessions.save(&state.store, session).await {
                crate::log::warn(format_args!("session {} not saved: {e}", session.id));
            }
        }
        ("notifications/cancelled", Some(session)) => {
            if let Some(id) = params.get("requestId") {
                state
                    .in_flight
                    .borrow_mut()
                    .remove(&flight_key(&session.id, id));
            }
        }
        _ => {}
    }
}

/// A client's answer to a server→client request: published to whoever waits for it.
async fn deliver(app: &App, session: Option<&Rc<Session>>, id: &Value, body: &Value) {
    let Some(session) = session else { return };
    let topic = response_topic(&session.id, &jsonrpc::id_key(id));
    if let Err(e) = app.state.store.publish(&topic, &body.to_string()).await {
        crate::log::warn(format_args!("answer to {id} lost: {e}"));
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
    let session = resolve(app, req).await?;
    let version = session
        .as_ref()
        .map(|s| s.version)
        .or(version)
        .unwrap_or(ProtocolVersion::HEADERLESS);
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
        match classify(item) {
            Err(bad) => responses.push(jsonrpc::error(bad.id, &bad.error)),
            Ok(Message::Request { id, method, params }) => responses.push(
                request::serve_json(app, session.clone(), version, id, &method, params).await,
            ),
            Ok(Message::Notification { method, params }) => {
                notification(app, session.as_ref(), &method, &params).await
            }
            Ok(Message::Response { id, body }) => deliver(app, session.as_ref(), &id, &body).await,
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

/// GET: the standalone stream (one per session, 409 for a second), or with `Last-Event-ID` the
/// replay of the stream that id names, then its live continuation.
async fn get(app: &App, req: &Request) -> Result<Response, Error> {
    check_accept(req, false)?;
    header_version(req)?;
    let session = resolve(app, req)
        .await?
        .ok_or(Error::MethodNotAllowed("POST"))?;
    let state = &app.state;
    let (stream, after) = match header(req, "last-event-id") {
        Some(last) => {
            let (stream, seq) = event_stream::parse_event_id(last.trim()).ok_or_else(|| {
                Error::InvalidRequest(Value::Null, "invalid event ID format".into())
            })?;
            (stream.to_owned(), seq)
        }
        None => {
            let log = state
                .store
                .read_after(&session.id, GET_STREAM, 0)
                .await
                .map_err(store_down)?;
            (GET_STREAM.to_owned(), log.last().map_or(0, |e| e.seq))
        }
    };
    let is_get = stream == GET_STREAM;
    if is_get && session.has_get_stream.replace(true) {
        return Err(Error::Conflict);
    }
    let spec = StreamSpec {
        key: session.id.clone(),
        stream,
        after,
        first: None,
        get_of: is_get.then(|| session.clone()),
        throwaway: None,
    };
    Ok(with_session(
        event_stream::open(&app.state, spec),
        Some(&session),
    ))
}

/// DELETE: ends the session; its streams close and later requests get 404.
async fn delete(app: &App, req: &Request) -> Result<Response, Error> {
    header_version(req)?;
    let session = resolve(app, req)
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
