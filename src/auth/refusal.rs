//! Why a request's token was not accepted, and the answer that says so: the status, a
//! `WWW-Authenticate: Bearer …` challenge (RFC 6750, RFC 9728 `resource_metadata`) and a
//! JSON-RPC error body.

use http_types::{Response, StatusCode};
use serde_json::json;

use crate::http::json_response;

/// A request refused by the authentication gate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// No `Authorization: Bearer` token: 401.
    Missing,
    /// A token that is not valid here (bad signature, expired, another audience…): 401 with
    /// `error="invalid_token"`.
    Invalid(String),
    /// A valid token without every scope needed (all of them named): 403 with
    /// `error="insufficient_scope"`.
    InsufficientScope(Vec<String>),
    /// A token in the query string (RFC 6750 §2.3 is not supported): 400 with
    /// `error="invalid_request"`.
    InQuery,
    /// The token could not be checked now (the issuer is unreachable): 503.
    Unavailable(String),
}

/// What a challenge names besides the error: the metadata URL and the scopes a request needs.
#[derive(Debug, Clone, Default)]
pub struct ChallengeParams {
    /// The protected-resource metadata URL, when mcpd serves it.
    pub resource_metadata: Option<String>,
    /// The scopes every request needs.
    pub scopes: Vec<String>,
}

impl Refusal {
    /// The answer: status, challenge and a JSON-RPC error.
    pub fn into_response(self, params: &ChallengeParams) -> Response {
        let (status, error, description) = match &self {
            Refusal::Missing => (
                StatusCode::Unauthorized,
                None,
                "an access token is required".to_owned(),
            ),
            Refusal::Invalid(why) => (StatusCode::Unauthorized, Some("invalid_token"), why.clone()),
            Refusal::InsufficientScope(needed) => (
                StatusCode::Forbidden,
                Some("insufficient_scope"),
                format!("the token lacks a scope this needs: {}", needed.join(" ")),
            ),
            Refusal::InQuery => (
                StatusCode::BadRequest,
                Some("invalid_request"),
                "send the token in the Authorization header, never in the URL".to_owned(),
            ),
            Refusal::Unavailable(why) => (StatusCode::ServiceUnavailable, None, why.clone()),
        };
        let scopes = match &self {
            Refusal::InsufficientScope(needed) => needed.clone(),
            _ => params.scopes.clone(),
        };
        let mut challenge = Vec::new();
        if let Some(error) = error {
            challenge.push(format!("error=\"{error}\""));
            challenge.push(format!("error_description=\"{}\"", quoted(&description)));
        }
        if !scopes.is_empty() {
            challenge.push(format!("scope=\"{}\"", quoted(&scopes.join(" "))));
        }
        if let Some(url) = &params.resource_metadata {
            challenge.push(format!("resource_metadata=\"{}\"", quoted(url)));
        }
        let body = json!({
            "jsonrpc": "2.0",
            "id": null,
            "error": {"code": -32000, "message": format!("{}: {description}", status.canonical_reason())},
        });
        let mut res = json_response(status, &body);
        if status == StatusCode::ServiceUnavailable {
            res.insert_header("retry-after", "5");
        } else {
            let header = match challenge.is_empty() {
                true => "Bearer".to_owned(),
                false => format!("Bearer {}", challenge.join(", ")),
            };
            res.insert_header("www-authenticate", header);
        }
        res
    }
}

/// Text made safe inside a quoted-string of a header: printable ASCII without quotes or
/// backslashes (a description may quote a client's bytes, e.g. a JWT header's `alg`; anything
/// else would make the header value invalid).
fn quoted(text: &str) -> String {
    text.chars()
        .filter(|c| (c.is_ascii_graphic() || *c == ' ') && *c != '"' && *c != '\\')
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_description_quoting_client_bytes_makes_a_valid_header() {
        let params = ChallengeParams {
            resource_metadata: Some(
                "https://mcp.example/.well-known/oauth-protected-resource".into(),
            ),
            scopes: vec!["mcp".into()],
        };
        let why = "unsupported alg \"é\u{7f}\\\"\r\nx: y\" ✓".to_owned();
        let res = Refusal::Invalid(why).into_response(&params);
        let challenge = res
            .header("www-authenticate")
            .expect("a challenge")
            .as_str();
        assert!(
            challenge.is_ascii() && !challenge.contains('\r'),
            "{challenge}"
        );
        assert!(
            challenge.starts_with("Bearer error=\"invalid_token\""),
            "{challenge}"
        );
        assert!(challenge.contains("unsupported alg x: y"), "{challenge}");
    }
}
