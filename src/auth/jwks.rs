//! The issuer's signing keys (its JWK Set): found through `--auth-jwks-url` or the issuer's
//! metadata (RFC 8414, then OpenID Connect Discovery), fetched without blocking the executor,
//! and kept.
//!
//! When the keys are fetched again:
//! - when they are stale: their `Cache-Control: max-age`, bounded to [`MIN_FRESH`]..[`MAX_FRESH`]
//!   ([`DEFAULT_FRESH`] without one), has run out;
//! - when a token names a `kid` not in the set (the issuer may have rotated its keys).
//!
//! Both are rate-limited: at most one fetch per [`MIN_INTERVAL`], however many requests want one
//! (a flood of bogus `kid`s cannot make mcpd hammer the issuer), and concurrent requests share
//! the one fetch in flight. Keys that went stale are still used while the issuer cannot be
//! reached (an issuer outage does not refuse tokens that can still be checked); a token that
//! cannot be checked without the issuer then gets [`KeysError::Unavailable`] (503).

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::str::FromStr;
use std::time::{Duration, Instant};

use jsonwebtoken::jwk::{AlgorithmParameters, Jwk, PublicKeyUse};
use jsonwebtoken::{Algorithm, DecodingKey};
use serde_json::Value;
use smol::lock::Mutex;

use super::fetch::{FetchError, Fetcher};

/// The least time between two fetches of the keys (or of the metadata).
pub(crate) const MIN_INTERVAL: Duration = Duration::from_secs(10);
/// Keys are kept at least this long, whatever `Cache-Control` says (`no-store` included).
pub(crate) const MIN_FRESH: Duration = Duration::from_secs(60);
/// Keys are fetched again after this long, whatever `Cache-Control` says.
pub(crate) const MAX_FRESH: Duration = Duration::from_secs(24 * 3600);
/// How long keys are kept when the answer has no `max-age`.
pub(crate) const DEFAULT_FRESH: Duration = Duration::from_secs(300);

/// One signing key of the set.
#[derive(Debug)]
pub(crate) struct Key {
    /// `kid`.
    pub id: Option<String>,
    /// `alg`, when the set restricts the key to one algorithm.
    pub alg: Option<Algorithm>,
    /// The key.
    pub key: DecodingKey,
}

/// Why no key could check a token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum KeysError {
    /// The issuer's current keys are known and none has this `kid` (or fits the algorithm).
    Unknown,
    /// The keys could not be fetched (the issuer is down, or its answers are unusable): why.
    Unavailable(String),
}

/// What is known of the key set.
#[derive(Debug, Default)]
struct Known {
    keys: Vec<Rc<Key>>,
    /// Whether a fetch ever succeeded.
    is_loaded: bool,
    /// When the keys go stale.
    fresh_until: Option<Instant>,
    /// When the last fetch started (the rate limit counts attempts, not successes).
    last_attempt: Option<Instant>,
    /// Why the last fetch failed; `None` after a success.
    last_error: Option<String>,
    /// Fetches finished so far: a request that waited for one in flight uses its result.
    fetches: u64,
    /// The key set URL found in the issuer's metadata.
    discovered_url: Option<String>,
}

/// The key set of one issuer.
#[derive(Debug)]
pub(crate) struct Jwks {
    /// `--auth-issuer`: the metadata must name it exactly (RFC 8414 §3.3).
    issuer: String,
    /// `--auth-jwks-url`.
    url: Option<String>,
    known: RefCell<Known>,
    /// Held by the one fetch in flight.
    fetching: Mutex<()>,
    /// False while the last fetch failed.
    reachable: Cell<bool>,
}

impl Jwks {
    /// The keys of `issuer`, at `url` or wherever its metadata says.
    pub fn new(issuer: &str, url: Option<&str>) -> Jwks {
        Jwks {
            issuer: issuer.to_owned(),
            url: url.map(str::to_owned),
            known: RefCell::default(),
            fetching: Mutex::new(()),
            reachable: Cell::new(true),
        }
    }

    /// Whether the last fetch (if any) succeeded.
    pub fn is_reachable(&self) -> bool {
        self.reachable.get()
    }

    /// Fetches so far (for tests of the rate limit).
    #[cfg(test)]
    pub fn fetches(&self) -> u64 {
        self.known.borrow().fetches
    }

    /// Keys known as if fetched just now (for tests without a server).
    #[cfg(test)]
    pub fn preload(&self, keys: Vec<Key>) {
        let mut known = self.known.borrow_mut();
        known.keys = keys.into_iter().map(Rc::new).collect();
        known.is_loaded = true;
        known.fresh_until = Some(Instant::now() + DEFAULT_FRESH);
        known.last_attempt = Some(Instant::now());
    }

    /// Moves the last fetch `by` into the past (for tests of the rate limit).
    #[cfg(test)]
    pub fn age(&self, by: Duration) {
        let mut known = self.known.borrow_mut();
        known.last_attempt = known.last_attempt.map(|t| t - by);
    }

    /// The keys that may have signed a token with `kid` and `alg`: the key with that `kid`, or
    /// (without one) every key of the algorithm's family. Fetches the set first when it is
    /// stale or lacks the `kid`, unless the rate limit says not yet.
    pub async fn find(
        &self,
        fetcher: &Fetcher,
        kid: Option<&str>,
        alg: Algorithm,
    ) -> Result<Vec<Rc<Key>>, KeysError> {
        let (found, is_fresh) = self.lookup(kid, alg);
        if !found.is_empty() && is_fresh {
            return Ok(found);
        }
        let in_flight = self.fetching.try_lock().is_none();
        if !found.is_empty() && (in_flight || !self.is_due()) {
            // Stale keys still check tokens until the fetch (in flight or allowed later) ends.
            return Ok(found);
        }
        // Waits for a fetch in flight and uses its keys; fetches itself only when due.
        self.refresh(fetcher).await;
        let (found, _) = self.lookup(kid, alg);
        if !found.is_empty() {
            return Ok(found);
        }
        let known = self.known.borrow();
        match &known.last_error {
            None if known.is_loaded => Err(KeysError::Unknown),
            None => Err(KeysError::Unavailable(
                "the issuer's keys are not fetched yet".into(),
            )),
            Some(why) => Err(KeysError::Unavailable(why.clone())),
        }
    }

    /// Keeps the keys fresh without waiting for a request: fetches them now, again when they go
    /// stale, and every [`MIN_INTERVAL`] while the issuer cannot be reached (so `/health` knows).
    pub async fn follow(&self, fetcher: &Fetcher) {
        loop {
            if self.is_due() {
                self.refresh(fetcher).await;
            }
            let next = {
                let known = self.known.borrow();
                let retry = known.last_attempt.map(|t| t + MIN_INTERVAL);
                match (known.last_error.is_some(), known.fresh_until) {
                    (false, Some(stale)) => retry.map_or(stale, |r| stale.max(r)),
                    _ => retry.unwrap_or_else(Instant::now),
                }
            };
            async_io::Timer::at(next).await;
        }
    }

    /// The matching keys, and whether the set is fresh.
    fn lookup(&self, kid: Option<&str>, alg: Algorithm) -> (Vec<Rc<Key>>, bool) {
        let known = self.known.borrow();
        let found = known
            .keys
            .iter()
            .filter(|k| match kid {
                Some(kid) => k.id.as_deref() == Some(kid),
                None => true,
            })
            .filter(|k| k.key.family() == alg.family() && k.alg.is_none_or(|a| a == alg))
            .cloned()
            .collect();
        let is_fresh = known.fresh_until.is_some_and(|t| Instant::now() < t);
        (found, is_fresh)
    }

    /// Whether the rate limit allows a fetch now.
    fn is_due(&self) -> bool {
        let known = self.known.borrow();
        known
            .last_attempt
            .is_none_or(|t| t.elapsed() >= MIN_INTERVAL)
    }

    /// Fetches the set, unless another request's fetch finished while this one waited.
    async fn refresh(&self, fetcher: &Fetcher) {
        let before = self.known.borrow().fetches;
        let _only_one = self.fetching.lock().await;
        if self.known.borrow().fetches != before || !self.is_due() {
            return;
        }
        self.known.borrow_mut().last_attempt = Some(Instant::now());
        let fetched = self.fetch(fetcher).await;
        let mut known = self.known.borrow_mut();
        known.fetches += 1;
        match fetched {
            Ok((keys, fresh_for)) => {
                known.keys = keys.into_iter().map(Rc::new).collect();
                known.is_loaded = true;
                known.fresh_until = Some(Instant::now() + fresh_for);
                known.last_error = None;
                if !self.reachable.replace(true) {
                    crate::log::info(format_args!("the issuer's keys are reachable again"));
                }
            }
            Err(why) => {
                crate::log::warn(format_args!("the issuer's keys: {why}"));
                // A URL that no longer answers may have moved: ask the metadata again next time.
                known.discovered_url = None;
                known.last_error = Some(why);
                self.reachable.set(false);
            }
        }
    }

    /// The set and how long it stays fresh.
    async fn fetch(&self, fetcher: &Fetcher) -> Result<(Vec<Key>, Duration), String> {
        let discovered = self.known.borrow().discovered_url.clone();
        let url = match (&self.url, discovered) {
            (Some(url), _) => url.clone(),
            (None, Some(url)) => url,
            (None, None) => {
                let url = self.discover(fetcher).await?;
                self.known.borrow_mut().discovered_url = Some(url.clone());
                url
            }
        };
        let fetched = fetcher.get(&url).await.map_err(|e| at(&url, e))?;
        if fetched.status != 200 {
            return Err(format!("{url} answered {}", fetched.status));
        }
        let keys = parse(&fetched.body).map_err(|why| format!("{url}: {why}"))?;
        Ok((keys, freshness(fetched.max_age())))
    }

    /// `jwks_uri` of the issuer's metadata: the first of [`metadata_urls`] that answers 200.
    async fn discover(&self, fetcher: &Fetcher) -> Result<String, String> {
        let mut tried = Vec::new();
        for url in metadata_urls(&self.issuer) {
            let fetched = fetcher.get(&url).await.map_err(|e| at(&url, e))?;
            if fetched.status != 200 {
                tried.push(format!("{url} answered {}", fetched.status));
                continue;
            }
            let metadata: Value = serde_json::from_slice(&fetched.body)
                .map_err(|_| format!("{url}: the metadata is not JSON"))?;
            if metadata["issuer"].as_str() != Some(&self.issuer) {
                return Err(format!(
                    "{url} names the issuer {} rather than {} (--auth-issuer must be the issuer's exact identifier)",
                    metadata["issuer"], self.issuer
                ));
            }
            return match metadata["jwks_uri"].as_str() {
                Some(jwks) => Ok(jwks.to_owned()),
                None => Err(format!("{url} names no jwks_uri")),
            };
        }
        Err(format!("no metadata for the issuer: {}", tried.join("; ")))
    }
}

/// How long keys with this `max-age` stay fresh: within [`MIN_FRESH`]..[`MAX_FRESH`],
/// [`DEFAULT_FRESH`] without one.
pub(crate) fn freshness(max_age: Option<u64>) -> Duration {
    max_age
        .map_or(DEFAULT_FRESH, Duration::from_secs)
        .clamp(MIN_FRESH, MAX_FRESH)
}

/// A fetch failure, with its URL.
fn at(url: &str, e: FetchError) -> String {
    format!("{url}: {e}")
}

/// Where an issuer's metadata may be, in the order asked: RFC 8414's
/// `oauth-authorization-server`, then OpenID Connect's `openid-configuration`; for an issuer
/// with a path, the well-known part inserted before it (RFC 8414 §3.1), then OpenID Connect's
/// form appended to it (as the MCP specification lists them).
pub(crate) fn metadata_urls(issuer: &str) -> Vec<String> {
    let Ok(url) = http_types::Url::parse(issuer) else {
        return Vec::new();
    };
    let origin = url.origin().ascii_serialization();
    let path = url.path().trim_end_matches('/');
    if path.is_empty() {
        return vec![
            format!("{origin}/.well-known/oauth-authorization-server"),
            format!("{origin}/.well-known/openid-configuration"),
        ];
    }
    vec![
        format!("{origin}/.well-known/oauth-authorization-server{path}"),
        format!("{origin}/.well-known/openid-configuration{path}"),
        format!("{origin}{path}/.well-known/openid-configuration"),
    ]
}

/// The signing keys of a JWK Set: asymmetric keys only (an `oct` key is never trusted), not
/// those marked for encryption; keys mcpd cannot use are skipped.
pub(crate) fn parse(body: &[u8]) -> Result<Vec<Key>, String> {
    let set: Value = serde_json::from_slice(body).map_err(|_| "not JSON".to_owned())?;
    let Some(entries) = set["keys"].as_array() else {
        return Err("no \"keys\" array".into());
    };
    let keys: Vec<Key> = entries.iter().filter_map(signing_key).collect();
    if keys.is_empty() {
        return Err("no signing key mcpd can use".into());
    }
    Ok(keys)
}

/// The key of one JWK Set entry, unless it is not for signatures or mcpd cannot use it.
fn signing_key(entry: &Value) -> Option<Key> {
    // A key restricted to an algorithm mcpd does not know (`RSA-OAEP`…) is skipped.
    let alg = match entry.get("alg") {
        Some(name) => Some(Algorithm::from_str(name.as_str()?).ok()?),
        None => None,
    };
    let jwk = serde_json::from_value::<Jwk>(entry.clone()).ok()?;
    if matches!(jwk.common.public_key_use, Some(PublicKeyUse::Encryption)) {
        return None;
    }
    let asymmetric = matches!(
        jwk.algorithm,
        AlgorithmParameters::RSA(_)
            | AlgorithmParameters::EllipticCurve(_)
            | AlgorithmParameters::OctetKeyPair(_)
    );
    Some(Key {
        id: jwk.common.key_id.clone(),
        alg,
        key: DecodingKey::from_jwk(&jwk).ok().filter(|_| asymmetric)?,
    })
}

#[cfg(test)]
#[path = "jwks_tests.rs"]
mod tests;
