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
use sha2::{Digest, Sha256};

use super::principal::Principal;

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

/// The tokens of the file, by the hex SHA-256 of the token.
#[derive(Debug)]
pub struct StaticTokens {
    path: PathBuf,
    by_digest: RefCell<HashMap<String, Principal>>,
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

    /// The principal of `token`, if it is in the file.
    pub fn find(&self, token: &str) -> Option<Principal> {
        self.by_digest.borrow().get(&digest(token)).cloned()
    }
}

fn read(path: &Path) -> Result<String, TokensFileError> {
    std::fs::read_to_string(path).map_err(TokensFileError::Unreadable)
}

/// The hex SHA-256 of a token.
pub(crate) fn digest(token: &str) -> String {
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn parse(text: &str) -> Result<HashMap<String, Principal>, TokensFileError> {
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
        let hex = hex.to_ascii_lowercase();
        if hex.len() != 64 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(TokensFileError::BadLine(n + 1));
        }
        let scopes: Vec<String> = words.map(str::to_owned).collect();
        let principal = Principal {
            subject: subject.to_owned(),
            issuer: None,
            claims: json!({"sub": subject, "scope": scopes.join(" ")}).into(),
            scopes,
        };
        tokens.insert(hex, principal);
    }
    Ok(tokens)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_names_a_subject_the_digest_of_its_token_and_its_scopes() {
        let text = format!(
            "# operators\n\nalice {} tools:read tools:call\nbob {}\n",
            digest("alice-token"),
            digest("bob-token").to_ascii_uppercase()
        );
        let tokens = parse(&text).unwrap();
        let alice = &tokens[&digest("alice-token")];
        assert_eq!(alice.subject, "alice");
        assert_eq!(alice.scopes, ["tools:read", "tools:call"]);
        assert_eq!(tokens[&digest("bob-token")].subject, "bob");
        assert_eq!(tokens.len(), 2);
    }

    #[test]
    fn a_line_without_a_sha256_is_refused_with_its_number() {
        for bad in ["alice", "alice notahexdigest", "alice abc123"] {
            let text = format!("bob {}\n{bad}\n", digest("x"));
            assert!(
                matches!(parse(&text), Err(TokensFileError::BadLine(2))),
                "{bad}"
            );
        }
    }

    #[test]
    fn the_digest_is_sha256_in_lowercase_hex() {
        assert_eq!(
            digest("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
