//! Event ids, `<session tag>:<stream>:<seq>`: written on every event of a session's stream, and
//! read back from a `Last-Event-ID` to find where a resumed stream starts.

/// Why a `Last-Event-ID` cannot be resumed (400 either way).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BadEventId {
    /// Not an id this server hands out.
    Malformed,
    /// An id of another session's stream.
    OtherSession,
}

/// The end of an event-log key, carried in every event id of that log.
fn tag(key: &str) -> &str {
    &key[key.len().saturating_sub(8)..]
}

/// The wire id of an event: `<tag>:<stream>:<seq>`. The tag (the end of the session id) lets a
/// `Last-Event-ID` of another session be refused; the stream name keeps replay on its stream.
pub fn event_id(key: &str, stream: &str, seq: u64) -> String {
    format!("{}:{stream}:{seq}", tag(key))
}

/// Reads a `Last-Event-ID` sent on the session whose log key is `key`: its stream and sequence.
pub fn parse_event_id<'a>(id: &'a str, key: &str) -> Result<(&'a str, u64), BadEventId> {
    let mut parts = id.trim().rsplitn(3, ':');
    let seq = parts
        .next()
        .and_then(|s| s.parse().ok())
        .ok_or(BadEventId::Malformed)?;
    let stream = parts
        .next()
        .filter(|s| !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric()));
    let (stream, their_tag) = stream.zip(parts.next()).ok_or(BadEventId::Malformed)?;
    if their_tag != tag(key) {
        return Err(BadEventId::OtherSession);
    }
    Ok((stream, seq))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A session id as `ids.rs` mints them: the node id (by default host name and port), then
    /// 22 random base64url characters.
    const KEY: &str = "edge1-3000.AbCdEfGhIjKlMnOpQrStUv";
    /// Another session on the same node: the same prefix, another random part.
    const OTHER: &str = "edge1-3000.ZyXwVuTsRqPoNmLkJiHgFe";

    #[test]
    fn an_event_id_is_the_end_of_the_session_id_then_the_stream_then_the_sequence() {
        assert_eq!(event_id(KEY, "g", 7), "OpQrStUv:g:7");
        assert_eq!(event_id(KEY, "r1x2", 0), "OpQrStUv:r1x2:0");
        assert_eq!(
            event_id("short", "l", 3),
            "short:l:3",
            "a short key is its own tag"
        );
    }

    #[test]
    fn an_event_id_reads_back_as_its_stream_and_sequence() {
        for (stream, seq) in [("g", 0), ("l", 1), ("r1x2", 42), ("g", u64::MAX)] {
            let id = event_id(KEY, stream, seq);
            assert_eq!(parse_event_id(&id, KEY), Ok((stream, seq)), "{id}");
        }
        assert_eq!(
            parse_event_id(" OpQrStUv:g:5\t", KEY),
            Ok(("g", 5)),
            "surrounding whitespace is ignored"
        );
    }

    #[test]
    fn another_sessions_event_id_is_refused_as_such() {
        let theirs = event_id(OTHER, "g", 5);
        assert_eq!(
            parse_event_id(&theirs, KEY),
            Err(BadEventId::OtherSession),
            "{theirs}: same node prefix, another session"
        );
        assert_eq!(parse_event_id(":g:5", KEY), Err(BadEventId::OtherSession));
        assert_eq!(
            parse_event_id("edge1-30:g:5", KEY),
            Err(BadEventId::OtherSession),
            "the start of our own id is not our tag"
        );
    }

    #[test]
    fn an_event_id_that_this_server_never_hands_out_is_malformed() {
        for id in [
            "",
            " ",
            ":",
            "::",
            "5",
            "g:5",
            "OpQrStUv::5",
            "OpQrStUv:g:",
            "OpQrStUv:g:x",
            "OpQrStUv:g:5x",
            "OpQrStUv:g: 5",
            "OpQrStUv:g:-1",
            "OpQrStUv:g:1.5",
            "OpQrStUv:g:18446744073709551616",
            "OpQrStUv:g-1:5",
            "OpQrStUv:g/1:5",
            "OpQrStUv:gé:5",
        ] {
            assert_eq!(
                parse_event_id(id, KEY),
                Err(BadEventId::Malformed),
                "{id:?}"
            );
        }
    }

    #[test]
    fn an_extra_colon_never_resumes_a_stream() {
        for id in [
            "OpQrStUv:g:5:6",
            "x:OpQrStUv:g:5",
            "OpQrStUv:g::5",
            "OpQrStUv::g:5",
        ] {
            assert!(parse_event_id(id, KEY).is_err(), "{id:?}");
        }
    }
}
