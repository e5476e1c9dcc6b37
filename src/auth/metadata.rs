//! OAuth 2.0 Protected Resource Metadata (RFC 9728): the document that tells a client which
//! authorization server issues tokens for mcpd, served at the root and the path form of
//! `/.well-known/oauth-protected-resource`.

use http_types::{Response, StatusCode};
use serde_json::json;

use crate::http::json_response;

/// The well-known prefix of the metadata.
pub const WELL_KNOWN: &str = "/.well-known/oauth-protected-resource";

/// The metadata of `resource` (the public URL).
#[derive(Debug, Clone)]
pub struct Metadata {
    /// The public URL of the MCP endpoint: the metadata's `resource`.
    pub resource: String,
    /// The authorization servers that issue tokens for it.
    pub authorization_servers: Vec<String>,
    /// The scopes requests need.
    pub scopes: Vec<String>,
}

impl Metadata {
    /// The URL of the metadata for the resource: its origin, the well-known prefix, then the
    /// resource's path (RFC 9728 §3.1).
    pub fn url(&self) -> String {
        match http_types::Url::parse(&self.resource) {
            Ok(url) => {
                let path = url.path().trim_end_matches('/');
                format!("{}{WELL_KNOWN}{path}", url.origin().ascii_serialization())
            }
            Err(_) => WELL_KNOWN.to_owned(),
        }
    }

    /// Whether `path` is where the metadata is served (the root form or the path form).
    pub fn is_served_at(&self, path: &str) -> bool {
        let path_form = self.url();
        let suffix = path_form
            .find(WELL_KNOWN)
            .map_or(WELL_KNOWN, |at| &path_form[at..]);
        path == WELL_KNOWN || path == suffix
    }

    /// The document, readable from browsers (Inspector) too.
    pub fn response(&self) -> Response {
        let mut body = json!({
            "resource": self.resource,
            "authorization_servers": self.authorization_servers,
            "bearer_methods_supported": ["header"],
        });
        if !self.scopes.is_empty() {
            body["scopes_supported"] = json!(self.scopes);
        }
        let mut res = json_response(StatusCode::Ok, &body);
        res.insert_header("access-control-allow-origin", "*");
        res.insert_header("cache-control", "max-age=300");
        res
    }
}
