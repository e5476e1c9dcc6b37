//! An HTTP/1.1 answer of the authorization server, as `fetch.rs` reads it: the head parsed
//! (httparse), the body framed by its `Content-Length`, its chunks, or the end of the connection,
//! and bounded (a head over [`MAX_HEAD`] or a body over [`MAX_BODY`] is refused, a declared
//! length over it before its bytes are read).

use super::fetch::{FetchError, MAX_BODY};

/// The largest response head accepted.
pub(crate) const MAX_HEAD: usize = 16 * 1024;

/// An answer.
#[derive(Debug)]
pub(crate) struct Answer {
    /// The status code.
    pub status: u16,
    /// `Cache-Control`, for how long the answer may be kept.
    pub cache_control: Option<String>,
    /// The body (at most [`MAX_BODY`] bytes), chunked encoding undone.
    pub body: Vec<u8>,
}

impl Answer {
    /// `max-age` of `Cache-Control` in seconds; `Some(0)` for `no-store` and `no-cache`.
    pub fn max_age(&self) -> Option<u64> {
        let value = self.cache_control.as_deref()?;
        let mut age = None;
        for directive in value.split(',').map(str::trim) {
            let lower = directive.to_ascii_lowercase();
            if lower == "no-store" || lower == "no-cache" {
                return Some(0);
            }
            if let Some(n) = lower.strip_prefix("max-age=") {
                age = n.trim_matches('"').parse().ok();
            }
        }
        age
    }

    /// The answer in `buf`, if it is complete (`at_end`: the peer closed, so a body without a
    /// length ends here).
    pub fn parse(buf: &[u8], at_end: bool) -> Result<Option<Answer>, FetchError> {
        let mut headers = [httparse::EMPTY_HEADER; 64];
        let mut head = httparse::Response::new(&mut headers);
        let head_len = match head.parse(buf) {
            Ok(httparse::Status::Complete(n)) => n,
            Ok(httparse::Status::Partial) if buf.len() > MAX_HEAD => {
                return Err(FetchError::TooLarge)
            }
            Ok(httparse::Status::Partial) => return Ok(None),
            Err(_) => return Err(FetchError::Malformed("bad head")),
        };
        let status = head.code.unwrap_or_default();
        let value = |name: &str| {
            head.headers
                .iter()
                .find(|h| h.name.eq_ignore_ascii_case(name))
                .map(|h| String::from_utf8_lossy(h.value).trim().to_owned())
        };
        let cache_control = value("cache-control");
        let chunked = value("transfer-encoding")
            .is_some_and(|te| te.to_ascii_lowercase().contains("chunked"));
        let rest = &buf[head_len..];
        let body = if chunked {
            match dechunk(rest)? {
                Some(body) => body,
                None => return Ok(None),
            }
        } else if let Some(length) = value("content-length") {
            let length: usize = length
                .parse()
                .map_err(|_| FetchError::Malformed("bad content-length"))?;
            if length > MAX_BODY {
                return Err(FetchError::TooLarge);
            }
            if rest.len() < length {
                return Ok(None);
            }
            rest[..length].to_vec()
        } else if at_end {
            rest.to_vec()
        } else {
            return Ok(None);
        };
        if body.len() > MAX_BODY {
            return Err(FetchError::TooLarge);
        }
        Ok(Some(Answer {
            status,
            cache_control,
            body,
        }))
    }
}

/// A chunked body decoded, once its last chunk has arrived.
fn dechunk(mut rest: &[u8]) -> Result<Option<Vec<u8>>, FetchError> {
    let mut body = Vec::new();
    loop {
        let Some(line_end) = rest.windows(2).position(|w| w == b"\r\n") else {
            return Ok(None);
        };
        let line = std::str::from_utf8(&rest[..line_end])
            .map_err(|_| FetchError::Malformed("bad chunk size"))?;
        let size_text = line.split(';').next().unwrap_or_default().trim();
        let size = usize::from_str_radix(size_text, 16)
            .map_err(|_| FetchError::Malformed("bad chunk size"))?;
        rest = &rest[line_end + 2..];
        if size == 0 {
            // Trailers, if any, are not needed: the body is complete.
            return Ok(Some(body));
        }
        if body.len() + size > MAX_BODY {
            return Err(FetchError::TooLarge);
        }
        if rest.len() < size + 2 {
            return Ok(None);
        }
        body.extend_from_slice(&rest[..size]);
        rest = &rest[size + 2..];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_body_is_framed_by_its_length_its_chunks_or_the_end_of_the_connection() {
        let sized = b"HTTP/1.1 200 OK\r\ncontent-length: 5\r\ncache-control: public, max-age=600\r\n\r\nhello";
        let fetched = Answer::parse(sized, false).unwrap().unwrap();
        assert_eq!((fetched.status, &fetched.body[..]), (200, &b"hello"[..]));
        assert_eq!(fetched.max_age(), Some(600));
        assert!(Answer::parse(&sized[..sized.len() - 1], false)
            .unwrap()
            .is_none());
        let chunked = b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n3\r\nhel\r\n2;x=y\r\nlo\r\n0\r\n\r\n";
        assert_eq!(
            Answer::parse(chunked, false).unwrap().unwrap().body,
            b"hello"
        );
        assert!(Answer::parse(&chunked[..30], false).unwrap().is_none());
        let unframed = b"HTTP/1.1 404 Not Found\r\ncache-control: no-store\r\n\r\nnot here";
        assert!(Answer::parse(unframed, false).unwrap().is_none());
        let fetched = Answer::parse(unframed, true).unwrap().unwrap();
        assert_eq!((fetched.status, fetched.max_age()), (404, Some(0)));
    }

    #[test]
    fn an_answer_over_the_limit_is_refused_before_it_is_read() {
        let head = format!(
            "HTTP/1.1 200 OK\r\ncontent-length: {}\r\n\r\n",
            MAX_BODY + 1
        );
        assert!(matches!(
            Answer::parse(head.as_bytes(), false),
            Err(FetchError::TooLarge)
        ));
        let huge_chunk = format!(
            "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n{:x}\r\n",
            MAX_BODY + 1
        );
        assert!(matches!(
            Answer::parse(huge_chunk.as_bytes(), false),
            Err(FetchError::TooLarge)
        ));
    }
}
