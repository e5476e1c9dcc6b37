//! MCP methods: one `match` on the method name, then a typed handler per method.
//!
//! `initialize` is not here: it creates the session, which is the transport's job
//! (`transport/streamable.rs`), using [`lifecycle`] for the negotiation and the result.

pub mod completion;
pub mod lifecycle;
pub mod logging;
pub mod page;
pub mod prompts;
pub mod resources;
pub mod schema;
pub mod tools;

use serde_json::{json, Value};

use crate::ctx::Ctx;
use crate::jsonrpc::RpcError;
use crate::registry::Outcome;

/// Serves one request (any method but `initialize`).
pub async fn dispatch(ctx: Ctx, method: &str, params: Value) -> Outcome {
    if !(params.is_object() || params.is_null()) {
        return Err(RpcError::invalid_params("params must be an object"));
    }
    if !ctx.protocol_version().serves(method) {
        return Err(RpcError::method_not_found(method));
    }
    match method {
        "ping" => Ok(json!({})),
        "server/discover" => Ok(lifecycle::discover(&ctx.app().registry)),
        "tools/list" => tools::list(&ctx, &params),
        "tools/call" => tools::call(ctx, params).await,
        "resources/list" => resources::list(&ctx, &params),
        "resources/templates/list" => resources::list_templates(&ctx, &params),
        "resources/read" => resources::read(ctx, params).await,
        "resources/subscribe" => resources::subscribe(&ctx, &params, true).await,
        "resources/unsubscribe" => resources::subscribe(&ctx, &params, false).await,
        "prompts/list" => prompts::list(&ctx, &params),
        "prompts/get" => prompts::get(ctx, params).await,
        "logging/setLevel" => logging::set_level(&ctx, &params).await,
        "completion/complete" => completion::complete(&ctx, &params),
        "initialize" => Err(RpcError::invalid_request(
            "initialize may only open a session",
        )),
        other => Err(RpcError::method_not_found(other)),
    }
}

/// A required string field of `params`, or -32602 naming it.
pub fn required_str<'a>(params: &'a Value, field: &str) -> Result<&'a str, RpcError> {
    params
        .get(field)
        .and_then(Value::as_str)
        .ok_or_else(|| RpcError::invalid_params(format!("params.{field} must be a string")))
}
