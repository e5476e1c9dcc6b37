//! Sessions: what one client negotiated, and the registry that creates, finds and expires them.
//!
//! The live `Session` objects of this node sit in a map; every change that a restored session
//! would need is also written to the [`Store`] as a JSON snapshot, so the store (and through it
//! another node, or a restarted one) always holds the whole session.

use std::cell::{Cell, RefCell};
use std::collections::{BTreeSet, HashMap};
use std::rc::Rc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use mcpd_storage::{events_topic, AnyStore, Store};
use serde_json::{json, Value};

use crate::ids::IdGenerator;
use crate::mcp::logging::Level;
use crate::protocol::ProtocolVersion;
use crate::transport::event_stream::CLOSE_ALL;

/// One client's session.
#[derive(Debug)]
pub struct Session {
    /// `<node-id>.<random>`; the `Mcp-Session-Id` header.
    pub id: String,
    /// The negotiated protocol version.
    pub version: ProtocolVersion,
    /// The client's `clientInfo` from `initialize`.
    pub client_info: Value,
    /// The client's `capabilities` from `initialize`.
    pub capabilities: Value,
    /// Unix milliseconds at creation.
    pub created_ms: u64,
    /// The level set by `logging/setLevel`; `None` sends every level.
    pub log_level: Cell<Option<Level>>,
    /// Resource uris from `resources/subscribe`.
    pub subscriptions: RefCell<BTreeSet<String>>,
    /// Whether `notifications/initialized` has arrived.
    pub is_initialized: Cell<bool>,
    /// Last request, for the sliding TTL.
    pub last_seen: Cell<Instant>,
    /// Whether the standalone GET stream is open (one per session; a second gets 409).
    pub has_get_stream: Cell<bool>,
}

impl Session {
    /// The snapshot the store keeps.
    pub fn snapshot(&self, node_id: &str) -> Value {
        json!({
            "id": self.id,
            "version": self.version.as_str(),
            "clientInfo": self.client_info,
            "capabilities": self.capabilities,
            "createdMs": self.created_ms,
            "logLevel": self.log_level.get().map(Level::as_str),
            "subscriptions": *self.subscriptions.borrow(),
            "initialized": self.is_initialized.get(),
            "owner": node_id,
            "transport": "streamable-http",
        })
    }

    /// Rebuilds a session from its snapshot (`None` when the snapshot is unusable).
    fn restore(snapshot: &Value) -> Option<Session> {
        let subscriptions = snapshot["subscriptions"]
            .as_array()?
            .iter()
            .filter_map(|u| u.as_str().map(str::to_owned))
            .collect();
        Some(Session {
            id: snapshot["id"].as_str()?.to_owned(),
            version: ProtocolVersion::parse(snapshot["version"].as_str()?)?,
            client_info: snapshot["clientInfo"].clone(),
            capabilities: snapshot["capabilities"].clone(),
            created_ms: snapshot["createdMs"].as_u64()?,
            log_level: Cell::new(snapshot["logLevel"].as_str().and_then(Level::parse)),
            subscriptions: RefCell::new(subscriptions),
            is_initialized: Cell::new(snapshot["initialized"].as_bool()?),
            last_seen: Cell::new(Instant::now()),
            has_get_stream: Cell::new(false),
        })
    }

    /// Whether the client declared `capability` (e.g. `sampling`, `elicitation`).
    pub fn has_client_capability(&self, capability: &str) -> bool {
        self.capabilities
            .get(capability)
            .is_some_and(|c| !c.is_null())
    }
}

/// Why a session could not be created.
#[derive(Debug)]
pub enum CreateError {
    /// `--max-sessions` reached.
    Full,
    /// The store failed.
    Store(mcpd_storage::Error),
}

/// This node's live sessions.
#[derive(Debug)]
pub struct Sessions {
    map: RefCell<HashMap<String, Rc<Session>>>,
    ids: RefCell<IdGenerator>,
    node_id: String,
    ttl: Duration,
    max: usize,
}

fn unix_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

impl Sessions {
    /// An empty registry for `node_id`.
    pub fn new(node_id: &str, ttl: Duration, max: usize) -> std::io::Result<Sessions> {
        Ok(Sessions {
            map: RefCell::default(),
            ids: RefCell::new(IdGenerator::new(node_id)?),
            node_id: node_id.to_owned(),
            ttl,
            max,
        })
    }

    /// How many sessions are live on this node.
    pub fn count(&self) -> usize {
        self.map.borrow().len()
    }

    /// Creates a session and writes its first snapshot.
    pub async fn create(
        &self,
        store: &AnyStore,
        version: ProtocolVersion,
        client_info: Value,
        capabilities: Value,
    ) -> Result<Rc<Session>, CreateError> {
        if self.count() >= self.max {
            return Err(CreateError::Full);
        }
        let session = Rc::new(Session {
            id: self.ids.borrow_mut().next_id(),
            version,
            client_info,
            capabilities,
            created_ms: unix_ms(),
            log_level: Cell::new(None),
            subscriptions: RefCell::default(),
            is_initialized: Cell::new(false),
            last_seen: Cell::new(Instant::now()),
            has_get_stream: Cell::new(false),
        });
        self.save(store, &session)
            .await
            .map_err(CreateError::Store)?;
        self.map
            .borrow_mut()
            .insert(session.id.clone(), session.clone());
        Ok(session)
    }

    /// Writes a session's snapshot after a change.
    pub async fn save(&self, store: &AnyStore, session: &Session) -> mcpd_storage::Result<()> {
        store
            .save(&session.id, &session.snapshot(&self.node_id), self.ttl)
            .await
    }

    /// Finds a live session and slides its TTL; restores it from the store when this node has
    /// not seen it (another node's, or from before a restart).
    pub async fn find(
        &self,
        store: &AnyStore,
        id: &str,
    ) -> mcpd_storage::Result<Option<Rc<Session>>> {
        let now = Instant::now();
        let local = self.map.borrow().get(id).cloned();
        if let Some(session) = local {
            if now.duration_since(session.last_seen.get()) < self.ttl
                && store.touch(id, self.ttl).await?
            {
                session.last_seen.set(now);
                return Ok(Some(session));
            }
            self.map.borrow_mut().remove(id);
            return Ok(None);
        }
        let Some(session) = store.load(id).await?.as_ref().and_then(Session::restore) else {
            return Ok(None);
        };
        store.touch(id, self.ttl).await?;
        let session = Rc::new(session);
        self.map.borrow_mut().insert(id.to_owned(), session.clone());
        Ok(Some(session))
    }

    /// Ends a session: forgets it here, deletes it (and its event log) from the store, and tells
    /// its open streams to close.
    pub async fn remove(&self, store: &AnyStore, id: &str) -> mcpd_storage::Result<bool> {
        let was_local = self.map.borrow_mut().remove(id).is_some();
        let was_stored = store.delete(id).await?;
        store.publish(&events_topic(id), CLOSE_ALL).await?;
        Ok(was_stored || was_local)
    }

    /// Forgets sessions idle past the TTL here and in the store, and closes the streams of those
    /// the store no longer has; returns how many ended.
    pub async fn sweep(&self, store: &AnyStore) -> mcpd_storage::Result<usize> {
        store.sweep().await?;
        let now = Instant::now();
        let idle: Vec<String> = self
            .map
            .borrow()
            .iter()
            .filter(|(_, s)| now.duration_since(s.last_seen.get()) >= self.ttl)
            .map(|(id, _)| id.clone())
            .collect();
        let mut ended = 0;
        for id in idle {
            self.map.borrow_mut().remove(&id);
            if store.load(&id).await?.is_none() {
                store.publish(&events_topic(&id), CLOSE_ALL).await?;
                ended += 1;
            }
        }
        self.map.borrow_mut().shrink_to_fit();
        Ok(ended)
    }
}
