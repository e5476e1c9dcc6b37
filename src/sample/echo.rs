//! Tool `echo`: returns `message` unchanged (a connection test).

use serde_json::json;

use crate::content;
use crate::registry::Tool;

/// The tool.
pub fn tool() -> Tool {
    let schema = json!({
        "type": "object",
        "properties": { "message": { "type": "string", "description": "Text to send back" } },
        "required": ["message"],
        "additionalProperties": false
    });
    Tool::new(
        "echo",
        "Echoes the message back unchanged.",
        schema,
        |_ctx, args| async move {
            let message = args["message"].as_str().unwrap_or_default();
            Ok(content::result(vec![content::text(message)]))
        },
    )
}
