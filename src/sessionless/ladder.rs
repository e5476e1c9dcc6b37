//! The checks a sessionless request passes before its handler runs, in the order of
//! mcp-2026.md §2; the first failure answers: `_meta` holds a version and capabilities
//! (-32602), the routing headers agree with the body (-32020), the version is served (-32022),
//! `Mcp-Param-*` headers agree with the arguments (-32020), the log level is one we know
//! (-32602). An unknown or removed method (-32601, 404) and a missing client capability
//! (-32021) are found by the dispatch and the handler.

use http_types::Request;
use serde_json::{json, Value};

use super::inputs::Inputs;
use super::{headers, Envelope, META_CAPABILITIES, META_LOG_LEVEL, UNSUPPORTED_VERSION};
use crate::app::AppState;
use crate::jsonrpc::RpcError;
use crate::mcp::logging::Level;
use crate::protocol::{ProtocolVersion, META_VERSION};
use crate::session::unix_ms;

/// Runs the ladder; what the request says about its client, or the error to answer.
pub fn check(
    app: &AppState,
    req: &Request,
    method: &str,
    params: &Value,
) -> Result<Envelope, RpcError> {
    let meta = params.get("_meta").filter(|m| m.is_object());
    let version = meta
        .and_then(|m| m.get(META_VERSION))
        .and_then(Value::as_str);
    let capabilities = meta
        .and_then(|m| m.get(META_CAPABILITIES))
        .filter(|c| c.is_object());
    let (Some(version), Some(capabilities)) = (version, capabilities) else {
        return Err(RpcError::invalid_params(format!(
            "params._meta must hold {META_VERSION} (a string) and {META_CAPABILITIES} (an object)"
        )));
    };
    headers::check_routing(req, version, method, params)?;
    if version != ProtocolVersion::SESSIONLESS.as_str() {
        return Err(RpcError::new(
            UNSUPPORTED_VERSION,
            format!("Unsupported protocol version: {version}"),
        )
        .with_data(json!({ "supported": ProtocolVersion::served(), "requested": version })));
    }
    if method == "tools/call" {
        let name = params.get("name").and_then(Value::as_str);
        if let Some(tool) = app
            .registry
            .tools
            .iter()
            .find(|t| Some(t.name.as_str()) == name)
        {
            let arguments = params.get("arguments").unwrap_or(&Value::Null);
            headers::check_params(req, &tool.listing["inputSchema"], arguments)?;
        }
    }
    let log_level = match meta.and_then(|m| m.get(META_LOG_LEVEL)) {
        None | Some(Value::Null) => None,
        Some(level) => Some(
            level
                .as_str()
                .and_then(Level::parse)
                .ok_or_else(|| RpcError::invalid_params(format!("unknown log level {level}")))?,
        ),
    };
    Ok(Envelope {
        capabilities: capabilities.clone(),
        log_level,
        inputs: Inputs::read(
            &app.state_key,
            method,
            params,
            crate::auth::caller(req).map(crate::auth::Principal::key),
            unix_ms(),
        )?,
    })
}
