//! The official MCP conformance suite's fixture server, built only through mcpd's public API:
//! the `test_*` tools, `test://` resources and the test prompts the suite calls by name (those
//! only the 2026-07-28 scenarios use are in `sessionless.rs`). It is mcpd with another tool set
//! and accepts every mcpd flag.
//!
//! Run with: `cargo run --example everything -- --port 3001`

mod prompts;
mod resources;
mod sessionless;

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use mcpd::{content, Ctx, Level, Registry, RpcError, Tool};
use serde_json::{json, Value};

/// A 1×1 PNG.
const PNG: &str = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==";
/// 16 samples of 8 kHz mono silence.
const WAV: &str =
    "UklGRjQAAABXQVZFZm10IBAAAAABAAEAQB8AAEAfAAABAAgAZGF0YRAAAACAgICAgICAgICAgICAgICA";

fn no_args() -> Value {
    json!({ "type": "object", "properties": {}, "additionalProperties": false })
}

fn string_arg(name: &str, description: &str) -> Value {
    json!({
        "type": "object",
        "properties": { name: { "type": "string", "description": description } },
        "required": [name]
    })
}

/// Runs of `slow_progress` dropped before they finished (cancelled), for `test_cancelled_count`.
static CANCELLED: AtomicU64 = AtomicU64::new(0);

/// Counts a run as cancelled unless it is disarmed at the end.
struct CancelWitness(bool);

impl Drop for CancelWitness {
    fn drop(&mut self) {
        if !self.0 {
            CANCELLED.fetch_add(1, Ordering::Relaxed);
        }
    }
}

async fn sleep(ms: u64) {
    async_io::Timer::after(Duration::from_millis(ms)).await;
}

fn constant(name: &str, description: &str, result: Value) -> Tool {
    Tool::new(name, description, no_args(), move |_ctx, _args| {
        let result = result.clone();
        async move { Ok(result) }
    })
}

/// Sends a server→client request and reports the answer as text, or the failure as a tool error.
async fn ask(ctx: Ctx, capability: &str, method: &str, params: Value) -> Result<Value, RpcError> {
    if !ctx.client_supports(capability) {
        return Ok(content::error(format!(
            "The client does not support {capability}"
        )));
    }
    Ok(match ctx.request(method, params).await {
        Ok(answer) => content::result(vec![content::text(format!("{method} answered: {answer}"))]),
        Err(e) => content::error(format!("{method} failed: {}", e.message)),
    })
}

fn elicit(name: &str, description: &str, message: &'static str, schema: Value) -> Tool {
    Tool::new(name, description, no_args(), move |ctx, _args| {
        let params = json!({ "message": message, "requestedSchema": schema });
        ask(ctx, "elicitation", "elicitation/create", params)
    })
}

fn tools() -> Vec<Tool> {
    let embedded = content::embedded_text(
        "test://embedded-resource",
        "text/plain",
        "This is an embedded resource content.",
    );
    vec![
        constant(
            "test_simple_text",
            "Returns a simple text.",
            content::result(vec![content::text(
                "This is a simple text response for testing.",
            )]),
        ),
        constant(
            "test_image_content",
            "Returns an image.",
            content::result(vec![content::image(PNG, "image/png")]),
        ),
        constant(
            "test_audio_content",
            "Returns audio.",
            content::result(vec![content::audio(WAV, "audio/wav")]),
        ),
        constant(
            "test_embedded_resource",
            "Returns an embedded resource.",
            content::result(vec![embedded.clone()]),
        ),
        constant(
            "test_multiple_content_types",
            "Returns text, an image and a resource.",
            content::result(vec![
                content::text("Multiple content types test:"),
                content::image(PNG, "image/png"),
                embedded,
            ]),
        ),
        constant(
            "test_error_handling",
            "Always fails as a tool error.",
            content::error("This tool intentionally returns an error for testing"),
        ),
        Tool::new(
            "update_watched_resource",
            "Changes test://watched-resource; subscribers hear of it on their GET stream.",
            no_args(),
            |ctx, _args| async move {
                ctx.resource_updated("test://watched-resource").await;
                Ok(content::result(vec![content::text(
                    "test://watched-resource updated",
                )]))
            },
        ),
        Tool::new(
            "test_internal_error",
            "Fails with a JSON-RPC internal error (-32603).",
            no_args(),
            |_ctx, _args| async move {
                Err(RpcError::internal(
                    "This tool fails inside the server on purpose",
                ))
            },
        ),
        Tool::new(
            "test_tool_with_logging",
            "Logs three messages while it runs.",
            no_args(),
            |ctx, _args| async move {
                for step in [
                    "Tool execution started",
                    "Tool processing data",
                    "Tool execution completed",
                ] {
                    ctx.log(Level::Info, "everything", json!(step)).await;
                    sleep(50).await;
                }
                Ok(content::result(vec![content::text(
                    "Logging test completed",
                )]))
            },
        ),
        Tool::new(
            "test_tool_with_progress",
            "Reports progress 0, 50, 100.",
            no_args(),
            |ctx, _args| async move {
                for progress in [0.0, 50.0, 100.0] {
                    ctx.progress(progress, Some(100.0), Some(&format!("{progress}% done")))
                        .await;
                    sleep(50).await;
                }
                Ok(content::result(vec![content::text(
                    "Progress test completed",
                )]))
            },
        ),
        Tool::new(
            "test_sampling",
            "Asks the client's model to answer a prompt.",
            string_arg("prompt", "The prompt"),
            |ctx, args| {
                let prompt = args["prompt"].as_str().unwrap_or_default().to_owned();
                let params = json!({ "messages": [{ "role": "user", "content": { "type": "text", "text": prompt } }], "maxTokens": 100 });
                ask(ctx, "sampling", "sampling/createMessage", params)
            },
        ),
        Tool::new(
            "test_elicitation",
            "Asks the user for input.",
            string_arg("message", "What to ask"),
            |ctx, args| {
                let schema = json!({
                    "type": "object",
                    "properties": { "username": { "type": "string", "description": "Your name" }, "email": { "type": "string", "description": "Your email" } },
                    "required": ["username", "email"]
                });
                let params = json!({ "message": args["message"], "requestedSchema": schema });
                ask(ctx, "elicitation", "elicitation/create", params)
            },
        ),
        elicit(
            "test_elicitation_sep1034_defaults",
            "Elicits a form whose fields have defaults.",
            "Please review your details",
            json!({
                "type": "object",
                "properties": {
                    "name": { "type": "string", "default": "John Doe" },
                    "age": { "type": "integer", "default": 30 },
                    "score": { "type": "number", "default": 95.5 },
                    "status": { "type": "string", "enum": ["active", "inactive", "pending"], "default": "active" },
                    "verified": { "type": "boolean", "default": true }
                }
            }),
        ),
        elicit(
            "test_elicitation_sep1330_enums",
            "Elicits every enum variant.",
            "Pick some options",
            json!({
                "type": "object",
                "properties": {
                    "untitledSingle": { "type": "string", "enum": ["option1", "option2", "option3"] },
                    "titledSingle": { "type": "string", "oneOf": [{ "const": "value1", "title": "First" }, { "const": "value2", "title": "Second" }] },
                    "legacyEnum": { "type": "string", "enum": ["opt1", "opt2"], "enumNames": ["Option One", "Option Two"] },
                    "untitledMulti": { "type": "array", "items": { "type": "string", "enum": ["option1", "option2", "option3"] } },
                    "titledMulti": { "type": "array", "items": { "anyOf": [{ "const": "value1", "title": "First" }, { "const": "value2", "title": "Second" }] } }
                }
            }),
        ),
        Tool::new(
            "json_schema_2020_12_tool",
            "Takes an address described with JSON Schema 2020-12.",
            json!({
                "$schema": "https://json-schema.org/draft/2020-12/schema",
                "type": "object",
                "$defs": { "address": { "$anchor": "address", "type": "object", "properties": { "street": { "type": "string" }, "city": { "type": "string" } } } },
                "properties": { "name": { "type": "string" }, "address": { "$ref": "#/$defs/address" } },
                "allOf": [{ "anyOf": [{ "required": ["name"] }, { "required": ["address"] }, { "maxProperties": 0 }] }],
                "if": { "required": ["address"] },
                "then": { "properties": { "address": { "required": ["city"] } } },
                "else": true,
                "additionalProperties": false
            }),
            |_ctx, args| async move {
                Ok(content::result(vec![content::text(format!(
                    "Received: {args}"
                ))]))
            },
        ),
        Tool::new(
            "slow_progress",
            "Sends one progress notification per step, interval_ms apart, then a text result.",
            json!({
                "type": "object",
                "properties": {
                    "steps": { "type": "integer", "description": "How many steps (default 5, at most 1000)" },
                    "interval_ms": { "type": "integer", "description": "Milliseconds between steps (default 100, at most 60000)" }
                }
            }),
            |ctx, args| async move {
                let steps = args["steps"].as_u64().unwrap_or(5).min(1000);
                let interval = args["interval_ms"].as_u64().unwrap_or(100).min(60_000);
                let mut witness = CancelWitness(false);
                for step in 1..=steps {
                    sleep(interval).await;
                    ctx.progress(
                        step as f64,
                        Some(steps as f64),
                        Some(&format!("step {step} of {steps}")),
                    )
                    .await;
                }
                witness.0 = true;
                Ok(content::result(vec![content::text(format!(
                    "slow_progress finished {steps} steps"
                ))]))
            },
        ),
        Tool::new(
            "test_cancelled_count",
            "How many slow_progress runs were cancelled before they finished.",
            no_args(),
            |_ctx, _args| async move {
                let n = CANCELLED.load(Ordering::Relaxed);
                Ok(content::result(vec![content::text(n.to_string())]))
            },
        ),
        Tool::new(
            "test_reconnection",
            "Closes its SSE connection mid-call; the result comes after the client resumes.",
            no_args(),
            |ctx, _args| async move {
                sleep(50).await;
                ctx.close_stream().await;
                sleep(200).await;
                Ok(content::result(vec![content::text(
                    "Reconnection test completed",
                )]))
            },
        ),
        Tool::new(
            "test_whoami",
            "Who is calling: the principal of the request's token (null without authentication).",
            no_args(),
            |ctx, _args| async move {
                let who = ctx
                    .principal()
                    .map(|p| json!({"subject": p.subject, "issuer": p.issuer, "scopes": p.scopes}));
                Ok(content::result(vec![content::text(json!(who).to_string())]))
            },
        ),
        Tool::new(
            "test_scoped_tool",
            "Needs the mcp:admin scope (with authentication on).",
            no_args(),
            |_ctx, _args| async move { Ok(content::result(vec![content::text("admin done")])) },
        )
        .requires(&["mcp:admin"]),
    ]
}

fn main() {
    let registry = tools().into_iter().chain(sessionless::tools()).fold(
        Registry::new("mcpd-everything", env!("CARGO_PKG_VERSION")),
        Registry::tool,
    );
    mcpd::run(prompts::prompts(resources::resources(registry)).prompt(sessionless::prompt()))
}
