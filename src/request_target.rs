//! The request target as the client sent it, checked before routing: a path that something on
//! the way could read as another path is refused (400).
//!
//! By the time `Request::url()` exists the url crate has turned `\` into `/` and resolved dot
//! segments (`%2e%2e` included), so `/mcp\..\sessions` would route to `/sessions`; a proxy that
//! matched `/mcp` on the raw text would have let it through. So the raw target (kept by
//! `request_line::Recorder`) is checked here, and a path is refused when it holds `\`, `%5C`,
//! `%2F`, a dot segment (`.`, `..`, either spelled with `%2e` in any case), an empty segment
//! (`//`), or a character RFC 3986 does not allow in a path (the url crate would re-encode it).
//! Finally the path routed must be the path sent: `Host: localhost:1/sessions?` would otherwise
//! make the url crate route `GET /mcp` to `/sessions`.
//!
//! Only the path is checked, never the query: `?sessionId=…` or a cursor is data that no router
//! or proxy reads as a path, so it may hold `%2F`, `\` or `..`.

use std::fmt;

/// Why a request target is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// Neither origin-form (`/path`) nor absolute-form (`http://host/path`).
    NotAPath,
    /// A `\` before the query.
    Backslash,
    /// `%5C` (an encoded `\`).
    EncodedBackslash,
    /// `%2F` (an encoded `/`).
    EncodedSlash,
    /// A `.` or `..` segment, either spelled with `%2e`.
    DotSegment,
    /// `//`: an empty segment.
    EmptySegment,
    /// A byte RFC 3986 does not allow in a path.
    Character(u8),
    /// The path routed is not the path sent (the `Host` header changed it).
    Rewritten,
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refusal::NotAPath => f.write_str("the request target is not a path"),
            Refusal::Backslash => f.write_str("the path holds a backslash"),
            Refusal::EncodedBackslash => f.write_str("the path holds %5C"),
            Refusal::EncodedSlash => f.write_str("the path holds %2F"),
            Refusal::DotSegment => f.write_str("the path holds a dot segment"),
            Refusal::EmptySegment => f.write_str("the path holds an empty segment (//)"),
            Refusal::Character(byte) => write!(f, "the path holds the byte 0x{byte:02X}"),
            Refusal::Rewritten => f.write_str("the Host header changes the path"),
        }
    }
}

/// Checks a raw request target (the second word of the request line); its path when it passes.
pub(crate) fn check(target: &str) -> Result<&str, Refusal> {
    let before_query = target.split(['?', '#']).next().unwrap_or_default();
    if before_query.contains('\\') {
        return Err(Refusal::Backslash);
    }
    let path = path_of(before_query)?;
    let bytes = path.as_bytes();
    if let Some(&byte) = bytes.iter().find(|&&b| !is_path_byte(b)) {
        return Err(Refusal::Character(byte));
    }
    if contains_ignoring_case(bytes, b"%5c") {
        return Err(Refusal::EncodedBackslash);
    }
    if contains_ignoring_case(bytes, b"%2f") {
        return Err(Refusal::EncodedSlash);
    }
    // The first segment is the empty one before the leading `/`.
    let mut segments = path.split('/').skip(1).peekable();
    while let Some(segment) = segments.next() {
        if is_dot_segment(segment.as_bytes()) {
            return Err(Refusal::DotSegment);
        }
        // A trailing `/` is an empty last segment, not `//`.
        if segment.is_empty() && segments.peek().is_some() {
            return Err(Refusal::EmptySegment);
        }
    }
    Ok(path)
}

/// Checks a raw request target and that `routed` (the path the router will see) is its path.
pub(crate) fn check_routed(target: &str, routed: &str) -> Result<(), Refusal> {
    let path = check(target)?;
    let path = if path.is_empty() { "/" } else { path };
    if path == routed {
        Ok(())
    } else {
        Err(Refusal::Rewritten)
    }
}

/// The path of a target without its query: origin-form as it is, absolute-form after the
/// authority (empty when there is no path). async-h1 takes `http://` and `https://` only, in
/// lower case.
fn path_of(before_query: &str) -> Result<&str, Refusal> {
    if before_query.starts_with('/') {
        return Ok(before_query);
    }
    let after_scheme = before_query
        .strip_prefix("http://")
        .or_else(|| before_query.strip_prefix("https://"))
        .ok_or(Refusal::NotAPath)?;
    Ok(after_scheme
        .find('/')
        .map_or("", |start| &after_scheme[start..]))
}

/// `/` and the RFC 3986 `pchar`s: unreserved, sub-delims, `:`, `@`, and `%` of an escape.
fn is_path_byte(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || b"/-._~!$&'()*+,;=:@%".contains(&byte)
}

fn contains_ignoring_case(haystack: &[u8], needle: &[u8]) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w.eq_ignore_ascii_case(needle))
}

/// `.` or `..`, each dot written as `.` or `%2e` (any case), as the url crate reads them.
fn is_dot_segment(segment: &[u8]) -> bool {
    let mut rest = segment;
    let mut dots = 0;
    while !rest.is_empty() {
        if rest[0] == b'.' {
            rest = &rest[1..];
        } else if rest.len() >= 3 && rest[..3].eq_ignore_ascii_case(b"%2e") {
            rest = &rest[3..];
        } else {
            return false;
        }
        dots += 1;
    }
    dots == 1 || dots == 2
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_routes_pass() {
        for target in [
            "/",
            "/mcp",
            "/mcp/",
            "/health",
            "/mcp/v1/init",
            "/mcp/v1/stream/p3001.0123abcd",
            "/sse/p3001.0123abcd",
            "/messages?sessionId=p3001.0123abcd",
            "/.well-known/oauth-protected-resource/mcp",
            "/sessions?cursor=2&limit=10",
            "/a%2eb/c.d/...",
            "/sse/%252F",
        ] {
            assert_eq!(
                check(target),
                Ok(target.split('?').next().unwrap()),
                "{target}"
            );
        }
    }

    #[test]
    fn the_query_is_not_checked() {
        for target in [
            "/messages?sessionId=x.y",
            "/messages?sessionId=a%2Fb",
            "/messages?next=/../sessions",
            "/messages?x=a\\b&y=%5C//",
            "/mcp#/../sessions",
        ] {
            assert!(check(target).is_ok(), "{target}");
        }
    }

    #[test]
    fn backslashes_are_refused_encoded_or_not() {
        assert_eq!(check("/mcp\\..\\sessions"), Err(Refusal::Backslash));
        assert_eq!(check("/mcp\\"), Err(Refusal::Backslash));
        assert_eq!(
            check("http://localhost\\..\\sessions"),
            Err(Refusal::Backslash)
        );
        assert_eq!(
            check("/mcp/%5c..%5csessions"),
            Err(Refusal::EncodedBackslash)
        );
        assert_eq!(check("/mcp/%5C"), Err(Refusal::EncodedBackslash));
    }

    #[test]
    fn encoded_slashes_are_refused() {
        assert_eq!(check("/mcp/..%2Fsessions"), Err(Refusal::EncodedSlash));
        assert_eq!(check("/sse/a%2fb"), Err(Refusal::EncodedSlash));
    }

    #[test]
    fn dot_segments_are_refused_in_every_spelling() {
        for target in [
            "/./mcp",
            "/mcp/.",
            "/mcp/../sessions",
            "/mcp/..",
            "/..",
            "/%2e%2e/sessions",
            "/%2E%2E/sessions",
            "/%2e%2E/sessions",
            "/%2E%2e/sessions",
            "/.%2e/sessions",
            "/%2e./sessions",
            "/mcp/%2e",
            "/mcp/%2E/x",
            "http://localhost/mcp/../sessions",
        ] {
            assert_eq!(check(target), Err(Refusal::DotSegment), "{target}");
        }
    }

    #[test]
    fn empty_segments_are_refused() {
        assert_eq!(check("//sessions"), Err(Refusal::EmptySegment));
        assert_eq!(check("/mcp//v1/init"), Err(Refusal::EmptySegment));
        assert_eq!(check("/mcp//"), Err(Refusal::EmptySegment));
    }

    #[test]
    fn characters_outside_a_path_are_refused() {
        assert_eq!(check("/mcp\"x"), Err(Refusal::Character(b'"')));
        assert_eq!(check("/mcp{x}"), Err(Refusal::Character(b'{')));
        assert_eq!(check("/mcp/é"), Err(Refusal::Character(0xC3)));
    }

    #[test]
    fn only_paths_are_targets() {
        assert_eq!(check("*"), Err(Refusal::NotAPath));
        assert_eq!(check("example.com:443"), Err(Refusal::NotAPath));
        assert_eq!(check(""), Err(Refusal::NotAPath));
        assert_eq!(check("HTTP://localhost/mcp"), Err(Refusal::NotAPath));
        assert_eq!(check("http://localhost:3000/mcp?x"), Ok("/mcp"));
        assert_eq!(check("https://localhost"), Ok(""));
    }

    #[test]
    fn the_routed_path_must_be_the_path_sent() {
        assert_eq!(check_routed("/mcp?x=1", "/mcp"), Ok(()));
        assert_eq!(check_routed("http://localhost", "/"), Ok(()));
        // `Host: localhost:1/sessions?` with `GET /mcp`: the url crate routes `/sessions`.
        assert_eq!(check_routed("/mcp", "/sessions"), Err(Refusal::Rewritten));
        assert_eq!(check_routed("/mcp/../x", "/x"), Err(Refusal::DotSegment));
    }
}
