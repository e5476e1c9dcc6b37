//! `--auth-tokens-file`: static bearer tokens for deployments without an authorization server.
//!
//! One token per line: `subject sha256-hex-of-the-token [scope ...]`; blank lines and lines
//! starting with `#` are skipped. The file holds digests, not tokens, so reading it gives no
//! one a token. Make a line with `printf %s "$TOKEN" | sha256sum`. mcpd reads it at start and
//! again on SIGHUP (a file that no longer parses keeps the tokens loaded before, and says why).

use std::cell::RefCell;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde_json::json;

use super::principal::Principal;
use super::token_cache::TokenDigest;

/// Why a tokens file was not loaded.
#[derive(Debug)]
pub enum TokensFileError {
    /// It could not be read.
    Unreadable(std::io::Error),
    /// A line is not `subject sha256-hex [scope ...]` (its number, 1-based).
    BadLine(usize),
}

impl std::fmt::Display for TokensFileError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TokensFileError::Unreadable(e) => write!(f, "{e}"),
            TokensFileError::BadLine(n) => write!(
                f,
                "line {n} is not 'subject sha256-hex-of-the-token [scope ...]'"
            ),
        }
    }
}

/// The tokens of the file, by the SHA-256 of the token.
#[derive(Debug)]
pub struct StaticTokens {
    path: PathBuf,
    by_digest: RefCell<HashMap<TokenDigest, Principal>>,
}

impl StaticTokens {
    /// Loads `path`.
    pub fn load(path: &Path) -> Result<StaticTokens, TokensFileError> {
        Ok(StaticTokens {
            by_digest: RefCell::new(parse(&read(path)?)?),
            path: path.to_owned(),
        })
    }

    /// Reads the file again; on failure the tokens loaded before stay.
    pub fn reload(&self) -> Result<usize, TokensFileError> {
        let tokens = parse(&read(&self.path)?)?;
        let n = tokens.len();
        *self.by_digest.borrow_mut() = tokens;
        Ok(n)
    }

    /// The principal of the token whose SHA-256 is `digest`, if it is in the file.
    pub fn find(&self, digest: &TokenDigest) -> Option<Principal> {
        self.by_digest.borrow().get(digest).cloned()
    }
}

fn read(path: &Path) -> Result<String, TokensFileError> {
    std::fs::read_to_string(path).map_err(TokensFileError::Unreadable)
}

/// The 32 bytes written as 64 hex digits (either case).
fn parse_hex(hex: &str) -> Option<TokenDigest> {
    if hex.len() != 64 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let mut digest = [0; 32];
    for (byte, pair) in digest.iter_mut().zip(hex.as_bytes().chunks(2)) {
        *byte = u8::from_str_radix(std::str::from_utf8(pair).ok()?, 16).ok()?;
    }
    Some(digest)
}

fn parse(text: &str) -> Result<HashMap<TokenDigest, Principal>, TokensFileError> {
    let mut tokens = HashMap::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let mut words = line.split_whitespace();
        let (Some(subject), Some(hex)) = (words.next(), words.next()) else {
            return Err(TokensFileError::BadLine(n + 1));
        };
        let digest = parse_hex(hex).ok_or(TokensFileError::BadLine(n + 1))?;
        let scopes: Vec<String> = words.map(str::to_owned).collect();
        let principal = Principal {
            subject: subject.to_owned(),
            issuer: None,
            claims: json!({"sub": subject, "scope": scopes.join(" ")}).into(),
            scopes,
        };
        tokens.insert(digest, principal);
    }
    Ok(tokens)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::token_cache::TokenCache;

    /// The line's form of a token: its SHA-256 in hex, as `sha256sum` prints it.
    fn hex(token: &str) -> String {
        TokenCache::digest(token)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    #[test]
    fn a_line_names_a_subject_the_digest_of_its_token_and_its_scopes() {
        let text = format!(
            "# operators\n\nalice {} tools:read tools:call\nbob {}\n",
            hex("alice-token"),
            hex("bob-token").to_ascii_uppercase()
        );
        let tokens = parse(&text).unwrap();
        let alice = &tokens[&TokenCache::digest("alice-token")];
        assert_eq!(alice.subject, "alice");
        assert_eq!(alice.scopes, ["tools:read", "tools:call"]);
        assert_eq!(tokens[&TokenCache::digest("bob-token")].subject, "bob");
        assert_eq!(tokens.len(), 2);
    }

    #[test]
    fn a_line_without_a_sha256_is_refused_with_its_number() {
        let signed = format!("+{}", &hex("x")[1..]);
        for bad in [
            "alice",
            "alice notahexdigest",
            "alice abc123",
            &format!("alice {signed}"),
        ] {
            let text = format!("bob {}\n{bad}\n", hex("x"));
            assert!(
                matches!(parse(&text), Err(TokensFileError::BadLine(2))),
                "{bad}"
            );
        }
    }

    #[test]
    fn a_line_holds_what_sha256sum_prints_for_the_token() {
        let line = "carol ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
        let tokens = parse(line).unwrap();
        assert_eq!(tokens[&TokenCache::digest("abc")].subject, "carol");
    }
}
