//! The authentication gate of the MCP routes (mcpd as an OAuth 2.1 resource server): every
//! request on `/mcp`, `/sse` and `/messages` (and their aliases) is checked when any of
//! `--auth-tokens-file`, `--auth-issuer` or `--auth-introspection-url` is given; each request on
//! its own, never "once per session".
//!
//! A token comes only in `Authorization: Bearer`; one in the query string is refused. A token
//! that is missing or not valid gets 401 with a `WWW-Authenticate` challenge naming the
//! protected-resource metadata (`metadata.rs`) and the scopes needed; a valid token lacking a
//! scope of `--auth-scopes` gets 403 `insufficient_scope`. The caller becomes a [`Principal`],
//! which handlers see (`Ctx::principal`) and to which sessions are bound.

mod metadata;
mod principal;
mod refusal;
mod static_tokens;

use http_types::{Request, Response};

pub use metadata::Metadata;
pub use principal::Principal;
pub use refusal::{ChallengeParams, Refusal};
pub use static_tokens::StaticTokens;

use crate::config::Config;

/// The gate: what tokens are accepted and what a refusal says.
#[derive(Debug)]
pub struct Auth {
    /// The public URL of the MCP endpoint (`--public-url`, else `http://<bound>/mcp`).
    pub public_url: String,
    /// The audience a token must be for.
    pub audience: String,
    /// Scopes every request needs.
    scopes: Vec<String>,
    /// `--auth-tokens-file`.
    tokens: Option<StaticTokens>,
    /// The metadata, served when an authorization server is named (`--auth-issuer`).
    metadata: Option<Metadata>,
    /// Whether any way of checking tokens is on.
    is_on: bool,
}

impl Auth {
    /// The gate for `config`; reads `--auth-tokens-file`.
    pub fn new(config: &Config) -> std::io::Result<Auth> {
        let access = &config.access;
        let public_url = access
            .public_url
            .clone()
            .unwrap_or_else(|| format!("http://{}/mcp", config.listen));
        let tokens = match &access.tokens_file {
            Some(file) => Some(StaticTokens::load(file).map_err(|e| {
                std::io::Error::other(format!("--auth-tokens-file {}: {e}", file.display()))
            })?),
            None => None,
        };
        let metadata = access.issuer.as_ref().map(|issuer| Metadata {
            resource: public_url.clone(),
            authorization_servers: vec![issuer.clone()],
            scopes: access.scopes.clone(),
        });
        Ok(Auth {
            audience: access
                .audience
                .clone()
                .unwrap_or_else(|| public_url.clone()),
            public_url,
            scopes: access.scopes.clone(),
            tokens,
            metadata,
            is_on: access.is_on(),
        })
    }

    /// Whether requests need a token.
    pub fn is_on(&self) -> bool {
        self.is_on
    }

    /// The caller of `req`: `Ok(None)` when authentication is off.
    pub async fn check(&self, req: &Request) -> Result<Option<Principal>, Refusal> {
        if !self.is_on {
            return Ok(None);
        }
        let in_query = req.url().query_pairs().any(|(k, _)| k == "access_token");
        if in_query {
            return Err(Refusal::InQuery);
        }
        let token = bearer(req).ok_or(Refusal::Missing)?;
        let principal = self.verify(token).await?;
        if self.scopes.iter().any(|s| !principal.has_scope(s)) {
            return Err(Refusal::InsufficientScope(self.scopes.clone()));
        }
        Ok(Some(principal))
    }

    /// The principal a token proves.
    async fn verify(&self, token: &str) -> Result<Principal, Refusal> {
        if let Some(principal) = self.tokens.as_ref().and_then(|t| t.find(token)) {
            return Ok(principal);
        }
        Err(Refusal::Invalid("the token is not known here".into()))
    }

    /// What a challenge names.
    pub fn challenge_params(&self) -> ChallengeParams {
        ChallengeParams {
            resource_metadata: self.metadata.as_ref().map(Metadata::url),
            scopes: self.scopes.clone(),
        }
    }

    /// The refusal's answer.
    pub fn refuse(&self, refusal: Refusal) -> Response {
        refusal.into_response(&self.challenge_params())
    }

    /// The protected-resource metadata, when `path` is where it is served.
    pub fn metadata_at(&self, path: &str) -> Option<Response> {
        self.metadata
            .as_ref()
            .filter(|m| m.is_served_at(path))
            .map(Metadata::response)
    }

    /// Reads `--auth-tokens-file` again (on SIGHUP); a file that does not parse keeps the
    /// tokens loaded before.
    pub fn reload(&self) {
        let Some(tokens) = &self.tokens else {
            return;
        };
        match tokens.reload() {
            Ok(n) => crate::log::info(format_args!("--auth-tokens-file reloaded: {n} token(s)")),
            Err(e) => crate::log::warn(format_args!(
                "--auth-tokens-file not reloaded, the tokens loaded before stay: {e}"
            )),
        }
    }
}

/// The token of `Authorization: Bearer <token>`.
fn bearer(req: &Request) -> Option<&str> {
    let value = req.header("authorization")?.last().as_str();
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

/// The principal the gate attached to a request (`None` with authentication off).
pub fn caller(req: &Request) -> Option<&Principal> {
    req.ext().get::<Principal>()
}
