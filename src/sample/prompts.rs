//! Prompt `summarize`: asks the model to summarize a text in a chosen style.

use crate::content;
use crate::registry::Prompt;

/// The prompt.
pub fn summarize() -> Prompt {
    Prompt::new(
        "summarize",
        "Summarize a text in a given style.",
        |_ctx, args| async move {
            let text = args
                .get("text")
                .and_then(|v| v.as_str())
                .unwrap_or_default();
            let style = args
                .get("style")
                .and_then(|v| v.as_str())
                .unwrap_or("brief");
            let request = format!("Summarize the following text in a {style} style:\n\n{text}");
            Ok(content::prompt_message(
                "Summarize a text",
                content::text(request),
            ))
        },
    )
    .argument("text", "The text to summarize", true)
    .argument("style", "brief, detailed or bullet-points", false)
    .suggest("style", &["brief", "bullet-points", "detailed"])
}
