//! The 2026-07-28 era: requests that stand alone. Each carries its protocol version and client
//! capabilities in `params._meta` (checked by [`ladder`], cross-checked against the routing
//! headers by [`headers`]); a handler's questions to the client become an `InputRequiredResult`
//! with a signed `requestState` ([`inputs`], [`state`]); every result is finished by [`result`].

pub mod headers;
pub mod inputs;
pub mod ladder;
pub mod result;
pub mod state;

use http_types::StatusCode;
use serde_json::Value;

use crate::jsonrpc::{INVALID_PARAMS, INVALID_REQUEST, METHOD_NOT_FOUND, PARSE_ERROR};
use crate::mcp::logging::Level;
use inputs::Inputs;

/// `_meta` key: the client's capabilities.
pub const META_CAPABILITIES: &str = "io.modelcontextprotocol/clientCapabilities";
/// `_meta` key: the lowest level of `notifications/message` the client wants.
pub const META_LOG_LEVEL: &str = "io.modelcontextprotocol/logLevel";
/// `_meta` key of results: who answered.
pub const META_SERVER_INFO: &str = "io.modelcontextprotocol/serverInfo";
/// `_meta` key of a listen stream's messages: the listen request's id.
pub const META_SUBSCRIPTION: &str = "io.modelcontextprotocol/subscriptionId";

/// Header mismatch: a routing header is missing, repeated, or disagrees with the body.
pub const HEADER_MISMATCH: i32 = -32020;
/// The request needs a client capability the client did not declare.
pub const MISSING_CAPABILITY: i32 = -32021;
/// The protocol version is not served.
pub const UNSUPPORTED_VERSION: i32 = -32022;

/// What one sessionless request says about its client, and what its handler asked of it.
#[derive(Debug)]
pub struct Envelope {
    /// `_meta` clientCapabilities (an object).
    pub capabilities: Value,
    /// `_meta` logLevel: without it the request gets no `notifications/message`.
    pub log_level: Option<Level>,
    /// The MRTR answers the client brought, and the questions the handler asks.
    pub inputs: Inputs,
}

impl Envelope {
    /// Whether the client declared `capability` (`sampling`, `elicitation`, `roots`).
    pub fn declares(&self, capability: &str) -> bool {
        self.capabilities
            .get(capability)
            .is_some_and(Value::is_object)
    }
}

/// The HTTP status of a sessionless error answered as JSON (mcp-2026.md §2): 404 for an unknown
/// method, 400 for a request that is wrong as sent, 200 for the rest (the request was fine; the
/// work failed).
pub fn status_of(code: i64) -> StatusCode {
    match code as i32 {
        METHOD_NOT_FOUND => StatusCode::NotFound,
        PARSE_ERROR | INVALID_REQUEST | INVALID_PARAMS | HEADER_MISMATCH | MISSING_CAPABILITY
        | UNSUPPORTED_VERSION => StatusCode::BadRequest,
        _ => StatusCode::Ok,
    }
}
