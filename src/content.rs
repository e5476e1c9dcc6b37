//! Builders for MCP content blocks and tool results, for handlers to return.

use serde_json::{json, Value};

/// A text block.
pub fn text(text: impl Into<String>) -> Value {
    json!({ "type": "text", "text": text.into() })
}

/// An image block (`data` is base64).
pub fn image(data: &str, mime_type: &str) -> Value {
    json!({ "type": "image", "data": data, "mimeType": mime_type })
}

/// An audio block (`data` is base64).
pub fn audio(data: &str, mime_type: &str) -> Value {
    json!({ "type": "audio", "data": data, "mimeType": mime_type })
}

/// An embedded text resource block.
pub fn embedded_text(uri: &str, mime_type: &str, text: &str) -> Value {
    json!({ "type": "resource", "resource": { "uri": uri, "mimeType": mime_type, "text": text } })
}

/// A successful `CallToolResult`.
pub fn result(content: Vec<Value>) -> Value {
    json!({ "content": content })
}

/// A failed `CallToolResult` (`isError: true`): the model sees `message` and can correct itself.
pub fn error(message: impl Into<String>) -> Value {
    json!({ "content": [text(message)], "isError": true })
}

/// One text entry of a `resources/read` result.
pub fn resource_text(uri: &str, mime_type: &str, text: impl Into<String>) -> Value {
    json!([{ "uri": uri, "mimeType": mime_type, "text": text.into() }])
}

/// One binary entry of a `resources/read` result (`blob` is base64).
pub fn resource_blob(uri: &str, mime_type: &str, blob: &str) -> Value {
    json!([{ "uri": uri, "mimeType": mime_type, "blob": blob }])
}

/// A `GetPromptResult` with one user message.
pub fn prompt_message(description: &str, content: Value) -> Value {
    json!({ "description": description, "messages": [{ "role": "user", "content": content }] })
}
