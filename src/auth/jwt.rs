//! JWT access tokens (RFC 9068, OAuth 2.1 §5.2) of `--auth-issuer`, checked locally against the
//! issuer's keys (`jwks.rs`).
//!
//! A token passes when all of these hold: its header's `alg` is one of
//! [`signature::ALGORITHMS`](super::signature::ALGORITHMS) (never `none`, never HMAC); its `typ`,
//! if any, is `at+jwt` or `JWT`; a key of the issuer with its `kid` (or, without one, of its
//! algorithm's family) verifies the signature; `iss` is the issuer exactly; `aud` (a string or an
//! array) contains the audience (`--auth-audience`, else `--public-url`); `exp` is present and
//! not past, `nbf` not ahead, `iat` not ahead, each within [`SKEW`]; `sub` is a string.

use std::str::FromStr;

use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, Validation};
use serde_json::Value;

use super::fetch::Fetcher;
use super::jwks::{Jwks, KeysError};
use super::principal::Principal;
use super::refusal::Refusal;
use super::signature::{self, ALGORITHMS};
use crate::base64::{self, Alphabet};

/// The clock skew allowed between mcpd and the issuer, in seconds.
pub(crate) const SKEW: u64 = 60;

/// Why a JWT was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum JwtError {
    /// Not a JWS, or its header or claims do not parse.
    Malformed(String),
    /// An algorithm mcpd does not accept (`none`, `HS256`…).
    Algorithm(String),
    /// A `typ` other than `at+jwt` or `JWT`.
    Type(String),
    /// No key of the issuer has the token's `kid`.
    UnknownKey,
    /// The signature is not the issuer's.
    Signature,
    /// `iss` is not the issuer.
    Issuer,
    /// `aud` does not contain the audience.
    Audience,
    /// A required claim is missing (`exp`, `iss`, `aud` or `sub`).
    Missing(String),
    /// `exp` is past.
    Expired,
    /// `nbf` is ahead.
    NotYetValid,
    /// `iat` is ahead.
    IssuedInFuture,
    /// The issuer's keys cannot be fetched now: why.
    Unavailable(String),
}

impl std::fmt::Display for JwtError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            JwtError::Malformed(why) => write!(f, "the token is not a valid JWT: {why}"),
            JwtError::Algorithm(alg) => write!(f, "the token's algorithm {alg} is not accepted"),
            JwtError::Type(typ) => write!(f, "the token's type {typ} is not an access token"),
            JwtError::UnknownKey => write!(f, "the token names a key the issuer does not have"),
            JwtError::Signature => write!(f, "the token's signature is not the issuer's"),
            JwtError::Issuer => write!(f, "the token is from another issuer"),
            JwtError::Audience => write!(f, "the token is for another resource"),
            JwtError::Missing(claim) => write!(f, "the token has no {claim} claim"),
            JwtError::Expired => write!(f, "the token has expired"),
            JwtError::NotYetValid => write!(f, "the token is not valid yet"),
            JwtError::IssuedInFuture => write!(f, "the token is issued in the future"),
            JwtError::Unavailable(why) => write!(f, "the token cannot be checked now: {why}"),
        }
    }
}

impl From<JwtError> for Refusal {
    fn from(e: JwtError) -> Refusal {
        match e {
            JwtError::Unavailable(_) => Refusal::Unavailable(e.to_string()),
            _ => Refusal::Invalid(e.to_string()),
        }
    }
}

/// The checker of one issuer's JWTs.
#[derive(Debug)]
pub(crate) struct Jwt {
    issuer: String,
    /// The claim checks, for every algorithm (set per token).
    validation: Validation,
    /// The issuer's keys.
    pub keys: Jwks,
}

impl Jwt {
    /// Tokens of `issuer` for `audience`, its keys at `jwks_url` or found in its metadata.
    pub fn new(issuer: &str, audience: &str, jwks_url: Option<&str>) -> Jwt {
        signature::install();
        let mut validation = Validation::new(Algorithm::RS256);
        validation.leeway = SKEW;
        validation.validate_exp = true;
        validation.validate_nbf = true;
        validation.set_audience(&[audience]);
        validation.set_issuer(&[issuer]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        Jwt {
            issuer: issuer.to_owned(),
            validation,
            keys: Jwks::new(issuer, jwks_url),
        }
    }

    /// The principal `token` proves, and its `exp` (seconds since the epoch).
    pub async fn verify(
        &self,
        fetcher: &Fetcher,
        token: &str,
    ) -> Result<(Principal, u64), JwtError> {
        let header = header(token)?;
        let alg_name = header["alg"].as_str().unwrap_or("(none given)");
        let alg = Algorithm::from_str(alg_name)
            .ok()
            .filter(|a| ALGORITHMS.contains(a))
            .ok_or_else(|| JwtError::Algorithm(alg_name.to_owned()))?;
        if let Some(typ) = header.get("typ") {
            let typ = typ.as_str().unwrap_or_default().to_ascii_lowercase();
            let typ = typ.strip_prefix("application/").unwrap_or(&typ);
            if typ != "at+jwt" && typ != "jwt" {
                return Err(JwtError::Type(header["typ"].to_string()));
            }
        }
        let kid = header["kid"].as_str();
        let keys = match self.keys.find(fetcher, kid, alg).await {
            Ok(keys) => keys,
            Err(KeysError::Unknown) => return Err(JwtError::UnknownKey),
            Err(KeysError::Unavailable(why)) => return Err(JwtError::Unavailable(why)),
        };
        let mut validation = self.validation.clone();
        validation.algorithms = vec![alg];
        let mut claims = None;
        for key in keys {
            match jsonwebtoken::decode::<Value>(token, &key.key, &validation) {
                Ok(data) => {
                    claims = Some(data.claims);
                    break;
                }
                Err(e) if *e.kind() == ErrorKind::InvalidSignature => continue,
                Err(e) => return Err(refused(e.into_kind())),
            }
        }
        let claims = claims.ok_or(JwtError::Signature)?;
        self.principal(claims)
    }

    /// The principal of verified claims, after the checks `jsonwebtoken` does not make.
    fn principal(&self, claims: Value) -> Result<(Principal, u64), JwtError> {
        let now = super::unix_now();
        if claims["iat"].as_u64().is_some_and(|iat| iat > now + SKEW) {
            return Err(JwtError::IssuedInFuture);
        }
        if claims["iss"].as_str() != Some(&self.issuer) {
            return Err(JwtError::Issuer);
        }
        let subject = claims["sub"]
            .as_str()
            .ok_or_else(|| JwtError::Missing("sub".into()))?
            .to_owned();
        let exp = claims["exp"]
            .as_u64()
            .ok_or_else(|| JwtError::Missing("exp".into()))?;
        Ok((
            Principal {
                subject,
                issuer: Some(self.issuer.clone()),
                scopes: scopes(&claims),
                claims,
            },
            exp,
        ))
    }
}

/// Whether `token` has the shape of a JWS (three base64url parts): worth a JWT check.
pub(crate) fn looks_like_jws(token: &str) -> bool {
    let mut parts = 0;
    for part in token.split('.') {
        parts += 1;
        let base64url = part
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if !base64url || (parts < 3 && part.is_empty()) {
            return false;
        }
    }
    parts == 3
}

/// The header of a JWS, unverified (to pick the key).
fn header(token: &str) -> Result<Value, JwtError> {
    let encoded = token
        .split('.')
        .next()
        .filter(|_| looks_like_jws(token))
        .ok_or_else(|| JwtError::Malformed("not three base64url parts".into()))?;
    let bytes = base64::decode(encoded, Alphabet::UrlSafe)
        .ok_or_else(|| JwtError::Malformed("the header is not base64url".into()))?;
    match serde_json::from_slice::<Value>(&bytes) {
        Ok(header) if header.is_object() => Ok(header),
        _ => Err(JwtError::Malformed(
            "the header is not a JSON object".into(),
        )),
    }
}

/// The scopes of a token: `scope` (space-separated, RFC 9068) or `scp` (an array, or a string).
pub(crate) fn scopes(claims: &Value) -> Vec<String> {
    let words = |s: &str| s.split_whitespace().map(str::to_owned).collect();
    match (&claims["scope"], &claims["scp"]) {
        (Value::String(s), _) | (_, Value::String(s)) => words(s),
        (_, Value::Array(items)) => items
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect(),
        _ => Vec::new(),
    }
}

/// The refusal of a `jsonwebtoken` error.
fn refused(kind: ErrorKind) -> JwtError {
    match kind {
        ErrorKind::ExpiredSignature => JwtError::Expired,
        ErrorKind::ImmatureSignature => JwtError::NotYetValid,
        ErrorKind::InvalidIssuer => JwtError::Issuer,
        ErrorKind::InvalidAudience => JwtError::Audience,
        ErrorKind::MissingRequiredClaim(claim) => JwtError::Missing(claim),
        ErrorKind::InvalidSignature => JwtError::Signature,
        ErrorKind::InvalidAlgorithm
        | ErrorKind::MissingAlgorithm
        | ErrorKind::UnsupportedAlgorithm
        | ErrorKind::InvalidAlgorithmName => JwtError::Algorithm("of this key".into()),
        ErrorKind::InvalidClaimFormat(claim) => JwtError::Malformed(format!("bad {claim} claim")),
        other => JwtError::Malformed(jsonwebtoken::errors::Error::from(other).to_string()),
    }
}

#[cfg(test)]
#[path = "jwt_tests.rs"]
mod tests;
