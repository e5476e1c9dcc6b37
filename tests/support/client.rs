//! A small blocking HTTP/1.1 client for the tests: it shows exactly what went over the wire
//! (status, headers, body, chunked SSE events), and every read says whether something arrived,
//! the stream ended, or the wait ran out (`Next`).

use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use super::response::Response;
use super::sse::{messages, parse_event, Event, Next};

/// How long a read waits when the test gives no other bound: shorter than mcpd's default
/// keep-alive (15 s), so a silent stream times out instead of looking alive.
pub const WAIT: Duration = Duration::from_secs(10);

/// A keep-alive HTTP/1.1 connection.
pub struct Client {
    stream: TcpStream,
    addr: String,
    /// Bytes read off the socket but not consumed yet.
    buf: Vec<u8>,
    /// The peer closed the connection.
    closed: bool,
    /// The chunked body being read has had its terminating chunk.
    body_done: bool,
    /// SSE text of chunks read but not yet returned as events.
    pending: String,
}

pub const ACCEPT_BOTH: (&str, &str) = ("accept", "application/json, text/event-stream");
pub const JSON: (&str, &str) = ("content-type", "application/json");

impl Client {
    pub fn connect(addr: &str) -> Client {
        let stream = TcpStream::connect(addr).unwrap_or_else(|e| panic!("connect {addr}: {e}"));
        Client {
            stream,
            addr: addr.to_owned(),
            buf: Vec::new(),
            closed: false,
            body_done: false,
            pending: String::new(),
        }
    }

    /// Writes raw bytes.
    pub fn send_raw(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).expect("write");
    }

    /// Reads more bytes into the buffer, waiting at most until `deadline`.
    fn fill(&mut self, deadline: Instant) -> Next<()> {
        if self.closed {
            return Next::End;
        }
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Next::Timeout;
        }
        self.stream.set_read_timeout(Some(left)).expect("timeout");
        let mut bytes = [0; 16 * 1024];
        match self.stream.read(&mut bytes) {
            Ok(0) => {
                self.closed = true;
                Next::End
            }
            Ok(n) => {
                self.buf.extend_from_slice(&bytes[..n]);
                Next::Item(())
            }
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                Next::Timeout
            }
            Err(e) if e.kind() == ErrorKind::ConnectionReset => {
                self.closed = true;
                Next::End
            }
            Err(e) => panic!("read from {}: {e}", self.addr),
        }
    }

    /// The next line (without its line end), whole or not at all.
    fn line(&mut self, deadline: Instant) -> Next<String> {
        loop {
            if let Some(end) = self.buf.iter().position(|&b| b == b'\n') {
                let line: Vec<u8> = self.buf.drain(..=end).collect();
                let text = String::from_utf8_lossy(&line);
                return Next::Item(text.trim_end_matches(['\r', '\n']).to_owned());
            }
            match self.fill(deadline) {
                Next::Item(()) => {}
                Next::End => return Next::End,
                Next::Timeout => return Next::Timeout,
            }
        }
    }

    /// Exactly `n` bytes, or the end, or a timeout (nothing consumed then).
    fn exact(&mut self, n: usize, deadline: Instant) -> Next<Vec<u8>> {
        while self.buf.len() < n {
            match self.fill(deadline) {
                Next::Item(()) => {}
                Next::End => return Next::End,
                Next::Timeout => return Next::Timeout,
            }
        }
        Next::Item(self.buf.drain(..n).collect())
    }

    /// Sends a request and reads the whole response.
    pub fn request(
        &mut self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &str,
    ) -> Response {
        self.send(method, path, headers, body);
        self.read_response()
    }

    pub fn send(&mut self, method: &str, path: &str, headers: &[(&str, &str)], body: &str) {
        let mut head = format!("{method} {path} HTTP/1.1\r\n");
        if !headers.iter().any(|(n, _)| n.eq_ignore_ascii_case("host")) {
            head.push_str(&format!("host: {}\r\n", self.addr));
        }
        for (name, value) in headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        if !body.is_empty() || method == "POST" {
            head.push_str(&format!("content-length: {}\r\n", body.len()));
        }
        head.push_str("\r\n");
        head.push_str(body);
        self.send_raw(head.as_bytes());
    }

    /// Reads a response head (within `WAIT`); the body is left to the caller.
    pub fn read_head(&mut self) -> (u16, Vec<(String, String)>) {
        let deadline = Instant::now() + WAIT;
        let line = self.line(deadline).expect_item("a status line");
        let status = line
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("bad status line {line:?}"));
        let mut headers = Vec::new();
        loop {
            let line = self.line(deadline).expect_item("a header line");
            if line.is_empty() {
                break;
            }
            let (n, v) = line.split_once(':').expect("header line");
            headers.push((n.trim().to_ascii_lowercase(), v.trim().to_owned()));
        }
        self.body_done = false;
        self.pending.clear();
        (status, headers)
    }

    /// Reads a whole response (within `WAIT` for each part).
    pub fn read_response(&mut self) -> Response {
        let (status, headers) = self.read_head();
        let find = |name: &str| {
            headers
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.clone())
        };
        let mut body = Vec::new();
        if find("transfer-encoding").is_some_and(|t| t.contains("chunked")) {
            while let Next::Item(chunk) = self
                .next_chunk(WAIT)
                .or_timeout_panic("a chunk of the body")
            {
                body.extend(chunk);
            }
        } else if let Some(len) = find("content-length").and_then(|l| l.parse::<usize>().ok()) {
            body = self
                .exact(len, Instant::now() + WAIT)
                .expect_item("the whole body");
        } else {
            let deadline = Instant::now() + WAIT;
            loop {
                match self.fill(deadline) {
                    Next::Item(()) => {}
                    Next::End => break,
                    Next::Timeout => panic!("a body without length did not end within {WAIT:?}"),
                }
            }
            body = std::mem::take(&mut self.buf);
        }
        Response {
            status,
            headers,
            body,
        }
    }

    /// The next chunk of a chunked body, waiting at most `within`; `End` after the terminating
    /// chunk (or when the connection closed).
    pub fn next_chunk(&mut self, within: Duration) -> Next<Vec<u8>> {
        if self.body_done {
            return Next::End;
        }
        let deadline = Instant::now() + within;
        loop {
            if let Some(chunk) = self.take_chunk() {
                if chunk.is_empty() {
                    self.body_done = true;
                    return Next::End;
                }
                return Next::Item(chunk);
            }
            match self.fill(deadline) {
                Next::Item(()) => {}
                Next::End => return Next::End,
                Next::Timeout => return Next::Timeout,
            }
        }
    }

    /// A whole chunk out of the buffer, if one is there (an empty one is the terminator).
    fn take_chunk(&mut self) -> Option<Vec<u8>> {
        let line_end = self.buf.windows(2).position(|w| w == b"\r\n")?;
        let size_text = String::from_utf8_lossy(&self.buf[..line_end]).into_owned();
        let size = usize::from_str_radix(size_text.split(';').next()?.trim(), 16)
            .unwrap_or_else(|_| panic!("bad chunk size line {size_text:?}"));
        let start = line_end + 2;
        if self.buf.len() < start + size + 2 {
            return None;
        }
        let chunk = self.buf[start..start + size].to_vec();
        self.buf.drain(..start + size + 2);
        Some(chunk)
    }

    /// The next SSE event (comments skipped) of a chunked stream, waiting at most `within`.
    pub fn next_event(&mut self, within: Duration) -> Next<Event> {
        let deadline = Instant::now() + within;
        loop {
            while let Some(end) = self.pending.find("\n\n") {
                let block: String = self.pending.drain(..end + 2).collect();
                if let Some(event) = parse_event(&block) {
                    return Next::Item(event);
                }
            }
            let left = deadline.saturating_duration_since(Instant::now());
            match self.next_chunk(left) {
                Next::Item(chunk) => self.pending.push_str(&String::from_utf8_lossy(&chunk)),
                Next::End => return Next::End,
                Next::Timeout => return Next::Timeout,
            }
        }
    }

    /// Reads events until `n` of them carry a message (priming events and `retry:` hints are
    /// returned but do not count); panics, naming what was expected and what came, when the
    /// stream ends or `within` passes first.
    pub fn expect_events(&mut self, n: usize, within: Duration) -> Vec<Event> {
        let deadline = Instant::now() + within;
        let mut events: Vec<Event> = Vec::new();
        while events.iter().filter(|e| e.has_data()).count() < n {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.next_event(left) {
                Next::Item(event) => events.push(event),
                outcome => panic!(
                    "expected {n} events with a message within {within:?}; got {} ({events:?}), then {}",
                    events.iter().filter(|e| e.has_data()).count(),
                    outcome.describe(),
                ),
            }
        }
        events
    }

    /// The JSON of the next `n` messages (see `expect_events`).
    pub fn expect_messages(&mut self, n: usize, within: Duration) -> Vec<Value> {
        messages(&self.expect_events(n, within))
    }

    /// Every event until the stream ends; panics if it is still open after `within`.
    pub fn events_until_end(&mut self, within: Duration) -> Vec<Event> {
        let deadline = Instant::now() + within;
        let mut events = Vec::new();
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.next_event(left) {
                Next::Item(event) => events.push(event),
                Next::End => return events,
                Next::Timeout => panic!(
                    "expected the stream to end within {within:?}; it is still open after {events:?}"
                ),
            }
        }
    }

    /// The JSON of every message until the stream ends (see `events_until_end`).
    pub fn messages_until_end(&mut self, within: Duration) -> Vec<Value> {
        messages(&self.events_until_end(within))
    }

    /// Asserts the stream ends within `within` with no further message (events without data,
    /// such as a `retry:` hint, may come first); those events.
    pub fn expect_end(&mut self, within: Duration) -> Vec<Event> {
        let events = self.events_until_end(within);
        assert!(
            events.iter().all(|e| !e.has_data()),
            "expected the stream to end with no more messages, got {events:?}"
        );
        events
    }

    /// Asserts the peer closes the connection within `within` without sending another byte (call
    /// it after the last response has been read whole).
    pub fn expect_closed(&mut self, within: Duration) {
        let deadline = Instant::now() + within;
        loop {
            assert!(
                self.buf.is_empty(),
                "expected the connection to close, but more came: {:?}",
                String::from_utf8_lossy(&self.buf)
            );
            match self.fill(deadline) {
                Next::End => return,
                Next::Item(()) => {}
                Next::Timeout => {
                    panic!("expected the connection to close within {within:?}; it is still open")
                }
            }
        }
    }

    /// POSTs a JSON-RPC message to /mcp with the usual headers plus `extra`.
    pub fn post(
        &mut self,
        session: Option<&str>,
        body: &Value,
        extra: &[(&str, &str)],
    ) -> Response {
        let mut headers = vec![ACCEPT_BOTH, JSON];
        if let Some(s) = session {
            headers.push(("mcp-session-id", s));
        }
        headers.extend_from_slice(extra);
        self.request("POST", "/mcp", &headers, &body.to_string())
    }

    /// Initializes a session at `version` and sends `notifications/initialized`; the session id.
    pub fn initialize(&mut self, version: &str) -> String {
        let res = self.post(None, &initialize_body(version), &[]);
        assert_eq!(res.status, 200, "{}", String::from_utf8_lossy(&res.body));
        let session = res
            .header("mcp-session-id")
            .expect("session header")
            .to_owned();
        let done = self.post(
            Some(&session),
            &json!({"jsonrpc": "2.0", "method": "notifications/initialized"}),
            &[],
        );
        assert_eq!(done.status, 202);
        session
    }

    /// POSTs a request on a session to /mcp and reads only the response head (the body, usually
    /// an SSE stream, is then read with the event readers); the status.
    pub fn open_post(&mut self, session: &str, body: &Value) -> u16 {
        self.send(
            "POST",
            "/mcp",
            &[ACCEPT_BOTH, JSON, ("mcp-session-id", session)],
            &body.to_string(),
        );
        self.read_head().0
    }

    /// Opens the session's GET stream (or resumes `last_event_id`); the response status. The
    /// events are then read with the event readers.
    pub fn open_get(&mut self, session: &str, last_event_id: Option<&str>) -> u16 {
        let mut headers = vec![("accept", "text/event-stream"), ("mcp-session-id", session)];
        if let Some(id) = last_event_id {
            headers.push(("last-event-id", id));
        }
        self.send("GET", "/mcp", &headers, "");
        self.read_head().0
    }

    /// A request on a session; returns the whole response.
    pub fn call(&mut self, session: &str, id: u64, method: &str, params: Value) -> Response {
        self.post(
            Some(session),
            &json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}),
            &[],
        )
    }
}

pub fn initialize_body(version: &str) -> Value {
    json!({
        "jsonrpc": "2.0", "id": 0, "method": "initialize",
        "params": {
            "protocolVersion": version,
            "capabilities": { "sampling": {}, "elicitation": {} },
            "clientInfo": { "name": "mcpd-tests", "version": "1.0" }
        }
    })
}
