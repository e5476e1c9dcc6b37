//! `--auth-client-file`: the client id and secret mcpd authenticates to the introspection
//! endpoint with (RFC 7662 §2.1, HTTP Basic as RFC 6749 §2.3.1 encodes it).
//!
//! Two lines, the id then the secret. The file holds a secret, so it must be readable by its
//! owner only (mode 0600 or stricter): mcpd refuses to start otherwise rather than use a secret
//! others may have read.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use crate::base64::{self, Alphabet};

/// Why the client file was not used.
#[derive(Debug)]
pub(crate) enum CredentialsError {
    /// It could not be read.
    Unreadable(std::io::Error),
    /// Group or others may read or write it: its mode.
    Exposed(u32),
    /// It is not two non-empty lines.
    Format,
}

impl std::fmt::Display for CredentialsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CredentialsError::Unreadable(e) => write!(f, "{e}"),
            CredentialsError::Exposed(mode) => write!(
                f,
                "its mode is {mode:04o}: it holds a secret, so it must be 0600 (chmod 600 it)"
            ),
            CredentialsError::Format => write!(f, "it must hold two lines: client id, then secret"),
        }
    }
}

/// A client id and secret.
pub(crate) struct Credentials {
    id: String,
    secret: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("id", &self.id)
            .field("secret", &"[redacted]")
            .finish()
    }
}

impl Credentials {
    /// Reads `path`, refusing a file others can read.
    pub fn load(path: &Path) -> Result<Credentials, CredentialsError> {
        let mode = std::fs::metadata(path)
            .map_err(CredentialsError::Unreadable)?
            .permissions()
            .mode();
        if mode & 0o077 != 0 {
            return Err(CredentialsError::Exposed(mode & 0o7777));
        }
        let text = std::fs::read_to_string(path).map_err(CredentialsError::Unreadable)?;
        let mut lines = text.lines().map(str::trim).filter(|l| !l.is_empty());
        match (lines.next(), lines.next(), lines.next()) {
            (Some(id), Some(secret), None) => Ok(Credentials {
                id: id.to_owned(),
                secret: secret.to_owned(),
            }),
            _ => Err(CredentialsError::Format),
        }
    }

    /// Credentials without a file.
    #[cfg(test)]
    pub fn for_tests(id: &str, secret: &str) -> Credentials {
        Credentials {
            id: id.to_owned(),
            secret: secret.to_owned(),
        }
    }

    /// The client id.
    #[cfg(test)]
    pub fn id(&self) -> &str {
        &self.id
    }

    /// `Authorization: Basic …`: id and secret each form-encoded, then base64 (RFC 6749 §2.3.1).
    pub fn basic(&self) -> String {
        let pair = format!("{}:{}", form_encode(&self.id), form_encode(&self.secret));
        format!(
            "Basic {}",
            base64::encode(pair.as_bytes(), Alphabet::Standard)
        )
    }
}

/// `application/x-www-form-urlencoded` encoding of one value.
pub(crate) fn form_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'*' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(name: &str, text: &str, mode: u32) -> std::path::PathBuf {
        let path = std::env::temp_dir().join(format!("mcpd-client-{}-{name}", std::process::id()));
        std::fs::write(&path, text).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
        path
    }

    #[test]
    fn a_client_file_others_can_read_is_refused() {
        let open = file("open", "mcpd\ns3cret\n", 0o644);
        assert!(matches!(
            Credentials::load(&open),
            Err(CredentialsError::Exposed(0o644))
        ));
        let closed = file("closed", "mcpd\ns3cret\n", 0o600);
        let credentials = Credentials::load(&closed).unwrap();
        assert_eq!(credentials.id(), "mcpd");
        assert!(!format!("{credentials:?}").contains("s3cret"));
        let one_line = file("one", "mcpd\n", 0o600);
        assert!(matches!(
            Credentials::load(&one_line),
            Err(CredentialsError::Format)
        ));
        for path in [open, closed, one_line] {
            let _ = std::fs::remove_file(path);
        }
    }

    #[test]
    fn basic_authentication_form_encodes_id_and_secret_first() {
        let credentials = Credentials {
            id: "my client".into(),
            secret: "a:b/c".into(),
        };
        // "my+client:a%3Ab%2Fc"
        assert_eq!(credentials.basic(), "Basic bXkrY2xpZW50OmElM0FiJTJGYw==");
    }
}
