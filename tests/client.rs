//! A small blocking HTTP/1.1 client for the tests: it shows exactly what went over the wire
//! (status, headers, body, chunked SSE events).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use serde_json::{json, Value};

/// One HTTP response.
#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "body is not JSON ({e}): {}",
                String::from_utf8_lossy(&self.body)
            )
        })
    }
    /// The JSON-RPC error code of the body.
    pub fn error_code(&self) -> i64 {
        self.json()["error"]["code"]
            .as_i64()
            .unwrap_or_else(|| panic!("no error code in {}", self.json()))
    }
    pub fn content_type(&self) -> &str {
        self.header("content-type").unwrap_or("")
    }
}

/// One SSE event.
#[derive(Debug, Clone, Default)]
pub struct Event {
    pub id: Option<String>,
    pub event: Option<String>,
    pub data: String,
    pub retry: Option<u64>,
}

impl Event {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.data).unwrap_or(Value::Null)
    }
}

pub fn parse_events(text: &str) -> Vec<Event> {
    text.split("\n\n")
        .filter_map(|block| {
            let mut event = Event::default();
            let mut seen = false;
            for line in block.lines() {
                let (field, value) = line.split_once(':').unwrap_or((line, ""));
                let value = value.strip_prefix(' ').unwrap_or(value);
                match field {
                    "id" => event.id = Some(value.to_owned()),
                    "event" => event.event = Some(value.to_owned()),
                    "data" => event.data.push_str(value),
                    "retry" => event.retry = value.parse().ok(),
                    _ => continue,
                }
                seen = true;
            }
            seen.then_some(event)
        })
        .collect()
}

/// A keep-alive HTTP/1.1 connection.
pub struct Client {
    reader: BufReader<TcpStream>,
    addr: String,
    /// SSE text read but not yet returned as events.
    pending: String,
}

pub const ACCEPT_BOTH: (&str, &str) = ("accept", "application/json, text/event-stream");
pub const JSON: (&str, &str) = ("content-type", "application/json");

impl Client {
    pub fn connect(addr: &str) -> Client {
        let stream = TcpStream::connect(addr).expect("connect");
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        Client {
            reader: BufReader::new(stream),
            addr: addr.to_owned(),
            pending: String::new(),
        }
    }

    /// Writes raw bytes.
    pub fn send_raw(&mut self, bytes: &[u8]) {
        self.reader.get_mut().write_all(bytes).expect("write");
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

    /// Reads a response head; the body is left to the caller.
    pub fn read_head(&mut self) -> (u16, Vec<(String, String)>) {
        let mut line = String::new();
        self.reader.read_line(&mut line).expect("status line");
        let status = line
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("bad status line {line:?}"));
        let mut headers = Vec::new();
        loop {
            line.clear();
            self.reader.read_line(&mut line).expect("header");
            let trimmed = line.trim_end();
            if trimmed.is_empty() {
                break;
            }
            let (n, v) = trimmed.split_once(':').expect("header line");
            headers.push((n.trim().to_ascii_lowercase(), v.trim().to_owned()));
        }
        (status, headers)
    }

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
            while let Some(chunk) = self.read_chunk() {
                body.extend(chunk);
            }
        } else if let Some(len) = find("content-length").and_then(|l| l.parse::<usize>().ok()) {
            body.resize(len, 0);
            self.reader.read_exact(&mut body).expect("body");
        } else {
            let _ = self.reader.read_to_end(&mut body);
        }
        Response {
            status,
            headers,
            body,
        }
    }

    /// The next chunk of a chunked body; `None` at its end.
    pub fn read_chunk(&mut self) -> Option<Vec<u8>> {
        let mut line = String::new();
        self.reader.read_line(&mut line).ok()?;
        let size = usize::from_str_radix(line.trim(), 16).ok()?;
        let mut chunk = vec![0; size + 2];
        self.reader.read_exact(&mut chunk).ok()?;
        chunk.truncate(size);
        (size > 0).then_some(chunk)
    }

    /// The next SSE event (comments skipped) of a chunked stream; `None` when the stream ends.
    pub fn next_event(&mut self) -> Option<Event> {
        loop {
            while let Some(end) = self.pending.find("\n\n") {
                let block: String = self.pending.drain(..end + 2).collect();
                if let Some(event) = parse_events(&block).pop() {
                    return Some(event);
                }
            }
            let chunk = self.read_chunk()?;
            self.pending.push_str(&String::from_utf8_lossy(&chunk));
        }
    }

    /// Reads events until `n` of them carry data (priming events and comments do not count),
    /// or the stream ends; returns every event read.
    pub fn read_events(&mut self, n: usize) -> Vec<Event> {
        let mut events = Vec::new();
        while events
            .iter()
            .filter(|e: &&Event| !e.data.is_empty())
            .count()
            < n
        {
            match self.next_event() {
                Some(event) => events.push(event),
                None => break,
            }
        }
        events
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

    /// The JSON of the next events that carry data (priming events and comments skipped),
    /// until `n` of them or the end of the stream.
    pub fn read_messages(&mut self, n: usize) -> Vec<Value> {
        self.read_events(n)
            .iter()
            .filter(|e| !e.data.is_empty())
            .map(Event::json)
            .collect()
    }

    /// POSTs a request on a session to /mcp and reads only the response head (the body, usually
    /// an SSE stream, is then read with `read_events`/`read_chunk`); the status.
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
    /// events are then read with `read_events`/`read_chunk`.
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
