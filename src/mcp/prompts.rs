//! `prompts/list` and `prompts/get`.

use serde_json::{Map, Value};

use super::{page::page, required_str};
use crate::ctx::Ctx;
use crate::jsonrpc::RpcError;
use crate::registry::Outcome;

/// `prompts/list {cursor?}`.
pub fn list(ctx: &Ctx, params: &Value) -> Outcome {
    let prompts = &ctx.app().registry.prompts;
    page(
        "prompts",
        prompts.iter().map(|p| &p.listing),
        params,
        ctx.config().page_size,
    )
}

/// `prompts/get {name, arguments?}`: unknown prompt, a non-string argument or a missing
/// required one → -32602.
pub async fn get(ctx: Ctx, mut params: Value) -> Outcome {
    let name = required_str(&params, "name")?;
    let prompt = ctx
        .app()
        .registry
        .prompts
        .iter()
        .find(|p| p.name == name)
        .cloned()
        .ok_or_else(|| RpcError::invalid_params(format!("Unknown prompt: {name}")))?;
    let arguments = match params.get_mut("arguments").map(Value::take) {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(args)) => args,
        Some(_) => {
            return Err(RpcError::invalid_params(
                "params.arguments must be an object",
            ))
        }
    };
    if let Some((key, _)) = arguments.iter().find(|(_, v)| !v.is_string()) {
        return Err(RpcError::invalid_params(format!(
            "argument '{key}' must be a string"
        )));
    }
    if let Some(missing) = prompt
        .required_arguments()
        .find(|a| !arguments.contains_key(*a))
    {
        return Err(RpcError::invalid_params(format!(
            "missing required argument '{missing}'"
        )));
    }
    (prompt.handler)(ctx, arguments).await
}
