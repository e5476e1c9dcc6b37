//! The test prompts the conformance scenarios get (the MRTR one is in `sessionless.rs`).

use mcpd::{content, Prompt, Registry};
use serde_json::Value;

use crate::PNG;

/// Adds the prompts.
pub fn prompts(registry: Registry) -> Registry {
    registry
        .prompt(Prompt::new(
            "test_simple_prompt",
            "A prompt without arguments.",
            |_ctx, _args| async move {
                Ok(content::prompt_message(
                    "A simple prompt",
                    content::text("This is a simple prompt for testing."),
                ))
            },
        ))
        .prompt(
            Prompt::new(
                "test_prompt_with_arguments",
                "A prompt with two arguments.",
                |_ctx, args| async move {
                    let arg = |k: &str| {
                        args.get(k)
                            .and_then(Value::as_str)
                            .unwrap_or_default()
                            .to_owned()
                    };
                    let text = format!(
                        "Prompt with arguments: arg1='{}', arg2='{}'",
                        arg("arg1"),
                        arg("arg2")
                    );
                    Ok(content::prompt_message(
                        "A prompt with arguments",
                        content::text(text),
                    ))
                },
            )
            .argument("arg1", "First test argument", true)
            .argument("arg2", "Second test argument", true)
            .suggest("arg1", &["paris", "park", "party"]),
        )
        .prompt(
            Prompt::new(
                "test_prompt_with_embedded_resource",
                "A prompt embedding a resource.",
                |_ctx, args| async move {
                    let uri = args
                        .get("resourceUri")
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_owned();
                    let resource = content::embedded_text(
                        &uri,
                        "text/plain",
                        "Embedded resource content for testing.",
                    );
                    Ok(content::prompt_message(
                        "A prompt with an embedded resource",
                        resource,
                    ))
                },
            )
            .argument("resourceUri", "URI of the resource to embed", true),
        )
        .prompt(Prompt::new(
            "test_prompt_with_image",
            "A prompt with an image.",
            |_ctx, _args| async move {
                Ok(content::prompt_message(
                    "A prompt with an image",
                    content::image(PNG, "image/png"),
                ))
            },
        ))
}
