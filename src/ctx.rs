//! The context a tool, resource or prompt handler gets: who is asking, and how to talk back
//! (progress, log messages, server→client requests such as sampling and elicitation).

use std::rc::Rc;

use futures_lite::FutureExt;
use mcpd_storage::Store;
use serde_json::{json, Value};

use crate::app::AppState;
use crate::config::Config;
use crate::jsonrpc::{self, RpcError};
use crate::mcp::logging::Level;
use crate::outbox::Outbox;
use crate::protocol::ProtocolVersion;
use crate::session::Session;

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
            }),
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

    /// Whether the client declared a capability (`sampling`, `elicitation`, `roots`).
    pub fn client_supports(&self, capability: &str) -> bool {
        self.session()
            .is_some_and(|s| s.has_client_capability(capability))
    }

    /// Sends any notification on this request's stream.
    pub async fn notify(&self, method: &str, params: Value) {
        let message = jsonrpc::notification(method, params);
        if let Err(e) = self.inner.outbox.emit(&message).await {
            crate::log::warn(format_args!("dropped {method}: {e}"));
        }
    }

    /// Tells this session's client that a resource it subscribed to (`resources/subscribe`) has
    /// changed: `notifications/resources/updated` on its standalone stream. Nothing is sent when
    /// it did not subscribe to `uri`.
    pub async fn resource_updated(&self, uri: &str) {
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

    /// Sends a `notifications/message` at `level` if the session's log level lets it through.
    pub async fn log(&self, level: Level, logger: &str, data: Value) {
        let threshold = self.session().and_then(|s| s.log_level.get());
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

    /// Sends a request to the client (e.g. `sampling/createMessage`, `elicitation/create`) and
    /// waits for its answer, up to `--request-timeout`.
    pub async fn request(&self, method: &str, params: Value) -> Result<Value, RpcError> {
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
