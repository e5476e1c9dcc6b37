//! The context a tool, resource or prompt handler gets: who is asking, and how to talk back
//! (progress, log messages, questions to the client such as sampling and elicitation, changes).
//!
//! One handler API serves both wires. On a session (2024-11-05 to 2025-11-25) a question is a
//! real server→client request on the request's stream; on the sessionless 2026-07-28 wire it
//! is MRTR (`sessionless/inputs.rs`): the request answers `input_required`, the client retries
//! with the answers, and the handler runs again from the start — so a handler that asks should
//! do nothing irreversible before its questions are answered.

use std::rc::Rc;

use futures_lite::FutureExt;
use mcpd_storage::Store;
use serde_json::{json, Value};

use crate::app::AppState;
use crate::auth::Principal;
use crate::changes::{self, Change, Listing};
use crate::config::Config;
use crate::jsonrpc::{self, RpcError};
use crate::mcp::logging::Level;
use crate::outbox::Outbox;
use crate::protocol::ProtocolVersion;
use crate::registry::Outcome;
use crate::session::Session;
use crate::sessionless::{result, Envelope, MISSING_CAPABILITY};

/// A handle on the request being served; cheap to clone.
#[derive(Clone, Debug)]
pub struct Ctx {
    inner: Rc<Inner>,
}

#[derive(Debug)]
struct Inner {
    app: Rc<AppState>,
    session: Option<Rc<Session>>,
    outbox: Rc<Outbox>,
    progress_token: Option<Value>,
    version: ProtocolVersion,
    /// A sessionless request's `_meta` and MRTR state.
    envelope: Option<Envelope>,
    /// Who asks.
    principal: Option<Principal>,
}

/// The client capability a question to the client needs.
fn capability_of(method: &str) -> Option<&'static str> {
    match method {
        "elicitation/create" => Some("elicitation"),
        "sampling/createMessage" => Some("sampling"),
        "roots/list" => Some("roots"),
        _ => None,
    }
}

/// The topic on which the client's answer to server request `id` of `session` is delivered.
pub fn response_topic(session: &str, id_key: &str) -> String {
    format!("rsp:{session}:{id_key}")
}

impl Ctx {
    pub(crate) fn new(
        app: Rc<AppState>,
        session: Option<Rc<Session>>,
        outbox: Rc<Outbox>,
        params: &Value,
        version: ProtocolVersion,
        envelope: Option<Envelope>,
        principal: Option<Principal>,
    ) -> Ctx {
        let progress_token = params
            .get("_meta")
            .and_then(|m| m.get("progressToken"))
            .filter(|t| t.is_string() || t.is_number())
            .cloned();
        Ctx {
            inner: Rc::new(Inner {
                app,
                session,
                outbox,
                progress_token,
                version,
                envelope,
                principal,
            }),
        }
    }

    /// The outcome of `method` as its wire wants it (sessionless: `resultType`, cache hints,
    /// `input_required`…).
    pub(crate) fn settle(&self, method: &str, outcome: Outcome) -> Outcome {
        match &self.inner.envelope {
            Some(envelope) => result::settle(self.app(), method, envelope, outcome),
            None => outcome,
        }
    }

    pub(crate) fn app(&self) -> &AppState {
        &self.inner.app
    }

    pub(crate) fn session(&self) -> Option<&Rc<Session>> {
        self.inner.session.as_ref()
    }

    /// Writes the session's snapshot after a handler changed it (log level, subscriptions).
    pub(crate) async fn save_session(&self) -> Result<(), RpcError> {
        let (Some(session), app) = (self.session(), self.app()) else {
            return Ok(());
        };
        app.sessions
            .save(&app.store, session)
            .await
            .map_err(|e| RpcError::internal(e.to_string()))
    }

    /// Who is calling: the principal of the request's access token (subject, issuer, scopes,
    /// claims); `None` when authentication is off.
    pub fn principal(&self) -> Option<&Principal> {
        self.inner.principal.as_ref()
    }

    /// The server's configuration.
    pub fn config(&self) -> &Config {
        &self.inner.app.config
    }

    /// The protocol version this request speaks.
    pub fn protocol_version(&self) -> ProtocolVersion {
        self.inner.version
    }

    /// The session id, when there is a session (not in `--stateless` mode).
    pub fn session_id(&self) -> Option<&str> {
        self.session().map(|s| s.id.as_str())
    }

    /// Whether the client declared a capability (`sampling`, `elicitation`, `roots`), in
    /// `initialize` or in this request's `_meta`.
    pub fn client_supports(&self, capability: &str) -> bool {
        match &self.inner.envelope {
            Some(envelope) => envelope.declares(capability),
            None => self
                .session()
                .is_some_and(|s| s.has_client_capability(capability)),
        }
    }

    /// Sends any notification on this request's stream.
    pub async fn notify(&self, method: &str, params: Value) {
        let message = jsonrpc::notification(method, params);
        if let Err(e) = self.inner.outbox.emit(&message).await {
            crate::log::warn(format_args!("dropped {method}: {e}"));
        }
    }

    /// Says that a resource changed: `notifications/resources/updated` to this session's client
    /// if it subscribed to `uri` (`resources/subscribe`; on its standalone stream), and to every
    /// `subscriptions/listen` stream that follows `uri`, on every process.
    pub async fn resource_updated(&self, uri: &str) {
        changes::publish(self.app(), Change::Resource(uri.to_owned())).await;
        let subscribed = self
            .session()
            .is_some_and(|s| s.subscriptions.borrow().contains(uri));
        if !subscribed {
            return;
        }
        let message =
            jsonrpc::notification("notifications/resources/updated", json!({ "uri": uri }));
        if let Err(e) = self.inner.outbox.emit_unrelated(&message).await {
            crate::log::warn(format_args!("dropped resources/updated: {e}"));
        }
    }

    /// Says that a listing changed: `notifications/<listing>/list_changed` to every
    /// `subscriptions/listen` stream that asked for it, on every process.
    pub async fn list_changed(&self, listing: Listing) {
        changes::publish(self.app(), Change::Listing(listing)).await;
    }

    /// Reports progress, if the client asked for it with `_meta.progressToken`.
    pub async fn progress(&self, progress: f64, total: Option<f64>, message: Option<&str>) {
        let Some(token) = &self.inner.progress_token else {
            return;
        };
        let mut params = json!({ "progressToken": token, "progress": progress });
        if let Some(total) = total {
            params["total"] = total.into();
        }
        if let Some(message) = message {
            params["message"] = message.into();
        }
        self.notify("notifications/progress", params).await;
    }

    /// Sends a `notifications/message` at `level` if the session's log level lets it through
    /// (sessionless: only when the request's `_meta` names a level, at or above it).
    pub async fn log(&self, level: Level, logger: &str, data: Value) {
        let threshold = match &self.inner.envelope {
            Some(envelope) => match envelope.log_level {
                Some(threshold) => Some(threshold),
                None => return,
            },
            None => self.session().and_then(|s| s.log_level.get()),
        };
        if threshold.is_some_and(|t| level < t) {
            return;
        }
        let params = json!({ "level": level.as_str(), "logger": logger, "data": data });
        self.notify("notifications/message", params).await;
    }

    /// Closes this request's SSE connection now while the work goes on; the client resumes
    /// with GET + `Last-Event-ID` and receives the rest (2025-11-25 polling, SEP-1699).
    pub async fn close_stream(&self) {
        if let Err(e) = self.inner.outbox.pause().await {
            crate::log::warn(format_args!("stream not paused: {e}"));
        }
    }

    /// Asks the client (`sampling/createMessage`, `elicitation/create`, `roots/list`) and
    /// returns its answer; see [`Ctx::ask`]. Sessionless, the question's key is its rank among
    /// the handler's unkeyed questions.
    pub async fn request(&self, method: &str, params: Value) -> Result<Value, RpcError> {
        match &self.inner.envelope {
            Some(envelope) => self.ask(&envelope.inputs.next_key(), method, params).await,
            None => self.round_trip(method, params).await,
        }
    }

    /// Asks the client a question named `key` and returns its answer. On a session: a
    /// server→client request, answered within `--request-timeout`. Sessionless: the answer the
    /// client brought under `key`, or else the question is recorded and an error returned —
    /// propagate it with `?` and the request answers `input_required` (all questions asked in
    /// the round, so ask independent ones together, e.g. with `futures_lite::future::zip`).
    /// A client that did not declare the capability the question needs gets -32021.
    pub async fn ask(&self, key: &str, method: &str, params: Value) -> Result<Value, RpcError> {
        let Some(envelope) = &self.inner.envelope else {
            return self.round_trip(method, params).await;
        };
        if let Some(capability) = capability_of(method).filter(|c| !envelope.declares(c)) {
            return Err(RpcError::new(
                MISSING_CAPABILITY,
                format!("{method} needs the client capability '{capability}'"),
            )
            .with_data(json!({ "requiredCapabilities": { capability: {} } })));
        }
        envelope.inputs.answer(key, method, params)
    }

    /// A server→client request on the request's stream, and the client's answer.
    async fn round_trip(&self, method: &str, params: Value) -> Result<Value, RpcError> {
        let app = &self.inner.app;
        let session = self.session().ok_or_else(|| {
            RpcError::internal(format!("{method} needs a session (not --stateless)"))
        })?;
        let id = app.unique_name('s');
        let topic = response_topic(&session.id, &jsonrpc::id_key(&Value::String(id.clone())));
        let unavailable = |e: mcpd_storage::Error| RpcError::internal(e.to_string());
        let answers = app.store.subscribe(&topic).await.map_err(unavailable)?;
        let message = jsonrpc::request(&id, method, params);
        self.inner
            .outbox
            .emit(&message)
            .await
            .map_err(unavailable)?;
        let timeout = app.config.request_timeout;
        let answer = async { answers.next().await }
            .or(async {
                async_io::Timer::after(timeout).await;
                None
            })
            .await
            .ok_or_else(|| {
                RpcError::internal(format!("no answer to {method} within {timeout:?}"))
            })?;
        let answer: Value =
            serde_json::from_str(&answer).map_err(|_| RpcError::internal("unreadable answer"))?;
        match (answer.get("result"), answer.get("error")) {
            (Some(result), _) => Ok(result.clone()),
            (None, Some(error)) => Err(RpcError::new(
                error["code"].as_i64().unwrap_or(-32603) as i32,
                error["message"]
                    .as_str()
                    .unwrap_or("client error")
                    .to_owned(),
            )),
            _ => Err(RpcError::internal("answer has neither result nor error")),
        }
    }
}
