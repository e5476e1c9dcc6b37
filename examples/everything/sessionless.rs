//! The fixtures of the 2026-07-28 conformance scenarios (mcp-2026.md §5.4): questions to the
//! client answered through MRTR, list-change hooks for `subscriptions/listen`, per-request
//! logging, a capability the client must declare, and a tool mirroring an argument into an
//! `Mcp-Param-Region` header. Every question goes through `Ctx::ask`, so the same tools also
//! work on a 2025 session (as real server→client requests).

use futures_lite::future::zip;
use mcpd::{content, Ctx, Level, Listing, Prompt, RpcError, Tool};
use serde_json::{json, Value};

use crate::no_args;

fn name_form(message: &str) -> Value {
    json!({
        "mode": "form",
        "message": message,
        "requestedSchema": {
            "type": "object",
            "properties": { "name": { "type": "string" } },
            "required": ["name"]
        }
    })
}

fn sampling(question: &str) -> Value {
    json!({
        "messages": [{ "role": "user", "content": { "type": "text", "text": question } }],
        "maxTokens": 100
    })
}

fn text(text: String) -> Value {
    content::result(vec![content::text(text)])
}

/// A tool that asks one question under `key` and reports the answer.
fn asking(name: &str, key: &'static str, method: &'static str, params: Value) -> Tool {
    Tool::new(
        name,
        "Asks the client one question (MRTR on 2026-07-28).",
        no_args(),
        move |ctx, _| {
            let params = params.clone();
            async move {
                let answer = ctx.ask(key, method, params).await?;
                Ok(text(format!("{method} answered: {answer}")))
            }
        },
    )
}

async fn three_questions(ctx: Ctx) -> Result<Value, RpcError> {
    let (a, (b, c)) = zip(
        ctx.ask(
            "user_name",
            "elicitation/create",
            name_form("What is your name?"),
        ),
        zip(
            ctx.ask(
                "capital",
                "sampling/createMessage",
                sampling("Capital of France?"),
            ),
            ctx.ask("roots", "roots/list", json!({})),
        ),
    )
    .await;
    let (a, b, c) = (a?, b?, c?);
    Ok(text(format!("answers: {a} {b} {c}")))
}

/// The tools.
pub fn tools() -> Vec<Tool> {
    vec![
        asking(
            "test_input_required_result_elicitation",
            "user_name",
            "elicitation/create",
            name_form("What is your name?"),
        ),
        asking(
            "test_input_required_result_tampered_state",
            "user_name",
            "elicitation/create",
            name_form("What is your name?"),
        ),
        asking(
            "test_input_required_result_sampling",
            "capital",
            "sampling/createMessage",
            sampling("Capital of France?"),
        ),
        asking(
            "test_input_required_result_list_roots",
            "roots",
            "roots/list",
            json!({}),
        ),
        Tool::new(
            "test_input_required_result_request_state",
            "Asks once; the retry carries the state back.",
            no_args(),
            |ctx, _| async move {
                ctx.ask(
                    "user_name",
                    "elicitation/create",
                    name_form("What is your name?"),
                )
                .await?;
                Ok(text("state-ok: the requestState came back intact".into()))
            },
        ),
        Tool::new(
            "test_input_required_result_multiple_inputs",
            "Asks three questions at once.",
            no_args(),
            |ctx, _| three_questions(ctx),
        ),
        Tool::new(
            "test_input_required_result_multi_round",
            "Asks two questions, one per round.",
            no_args(),
            |ctx, _| async move {
                let first = ctx
                    .ask("first_name", "elicitation/create", name_form("First name?"))
                    .await?;
                let last = ctx
                    .ask("last_name", "elicitation/create", name_form("Last name?"))
                    .await?;
                Ok(text(format!("rounds done: {first} {last}")))
            },
        ),
        Tool::new(
            "test_input_required_result_capabilities",
            "Asks only what the client declared.",
            no_args(),
            |ctx, _| async move {
                let answer = if ctx.client_supports("elicitation") {
                    ctx.ask(
                        "user_name",
                        "elicitation/create",
                        name_form("What is your name?"),
                    )
                    .await?
                } else if ctx.client_supports("sampling") {
                    ctx.ask(
                        "capital",
                        "sampling/createMessage",
                        sampling("Capital of France?"),
                    )
                    .await?
                } else {
                    return Ok(content::error(
                        "the client declared neither elicitation nor sampling",
                    ));
                };
                Ok(text(format!("answered: {answer}")))
            },
        ),
        Tool::new(
            "test_missing_capability",
            "Needs sampling; fails with -32021 without it.",
            no_args(),
            |ctx, _| async move {
                let answer = ctx
                    .ask(
                        "capital",
                        "sampling/createMessage",
                        sampling("Capital of France?"),
                    )
                    .await?;
                Ok(text(format!("sampled: {answer}")))
            },
        ),
        Tool::new(
            "test_streaming_elicitation",
            "Streams notifications, then the result.",
            no_args(),
            |ctx, _| async move {
                for step in 1..=3 {
                    ctx.notify(
                        "notifications/progress",
                        json!({ "progressToken": "streaming", "progress": step, "total": 3 }),
                    )
                    .await;
                }
                Ok(text("streamed three notifications".into()))
            },
        ),
        Tool::new(
            "test_logging_tool",
            "Logs at debug, info and warning.",
            no_args(),
            |ctx, _| async move {
                for level in [Level::Debug, Level::Info, Level::Warning] {
                    ctx.log(
                        level,
                        "everything",
                        json!(format!("a {} message", level.as_str())),
                    )
                    .await;
                }
                Ok(text("logged".into()))
            },
        ),
        Tool::new(
            "test_trigger_tool_change",
            "Says the tool list changed.",
            no_args(),
            |ctx, _| async move {
                ctx.list_changed(Listing::Tools).await;
                Ok(text("tools/list_changed sent".into()))
            },
        ),
        Tool::new(
            "test_trigger_prompt_change",
            "Says the prompt list changed.",
            no_args(),
            |ctx, _| async move {
                ctx.list_changed(Listing::Prompts).await;
                Ok(text("prompts/list_changed sent".into()))
            },
        ),
        Tool::new(
            "test_custom_header",
            "Mirrors `region` into the Mcp-Param-Region header.",
            json!({
                "type": "object",
                "properties": { "region": { "type": "string", "x-mcp-header": "Region" } },
                "required": ["region"]
            }),
            |_ctx, args| async move { Ok(text(format!("region: {}", args["region"]))) },
        ),
    ]
}

/// The prompt that asks before it answers.
pub fn prompt() -> Prompt {
    Prompt::new(
        "test_input_required_result_prompt",
        "Asks for context, then answers.",
        |ctx, _args| async move {
            let answer = ctx
                .ask("context", "elicitation/create", name_form("What context?"))
                .await?;
            Ok(content::prompt_message(
                "A prompt built from your answer",
                content::text(format!("context: {answer}")),
            ))
        },
    )
}
