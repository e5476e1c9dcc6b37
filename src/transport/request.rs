//! Serving one JSON-RPC request: run the handler, and answer with JSON when it finished without
//! emitting anything, or with the SSE stream of its events otherwise (see `outbox.rs`).
//!
//! The handler is polled once in place; most requests (ping, lists, plain tool calls) finish
//! there with no task spawned and no store traffic. One still pending is spawned on the local
//! executor. On a session it keeps running if the client goes away (a disconnect is not a
//! cancellation: the client resumes the stream); `notifications/cancelled` drops it. Without a
//! session (2026-07-28, `--stateless`) nothing could resume its stream, so a client that closes
//! it cancels the request.

use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;

use futures_lite::{future, FutureExt};
use http_types::{Body, Response, StatusCode};
use mcpd_storage::Store;
use serde_json::Value;

use crate::app::{App, AppState};
use crate::auth::Principal;
use crate::ctx::Ctx;
use crate::http::json_response;
use crate::jsonrpc;
use crate::mcp;
use crate::outbox::{Decision, Outbox, Route};
use crate::protocol::ProtocolVersion;
use crate::registry::Outcome;
use crate::session::Session;
use crate::sessionless::{self, Envelope};
use crate::transport::event_stream::{self, StreamSpec};
use crate::transport::lease;

/// The in-flight key of request `id` on event-log key `key` (for `notifications/cancelled`).
pub fn flight_key(key: &str, id: &Value) -> String {
    format!("{key}|{}", jsonrpc::id_key(id))
}

/// The topic on which a cancellation reaches the process running the request, wherever the
/// `notifications/cancelled` arrived.
pub fn cancel_topic(flight: &str) -> String {
    format!("cx:{flight}")
}

/// Cancels whatever request still runs on event-log key `key` (the client of a stream nobody
/// can resume went away).
pub fn cancel(state: &AppState, key: &str) {
    let prefix = format!("{key}|");
    state
        .in_flight
        .borrow_mut()
        .retain(|flight, _| !flight.starts_with(&prefix));
}

/// A request: who asks, at which version, and what.
#[derive(Debug)]
pub struct Call {
    /// The session, when there is one.
    pub session: Option<Rc<Session>>,
    /// The protocol version the request speaks.
    pub version: ProtocolVersion,
    /// The JSON-RPC id.
    pub id: Value,
    /// The method.
    pub method: String,
    /// The params (`Null` when absent).
    pub params: Value,
    /// A sessionless request's `_meta` (checked by the ladder) and MRTR state.
    pub envelope: Option<Envelope>,
    /// Who asks (`None` without authentication).
    pub principal: Option<Principal>,
}

impl Call {
    /// A request of the sessionful wire (a session, or `--stateless`).
    pub fn sessionful(
        session: Option<Rc<Session>>,
        version: ProtocolVersion,
        id: Value,
        method: String,
        params: Value,
    ) -> Call {
        Call {
            session,
            version,
            id,
            method,
            params,
            envelope: None,
            principal: None,
        }
    }

    /// The same call, made by `principal`.
    pub fn by(self, principal: Option<&Principal>) -> Call {
        Call {
            principal: principal.cloned(),
            ..self
        }
    }
}

type Work = Pin<Box<dyn Future<Output = Outcome>>>;

/// Builds the outbox and the handler's future for a call.
fn prepare(state: &Rc<AppState>, call: Call, route: Route) -> (Rc<Outbox>, Work, Value) {
    let stream = state.unique_name('r');
    let session_id = call.session.as_ref().map(|s| s.id.as_str());
    let outbox = Rc::new(Outbox::new(state, session_id, stream, route));
    let ctx = Ctx::new(
        state.clone(),
        call.session,
        outbox.clone(),
        &call.params,
        call.version,
        call.envelope,
        call.principal,
    );
    let (method, params) = (call.method, call.params);
    let work = Box::pin(async move {
        let outcome = mcp::dispatch(ctx.clone(), &method, params).await;
        ctx.settle(&method, outcome)
    });
    (outbox, work, call.id)
}

/// Runs the rest of a request's work on the executor; `notifications/cancelled` can drop it,
/// whichever process it reaches (locally through `in_flight`, elsewhere through the store).
fn spawn(state: &Rc<AppState>, outbox: Rc<Outbox>, work: Work, id: Value) {
    let (cancel_tx, cancel_rx) = async_channel::bounded::<()>(1);
    let flight = flight_key(&outbox.key, &id);
    state
        .in_flight
        .borrow_mut()
        .insert(flight.clone(), cancel_tx);
    let task_state = state.clone();
    let task = async move {
        let from_here = async {
            let _ = cancel_rx.recv().await;
        };
        let from_anywhere = async {
            if let Ok(cancels) = task_state.store.subscribe(&cancel_topic(&flight)).await {
                if cancels.next().await.is_some() {
                    return;
                }
            }
            std::future::pending::<()>().await
        };
        let cancelled = from_here.or(from_anywhere);
        let is_leased = outbox.is_resumable();
        let heartbeat = async {
            if is_leased {
                lease::hold(&task_state, &outbox.key, &outbox.stream, &id).await;
            }
            std::future::pending::<()>().await
        };
        let outcome = async { Some(work.await) }
            .or(async {
                cancelled.await;
                None
            })
            .or(async {
                heartbeat.await;
                None
            })
            .await;
        task_state.in_flight.borrow_mut().remove(&flight);
        let written = match outcome {
            Some(outcome) => outbox.finish(jsonrpc::response(id, outcome)).await,
            None => outbox.cancel().await,
        };
        if let Err(e) = written {
            crate::log::warn(format_args!("response of a request lost: {e}"));
        }
        if is_leased {
            lease::release(&task_state, &outbox.key, &outbox.stream).await;
        }
    };
    state.executor.spawn(task).detach();
}

/// Serves a Streamable HTTP request, whose answer may stream.
pub async fn serve(app: &App, call: Call) -> Response {
    if let Some(refusal) = step_up(app, &call) {
        return refusal;
    }
    let state = &app.state;
    let version = call.version;
    let route = if state.config.json_response {
        Route::JsonOnly
    } else {
        Route::Request
    };
    let (outbox, mut work, id) = prepare(state, call, route);

    let json = |response: Value| {
        let code = response["error"]["code"].as_i64();
        let status = match code {
            Some(code) if version.is_sessionless() => sessionless::status_of(code),
            _ => StatusCode::Ok,
        };
        json_response(status, &response)
    };
    if let Some(outcome) = future::poll_once(&mut work).await {
        let response = jsonrpc::response(id, outcome);
        if !outbox.is_streaming() {
            return json(response);
        }
        let _ = outbox.finish(response).await;
        return open(state, &outbox, version);
    }
    let decision = (!outbox.is_streaming()).then(|| outbox.await_decision());
    spawn(state, outbox.clone(), work, id);
    match decision {
        None => open(state, &outbox, version),
        Some(rx) => match rx.recv().await {
            Ok(Decision::Json(response)) => json(response),
            Ok(Decision::Stream) => open(state, &outbox, version),
            Ok(Decision::Cancelled) | Err(_) => empty_stream(),
        },
    }
}

/// The 403 `insufficient_scope` challenge for a `tools/call` of a tool whose scopes the
/// caller's token lacks (naming every scope needed: the tool's and `--auth-scopes`).
pub fn step_up(app: &App, call: &Call) -> Option<Response> {
    if call.method != "tools/call" {
        return None;
    }
    let principal = call.principal.as_ref()?;
    let name = call.params.get("name").and_then(Value::as_str)?;
    let tool = app.state.registry.tools.iter().find(|t| t.name == name)?;
    if tool.admits(Some(principal)) {
        return None;
    }
    let auth = &app.state.auth;
    let mut needed = auth.challenge_params().scopes;
    for scope in &tool.scopes {
        if !needed.contains(scope) {
            needed.push(scope.clone());
        }
    }
    Some(auth.refuse(crate::auth::Refusal::InsufficientScope(needed)))
}

/// Serves a legacy (HTTP+SSE) request: its messages and its response go to the session's stream.
pub fn serve_legacy(app: &App, call: Call) {
    let (outbox, work, id) = prepare(&app.state, call, Route::Legacy);
    spawn(&app.state, outbox, work, id);
}

/// Serves a request to completion as one JSON value (batches): emitted messages go to the
/// session's GET stream.
pub async fn serve_json(app: &App, call: Call) -> Value {
    if step_up(app, &call).is_some() {
        let error = jsonrpc::RpcError::new(
            -32000,
            "insufficient_scope: the token lacks a scope this tool needs",
        );
        return jsonrpc::error(call.id, &error);
    }
    let (_outbox, work, id) = prepare(&app.state, call, Route::JsonOnly);
    jsonrpc::response(id, work.await)
}

fn open(state: &Rc<AppState>, outbox: &Outbox, version: ProtocolVersion) -> Response {
    let has_session = outbox.throwaway.is_none();
    let first = (has_session && version.primes_sse())
        .then(|| event_stream::priming(&outbox.key, &outbox.stream, 0));
    let spec = StreamSpec {
        key: outbox.key.clone(),
        stream: outbox.stream.clone(),
        after: 0,
        first,
        session: None,
        is_exclusive: false,
        throwaway: outbox.throwaway.clone(),
    };
    event_stream::open(state, spec)
}

fn empty_stream() -> Response {
    let mut res = Response::new(StatusCode::Ok);
    res.set_body(Body::empty());
    res.insert_header("content-type", "text/event-stream");
    res
}
