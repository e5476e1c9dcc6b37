//! The handshakes: `initialize` (sessionful: version negotiation, the server's capabilities and
//! identity) and `server/discover` (sessionless: the versions served and the capabilities).

use serde_json::{json, Value};

use crate::jsonrpc::RpcError;
use crate::protocol::ProtocolVersion;
use crate::registry::Registry;

/// What a client said in `initialize`.
#[derive(Debug)]
pub struct Hello {
    /// The negotiated version (the client's when served, else our latest).
    pub version: ProtocolVersion,
    /// `clientInfo`.
    pub client_info: Value,
    /// `capabilities`.
    pub capabilities: Value,
}

/// Reads `initialize` params; -32602 when they are not the spec's shape.
pub fn hello(params: &Value) -> Result<Hello, RpcError> {
    let requested = params
        .get("protocolVersion")
        .and_then(Value::as_str)
        .ok_or_else(|| RpcError::invalid_params("params.protocolVersion must be a string"))?;
    let client_info = params
        .get("clientInfo")
        .cloned()
        .unwrap_or_else(|| json!({}));
    if !client_info.is_object() {
        return Err(RpcError::invalid_params(
            "params.clientInfo must be an object",
        ));
    }
    let capabilities = params
        .get("capabilities")
        .cloned()
        .unwrap_or_else(|| json!({}));
    if !capabilities.is_object() {
        return Err(RpcError::invalid_params(
            "params.capabilities must be an object",
        ));
    }
    Ok(Hello {
        version: ProtocolVersion::negotiate(requested),
        client_info,
        capabilities,
    })
}

/// The `InitializeResult` for a negotiated version.
pub fn result(registry: &Registry, version: ProtocolVersion) -> Value {
    let mut capabilities = json!({
        "logging": {},
        "completions": {},
        "tools": { "listChanged": false },
        "resources": { "subscribe": true, "listChanged": false },
        "prompts": { "listChanged": false },
    });
    if version == ProtocolVersion::V2024_11_05 {
        capabilities
            .as_object_mut()
            .map(|c| c.remove("completions"));
    }
    let mut result = json!({
        "protocolVersion": version.as_str(),
        "capabilities": capabilities,
        "serverInfo": { "name": registry.name, "version": registry.version },
    });
    if let Some(text) = &registry.instructions {
        result["instructions"] = text.as_str().into();
    }
    result
}

/// The `DiscoverResult` (its `resultType`, cache hints and `serverInfo` are added with every
/// sessionless result): every version served, 2026-07-28 first, and what the sessionless wire
/// offers — `subscriptions/listen` delivers list changes and resource updates.
pub fn discover(registry: &Registry) -> Value {
    let mut result = json!({
        "supportedVersions": ProtocolVersion::served(),
        "capabilities": {
            "logging": {},
            "completions": {},
            "tools": { "listChanged": true },
            "resources": { "subscribe": true, "listChanged": true },
            "prompts": { "listChanged": true },
        },
    });
    if let Some(text) = &registry.instructions {
        result["instructions"] = text.as_str().into();
    }
    result
}
