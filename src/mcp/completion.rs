//! `completion/complete`: suggestions for prompt arguments and resource template variables.

use serde_json::{json, Value};

use super::required_str;
use crate::ctx::Ctx;
use crate::jsonrpc::RpcError;
use crate::registry::Outcome;

/// The most values one answer carries (the spec's cap).
const MAX_VALUES: usize = 100;

/// `completion/complete {ref, argument:{name, value}}` → `{completion:{values, total, hasMore}}`.
pub fn complete(ctx: &Ctx, params: &Value) -> Outcome {
    let reference = params
        .get("ref")
        .ok_or_else(|| RpcError::invalid_params("params.ref is required"))?;
    let argument = params
        .get("argument")
        .ok_or_else(|| RpcError::invalid_params("params.argument is required"))?;
    let name = required_str(argument, "name")?;
    let typed = argument.get("value").and_then(Value::as_str).unwrap_or("");
    let registry = &ctx.app().registry;
    let candidates: &[String] = match required_str(reference, "type")? {
        "ref/prompt" => {
            let prompt_name = required_str(reference, "name")?;
            let prompt = registry
                .prompts
                .iter()
                .find(|p| p.name == prompt_name)
                .ok_or_else(|| {
                    RpcError::invalid_params(format!("Unknown prompt: {prompt_name}"))
                })?;
            prompt.suggestions.get(name).map_or(&[], Vec::as_slice)
        }
        "ref/resource" => &[],
        other => {
            return Err(RpcError::invalid_params(format!(
                "unknown ref type '{other}'"
            )))
        }
    };
    let matching: Vec<&String> = candidates.iter().filter(|c| c.starts_with(typed)).collect();
    let values: Vec<&String> = matching.iter().copied().take(MAX_VALUES).collect();
    Ok(
        json!({ "completion": { "values": values, "total": matching.len(), "hasMore": matching.len() > values.len() } }),
    )
}
