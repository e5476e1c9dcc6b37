//! How a sessionless request's outcome goes on the wire: `input_required` when its handler is
//! waiting for the client; otherwise every result gets `resultType: "complete"` and the
//! server's identity in `_meta`, discover/list/read results get cache hints, and the sessionful
//! "resource not found" (-32002) becomes -32602 (the code 2026-07-28 uses; `data.uri` stays).

use serde_json::{json, Value};

use super::inputs::may_ask;
use super::{Envelope, META_SERVER_INFO};
use crate::app::AppState;
use crate::jsonrpc::{RpcError, INVALID_PARAMS, RESOURCE_NOT_FOUND};
use crate::registry::Outcome;
use crate::session::unix_ms;

/// How long (ms) and by whom results may be cached, by method. Listings change only when a
/// handler says so (clients hear it through `subscriptions/listen`) and do not depend on who
/// asks; a resource's contents may change on every read.
fn cache_hint(method: &str) -> Option<(u64, &'static str)> {
    match method {
        "server/discover" => Some((300_000, "public")),
        "tools/list" | "prompts/list" | "resources/list" | "resources/templates/list" => {
            Some((60_000, "public"))
        }
        "resources/read" => Some((0, "private")),
        _ => None,
    }
}

/// The outcome of `method` as the sessionless wire wants it.
pub fn settle(app: &AppState, method: &str, envelope: &Envelope, outcome: Outcome) -> Outcome {
    if envelope.inputs.is_asking() && may_ask(method) {
        let expiry = unix_ms() + app.config.request_timeout.as_millis() as u64;
        let nonce = app.unique_name('n');
        return Ok(envelope
            .inputs
            .input_required(&app.state_key, expiry, &nonce));
    }
    match outcome {
        Ok(Value::Object(mut result)) => {
            result
                .entry("resultType")
                .or_insert_with(|| "complete".into());
            let meta = result.entry("_meta").or_insert_with(|| json!({}));
            if let Some(meta) = meta.as_object_mut() {
                let info = json!({ "name": app.registry.name, "version": app.registry.version });
                meta.insert(META_SERVER_INFO.into(), info);
            }
            if let Some((ttl, scope)) = cache_hint(method) {
                result.insert("ttlMs".into(), ttl.into());
                result.insert("cacheScope".into(), scope.into());
            }
            Ok(Value::Object(result))
        }
        Err(e) if e.code == RESOURCE_NOT_FOUND => Err(RpcError {
            code: INVALID_PARAMS,
            ..e
        }),
        other => other,
    }
}
