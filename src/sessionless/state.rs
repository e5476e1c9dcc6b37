//! `requestState`: what a sessionless request carries from one MRTR round to the next (the
//! answers gathered so far), signed so that any process holding the same key can trust it and
//! nobody else can forge it. A token is `<payload>.<tag>`, both unpadded base64url: the payload
//! is JSON `{m: method, d: params digest, e: expiry (Unix ms), n: nonce, a: answers}`, the tag
//! HMAC-SHA-256 of the payload text. It is bound to the method and a digest of the params
//! (`_meta`, `inputResponses` and `requestState` left out), and expires after
//! `--request-timeout`. The key comes from `--state-key-file`, or is drawn at start.

use std::collections::BTreeMap;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use hmac::{Hmac, Mac};
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};

use crate::base64::{self, Alphabet};
use crate::jsonrpc::RpcError;

/// Params that are not part of what a state is bound to.
const UNBOUND: [&str; 3] = ["_meta", "inputResponses", "requestState"];

/// The HMAC key (never logged or shown).
#[derive(Clone)]
pub struct StateKey(Vec<u8>);

impl std::fmt::Debug for StateKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("StateKey(…)")
    }
}

/// Why the key could not be had.
#[derive(Debug)]
pub enum KeyError {
    /// The file could not be read, created or written.
    Io(std::io::Error),
    /// The file holds fewer than 32 bytes.
    TooShort(usize),
}

impl std::fmt::Display for KeyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            KeyError::Io(e) => write!(f, "{e}"),
            KeyError::TooShort(n) => write!(f, "holds {n} bytes; at least 32 are needed"),
        }
    }
}

/// Creates `path` (mode 0600) holding `text`, synced to disk.
fn write_new(path: &Path, text: &str) -> std::io::Result<()> {
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    f.write_all(text.as_bytes())?;
    f.sync_all()
}

fn random_hex() -> Result<String, KeyError> {
    let bytes = crate::ids::os_random::<32>().map_err(KeyError::Io)?;
    Ok(hex(&bytes))
}

impl StateKey {
    /// The key in `file` (its trimmed text, at least 32 bytes). A missing file is created
    /// (mode 0600) with 64 random hex digits, written whole to a temporary file first and then
    /// linked into place, so a process starting at the same moment never reads it half written:
    /// the first link wins and the others read that key. Without a file: a random key of this
    /// process (then only this process can serve a retry).
    pub fn load(file: Option<&Path>) -> Result<StateKey, KeyError> {
        let Some(path) = file else {
            return Ok(StateKey(random_hex()?.into_bytes()));
        };
        if !path.exists() {
            let text = random_hex()?;
            let mut temp = path.as_os_str().to_owned();
            temp.push(format!(".{}.tmp", &random_hex()?[..16]));
            let written = write_new(Path::new(&temp), &format!("{text}\n"))
                .and_then(|()| std::fs::hard_link(&temp, path));
            let _ = std::fs::remove_file(&temp);
            match written {
                Ok(()) => return Ok(StateKey(text.into_bytes())),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
                Err(e) => return Err(KeyError::Io(e)),
            }
        }
        let text = std::fs::read_to_string(path).map_err(KeyError::Io)?;
        let key = text.trim().as_bytes().to_vec();
        match key.len() {
            n if n < 32 => Err(KeyError::TooShort(n)),
            _ => Ok(StateKey(key)),
        }
    }

    fn tag(&self, payload: &str) -> Hmac<Sha256> {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.0).expect("HMAC takes any key length");
        mac.update(payload.as_bytes());
        mac
    }

    /// A fresh token carrying `answers` for a retry of `method` with params of `digest`.
    pub fn sign(
        &self,
        method: &str,
        digest: &str,
        answers: &Map<String, Value>,
        expiry_ms: u64,
        nonce: &str,
    ) -> String {
        let payload = json!({ "m": method, "d": digest, "e": expiry_ms, "n": nonce, "a": answers });
        let payload = base64::encode(payload.to_string().as_bytes(), Alphabet::UrlSafe);
        let tag = self.tag(&payload).finalize().into_bytes();
        format!("{payload}.{}", base64::encode(&tag, Alphabet::UrlSafe))
    }

    /// The answers a token carries, if it is ours, unaltered, unexpired and for this method
    /// and these params; else -32602.
    pub fn open(
        &self,
        token: &str,
        method: &str,
        digest: &str,
        now_ms: u64,
    ) -> Result<Map<String, Value>, RpcError> {
        let invalid = |why: &str| RpcError::invalid_params(format!("invalid requestState: {why}"));
        let (payload, tag) = token.split_once('.').ok_or_else(|| invalid("malformed"))?;
        let tag = base64::decode(tag, Alphabet::UrlSafe).ok_or_else(|| invalid("malformed"))?;
        self.tag(payload)
            .verify_slice(&tag)
            .map_err(|_| invalid("signature does not match"))?;
        let bytes =
            base64::decode(payload, Alphabet::UrlSafe).ok_or_else(|| invalid("malformed"))?;
        let mut state: Value = serde_json::from_slice(&bytes).map_err(|_| invalid("malformed"))?;
        if state["m"] != method || state["d"] != digest {
            return Err(invalid("issued for another request"));
        }
        if state["e"].as_u64().is_none_or(|e| e < now_ms) {
            return Err(invalid("expired"));
        }
        match state["a"].take() {
            Value::Object(answers) => Ok(answers),
            _ => Err(invalid("malformed")),
        }
    }
}

/// The digest a state is bound to: SHA-256 (hex) of the params without [`UNBOUND`] keys, as
/// JSON in sorted key order (serde_json's own order, without copying the params).
pub fn digest(params: &Value) -> String {
    let bound: BTreeMap<&str, &Value> = params
        .as_object()
        .into_iter()
        .flatten()
        .filter(|(k, _)| !UNBOUND.contains(&k.as_str()))
        .map(|(k, v)| (k.as_str(), v))
        .collect();
    let json = serde_json::to_vec(&bound).expect("JSON values serialize");
    hex(&Sha256::digest(json))
}

/// Lower-case hex.
fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    bytes
        .iter()
        .flat_map(|b| [DIGITS[usize::from(b >> 4)], DIGITS[usize::from(b & 15)]])
        .map(char::from)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_opens_only_unaltered_for_its_request_and_in_time() {
        let key = StateKey(b"0123456789abcdef0123456789abcdef".to_vec());
        let answers: Map<String, Value> =
            serde_json::from_value(json!({ "k": { "action": "accept" } })).unwrap();
        let d = digest(&json!({ "name": "t", "arguments": {}, "_meta": { "x": 1 } }));
        assert_eq!(d, digest(&json!({ "arguments": {}, "name": "t" })));
        assert_eq!(d.len(), 64);
        assert_ne!(d, digest(&json!({ "arguments": { "a": 1 }, "name": "t" })));
        let token = key.sign("tools/call", &d, &answers, 2_000, "n1");
        assert_eq!(key.open(&token, "tools/call", &d, 1_000), Ok(answers));
        assert!(key
            .open(&format!("{token}-TAMPERED"), "tools/call", &d, 1_000)
            .is_err());
        assert!(key.open(&token, "prompts/get", &d, 1_000).is_err());
        assert!(key.open(&token, "tools/call", "other", 1_000).is_err());
        assert!(key.open(&token, "tools/call", &d, 3_000).is_err());
        let other = StateKey(b"another key, also 32 bytes long!".to_vec());
        assert!(other.open(&token, "tools/call", &d, 1_000).is_err());
    }
}
