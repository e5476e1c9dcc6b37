//! `tools/list` and `tools/call`.

use serde_json::{Map, Value};

use super::{page::page, required_str, schema};
use crate::content;
use crate::ctx::Ctx;
use crate::jsonrpc::RpcError;
use crate::registry::Outcome;

/// `tools/list {cursor?}`.
pub fn list(ctx: &Ctx, params: &Value) -> Outcome {
    let visible: Vec<&Value> = ctx
        .app()
        .registry
        .tools
        .iter()
        .filter(|t| t.admits(ctx.principal()))
        .map(|t| &t.listing)
        .collect();
    page("tools", visible.into_iter(), params, ctx.config().page_size)
}

/// `tools/call {name, arguments?}`: unknown tool → -32602; arguments that break the tool's
/// schema → an `isError` result on 2025-11-25 (SEP-1303), -32602 before.
pub async fn call(ctx: Ctx, mut params: Value) -> Outcome {
    let name = required_str(&params, "name")?;
    let tool = ctx
        .app()
        .registry
        .tools
        .iter()
        .find(|t| t.name == name)
        .cloned()
        .ok_or_else(|| RpcError::invalid_params(format!("Unknown tool: {name}")))?;
    if !tool.admits(ctx.principal()) {
        // The transports answer 403 before getting here (`request::step_up`); this keeps any
        // other path to a tool from skipping its scopes.
        return Err(RpcError::new(
            -32000,
            "insufficient_scope: the token lacks a scope this tool needs",
        ));
    }
    let arguments = match params.get_mut("arguments").map(Value::take) {
        None | Some(Value::Null) => Value::Object(Map::new()),
        Some(args @ Value::Object(_)) => args,
        Some(_) => {
            return Err(RpcError::invalid_params(
                "params.arguments must be an object",
            ))
        }
    };
    if let Err(problem) = schema::check(&tool.listing["inputSchema"], &arguments) {
        let message = format!("Invalid arguments for tool {}: {problem}", tool.name);
        return if ctx
            .protocol_version()
            .reports_invalid_arguments_as_tool_errors()
        {
            Ok(content::error(message))
        } else {
            Err(RpcError::invalid_params(message))
        };
    }
    (tool.handler)(ctx, arguments).await
}
