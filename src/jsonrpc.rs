//! JSON-RPC 2.0: classify a message by the keys it has, build responses, and the error values.

use serde_json::{json, Map, Value};

/// Parse error: the body is not JSON.
pub const PARSE_ERROR: i32 = -32700;
/// Invalid request: JSON, but not a JSON-RPC message we accept.
pub const INVALID_REQUEST: i32 = -32600;
/// Method not found (or its capability is not offered).
pub const METHOD_NOT_FOUND: i32 = -32601;
/// Invalid params.
pub const INVALID_PARAMS: i32 = -32602;
/// Internal error.
pub const INTERNAL_ERROR: i32 = -32603;
/// Transport-level rejection (406, 415, 400 session header, 403, 405, 409, 413, 503).
pub const TRANSPORT_ERROR: i32 = -32000;
/// The session is unknown or ended (404).
pub const SESSION_NOT_FOUND: i32 = -32001;
/// MCP: resource not found (2024-11-05 to 2025-11-25).
pub const RESOURCE_NOT_FOUND: i32 = -32002;

/// A JSON-RPC error object: data, not a Rust failure.
#[derive(Debug, Clone, PartialEq)]
pub struct RpcError {
    /// The JSON-RPC error code.
    pub code: i32,
    /// A readable message.
    pub message: String,
    /// Optional structured detail.
    pub data: Option<Value>,
}

impl RpcError {
    /// An error with `code` and `message`.
    pub fn new(code: i32, message: impl Into<String>) -> Self {
        RpcError {
            code,
            message: message.into(),
            data: None,
        }
    }
    /// Adds structured detail.
    pub fn with_data(mut self, data: Value) -> Self {
        self.data = Some(data);
        self
    }
    /// -32700.
    pub fn parse_error(message: impl Into<String>) -> Self {
        Self::new(PARSE_ERROR, message)
    }
    /// -32600.
    pub fn invalid_request(message: impl Into<String>) -> Self {
        Self::new(INVALID_REQUEST, message)
    }
    /// -32601, naming the method.
    pub fn method_not_found(method: &str) -> Self {
        Self::new(METHOD_NOT_FOUND, format!("Method not found: {method}"))
    }
    /// -32602.
    pub fn invalid_params(message: impl Into<String>) -> Self {
        Self::new(INVALID_PARAMS, message)
    }
    /// -32603.
    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(INTERNAL_ERROR, message)
    }
    /// -32002 with the uri in `data`.
    pub fn resource_not_found(uri: &str) -> Self {
        Self::new(RESOURCE_NOT_FOUND, format!("Resource not found: {uri}"))
            .with_data(json!({ "uri": uri }))
    }

    /// The error object as it goes on the wire.
    pub fn to_json(&self) -> Value {
        let mut error = Map::with_capacity(3);
        error.insert("code".into(), self.code.into());
        error.insert("message".into(), self.message.clone().into());
        if let Some(data) = &self.data {
            error.insert("data".into(), data.clone());
        }
        Value::Object(error)
    }
}

/// One classified JSON-RPC message.
#[derive(Debug, Clone, PartialEq)]
pub enum Message {
    /// Has `method` and `id`: wants a response.
    Request {
        /// String or integer id.
        id: Value,
        /// The method name.
        method: String,
        /// `params`, or `Null` when absent.
        params: Value,
    },
    /// Has `method`, no `id`: never answered.
    Notification {
        /// The method name.
        method: String,
        /// `params`, or `Null` when absent.
        params: Value,
    },
    /// Has `id` and `result` or `error`: the client's answer to a server→client request.
    Response {
        /// The id of the request it answers.
        id: Value,
        /// The whole message, passed on unchanged to whoever waits for it.
        body: Value,
    },
}

/// Why a value is not a JSON-RPC message; carries the id when one could be read.
#[derive(Debug, Clone, PartialEq)]
pub struct Invalid {
    /// The request's id if it was readable, else `Null`.
    pub id: Value,
    /// The -32600 error to answer with.
    pub error: RpcError,
}

fn is_valid_id(id: &Value) -> bool {
    id.is_string() || id.is_i64() || id.is_u64()
}

/// Classifies one message by its keys (no untagged-enum guessing).
pub fn classify(value: Value) -> Result<Message, Invalid> {
    let Value::Object(mut obj) = value else {
        return Err(Invalid {
            id: Value::Null,
            error: RpcError::invalid_request("a JSON-RPC message must be an object"),
        });
    };
    let id = obj.remove("id");
    let readable_id = id.clone().filter(is_valid_id).unwrap_or(Value::Null);
    let invalid = |message: &str| Invalid {
        id: readable_id.clone(),
        error: RpcError::invalid_request(message),
    };
    if obj.get("jsonrpc").and_then(Value::as_str) != Some("2.0") {
        return Err(invalid("\"jsonrpc\" must be \"2.0\""));
    }
    if let Some(id) = &id {
        if !is_valid_id(id) {
            return Err(invalid("\"id\" must be a string or an integer"));
        }
    }
    let params = obj.remove("params").unwrap_or(Value::Null);
    if !(params.is_null() || params.is_object() || params.is_array()) {
        return Err(invalid("\"params\" must be an object or an array"));
    }
    match (obj.remove("method"), id) {
        (Some(Value::String(method)), Some(id)) => Ok(Message::Request { id, method, params }),
        (Some(Value::String(method)), None) => Ok(Message::Notification { method, params }),
        (Some(_), _) => Err(invalid("\"method\" must be a string")),
        (None, Some(id)) if obj.contains_key("result") != obj.contains_key("error") => {
            obj.insert("id".into(), id.clone());
            Ok(Message::Response {
                id,
                body: Value::Object(obj),
            })
        }
        (None, _) => Err(invalid("not a request, notification or response")),
    }
}

/// A success response.
pub fn result(id: Value, result: Value) -> Value {
    json!({ "jsonrpc": "2.0", "id": id, "result": result })
}

/// An error response.
pub fn error(id: Value, error: &RpcError) -> Value {
    json!({ "jsonrpc": "2.0", "id": id, "error": error.to_json() })
}

/// A response for the outcome of a request.
pub fn response(id: Value, outcome: Result<Value, RpcError>) -> Value {
    match outcome {
        Ok(value) => result(id, value),
        Err(e) => error(id, &e),
    }
}

/// A notification.
pub fn notification(method: &str, params: Value) -> Value {
    json!({ "jsonrpc": "2.0", "method": method, "params": params })
}

/// A server→client request.
pub fn request(id: &str, method: &str, params: Value) -> Value {
    json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params })
}

/// The canonical text of an id, for keying pending requests (string "1" and number 1 differ).
pub fn id_key(id: &Value) -> String {
    id.to_string()
}
