//! A session: what one client negotiated, what it asked for since, and its snapshot in the store.

use std::cell::{Cell, RefCell};
use std::collections::BTreeSet;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use serde_json::{json, Value};

use crate::mcp::lifecycle::Hello;
use crate::mcp::logging::Level;
use crate::protocol::ProtocolVersion;

/// How the client talks to the session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    /// Streamable HTTP at `/mcp` (and its `/mcp/v1/*` aliases).
    StreamableHttp,
    /// The legacy HTTP+SSE transport: `GET /sse` + `POST /messages`.
    Sse,
}

impl Transport {
    /// The name in snapshots and `GET /sessions`.
    pub fn as_str(self) -> &'static str {
        match self {
            Transport::StreamableHttp => "streamable-http",
            Transport::Sse => "sse",
        }
    }

    fn parse(name: &str) -> Option<Transport> {
        [Transport::StreamableHttp, Transport::Sse]
            .into_iter()
            .find(|t| t.as_str() == name)
    }
}

/// Unix time in milliseconds.
pub fn unix_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// One client's session.
#[derive(Debug)]
pub struct Session {
    /// `<node-id>.<random>`; the `Mcp-Session-Id` header or the legacy `sessionId`.
    pub id: String,
    /// How the client talks to it.
    pub transport: Transport,
    /// The negotiated version (a legacy session learns it from its `initialize` POST).
    version: Cell<ProtocolVersion>,
    /// The client's `clientInfo` from `initialize`.
    client_info: RefCell<Value>,
    /// The client's `capabilities` from `initialize`.
    capabilities: RefCell<Value>,
    /// Unix milliseconds at creation.
    pub created_ms: u64,
    /// Creation on this node's clock, for `--init-timeout`.
    pub created_at: Instant,
    /// The level set by `logging/setLevel`; `None` sends every level.
    pub log_level: Cell<Option<Level>>,
    /// Resource uris from `resources/subscribe`.
    pub subscriptions: RefCell<BTreeSet<String>>,
    /// Whether `notifications/initialized` has arrived.
    pub is_initialized: Cell<bool>,
    /// Last request, for the sliding TTL.
    pub last_seen: Cell<Instant>,
    /// Last time the store's TTL was slid (touches are spaced out; see `sessions.rs`).
    pub touched_at: Cell<Instant>,
    /// Whether the session's own stream (GET `/mcp`, or the legacy `/sse` stream) is open: one at
    /// a time, a second gets 409.
    pub has_get_stream: Cell<bool>,
    /// SSE streams of this session open on this node.
    pub open_streams: Cell<u32>,
    /// The key of the principal that created it (`None` without authentication): only that
    /// principal finds it.
    pub principal: Option<String>,
}

impl Session {
    /// A new session; `hello` is what `initialize` said (a placeholder for a legacy session
    /// opened by `GET /sse`, until its `initialize` POST arrives).
    pub fn new(id: String, transport: Transport, hello: Hello) -> Session {
        let now = Instant::now();
        Session {
            id,
            transport,
            version: Cell::new(hello.version),
            client_info: RefCell::new(hello.client_info),
            capabilities: RefCell::new(hello.capabilities),
            created_ms: unix_ms(),
            created_at: now,
            log_level: Cell::new(None),
            subscriptions: RefCell::default(),
            is_initialized: Cell::new(false),
            last_seen: Cell::new(now),
            touched_at: Cell::new(now),
            has_get_stream: Cell::new(false),
            open_streams: Cell::new(0),
            principal: None,
        }
    }

    /// The negotiated protocol version.
    pub fn version(&self) -> ProtocolVersion {
        self.version.get()
    }

    /// Records what a (legacy) `initialize` said.
    pub fn greet(&self, hello: Hello) {
        self.version.set(hello.version);
        *self.client_info.borrow_mut() = hello.client_info;
        *self.capabilities.borrow_mut() = hello.capabilities;
    }

    /// The client's `clientInfo`.
    pub fn client_info(&self) -> Value {
        self.client_info.borrow().clone()
    }

    /// Whether the client declared `capability` (e.g. `sampling`, `elicitation`).
    pub fn has_client_capability(&self, capability: &str) -> bool {
        self.capabilities
            .borrow()
            .get(capability)
            .is_some_and(|c| !c.is_null())
    }

    /// When the session was last used, in unix milliseconds.
    pub fn last_seen_ms(&self) -> u64 {
        unix_ms().saturating_sub(self.last_seen.get().elapsed().as_millis() as u64)
    }

    /// The snapshot the store keeps.
    pub fn snapshot(&self, node_id: &str) -> Value {
        json!({
            "id": self.id,
            "transport": self.transport.as_str(),
            "version": self.version().as_str(),
            "clientInfo": *self.client_info.borrow(),
            "capabilities": *self.capabilities.borrow(),
            "createdMs": self.created_ms,
            "logLevel": self.log_level.get().map(Level::as_str),
            "subscriptions": *self.subscriptions.borrow(),
            "initialized": self.is_initialized.get(),
            "owner": node_id,
            "principal": self.principal,
        })
    }

    /// Rebuilds a session from its snapshot (`None` when the snapshot is unusable).
    pub fn restore(snapshot: &Value) -> Option<Session> {
        let hello = Hello {
            version: ProtocolVersion::parse_sessionful(snapshot["version"].as_str()?)?,
            client_info: snapshot["clientInfo"].clone(),
            capabilities: snapshot["capabilities"].clone(),
        };
        let transport = Transport::parse(snapshot["transport"].as_str()?)?;
        let mut session = Session::new(snapshot["id"].as_str()?.to_owned(), transport, hello);
        session.created_ms = snapshot["createdMs"].as_u64()?;
        session.principal = snapshot["principal"].as_str().map(str::to_owned);
        session
            .log_level
            .set(snapshot["logLevel"].as_str().and_then(Level::parse));
        session
            .is_initialized
            .set(snapshot["initialized"].as_bool()?);
        let subscriptions = snapshot["subscriptions"]
            .as_array()?
            .iter()
            .filter_map(Value::as_str);
        session
            .subscriptions
            .borrow_mut()
            .extend(subscriptions.map(str::to_owned));
        Some(session)
    }
}
