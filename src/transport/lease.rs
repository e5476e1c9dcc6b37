//! Leases on running requests, so that a stream on any process can tell a request whose process
//! died from one that is merely slow.
//!
//! The process running a request that answers on an SSE stream holds two leases in the store:
//! `run:<session>:<stream>`, renewed every [`RENEW_EVERY`] and lapsing [`RUN_LEASE`] after the
//! last renewal, and `req:<session>:<stream>`, holding the request id for as long as a session
//! lives. A writer of that stream (the original one, or a `GET` + `Last-Event-ID` on any process)
//! checks every [`RENEW_EVERY`]; once the run lease has lapsed and the log still has no result, it
//! writes a JSON-RPC error as the stream's last event. A client whose request's process was
//! killed therefore hears so within about `RUN_LEASE + RENEW_EVERY` (4 s) of resuming, instead of
//! waiting forever.

use std::time::Duration;

use mcpd_storage::Store;
use serde_json::Value;

use crate::app::AppState;
use crate::jsonrpc::{self, RpcError};

/// How long a run lease outlives its last renewal.
pub const RUN_LEASE: Duration = Duration::from_secs(3);
/// How often the running process renews it, and how often a writer checks it.
pub const RENEW_EVERY: Duration = Duration::from_secs(1);

fn run_key(key: &str, stream: &str) -> String {
    format!("run:{key}:{stream}")
}

fn request_key(key: &str, stream: &str) -> String {
    format!("req:{key}:{stream}")
}

/// Holds the leases of request `id` streaming on `stream` of `key`, renewing forever; race it
/// with the work, then [`release`].
pub async fn hold(state: &AppState, key: &str, stream: &str, id: &Value) {
    let (run, request) = (run_key(key, stream), request_key(key, stream));
    let mut has_request_key = false;
    loop {
        if !has_request_key {
            has_request_key = state
                .store
                .lease(&request, &id.to_string(), state.config.session_ttl)
                .await
                .is_ok();
        }
        if let Err(e) = state
            .store
            .lease(&run, &state.config.node_id, RUN_LEASE)
            .await
        {
            crate::log::warn(format_args!("lease of a running request not renewed: {e}"));
        }
        async_io::Timer::after(RENEW_EVERY).await;
    }
}

/// Gives the leases up once the request's result (or cancellation) is in the log.
pub async fn release(state: &AppState, key: &str, stream: &str) {
    let _ = state.store.release(&run_key(key, stream)).await;
    let _ = state.store.release(&request_key(key, stream)).await;
}

/// Whether a writer of `stream` should check the lease of the request behind it.
pub fn is_watched(stream: &str) -> bool {
    stream.starts_with('r')
}

/// If the request behind `stream` has lost its process (its run lease lapsed) and its log holds
/// no result, writes a JSON-RPC error as the stream's last event. The whole stream is read, not
/// only what follows the reader's position: a reader resuming at the result itself must not get
/// a second ending. A stream with no events and no request lease was never a request's stream
/// (an id naming it was made up), so nothing is written for it; one whose request died before
/// its first logged event (its client saw only the priming event) is settled.
pub async fn settle_if_orphaned(state: &AppState, key: &str, stream: &str) {
    let store = &state.store;
    if !matches!(store.holder(&run_key(key, stream)).await, Ok(None)) {
        return;
    }
    let Ok(events) = store.read_after(key, stream, 0).await else {
        return;
    };
    if events.iter().any(|e| e.is_last) {
        return;
    }
    let id = match store.holder(&request_key(key, stream)).await {
        Ok(Some(id)) => serde_json::from_str(&id).unwrap_or(Value::Null),
        Ok(None) if events.is_empty() => return,
        Ok(None) => Value::Null,
        Err(_) => return,
    };
    let error = RpcError::internal(
        "The process running this request stopped before it finished; send it again",
    );
    let response = jsonrpc::error(id, &error).to_string();
    if store.append(key, stream, &response, true).await.is_ok() {
        crate::log::info(format_args!(
            "request on stream {stream} lost its process; its client was told"
        ));
        let _ = store.release(&request_key(key, stream)).await;
    }
}
