//! Keys of the unit tests' own minting, and JWS signed with them (forged ones included): two fixed
//! RSA keys (`testdata/rsa-{a,b}.der`, PKCS#1, made with `openssl genpkey -algorithm RSA -pkeyopt
//! rsa_keygen_bits:2048 -outform DER`; test keys, never trusted anywhere), and P-256 and Ed25519
//! keys made by ring on each run.

use ring::rand::SystemRandom;
use ring::signature::{self as ring_sig, EcdsaKeyPair, Ed25519KeyPair, KeyPair, RsaKeyPair};
use serde_json::{json, Value};

use crate::base64::{self, Alphabet};

/// A private key.
enum Pair {
    Rsa(RsaKeyPair),
    Ec(EcdsaKeyPair),
    Ed(Ed25519KeyPair),
}

/// A signing key with its `kid`.
pub(crate) struct TestKey {
    pair: Pair,
    pub kid: String,
}

fn b64(bytes: &[u8]) -> String {
    base64::encode(bytes, Alphabet::UrlSafe)
}

impl TestKey {
    /// RSA key A (2048 bits).
    pub fn rsa_a(kid: &str) -> TestKey {
        TestKey::rsa(include_bytes!("testdata/rsa-a.der"), kid)
    }

    /// RSA key B: a key the issuer does not have.
    pub fn rsa_b(kid: &str) -> TestKey {
        TestKey::rsa(include_bytes!("testdata/rsa-b.der"), kid)
    }

    fn rsa(der: &[u8], kid: &str) -> TestKey {
        let pair = RsaKeyPair::from_der(der).expect("test RSA key");
        TestKey {
            pair: Pair::Rsa(pair),
            kid: kid.to_owned(),
        }
    }

    /// A fresh P-256 key.
    pub fn p256(kid: &str) -> TestKey {
        let rng = SystemRandom::new();
        let alg = &ring_sig::ECDSA_P256_SHA256_FIXED_SIGNING;
        let pk8 = EcdsaKeyPair::generate_pkcs8(alg, &rng).expect("P-256 key");
        let pair = EcdsaKeyPair::from_pkcs8(alg, pk8.as_ref(), &rng).expect("P-256 key");
        TestKey {
            pair: Pair::Ec(pair),
            kid: kid.to_owned(),
        }
    }

    /// A fresh Ed25519 key.
    pub fn ed25519(kid: &str) -> TestKey {
        let pk8 = Ed25519KeyPair::generate_pkcs8(&SystemRandom::new()).expect("Ed25519 key");
        let pair = Ed25519KeyPair::from_pkcs8(pk8.as_ref()).expect("Ed25519 key");
        TestKey {
            pair: Pair::Ed(pair),
            kid: kid.to_owned(),
        }
    }

    /// The public key as a JWK Set entry.
    pub fn jwk(&self) -> Value {
        match &self.pair {
            Pair::Rsa(pair) => {
                let public = ring_sig::RsaPublicKeyComponents::<Vec<u8>>::from(pair.public());
                json!({"kty": "RSA", "use": "sig", "kid": self.kid,
                    "n": b64(&public.n), "e": b64(&public.e)})
            }
            Pair::Ec(pair) => {
                let point = pair.public_key().as_ref();
                json!({"kty": "EC", "crv": "P-256", "kid": self.kid,
                    "x": b64(&point[1..33]), "y": b64(&point[33..65])})
            }
            Pair::Ed(pair) => json!({"kty": "OKP", "crv": "Ed25519", "kid": self.kid,
                "x": b64(pair.public_key().as_ref())}),
        }
    }

    /// A JWS of `claims` signed with `alg` (RS256, PS256, RS512, ES256 or EdDSA), with this
    /// key's `kid` and the header fields of `header`.
    pub fn sign(&self, alg: &str, header: Value, claims: &Value) -> String {
        let mut full = json!({"alg": alg, "kid": self.kid, "typ": "at+jwt"});
        merge(&mut full, header);
        let input = signing_input(&full, claims);
        let rng = SystemRandom::new();
        let signature = match &self.pair {
            Pair::Rsa(pair) => {
                let padding: &'static dyn ring_sig::RsaEncoding = match alg {
                    "PS256" => &ring_sig::RSA_PSS_SHA256,
                    "RS512" => &ring_sig::RSA_PKCS1_SHA512,
                    _ => &ring_sig::RSA_PKCS1_SHA256,
                };
                let mut signature = vec![0; pair.public().modulus_len()];
                pair.sign(padding, &rng, input.as_bytes(), &mut signature)
                    .expect("RSA signature");
                signature
            }
            Pair::Ec(pair) => pair
                .sign(&rng, input.as_bytes())
                .expect("ECDSA signature")
                .as_ref()
                .to_vec(),
            Pair::Ed(pair) => pair.sign(input.as_bytes()).as_ref().to_vec(),
        };
        format!("{input}.{}", b64(&signature))
    }
}

/// `base64url(header).base64url(claims)`.
fn signing_input(header: &Value, claims: &Value) -> String {
    format!(
        "{}.{}",
        b64(header.to_string().as_bytes()),
        b64(claims.to_string().as_bytes())
    )
}

/// An unsecured JWS (`alg: none`, empty signature).
pub(crate) fn unsigned(kid: &str, claims: &Value) -> String {
    format!(
        "{}.",
        signing_input(&json!({"alg": "none", "kid": kid}), claims)
    )
}

/// A JWS with HMAC-SHA-256 keyed by `secret` (as forgers key it with a public key).
pub(crate) fn hs256(secret: &[u8], kid: &str, claims: &Value) -> String {
    let input = signing_input(&json!({"alg": "HS256", "kid": kid, "typ": "JWT"}), claims);
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, secret);
    let tag = ring::hmac::sign(&key, input.as_bytes());
    format!("{input}.{}", b64(tag.as_ref()))
}

/// `base` with the fields of `extra` set (a `null` removes one).
pub(crate) fn merge(base: &mut Value, extra: Value) {
    if let Value::Object(fields) = extra {
        for (name, value) in fields {
            match value {
                Value::Null => {
                    base.as_object_mut().expect("an object").remove(&name);
                }
                value => base[name] = value,
            }
        }
    }
}
