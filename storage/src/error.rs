//! The storage error: a kind the caller can act on, plus a message for the log.

use std::fmt;

/// What went wrong, as far as a caller needs to know.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The backend cannot be reached now; retry later (HTTP 503), the data is not lost.
    Unavailable,
    /// The backend answered with something that is not what was stored (a bug or corruption).
    Corrupt,
}

/// A storage failure.
#[derive(Debug, Clone)]
pub struct Error {
    kind: ErrorKind,
    message: String,
}

impl Error {
    /// A new error of `kind`; `message` must hold no secrets (it may be logged).
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Error {
            kind,
            message: message.into(),
        }
    }

    /// What went wrong.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self.kind {
            ErrorKind::Unavailable => "store unavailable",
            ErrorKind::Corrupt => "store data corrupt",
        };
        write!(f, "{kind}: {}", self.message)
    }
}

impl std::error::Error for Error {}
