//! MCP log levels and `logging/setLevel`.

use serde_json::{json, Value};

use crate::ctx::Ctx;
use crate::jsonrpc::RpcError;
use crate::registry::Outcome;

/// RFC 5424 severities, lowest first, as MCP names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
#[allow(missing_docs)]
pub enum Level {
    Debug,
    Info,
    Notice,
    Warning,
    Error,
    Critical,
    Alert,
    Emergency,
}

const NAMES: [(Level, &str); 8] = [
    (Level::Debug, "debug"),
    (Level::Info, "info"),
    (Level::Notice, "notice"),
    (Level::Warning, "warning"),
    (Level::Error, "error"),
    (Level::Critical, "critical"),
    (Level::Alert, "alert"),
    (Level::Emergency, "emergency"),
];

impl Level {
    /// The level a name means.
    pub fn parse(name: &str) -> Option<Level> {
        NAMES.iter().find(|(_, n)| *n == name).map(|(l, _)| *l)
    }

    /// The wire name.
    pub fn as_str(self) -> &'static str {
        NAMES[self as usize].1
    }
}

/// `logging/setLevel {level}` → `{}`; an unknown level is -32602.
pub async fn set_level(ctx: &Ctx, params: &Value) -> Outcome {
    let name = super::required_str(params, "level")?;
    let level = Level::parse(name)
        .ok_or_else(|| RpcError::invalid_params(format!("unknown log level '{name}'")))?;
    if let Some(session) = ctx.session() {
        session.log_level.set(Some(level));
        ctx.save_session().await?;
    }
    Ok(json!({}))
}
