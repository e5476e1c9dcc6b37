//! The one path for server→client messages of a request: append to the session's event log in
//! the store (which announces it); whoever holds the matching live stream writes it out.
//!
//! A request starts undecided. If its handler finishes without emitting anything, the response
//! is a plain JSON body. The first emitted message (progress, log, sampling request…) turns the
//! response into an SSE stream, and from then on the result also goes through the log, as the
//! stream's last event. With `--json-response` nothing turns a response into a stream: emitted
//! messages go to the session's standalone GET stream instead.

use std::cell::{Cell, RefCell};

use mcpd_storage::{AnyStore, Store};
use serde_json::Value;

/// The name of a session's standalone GET stream in the event log.
pub const GET_STREAM: &str = "g";

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
    /// The event-log key: the session id, or a throwaway key in stateless mode.
    pub key: String,
    /// The stream this request's events belong to.
    pub stream: String,
    /// `--json-response`: never stream; emit to the GET stream.
    is_json_only: bool,
    /// Set by the first emitted message.
    is_streaming: Cell<bool>,
    /// Told the decision when the responder is waiting for one.
    decision: RefCell<Option<async_channel::Sender<Decision>>>,
}

impl Outbox {
    /// An undecided outbox.
    pub fn new(key: String, stream: String, is_json_only: bool) -> Outbox {
        Outbox {
            key,
            stream,
            is_json_only,
            is_streaming: Cell::new(false),
            decision: RefCell::default(),
        }
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

    /// Sends a server→client message (notification or request) on this request's stream.
    pub async fn emit(&self, store: &AnyStore, message: &Value) -> mcpd_storage::Result<()> {
        if self.is_json_only {
            return store
                .append(&self.key, GET_STREAM, &message.to_string(), false)
                .await
                .map(drop);
        }
        if !self.is_streaming.replace(true) {
            self.decide(Decision::Stream);
        }
        store
            .append(&self.key, &self.stream, &message.to_string(), false)
            .await
            .map(drop)
    }

    /// Delivers the request's response: as JSON if nothing was emitted, else as the last event.
    pub async fn finish(&self, store: &AnyStore, response: Value) -> mcpd_storage::Result<()> {
        if !self.is_streaming() {
            self.decide(Decision::Json(response));
            return Ok(());
        }
        store
            .append(&self.key, &self.stream, &response.to_string(), true)
            .await
            .map(drop)
    }

    /// Closes the HTTP connection of the request's stream without ending the stream (SSE
    /// polling): the writer sends an empty event with an id and a `retry:` hint, then closes; the
    /// client resumes with GET + `Last-Event-ID` and gets the rest, the result included.
    pub async fn pause(&self, store: &AnyStore) -> mcpd_storage::Result<()> {
        if self.is_json_only {
            return Ok(());
        }
        if !self.is_streaming.replace(true) {
            self.decide(Decision::Stream);
        }
        store
            .append(&self.key, &self.stream, "", false)
            .await
            .map(drop)
    }

    /// Ends the request without a response (cancellation): the stream closes empty.
    pub async fn cancel(&self, store: &AnyStore) -> mcpd_storage::Result<()> {
        if !self.is_streaming() {
            self.decide(Decision::Cancelled);
            return Ok(());
        }
        store
            .append(&self.key, &self.stream, "", true)
            .await
            .map(drop)
    }
}
