//! Opaque access tokens, checked by the authorization server's introspection endpoint
//! (RFC 7662): `POST token=…` with mcpd's own client credentials (`--auth-client-file`).
//!
//! A token passes when the answer says `"active": true`, its `exp` (if any) is not past, its
//! `aud` (required, as RFC 8707 asks: a token not known to be for this server is not accepted;
//! a string or an array) contains the audience, and its `iss` (if any) is
//! `--auth-issuer` (when given). The subject is `sub`, else the `client_id` the token was
//! issued to (a machine client calling for itself). Answers are cached by the gate.

use std::cell::Cell;

use serde_json::Value;

use super::credentials::{form_encode, Credentials};
use super::fetch::Fetcher;
use super::jwt::scopes;
use super::principal::Principal;
use super::refusal::Refusal;

/// How long an answer without `exp` is trusted, in seconds.
pub(crate) const NO_EXP_TTL: u64 = 60;

/// The introspection endpoint and how mcpd talks to it.
#[derive(Debug)]
pub(crate) struct Introspector {
    url: String,
    credentials: Credentials,
    /// `--auth-issuer`, which an answer's `iss` must equal.
    issuer: Option<String>,
    audience: String,
    /// False while the last exchange failed.
    reachable: Cell<bool>,
}

impl Introspector {
    /// Introspection at `url` as the client `credentials`.
    pub fn new(
        url: &str,
        credentials: Credentials,
        issuer: Option<&str>,
        audience: &str,
    ) -> Introspector {
        Introspector {
            url: url.to_owned(),
            credentials,
            issuer: issuer.map(str::to_owned),
            audience: audience.to_owned(),
            reachable: Cell::new(true),
        }
    }

    /// Whether the last exchange (if any) got an answer.
    pub fn is_reachable(&self) -> bool {
        self.reachable.get()
    }

    /// The principal `token` proves and until when (seconds since the epoch) that answer holds.
    pub async fn verify(
        &self,
        fetcher: &Fetcher,
        token: &str,
    ) -> Result<(Principal, u64), Refusal> {
        let form = format!("token={}&token_type_hint=access_token", form_encode(token));
        let basic = self.credentials.basic();
        let answer = match fetcher.post_form(&self.url, &basic, &form).await {
            Ok(answer) => answer,
            Err(e) => {
                self.unreachable(&e.to_string());
                return Err(Refusal::Unavailable(format!(
                    "the token cannot be checked now: introspection failed ({e})"
                )));
            }
        };
        if !self.reachable.replace(true) {
            crate::log::info(format_args!("introspection at {} answers again", self.url));
        }
        if answer.status == 400 {
            // The server will not introspect this token (some refuse JWTs this way).
            return Err(Refusal::Invalid(
                "the authorization server refused to introspect the token".to_owned(),
            ));
        }
        if answer.status != 200 {
            // 401/403: mcpd's own credentials are refused; any other: the server is unwell.
            let why = format!(
                "{} answered {} (check --auth-client-file)",
                self.url, answer.status
            );
            crate::log::warn(format_args!("introspection: {why}"));
            return Err(Refusal::Unavailable(format!(
                "the token cannot be checked now: {why}"
            )));
        }
        let claims: Value = serde_json::from_slice(&answer.body)
            .map_err(|_| Refusal::Unavailable("the introspection answer is not JSON".to_owned()))?;
        self.principal(claims, super::unix_now())
            .map_err(|why| Refusal::Invalid(why.to_owned()))
    }

    /// The principal of an introspection answer at `now`, or why the token is refused.
    pub(crate) fn principal(
        &self,
        claims: Value,
        now: u64,
    ) -> Result<(Principal, u64), &'static str> {
        if claims["active"] != Value::Bool(true) {
            return Err("the token is not active");
        }
        let exp = claims["exp"].as_u64();
        if exp.is_some_and(|exp| exp <= now) {
            return Err("the token has expired");
        }
        let audience_fits = match &claims["aud"] {
            Value::Null => false,
            Value::String(aud) => *aud == self.audience,
            Value::Array(auds) => auds.iter().any(|a| a.as_str() == Some(&self.audience)),
            _ => false,
        };
        if !audience_fits {
            return Err("the token is for another resource");
        }
        let issuer = match (&claims["iss"], &self.issuer) {
            (Value::Null, Some(ours)) => ours.clone(),
            (Value::Null, None) => self.url.clone(),
            (Value::String(iss), Some(ours)) if iss == ours => iss.clone(),
            (Value::String(iss), None) => iss.clone(),
            _ => return Err("the token is from another issuer"),
        };
        let subject = claims["sub"]
            .as_str()
            .or(claims["client_id"].as_str())
            .ok_or("the introspection answer names no subject")?
            .to_owned();
        let until = exp.unwrap_or(now + NO_EXP_TTL);
        Ok((
            Principal {
                subject,
                issuer: Some(issuer),
                scopes: scopes(&claims),
                claims: claims.into(),
            },
            until,
        ))
    }

    fn unreachable(&self, why: &str) {
        if self.reachable.replace(false) {
            crate::log::warn(format_args!("introspection at {}: {why}", self.url));
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn introspector(issuer: Option<&str>) -> Introspector {
        let credentials = Credentials::for_tests("mcpd", "secret");
        Introspector::new(
            "http://127.0.0.1:1/introspect",
            credentials,
            issuer,
            "https://mcp.example.com/mcp",
        )
    }

    #[test]
    fn an_active_answer_for_this_audience_and_issuer_names_the_principal() {
        let i = introspector(Some("https://as.example.com"));
        let answer = json!({"active": true, "sub": "alice", "scope": "mcp:tools mcp:read",
            "exp": 2000, "aud": ["other", "https://mcp.example.com/mcp"], "iss": "https://as.example.com"});
        let (principal, until) = i.principal(answer, 1000).unwrap();
        assert_eq!(principal.subject, "alice");
        assert_eq!(principal.issuer.as_deref(), Some("https://as.example.com"));
        assert_eq!(principal.scopes, ["mcp:tools", "mcp:read"]);
        assert_eq!(until, 2000);
        let machine =
            json!({"active": true, "client_id": "robot", "aud": "https://mcp.example.com/mcp"});
        let (principal, until) = i.principal(machine, 1000).unwrap();
        assert_eq!(
            (principal.subject.as_str(), until),
            ("robot", 1000 + NO_EXP_TTL)
        );
    }

    const AUD: &str = "https://mcp.example.com/mcp";

    #[test]
    fn inactive_expired_foreign_or_subjectless_answers_are_refused() {
        let i = introspector(Some("https://as.example.com"));
        let refused = [
            (json!({"active": false, "sub": "a"}), "not active"),
            (json!({"active": "true", "sub": "a"}), "not active"),
            (json!({"sub": "a"}), "not active"),
            (json!({"active": true, "sub": "a", "exp": 999}), "expired"),
            (
                json!({"active": true, "sub": "a", "aud": "https://other.example.com"}),
                "another resource",
            ),
            (
                json!({"active": true, "sub": "a", "aud": ["x"]}),
                "another resource",
            ),
            (json!({"active": true, "sub": "a"}), "another resource"),
            (
                json!({"active": true, "sub": "a", "aud": AUD, "iss": "https://evil.example.com"}),
                "another issuer",
            ),
            (json!({"active": true, "aud": AUD}), "no subject"),
        ];
        for (answer, why) in refused {
            let e = i.principal(answer.clone(), 1000).unwrap_err();
            assert!(e.contains(why), "{answer}: {e}");
        }
    }
}
