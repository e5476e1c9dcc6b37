//! What both transports do alike with a client's message once it is read: look up its session,
//! parse and classify the body, apply notifications, and route the client's answers to
//! server→client requests to whoever waits for them.

use std::rc::Rc;
use std::time::Duration;

use http_types::Request;
use mcpd_storage::Store;
use serde_json::Value;

use crate::app::App;
use crate::ctx::response_topic;
use crate::error::Error;
use crate::http::{header, read_body};
use crate::jsonrpc;
use crate::session::Session;
use crate::transport::request::{cancel_topic, flight_key};

/// How long clients are told to wait when the session cap is reached or the store is down.
pub const RETRY_AFTER: Duration = Duration::from_secs(5);

/// A store failure as a refusal: 503, try again.
pub fn store_down(e: mcpd_storage::Error) -> Error {
    Error::Unavailable(format!("session store: {e}"), RETRY_AFTER)
}

/// The live session `id` names, if the caller of `req` owns it: 404 when unknown, ended or
/// another principal's (exactly what an unknown session gets), 503 if the store is down.
pub async fn session(app: &App, req: &Request, id: &str) -> Result<Rc<Session>, Error> {
    let state = &app.state;
    let session = state
        .sessions
        .find(&state.store, id)
        .await
        .map_err(store_down)?
        .ok_or(Error::SessionNotFound)?;
    let caller = crate::auth::caller(req).map(crate::auth::Principal::key);
    if session.principal != caller {
        return Err(Error::SessionNotFound);
    }
    Ok(session)
}

/// 415 unless the body is declared JSON (parameters such as charset are fine).
pub fn check_content_type(req: &Request) -> Result<(), Error> {
    let ct = header(req, "content-type").unwrap_or("");
    let mime = ct.split(';').next().unwrap_or("").trim();
    if mime.eq_ignore_ascii_case("application/json") {
        Ok(())
    } else {
        Err(Error::UnsupportedMediaType)
    }
}

/// Reads the body (limits of `--max-body`/`--body-timeout`) and parses it: 400/-32700 if not JSON.
pub async fn json_body(app: &App, req: &mut Request) -> Result<Value, Error> {
    let config = app.config();
    let body = read_body(req, config.max_body, config.body_timeout).await?;
    serde_json::from_slice(&body).map_err(|e| Error::Parse(e.to_string()))
}

/// Classifies one message: 400/-32600 (with the id when readable) if it is not JSON-RPC.
pub fn classify(value: Value) -> Result<jsonrpc::Message, Error> {
    jsonrpc::classify(value).map_err(|bad| Error::InvalidRequest(bad.id, bad.error.message))
}

/// Applies a notification: `initialized` marks the session ready, `cancelled` drops the request
/// it names; the rest need nothing.
pub async fn notification(app: &App, session: Option<&Rc<Session>>, method: &str, params: &Value) {
    let state = &app.state;
    match (method, session) {
        ("notifications/initialized", Some(session)) => {
            session.is_initialized.set(true);
            if let Err(e) = state.sessions.save(&state.store, session).await {
                crate::log::warn(format_args!("session {} not saved: {e}", session.id));
            }
        }
        ("notifications/cancelled", Some(session)) => {
            let Some(id) = params.get("requestId") else {
                return;
            };
            let flight = flight_key(&session.id, id);
            if state.in_flight.borrow_mut().remove(&flight).is_none() {
                // Running on another process (or already done): tell whoever runs it.
                if let Err(e) = state.store.publish(&cancel_topic(&flight), "cancel").await {
                    crate::log::warn(format_args!("cancellation of {id} lost: {e}"));
                }
            }
        }
        _ => {}
    }
}

/// A client's answer to a server→client request: published to whoever waits for it.
pub async fn deliver(app: &App, session: Option<&Rc<Session>>, id: &Value, body: &Value) {
    let Some(session) = session else { return };
    let topic = response_topic(&session.id, &jsonrpc::id_key(id));
    if let Err(e) = app.state.store.publish(&topic, &body.to_string()).await {
        crate::log::warn(format_args!("answer to {id} lost: {e}"));
    }
}
