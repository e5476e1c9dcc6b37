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
//!
//! How a token is checked, first match wins: a static token (`static_tokens.rs`); a token
//! verified before and still within its cache time (`token_cache.rs`); a JWS, by its signature
//! and claims (`jwt.rs`, keys from `jwks.rs`); anything else, or a JWS the JWT check refused, by
//! introspection (`introspection.rs`). The issuer is reached over `fetch.rs`; when it cannot be
//! reached, a token that cannot be checked without it gets 503, never 401, and
//! [`Auth::issuer_reachable`] says so.

mod answer;
mod credentials;
mod fetch;
mod introspection;
mod jwks;
mod jwt;
mod metadata;
mod principal;
mod refusal;
mod signature;
mod static_tokens;
#[cfg(test)]
mod test_key;
mod token_cache;

use http_types::{Request, Response};

pub use metadata::Metadata;
pub use principal::Principal;
pub use refusal::{ChallengeParams, Refusal};
pub use static_tokens::StaticTokens;

use crate::config::Config;
use credentials::Credentials;
use fetch::Fetcher;
use introspection::Introspector;
use jwt::Jwt;
use token_cache::TokenCache;

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
    /// `--auth-issuer`: its JWT access tokens.
    jwt: Option<Jwt>,
    /// `--auth-introspection-url`: opaque tokens.
    introspection: Option<Introspector>,
    /// Tokens verified by `jwt` or `introspection`, by digest.
    verified: TokenCache,
    /// The client that reaches the issuer.
    fetcher: Fetcher,
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
        let audience = access
            .audience
            .clone()
            .unwrap_or_else(|| public_url.clone());
        let jwt = access
            .issuer
            .as_deref()
            .map(|issuer| Jwt::new(issuer, &audience, access.jwks_url.as_deref()));
        let introspection = match &access.introspection {
            Some(i) => {
                let credentials = Credentials::load(&i.client_file).map_err(|e| {
                    std::io::Error::other(format!(
                        "--auth-client-file {}: {e}",
                        i.client_file.display()
                    ))
                })?;
                Some(Introspector::new(
                    &i.url,
                    credentials,
                    access.issuer.as_deref(),
                    &audience,
                ))
            }
            None => None,
        };
        let fetcher = Fetcher::default();
        let urls = [
            access.issuer.as_ref(),
            access.jwks_url.as_ref(),
            access.introspection.as_ref().map(|i| &i.url),
        ];
        if urls.into_iter().flatten().any(|u| u.starts_with("https:")) {
            fetcher.preload_tls();
        }
        let metadata = access.issuer.as_ref().map(|issuer| Metadata {
            resource: public_url.clone(),
            authorization_servers: vec![issuer.clone()],
            scopes: access.scopes.clone(),
        });
        Ok(Auth {
            audience,
            public_url,
            scopes: access.scopes.clone(),
            tokens,
            metadata,
            is_on: access.is_on(),
            jwt,
            introspection,
            verified: TokenCache::default(),
            fetcher,
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
        // One SHA-256 per request: static tokens and verified ones are both kept by digest.
        let digest = TokenCache::digest(token);
        if let Some(principal) = self.tokens.as_ref().and_then(|t| t.find(&digest)) {
            return Ok(principal);
        }
        if self.jwt.is_none() && self.introspection.is_none() {
            return Err(Refusal::Invalid("the token is not known here".into()));
        }
        if let Some(principal) = self.verified.find(&digest, unix_now()) {
            return Ok(principal);
        }
        let (principal, until) = self.verify_at_issuer(token).await?;
        self.verified
            .insert(digest, principal.clone(), until, unix_now());
        Ok(principal)
    }

    /// A token not seen before: a JWS by the JWT check, the rest (or a JWS it refused) by
    /// introspection. With both refusing, the JWT check's reason is given.
    async fn verify_at_issuer(&self, token: &str) -> Result<(Principal, u64), Refusal> {
        let mut refused = None;
        if let Some(jwt) = self.jwt.as_ref().filter(|_| jwt::looks_like_jws(token)) {
            match jwt.verify(&self.fetcher, token).await {
                Ok(verified) => return Ok(verified),
                Err(e) => refused = Some(Refusal::from(e)),
            }
        }
        match (&self.introspection, refused) {
            (Some(introspection), refused) => {
                let introspected = introspection.verify(&self.fetcher, token).await;
                match (introspected, refused) {
                    (Ok(verified), _) => Ok(verified),
                    (Err(Refusal::Invalid(_)), Some(jwt_refusal)) => Err(jwt_refusal),
                    (Err(e), _) => Err(e),
                }
            }
            (None, Some(refused)) => Err(refused),
            (None, None) => Err(Refusal::Invalid(
                "the token is not a JWT (this server accepts only JWT access tokens)".into(),
            )),
        }
    }

    /// Whether the authorization server answered the last time mcpd asked it (for its keys or
    /// an introspection); true when nothing is asked of one. `/health` shows it.
    pub fn issuer_reachable(&self) -> bool {
        let keys = self.jwt.as_ref().is_none_or(|j| j.keys.is_reachable());
        let introspection = self
            .introspection
            .as_ref()
            .is_none_or(Introspector::is_reachable);
        keys && introspection
    }

    /// Keeps the issuer's keys fresh in the background (fetched at start, again when stale, and
    /// retried while the issuer is down, so [`Auth::issuer_reachable`] is current without
    /// traffic); returns at once without `--auth-issuer`. Without it running, keys are fetched
    /// when a request needs them.
    pub async fn follow_issuer(&self) {
        if let Some(jwt) = &self.jwt {
            jwt.keys.follow(&self.fetcher).await;
        }
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
        // Every request asks: most are not for the metadata, and are told so without parsing
        // the public URL.
        if !path.starts_with(metadata::WELL_KNOWN) {
            return None;
        }
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

/// Seconds since the Unix epoch.
pub(crate) fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
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
