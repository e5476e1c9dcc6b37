//! This node's sessions: created, found (or restored from the store), ended, and expired on a
//! schedule (`--session-ttl` of idleness, `--init-timeout` for sessions never initialized).
//!
//! Each node keeps a copy of the sessions it serves. A request finds its copy without asking the
//! store; the store's TTL is slid at most once a second per session, and that touch also tells
//! whether the session still exists. When any node ends a session it publishes the id on
//! [`ENDED_TOPIC`], and every node drops its copy at once; a node that missed the message (say,
//! while Redis was away) finds out at its next touch.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;
use std::time::{Duration, Instant};

use mcpd_storage::{events_topic, AnyStore, Store};

use crate::config::Config;
use crate::ids::IdGenerator;
use crate::mcp::lifecycle::Hello;
use crate::session::{Session, Transport};
use crate::transport::event_stream::CLOSE_ALL;

/// The topic on which the id of every ended session is published, so that each node drops its
/// copy at once. (Touches are spaced out, so without this a node would find out at its next
/// touch of that session, at most `touch_every` later.)
pub const ENDED_TOPIC: &str = "ended";

/// Why a session could not be created.
#[derive(Debug)]
pub enum CreateError {
    /// `--max-sessions` reached.
    Full,
    /// The store failed.
    Store(mcpd_storage::Error),
}

/// The registry.
#[derive(Debug)]
pub struct Sessions {
    map: RefCell<HashMap<String, Rc<Session>>>,
    ids: RefCell<IdGenerator>,
    node_id: String,
    ttl: Duration,
    /// How often a busy session's TTL is slid in the store: at most once a second (a quarter of
    /// the TTL when that is shorter), so a request usually costs no store round trip at all.
    touch_every: Duration,
    init_timeout: Duration,
    max: usize,
}

impl Sessions {
    /// An empty registry with the node id, TTLs and cap of `config`.
    pub fn new(config: &Config) -> std::io::Result<Sessions> {
        Ok(Sessions {
            map: RefCell::default(),
            ids: RefCell::new(IdGenerator::new(&config.node_id)?),
            node_id: config.node_id.clone(),
            ttl: config.session_ttl,
            touch_every: (config.session_ttl / 4).min(Duration::from_secs(1)),
            init_timeout: config.init_timeout,
            max: config.max_sessions,
        })
    }

    /// Random letters and digits from the session-id generator.
    pub fn alphanumeric(&self, len: usize) -> String {
        self.ids.borrow_mut().alphanumeric(len)
    }

    /// How many sessions are live on this node.
    pub fn count(&self) -> usize {
        self.map.borrow().len()
    }

    /// Every live session on this node, oldest first.
    pub fn all(&self) -> Vec<Rc<Session>> {
        let mut all: Vec<Rc<Session>> = self.map.borrow().values().cloned().collect();
        all.sort_by(|a, b| (a.created_ms, &a.id).cmp(&(b.created_ms, &b.id)));
        all
    }

    /// Creates a session and writes its first snapshot.
    pub async fn create(
        &self,
        store: &AnyStore,
        transport: Transport,
        hello: Hello,
        principal: Option<String>,
    ) -> Result<Rc<Session>, CreateError> {
        if self.count() >= self.max {
            return Err(CreateError::Full);
        }
        let id = self.ids.borrow_mut().next_id();
        let mut session = Session::new(id, transport, hello);
        session.principal = principal;
        let session = Rc::new(session);
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
            .save(
                &session.id,
                &session.snapshot(&self.node_id).to_string(),
                self.ttl,
            )
            .await
    }

    /// Neither idle past the TTL nor left uninitialized past the init timeout.
    fn is_live(&self, session: &Session, now: Instant) -> bool {
        let is_ready = session.is_initialized.get()
            || now.duration_since(session.created_at) < self.init_timeout;
        is_ready && now.duration_since(session.last_seen.get()) < self.ttl
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
            if !self.is_live(&session, now) {
                self.map.borrow_mut().remove(id);
                return Ok(None);
            }
            if now.duration_since(session.touched_at.get()) >= self.touch_every {
                if !store.touch(id, self.ttl).await? {
                    self.map.borrow_mut().remove(id);
                    return Ok(None);
                }
                session.touched_at.set(now);
            }
            session.last_seen.set(now);
            return Ok(Some(session));
        }
        let snapshot = store
            .load(id)
            .await?
            .and_then(|text| serde_json::from_str(&text).ok());
        let Some(session) = snapshot.as_ref().and_then(Session::restore) else {
            return Ok(None);
        };
        store.touch(id, self.ttl).await?;
        let session = Rc::new(session);
        self.map.borrow_mut().insert(id.to_owned(), session.clone());
        Ok(Some(session))
    }

    /// Ends a session: forgets it here, deletes it (and its event log) from the store, tells its
    /// open streams to close and every node to forget it. `false` when it was not live.
    pub async fn remove(&self, store: &AnyStore, id: &str) -> mcpd_storage::Result<bool> {
        let was_local = self.forget(id);
        let was_stored = store.delete(id).await?;
        store.publish(&events_topic(id), CLOSE_ALL).await?;
        store.publish(ENDED_TOPIC, id).await?;
        Ok(was_stored || was_local)
    }

    /// Drops this node's copy of a session (another node ended it); whether there was one.
    pub fn forget(&self, id: &str) -> bool {
        self.map.borrow_mut().remove(id).is_some()
    }

    /// Forgets, for as long as the store runs, every session that any node ends.
    pub async fn follow_endings(&self, store: &AnyStore) -> mcpd_storage::Result<()> {
        let endings = store.subscribe(ENDED_TOPIC).await?;
        while let Some(id) = endings.next().await {
            self.forget(&id);
        }
        Ok(())
    }

    /// Ends sessions never initialized within `--init-timeout`, forgets those idle past the TTL
    /// (closing their streams when the store has expired them too); returns how many ended.
    pub async fn sweep(&self, store: &AnyStore) -> mcpd_storage::Result<usize> {
        store.sweep().await?;
        let now = Instant::now();
        let (mut unready, mut idle) = (Vec::new(), Vec::new());
        for (id, s) in self.map.borrow().iter() {
            if !s.is_initialized.get() && now.duration_since(s.created_at) >= self.init_timeout {
                unready.push(id.clone());
            } else if now.duration_since(s.last_seen.get()) >= self.ttl {
                idle.push(id.clone());
            }
        }
        let mut ended = 0;
        for id in unready {
            self.remove(store, &id).await?;
            ended += 1;
        }
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
