//! Why an HTTP request is refused before (or instead of) reaching an MCP handler: one enum, with
//! the HTTP status and the JSON-RPC error code of each case side by side.

use std::time::Duration;

use http_types::{Response, StatusCode};
use serde_json::Value;

use crate::http::json_response;
use crate::jsonrpc::{
    self, RpcError, INVALID_REQUEST, PARSE_ERROR, SESSION_NOT_FOUND, TRANSPORT_ERROR,
};

/// A refused request.
#[derive(Debug, Clone, PartialEq)]
pub enum Error {
    /// Bad `Host` or `Origin` (DNS rebinding): 403.
    Forbidden(String),
    /// No such path: 404.
    NotFound(String),
    /// The method is not served on this path: 405 with `Allow`.
    MethodNotAllowed(&'static str),
    /// `Accept` lacks what the response needs: 406.
    NotAcceptable(&'static str),
    /// `Content-Type` is not JSON: 415.
    UnsupportedMediaType,
    /// The body is over `--max-body`: 413, connection closed (the body stays unread).
    BodyTooLarge(usize),
    /// The head or body did not arrive within its deadline: 408, connection closed.
    Timeout(&'static str),
    /// The HTTP itself is malformed: its status (400, 431, 505), connection closed.
    MalformedHttp(StatusCode, String),
    /// The body is not JSON: 400, -32700.
    Parse(String),
    /// JSON but not an acceptable JSON-RPC message: 400, -32600, with the id when readable.
    InvalidRequest(Value, String),
    /// No `Mcp-Session-Id` on a request that needs one: 400.
    MissingSession,
    /// The session is unknown, expired or deleted: 404, -32001.
    SessionNotFound,
    /// A sessionless request refused before its handler ran (`sessionless/ladder.rs`): its
    /// id and error; 400, or 404 for -32601.
    Refused(Value, RpcError),
    /// A second standalone GET stream: 409.
    Conflict,
    /// A limit is reached or the store is down: 503 with `Retry-After`.
    Unavailable(String, Duration),
}

impl Error {
    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        match self {
            Error::Forbidden(_) => StatusCode::Forbidden,
            Error::NotFound(_) | Error::SessionNotFound => StatusCode::NotFound,
            Error::MethodNotAllowed(_) => StatusCode::MethodNotAllowed,
            Error::NotAcceptable(_) => StatusCode::NotAcceptable,
            Error::UnsupportedMediaType => StatusCode::UnsupportedMediaType,
            Error::BodyTooLarge(_) => StatusCode::PayloadTooLarge,
            Error::Timeout(_) => StatusCode::RequestTimeout,
            Error::MalformedHttp(status, _) => *status,
            Error::Parse(_) | Error::InvalidRequest(..) | Error::MissingSession => {
                StatusCode::BadRequest
            }
            Error::Refused(_, e) => crate::sessionless::status_of(e.code.into()),
            Error::Conflict => StatusCode::Conflict,
            Error::Unavailable(..) => StatusCode::ServiceUnavailable,
        }
    }

    /// The JSON-RPC error of the body.
    pub fn rpc(&self) -> RpcError {
        match self {
            Error::Forbidden(what) => RpcError::new(TRANSPORT_ERROR, format!("Forbidden: {what}")),
            Error::NotFound(path) => RpcError::new(TRANSPORT_ERROR, format!("Not found: {path}")),
            Error::MethodNotAllowed(_) => RpcError::new(TRANSPORT_ERROR, "Method not allowed"),
            Error::NotAcceptable(wanted) => RpcError::new(
                TRANSPORT_ERROR,
                format!("Not Acceptable: Accept must include {wanted}"),
            ),
            Error::UnsupportedMediaType => RpcError::new(
                TRANSPORT_ERROR,
                "Unsupported Media Type: Content-Type must be application/json",
            ),
            Error::BodyTooLarge(max) => {
                RpcError::new(TRANSPORT_ERROR, format!("Body larger than {max} bytes"))
            }
            Error::Timeout(what) => {
                RpcError::new(TRANSPORT_ERROR, format!("{what} not received in time"))
            }
            Error::MalformedHttp(_, why) => {
                RpcError::new(TRANSPORT_ERROR, format!("Malformed HTTP request: {why}"))
            }
            Error::Parse(why) => RpcError::new(PARSE_ERROR, format!("Parse error: {why}")),
            Error::InvalidRequest(_, why) => {
                RpcError::new(INVALID_REQUEST, format!("Invalid Request: {why}"))
            }
            Error::MissingSession => RpcError::new(
                TRANSPORT_ERROR,
                "Bad Request: Mcp-Session-Id header is required",
            ),
            Error::SessionNotFound => RpcError::new(SESSION_NOT_FOUND, "Session not found"),
            Error::Refused(_, e) => e.clone(),
            Error::Conflict => RpcError::new(
                TRANSPORT_ERROR,
                "Conflict: Only one SSE stream is allowed per session",
            ),
            Error::Unavailable(why, _) => {
                RpcError::new(TRANSPORT_ERROR, format!("Service unavailable: {why}"))
            }
        }
    }

    /// The response: the status, the extra headers the case needs, and a JSON-RPC error body.
    pub fn into_response(self) -> Response {
        let id = match &self {
            Error::InvalidRequest(id, _) | Error::Refused(id, _) => id.clone(),
            _ => Value::Null,
        };
        let mut res = json_response(self.status(), &jsonrpc::error(id, &self.rpc()));
        match self {
            Error::MethodNotAllowed(allow) => res.insert_header("allow", allow),
            Error::Unavailable(_, retry) => {
                res.insert_header("retry-after", retry.as_secs().max(1).to_string())
            }
            Error::BodyTooLarge(_) | Error::Timeout(_) | Error::MalformedHttp(..) => {
                res.insert_header("connection", "close")
            }
            _ => None,
        };
        res
    }
}
