//! Unit tests of the JWT check: every refusal next to a token that passes and differs from it in
//! one thing only, and the key set's refresh rules against a small JWKS server on 127.0.0.1.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{json, Value};
use smol::LocalExecutor;

use super::*;
use crate::auth::jwks::{self, MIN_INTERVAL};
use crate::auth::test_key::{hs256, merge, unsigned, TestKey};
use crate::auth::unix_now;

const ISSUER: &str = "https://as.example.com";
const AUD: &str = "https://mcp.example.com/mcp";

/// The checker, its keys known already.
fn jwt_with(keys: &[&TestKey]) -> Jwt {
    let jwt = Jwt::new(ISSUER, AUD, Some("http://127.0.0.1:9/unused"));
    let set = json!({"keys": keys.iter().map(|k| k.jwk()).collect::<Vec<_>>()});
    jwt.keys
        .preload(jwks::parse(set.to_string().as_bytes()).unwrap());
    jwt
}

/// Claims that pass, with `changes` made (`null` removes a claim).
fn claims(changes: Value) -> Value {
    let now = unix_now();
    let mut claims = json!({"iss": ISSUER, "aud": AUD, "sub": "alice", "exp": now + 300,
        "iat": now, "scope": "mcp:tools mcp:read", "client_id": "app"});
    merge(&mut claims, changes);
    claims
}

fn verify(jwt: &Jwt, token: &str) -> Result<Principal, JwtError> {
    smol::block_on(jwt.verify(&Fetcher::default(), token)).map(|(p, _)| p)
}

#[test]
fn each_accepted_algorithm_passes_and_names_the_principal() {
    let (rsa, ec, ed) = (
        TestKey::rsa_a("rsa"),
        TestKey::p256("ec"),
        TestKey::ed25519("ed"),
    );
    let jwt = jwt_with(&[&rsa, &ec, &ed]);
    let signed = [
        rsa.sign("RS256", json!({}), &claims(json!({}))),
        rsa.sign("PS256", json!({}), &claims(json!({}))),
        rsa.sign("RS512", json!({}), &claims(json!({}))),
        ec.sign("ES256", json!({}), &claims(json!({}))),
        ed.sign("EdDSA", json!({}), &claims(json!({}))),
    ];
    for token in signed {
        let principal = verify(&jwt, &token).unwrap_or_else(|e| panic!("{token}: {e}"));
        assert_eq!(principal.subject, "alice");
        assert_eq!(principal.issuer.as_deref(), Some(ISSUER));
        assert_eq!(principal.scopes, ["mcp:tools", "mcp:read"]);
        assert_eq!(principal.claims["client_id"], "app");
    }
    let scp = claims(json!({"scope": null, "scp": ["a", "b"]}));
    let principal = verify(&jwt, &rsa.sign("RS256", json!({}), &scp)).unwrap();
    assert_eq!(principal.scopes, ["a", "b"]);
}

#[test]
fn a_token_for_another_audience_is_refused() {
    let key = TestKey::rsa_a("k");
    let jwt = jwt_with(&[&key]);
    let sign = |changes| key.sign("RS256", json!({}), &claims(changes));
    assert!(verify(&jwt, &sign(json!({"aud": ["other", AUD]}))).is_ok());
    for aud in [
        json!("https://other.example.com/mcp"),
        json!(["a", "b"]),
        json!([]),
    ] {
        let token = sign(json!({ "aud": aud }));
        assert_eq!(verify(&jwt, &token), Err(JwtError::Audience), "{aud}");
    }
    let no_aud = sign(json!({"aud": null}));
    assert_eq!(verify(&jwt, &no_aud), Err(JwtError::Missing("aud".into())));
}

#[test]
fn times_are_checked_with_sixty_seconds_of_skew_and_exp_is_required() {
    let key = TestKey::rsa_a("k");
    let jwt = jwt_with(&[&key]);
    let sign = |changes| key.sign("RS256", json!({}), &claims(changes));
    let now = unix_now();
    assert!(verify(&jwt, &sign(json!({"exp": now - 30, "nbf": now + 30}))).is_ok());
    let cases = [
        (json!({"exp": now - 120}), JwtError::Expired),
        (json!({"exp": null}), JwtError::Missing("exp".into())),
        (json!({"nbf": now + 300}), JwtError::NotYetValid),
        (json!({"iat": now + 300}), JwtError::IssuedInFuture),
    ];
    for (changes, refusal) in cases {
        assert_eq!(
            verify(&jwt, &sign(changes.clone())),
            Err(refusal),
            "{changes}"
        );
    }
}

#[test]
fn a_token_of_another_issuer_or_without_a_subject_is_refused() {
    let key = TestKey::rsa_a("k");
    let jwt = jwt_with(&[&key]);
    let sign = |changes| key.sign("RS256", json!({}), &claims(changes));
    for iss in [
        json!("https://evil.example.com"),
        json!("https://as.example.com/"),
        json!([ISSUER]),
    ] {
        let token = sign(json!({ "iss": iss }));
        assert_eq!(verify(&jwt, &token), Err(JwtError::Issuer), "{iss}");
    }
    let no_sub = sign(json!({"sub": null}));
    assert_eq!(verify(&jwt, &no_sub), Err(JwtError::Missing("sub".into())));
}

#[test]
fn forged_signatures_are_refused() {
    let key = TestKey::rsa_a("k");
    let jwt = jwt_with(&[&key]);
    let good = claims(json!({}));
    let foreign = TestKey::rsa_b("k").sign("RS256", json!({}), &good);
    assert_eq!(verify(&jwt, &foreign), Err(JwtError::Signature));
    let genuine = key.sign("RS256", json!({}), &good);
    let (signed, signature) = genuine.rsplit_once('.').unwrap();
    let (header, _) = signed.split_once('.').unwrap();
    let admin = claims(json!({"sub": "admin"}));
    let payload = base64::encode(admin.to_string().as_bytes(), Alphabet::UrlSafe);
    let tampered = format!("{header}.{payload}.{signature}");
    assert_eq!(verify(&jwt, &tampered), Err(JwtError::Signature));
}

#[test]
fn alg_none_and_hmac_with_the_public_key_are_refused() {
    let key = TestKey::rsa_a("k");
    let jwt = jwt_with(&[&key]);
    let good = claims(json!({}));
    let none = unsigned("k", &good);
    assert_eq!(verify(&jwt, &none), Err(JwtError::Algorithm("none".into())));
    // The classic forgery: the issuer's public key (here its JWK and its modulus) as the secret.
    let public = key.jwk();
    let modulus = base64::decode(public["n"].as_str().unwrap(), Alphabet::UrlSafe).unwrap();
    for secret in [public.to_string().into_bytes(), modulus] {
        let forged = hs256(&secret, "k", &good);
        assert_eq!(
            verify(&jwt, &forged),
            Err(JwtError::Algorithm("HS256".into()))
        );
    }
}

#[test]
fn only_access_token_types_and_known_critical_headers_pass() {
    let key = TestKey::rsa_a("k");
    let jwt = jwt_with(&[&key]);
    let good = claims(json!({}));
    for typ in [
        json!("at+jwt"),
        json!("JWT"),
        json!("application/at+jwt"),
        Value::Null,
    ] {
        let token = key.sign("RS256", json!({ "typ": typ }), &good);
        assert!(verify(&jwt, &token).is_ok(), "{typ}");
    }
    let dpop = key.sign("RS256", json!({"typ": "dpop+jwt"}), &good);
    assert!(matches!(verify(&jwt, &dpop), Err(JwtError::Type(_))));
    let crit = key.sign("RS256", json!({"crit": ["exp"], "exp": 1}), &good);
    assert!(matches!(verify(&jwt, &crit), Err(JwtError::Malformed(_))));
}

#[test]
fn a_key_is_used_only_for_its_family_and_its_algorithm() {
    let rsa = TestKey::rsa_a("rsa");
    let ec = TestKey::p256("ec");
    let jwt = jwt_with(&[&rsa, &ec]);
    let good = claims(json!({}));
    // An ES256 signature naming the RSA key, an RS256 one naming the EC key.
    let ec_as_rsa = TestKey::p256("rsa").sign("ES256", json!({}), &good);
    assert_eq!(verify(&jwt, &ec_as_rsa), Err(JwtError::UnknownKey));
    let rsa_as_ec = TestKey::rsa_a("ec").sign("RS256", json!({}), &good);
    assert_eq!(verify(&jwt, &rsa_as_ec), Err(JwtError::UnknownKey));
    // Without a kid, every key of the family is tried.
    let no_kid = rsa.sign("RS256", json!({"kid": null}), &good);
    assert!(verify(&jwt, &no_kid).is_ok());
}

#[test]
fn shapes_that_look_like_a_jws() {
    assert!(looks_like_jws("eyJh.eyJz.c2ln"));
    assert!(looks_like_jws("eyJh.eyJz."), "alg none has no signature");
    for opaque in ["abc", "a.b", "a.b.c.d", ".b.c", "a..c", "a.b.c=", "a b.c.d"] {
        assert!(!looks_like_jws(opaque), "{opaque}");
    }
}

/// An issuer on 127.0.0.1 serving whatever `set` holds at `/jwks`, and at any `/.well-known/`
/// path metadata naming `metadata_issuer` and that key set; it counts requests.
struct JwksServer {
    url: String,
    origin: String,
    set: Arc<Mutex<Value>>,
    metadata_issuer: Arc<Mutex<String>>,
    hits: Arc<AtomicUsize>,
}

impl JwksServer {
    fn start(keys: &[&TestKey]) -> JwksServer {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let origin = format!("http://{}", listener.local_addr().unwrap());
        let url = format!("{origin}/jwks");
        let set = Arc::new(Mutex::new(json!({})));
        let metadata_issuer = Arc::new(Mutex::new(origin.clone()));
        let hits = Arc::new(AtomicUsize::new(0));
        let server = JwksServer {
            url: url.clone(),
            origin,
            set,
            metadata_issuer,
            hits,
        };
        server.publish(keys);
        let (set, hits) = (server.set.clone(), server.hits.clone());
        let metadata_issuer = server.metadata_issuer.clone();
        std::thread::spawn(move || {
            for mut conn in listener.incoming().flatten() {
                let mut head = Vec::new();
                let mut byte = [0u8; 1];
                while !head.ends_with(b"\r\n\r\n") && conn.read(&mut byte).unwrap_or(0) == 1 {
                    head.push(byte[0]);
                }
                hits.fetch_add(1, Ordering::SeqCst);
                let body = if head.starts_with(b"GET /.well-known/") {
                    let issuer = metadata_issuer.lock().unwrap().clone();
                    json!({"issuer": issuer, "jwks_uri": url}).to_string()
                } else {
                    set.lock().unwrap().to_string()
                };
                let answer = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
                    body.len()
                );
                let _ = conn.write_all(answer.as_bytes());
            }
        });
        server
    }

    fn publish(&self, keys: &[&TestKey]) {
        *self.set.lock().unwrap() =
            json!({"keys": keys.iter().map(|k| k.jwk()).collect::<Vec<_>>()});
    }

    fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }
}

#[test]
fn an_unknown_kid_fetches_the_keys_again_at_most_once_per_interval() {
    let old = TestKey::rsa_a("old");
    let server = JwksServer::start(&[&old]);
    let jwt = Jwt::new(ISSUER, AUD, Some(&server.url));
    let good = claims(json!({}));
    assert!(verify(&jwt, &old.sign("RS256", json!({}), &good)).is_ok());
    assert_eq!(server.hits(), 1, "the first token fetches the keys");
    jwt.keys.age(MIN_INTERVAL);
    // A flood of tokens naming kids the issuer never had, all at once: one fetch for all.
    let fetcher = Fetcher::default();
    let bogus: Vec<String> = (0..20)
        .map(|n| TestKey::rsa_b(&format!("bogus-{n}")).sign("RS256", json!({}), &good))
        .collect();
    let executor = LocalExecutor::new();
    let tasks: Vec<_> = bogus
        .iter()
        .map(|token| executor.spawn(jwt.verify(&fetcher, token)))
        .collect();
    smol::block_on(executor.run(async {
        for task in tasks {
            assert_eq!(task.await.unwrap_err(), JwtError::UnknownKey);
        }
    }));
    assert_eq!(server.hits(), 2, "one fetch for the whole flood");
    let more = TestKey::rsa_b("bogus-again").sign("RS256", json!({}), &good);
    assert_eq!(verify(&jwt, &more), Err(JwtError::UnknownKey));
    assert_eq!(server.hits(), 2, "none within the interval");
    // The issuer rotates to a new key: once the interval has passed, its first token fetches it.
    let new = TestKey::p256("new");
    server.publish(&[&old, &new]);
    let rotated = new.sign("ES256", json!({}), &good);
    assert_eq!(
        verify(&jwt, &rotated),
        Err(JwtError::UnknownKey),
        "too soon"
    );
    jwt.keys.age(MIN_INTERVAL);
    assert!(verify(&jwt, &rotated).is_ok());
    assert_eq!((server.hits(), jwt.keys.fetches()), (3, 3));
}

#[test]
fn keys_that_cannot_be_fetched_make_a_token_unavailable_not_invalid() {
    let closed = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/jwks", closed.local_addr().unwrap());
    drop(closed);
    let jwt = Jwt::new(ISSUER, AUD, Some(&url));
    let token = TestKey::rsa_a("k").sign("RS256", json!({}), &claims(json!({})));
    assert!(matches!(
        verify(&jwt, &token),
        Err(JwtError::Unavailable(_))
    ));
    assert!(!jwt.keys.is_reachable());
    assert!(matches!(
        Refusal::from(verify(&jwt, &token).unwrap_err()),
        Refusal::Unavailable(_)
    ));
    std::thread::sleep(Duration::from_millis(1));
}

#[test]
fn keys_are_found_through_the_issuers_metadata_which_must_name_the_issuer() {
    let key = TestKey::rsa_a("k");
    let server = JwksServer::start(&[&key]);
    let jwt = Jwt::new(&server.origin, AUD, None);
    let token = key.sign("RS256", json!({}), &claims(json!({"iss": server.origin})));
    assert!(verify(&jwt, &token).is_ok());
    assert_eq!(server.hits(), 2, "metadata, then keys");
    *server.metadata_issuer.lock().unwrap() = "http://evil.example.com".into();
    let elsewhere = Jwt::new(&server.origin, AUD, None);
    let refused = verify(&elsewhere, &token);
    assert!(
        matches!(&refused, Err(JwtError::Unavailable(why)) if why.contains("rather than")),
        "{refused:?}"
    );
}
