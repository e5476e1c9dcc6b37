//! Who is calling: the subject a valid token names, with its issuer, scopes and claims.

use std::sync::Arc;

use serde_json::Value;

/// The caller of a request, from its access token. Sessions and `requestState` are bound to
/// [`Principal::key`]: issuer and subject, never the token's bytes, so a refreshed token keeps
/// its sessions.
#[derive(Debug, Clone, PartialEq)]
pub struct Principal {
    /// The token's subject (`sub`; for `--auth-tokens-file`, the line's subject name).
    pub subject: String,
    /// The token's issuer (`iss`); `None` for a static token.
    pub issuer: Option<String>,
    /// The scopes the token grants.
    pub scopes: Vec<String>,
    /// Every claim of the token (a JWT's payload or the introspection answer; for a static
    /// token, `sub` and `scope`). Shared: a verified token's principal is handed to every
    /// request that carries it, and copying the claims each time would cost more than the check.
    pub claims: Arc<Value>,
}

impl Principal {
    /// Whether the token grants `scope`.
    pub fn has_scope(&self, scope: &str) -> bool {
        self.scopes.iter().any(|s| s == scope)
    }

    /// What sessions and request state are bound to: `(issuer, subject)`, unambiguous (a
    /// static token's subject is in a namespace of its own).
    pub fn key(&self) -> String {
        let issuer = self.issuer.as_deref().unwrap_or("tokens-file");
        serde_json::to_string(&[issuer, &self.subject]).unwrap_or_default()
    }
}
