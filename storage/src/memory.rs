//! The memory backend: everything in this process, nothing to install, gone on restart.

use std::cell::RefCell;
use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

use crate::topics::Topics;
use crate::{events_topic, Event, Result, Store, Subscription};

/// Sessions, logs and topics held in this process (single-threaded: `RefCell`, no locks).
#[derive(Debug)]
pub struct MemoryStore {
    /// Live sessions: snapshot and the moment it expires.
    sessions: RefCell<HashMap<String, (Box<str>, Instant)>>,
    /// Event logs by session.
    logs: RefCell<HashMap<String, Log>>,
    /// In-process delivery.
    topics: Topics,
    /// Leases: holder and the moment the lease lapses.
    leases: RefCell<HashMap<String, (String, Instant)>>,
    /// Events kept per session; the oldest go first.
    retention: usize,
}

/// One session's event log.
#[derive(Debug, Default)]
struct Log {
    /// The sequence number the next event gets.
    next_seq: u64,
    /// The retained events, oldest first.
    events: VecDeque<Event>,
}

impl MemoryStore {
    /// An empty store that keeps at most `retention` events per session.
    ///
    /// ```
    /// use mcpd_storage::{MemoryStore, Store};
    /// # smol::block_on(async {
    /// let store = MemoryStore::new(100);
    /// let seq = store.append("s1", "r1", "{}", false).await.unwrap();
    /// assert_eq!(store.read_after("s1", "r1", 0).await.unwrap()[0].seq, seq);
    /// # });
    /// ```
    pub fn new(retention: usize) -> Self {
        MemoryStore {
            sessions: RefCell::default(),
            logs: RefCell::default(),
            topics: Topics::default(),
            leases: RefCell::default(),
            retention: retention.max(1),
        }
    }

    fn is_live(&self, session: &str, now: Instant) -> bool {
        matches!(self.sessions.borrow().get(session), Some((_, exp)) if *exp > now)
    }
}

impl Store for MemoryStore {
    async fn save(&self, session: &str, snapshot: &str, ttl: Duration) -> Result<()> {
        let expires = Instant::now() + ttl;
        self.sessions
            .borrow_mut()
            .insert(session.to_owned(), (snapshot.into(), expires));
        Ok(())
    }

    async fn load(&self, session: &str) -> Result<Option<String>> {
        let now = Instant::now();
        Ok(match self.sessions.borrow().get(session) {
            Some((snapshot, exp)) if *exp > now => Some(snapshot.to_string()),
            _ => None,
        })
    }

    async fn touch(&self, session: &str, ttl: Duration) -> Result<bool> {
        let now = Instant::now();
        Ok(match self.sessions.borrow_mut().get_mut(session) {
            Some((_, exp)) if *exp > now => {
                *exp = now + ttl;
                true
            }
            _ => false,
        })
    }

    async fn delete(&self, session: &str) -> Result<bool> {
        let live = self.is_live(session, Instant::now());
        self.sessions.borrow_mut().remove(session);
        self.logs.borrow_mut().remove(session);
        Ok(live)
    }

    async fn list(&self) -> Result<Vec<String>> {
        let now = Instant::now();
        let sessions = self.sessions.borrow();
        Ok(sessions
            .iter()
            .filter(|(_, (_, exp))| *exp > now)
            .map(|(id, _)| id.clone())
            .collect())
    }

    async fn append(&self, session: &str, stream: &str, data: &str, is_last: bool) -> Result<u64> {
        let seq = {
            let mut logs = self.logs.borrow_mut();
            let log = logs.entry(session.to_owned()).or_default();
            log.next_seq += 1;
            if log.events.len() >= self.retention {
                log.events.pop_front();
            }
            log.events.push_back(Event {
                seq: log.next_seq,
                stream: stream.to_owned(),
                data: data.to_owned(),
                is_last,
            });
            log.next_seq
        };
        self.publish(&events_topic(session), stream).await?;
        Ok(seq)
    }

    async fn read_after(&self, session: &str, stream: &str, after: u64) -> Result<Vec<Event>> {
        let logs = self.logs.borrow();
        let Some(log) = logs.get(session) else {
            return Ok(Vec::new());
        };
        Ok(log
            .events
            .iter()
            .filter(|e| e.seq > after && e.stream == stream)
            .cloned()
            .collect())
    }

    async fn publish(&self, topic: &str, message: &str) -> Result<()> {
        self.topics.publish(topic, message);
        Ok(())
    }

    async fn subscribe(&self, topic: &str) -> Result<Subscription> {
        Ok(self.topics.subscribe(topic).0)
    }

    async fn lease(&self, key: &str, holder: &str, ttl: Duration) -> Result<()> {
        let lapses = Instant::now() + ttl;
        self.leases
            .borrow_mut()
            .insert(key.to_owned(), (holder.to_owned(), lapses));
        Ok(())
    }

    async fn holder(&self, key: &str) -> Result<Option<String>> {
        let now = Instant::now();
        Ok(self
            .leases
            .borrow()
            .get(key)
            .filter(|(_, lapses)| *lapses > now)
            .map(|(h, _)| h.clone()))
    }

    async fn release(&self, key: &str) -> Result<()> {
        self.leases.borrow_mut().remove(key);
        Ok(())
    }

    async fn sweep(&self) -> Result<usize> {
        let now = Instant::now();
        self.leases
            .borrow_mut()
            .retain(|_, (_, lapses)| *lapses > now);
        let mut sessions = self.sessions.borrow_mut();
        let before = sessions.len();
        let mut logs = self.logs.borrow_mut();
        sessions.retain(|id, (_, exp)| {
            let keep = *exp > now;
            if !keep {
                logs.remove(id);
            }
            keep
        });
        self.topics.prune();
        sessions.shrink_to_fit();
        logs.shrink_to_fit();
        Ok(before - sessions.len())
    }

    async fn is_ready(&self) -> bool {
        true
    }
}
