//! Cursor pagination shared by every list method. The cursor is opaque to clients; inside it
//! is the index of the first item of the next page.

use serde_json::{Map, Value};

use crate::jsonrpc::RpcError;

/// One page of `items` as `{<key>: [...], nextCursor?}`; a cursor we did not issue is -32602.
pub fn page<'a>(
    key: &str,
    items: impl ExactSizeIterator<Item = &'a Value>,
    params: &Value,
    size: usize,
) -> Result<Value, RpcError> {
    let total = items.len();
    let start = match params.get("cursor") {
        None | Some(Value::Null) => 0,
        Some(Value::String(c)) => c
            .strip_prefix("p")
            .and_then(|n| n.parse::<usize>().ok())
            .filter(|n| *n > 0 && *n < total)
            .ok_or_else(|| RpcError::invalid_params(format!("invalid cursor '{c}'")))?,
        Some(_) => return Err(RpcError::invalid_params("cursor must be a string")),
    };
    let mut result = Map::with_capacity(2);
    result.insert(
        key.to_owned(),
        Value::Array(items.skip(start).take(size).cloned().collect()),
    );
    if start + size < total {
        result.insert("nextCursor".into(), format!("p{}", start + size).into());
    }
    Ok(Value::Object(result))
}
