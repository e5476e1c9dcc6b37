//! The signature check of JWT access tokens: `jsonwebtoken`'s crypto provider, written on ring
//! (the crypto library rustls already brings), for the asymmetric algorithms mcpd accepts and
//! nothing else.
//!
//! `none` is not an algorithm `jsonwebtoken` parses, and no HMAC algorithm (`HS*`) is ever
//! accepted: an issuer's public key used as an HMAC secret is the classic forgery, and mcpd
//! shares no secret with any issuer. Signing is not provided: mcpd never issues tokens.

use jsonwebtoken::crypto::{CryptoProvider, JwtVerifier, KeyUtils};
use jsonwebtoken::errors::{ErrorKind, Result};
use jsonwebtoken::signature::{Error as BadSignature, Verifier};
use jsonwebtoken::{Algorithm, AlgorithmFamily, DecodingKey, DecodingKeyKind};
use ring::signature::{self as ring_sig, RsaParameters, RsaPublicKeyComponents};

/// The algorithms a token may be signed with: RSA PKCS#1 v1.5 and PSS, ECDSA on P-256 and
/// P-384, Ed25519. ring refuses RSA keys under 2048 bits.
pub(crate) const ALGORITHMS: [Algorithm; 9] = [
    Algorithm::RS256,
    Algorithm::RS384,
    Algorithm::RS512,
    Algorithm::PS256,
    Algorithm::PS384,
    Algorithm::PS512,
    Algorithm::ES256,
    Algorithm::ES384,
    Algorithm::EdDSA,
];

/// The provider `jsonwebtoken` checks signatures with.
static PROVIDER: CryptoProvider = CryptoProvider {
    signer_factory: |_, _| Err(ErrorKind::UnsupportedAlgorithm.into()),
    verifier_factory: verifier,
    key_utils: KeyUtils::new_unimplemented(),
};

/// Makes ring `jsonwebtoken`'s provider for this process (again: nothing).
pub(crate) fn install() {
    // `Err` means a provider is in place already: ours, since the crate has no other compiled in.
    let _ = PROVIDER.install_default();
}

/// A verifier for `alg` with `key`, when the key is of the algorithm's family and the algorithm
/// is one of [`ALGORITHMS`].
fn verifier(alg: &Algorithm, key: &DecodingKey) -> Result<Box<dyn JwtVerifier>> {
    let family_fits = match key.family() {
        AlgorithmFamily::Rsa | AlgorithmFamily::Ec | AlgorithmFamily::Ed => {
            alg.family() == key.family()
        }
        AlgorithmFamily::Hmac => false,
    };
    if !family_fits || !ALGORITHMS.contains(alg) {
        return Err(ErrorKind::InvalidAlgorithm.into());
    }
    Ok(Box::new(RingVerifier {
        alg: *alg,
        key: key.clone(),
    }))
}

/// One key, checking one algorithm.
struct RingVerifier {
    alg: Algorithm,
    key: DecodingKey,
}

impl Verifier<Vec<u8>> for RingVerifier {
    fn verify(&self, message: &[u8], signature: &Vec<u8>) -> std::result::Result<(), BadSignature> {
        let checked = match (self.key.kind(), rsa(self.alg), curve(self.alg)) {
            (DecodingKeyKind::RsaModulusExponent { n, e }, Some(params), _) => {
                RsaPublicKeyComponents { n, e }.verify(params, message, signature)
            }
            (DecodingKeyKind::SecretOrDer(point), _, Some(alg)) => {
                ring_sig::UnparsedPublicKey::new(alg, point).verify(message, signature)
            }
            _ => return Err(BadSignature::new()),
        };
        checked.map_err(|_| BadSignature::new())
    }
}

impl JwtVerifier for RingVerifier {
    fn algorithm(&self) -> Algorithm {
        self.alg
    }
}

/// ring's parameters of an RSA algorithm.
fn rsa(alg: Algorithm) -> Option<&'static RsaParameters> {
    Some(match alg {
        Algorithm::RS256 => &ring_sig::RSA_PKCS1_2048_8192_SHA256,
        Algorithm::RS384 => &ring_sig::RSA_PKCS1_2048_8192_SHA384,
        Algorithm::RS512 => &ring_sig::RSA_PKCS1_2048_8192_SHA512,
        Algorithm::PS256 => &ring_sig::RSA_PSS_2048_8192_SHA256,
        Algorithm::PS384 => &ring_sig::RSA_PSS_2048_8192_SHA384,
        Algorithm::PS512 => &ring_sig::RSA_PSS_2048_8192_SHA512,
        _ => return None,
    })
}

/// ring's algorithm of an elliptic-curve one (the JWS signature is `r || s`, "fixed"); the
/// key is the uncompressed point (`04 || x || y`) or Ed25519's 32 bytes.
fn curve(alg: Algorithm) -> Option<&'static dyn ring_sig::VerificationAlgorithm> {
    Some(match alg {
        Algorithm::ES256 => &ring_sig::ECDSA_P256_SHA256_FIXED,
        Algorithm::ES384 => &ring_sig::ECDSA_P384_SHA384_FIXED,
        Algorithm::EdDSA => &ring_sig::ED25519,
        _ => return None,
    })
}
