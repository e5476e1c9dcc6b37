//! The one path for server→client messages of a request: append to the session's event log in
//! the store (which announces it); whoever holds the matching live stream writes it out.
//!
//! A request starts undecided. If its handler finishes without emitting anything, the response
//! is a plain JSON body. The first emitted message (progress, log, sampling request…) turns the
//! response into an SSE stream, and from then on the result also goes through the log, as the
//! stream's last event. With `--json-response` nothing turns a response into a stream: emitted
//! messages go to the session's standalone GET stream instead. On the legacy HTTP+SSE transport
//! everything, the response included, goes to the session's one SSE stream.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use mcpd_storage::Store;
use serde_json::Value;

use crate::app::AppState;

/// The name of a session's standalone GET stream in the event log.
pub const GET_STREAM: &str = "g";

/// The name of a legacy (HTTP+SSE) session's stream in the event log.
pub const LEGACY_STREAM: &str = "l";

/// Where a request's messages and response go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    /// Streamable HTTP: JSON, or the request's own SSE stream once it emits.
    Request,
    /// `--json-response` (and batches): the response as JSON, emitted messages to the GET stream.
    JsonOnly,
    /// Legacy HTTP+SSE: messages and the response to the session's stream; the POST got 202.
    Legacy,
}

/// The event log of a request without a session (`--stateless`): deleted from the store once
/// its last holder (the request's work, the stream writer) lets go of it, if anything was written.
#[derive(Debug)]
pub struct ThrowawayLog {
    app: Rc<AppState>,
    key: String,
    is_used: Cell<bool>,
}

impl Drop for ThrowawayLog {
    fn drop(&mut self) {
        if !self.is_used.get() {
            return;
        }
        let app = self.app.clone();
        let key = std::mem::take(&mut self.key);
        let delete = async move {
            let _ = app.store.delete(&key).await;
        };
        self.app.executor.spawn(delete).detach();
    }
}

/// How the HTTP response of a request turned out.
#[derive(Debug)]
pub enum Decision {
    /// One JSON body: this response.
    Json(Value),
    /// An SSE stream of the request's events, the result last.
    Stream,
    /// Cancelled before anything was sent: an empty stream.
    Cancelled,
}

/// Where one request's server→client messages go.
#[derive(Debug)]
pub struct Outbox {
    app: Rc<AppState>,
    /// The event-log key: the session id, or a throwaway key without a session.
    pub key: String,
    /// The stream this request's events belong to.
    pub stream: String,
    /// Where messages and the response go.
    route: Route,
    /// Without a session: the log to drop when done.
    pub throwaway: Option<Rc<ThrowawayLog>>,
    /// Set by the first emitted message.
    is_streaming: Cell<bool>,
    /// Told the decision when the responder is waiting for one.
    decision: RefCell<Option<async_channel::Sender<Decision>>>,
}

impl Outbox {
    /// An undecided outbox for a request of `session` (its id), or of no session.
    pub fn new(app: &Rc<AppState>, session: Option<&str>, stream: String, route: Route) -> Outbox {
        let (key, throwaway) = match session {
            Some(id) => (id.to_owned(), None),
            None => {
                let key = app.unique_name('t');
                let log = ThrowawayLog {
                    app: app.clone(),
                    key: key.clone(),
                    is_used: Cell::new(false),
                };
                (key, Some(Rc::new(log)))
            }
        };
        Outbox {
            app: app.clone(),
            key,
            stream,
            route,
            throwaway,
            is_streaming: Cell::new(false),
            decision: RefCell::default(),
        }
    }

    /// Whether the request answers on a stream a client can resume (a session's, not JSON-only
    /// or legacy): its process then holds a lease on it (`transport/lease.rs`).
    pub fn is_resumable(&self) -> bool {
        self.throwaway.is_none() && self.route == Route::Request
    }

    /// Whether the response has become an SSE stream.
    pub fn is_streaming(&self) -> bool {
        self.is_streaming.get()
    }

    /// Asks to be told the decision (for a request still running after its first poll).
    pub fn await_decision(&self) -> async_channel::Receiver<Decision> {
        let (tx, rx) = async_channel::bounded(1);
        *self.decision.borrow_mut() = Some(tx);
        rx
    }

    fn decide(&self, decision: Decision) {
        if let Some(tx) = self.decision.borrow_mut().take() {
            let _ = tx.try_send(decision);
        }
    }

    /// Turns the response into a stream (once).
    fn start_streaming(&self) {
        if !self.is_streaming.replace(true) {
            self.decide(Decision::Stream);
        }
    }

    async fn append(&self, stream: &str, data: &str, is_last: bool) -> mcpd_storage::Result<()> {
        if let Some(log) = &self.throwaway {
            log.is_used.set(true);
        }
        self.app
            .store
            .append(&self.key, stream, data, is_last)
            .await
            .map(drop)
    }

    /// Sends a server→client message (notification or request) where the route says; with
    /// `--json-response` and no session there is nowhere to send it, and it is dropped.
    pub async fn emit(&self, message: &Value) -> mcpd_storage::Result<()> {
        let message = message.to_string();
        match (self.route, &self.throwaway) {
            (Route::JsonOnly, Some(_)) => Ok(()),
            (Route::JsonOnly, None) => self.append(GET_STREAM, &message, false).await,
            (Route::Legacy, _) => self.append(LEGACY_STREAM, &message, false).await,
            (Route::Request, _) => {
                self.start_streaming();
                self.append(&self.stream, &message, false).await
            }
        }
    }

    /// Sends a message that is not about this request (a resource changed, a list changed) on
    /// the session's standalone GET stream, wherever that stream is held (spec: such messages
    /// do not go on a request's stream). Dropped without a session.
    pub async fn emit_unrelated(&self, message: &Value) -> mcpd_storage::Result<()> {
        if self.throwaway.is_some() {
            return Ok(());
        }
        let stream = if self.route == Route::Legacy {
            LEGACY_STREAM
        } else {
            GET_STREAM
        };
        self.append(stream, &message.to_string(), false).await
    }

    /// Delivers the request's response: as JSON if nothing was emitted, else as the last event.
    pub async fn finish(&self, response: Value) -> mcpd_storage::Result<()> {
        if self.route == Route::Legacy {
            return self
                .append(LEGACY_STREAM, &response.to_string(), false)
                .await;
        }
        if !self.is_streaming() {
            self.decide(Decision::Json(response));
            return Ok(());
        }
        self.append(&self.stream, &response.to_string(), true).await
    }

    /// Closes the HTTP connection of the request's stream without ending the stream (SSE
    /// polling): the writer sends an empty event with an id and a `retry:` hint, then closes; the
    /// client resumes with GET + `Last-Event-ID` and gets the rest, the result included.
    pub async fn pause(&self) -> mcpd_storage::Result<()> {
        if self.route != Route::Request || self.throwaway.is_some() {
            // Without a session there is nothing to resume with: the stream stays open.
            return Ok(());
        }
        self.start_streaming();
        self.append(&self.stream, "", false).await
    }

    /// Ends the request without a response (cancellation): the stream closes empty.
    pub async fn cancel(&self) -> mcpd_storage::Result<()> {
        if self.route == Route::Legacy {
            return Ok(());
        }
        if !self.is_streaming() {
            self.decide(Decision::Cancelled);
            return Ok(());
        }
        self.append(&self.stream, "", true).await
    }
}
