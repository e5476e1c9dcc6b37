//! The storage contract of mcpd: session snapshots, per-session event logs and delivery, behind one
//! trait with backends chosen once at start-up.
//!
//! # The contract
//!
//! Every backend ([`MemoryStore`], [`FileStore`], [`RedisStore`]) guarantees the same things, and
//! `storage/tests/` runs one suite against each of them:
//!
//! * **Sessions.** [`Store::save`] writes a full snapshot (opaque text, JSON in practice: the
//!   server decides what is in it) with a time to live; [`Store::load`] returns it, or `None`
//!   once it has expired or been deleted; [`Store::touch`] slides the TTL and says whether the
//!   session is still live; [`Store::delete`] removes the snapshot *and* its event log;
//!   [`Store::list`] names the live sessions. Expiry needs no caller: Redis expires keys itself,
//!   the others drop expired sessions (and their logs) in [`Store::sweep`], which the server
//!   calls periodically.
//! * **Event log.** [`Store::append`] adds a message to a named stream of a session and returns its
//!   sequence number: unique within the session, strictly increasing, shared by all of the
//!   session's streams. [`Store::read_after`] returns the events of one stream with a larger
//!   sequence number, oldest first. The log keeps at most `retention` events per session (set
//!   when the backend is opened); older ones are dropped first. An expired session's log goes
//!   with it (Redis: by its own TTL, renewed with the session's).
//! * **Delivery.** [`Store::publish`] hands a short message to every current subscriber of a topic
//!   ([`Store::subscribe`]); a subscription ends when its [`Subscription`] is dropped. Appending to
//!   a session's log publishes on [`events_topic`] for that session, so whoever holds the live
//!   stream learns of it. Delivery is at-most-once: a subscriber that arrives later reads the log.
//!   A subscription is active when `subscribe` returns, so subscribe first, then read the log.
//!   Delivery needs [`Store::run`] running alongside (the server spawns it).
//! * **Leases.** [`Store::lease`] claims a key for a while, recording who holds it; the claim
//!   lapses unless it is taken again before its TTL runs out, and [`Store::holder`] then answers
//!   `None`. mcpd leases every request it is running, so another process can tell a request whose
//!   process died from one that is merely slow. Leases need not survive a restart.
//! * **Failure.** Every fallible call returns [`Error`]; [`ErrorKind::Unavailable`] means the
//!   backend cannot be reached right now and the caller should answer "try again" (HTTP 503)
//!   rather than treat the session as gone.
//!
//! The trait uses `async fn` without `Send` bounds: mcpd runs one single-threaded executor per
//! process, so backends may keep `Rc`/`RefCell` state. [`AnyStore`] picks a backend once; calls
//! go through a `match`, never a `Box<dyn Store>`.
#![forbid(unsafe_code)]
#![warn(missing_docs, missing_debug_implementations, rust_2018_idioms)]

mod error;
mod file;
mod memory;
mod redis;
mod topics;

use std::time::Duration;

pub use self::redis::RedisStore;
pub use error::{Error, ErrorKind};
pub use file::FileStore;
pub use memory::MemoryStore;

/// A result whose error is a storage [`Error`].
pub type Result<T> = std::result::Result<T, Error>;

/// One server→client message kept in a session's event log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// Sequence number: unique per session and increasing across all its streams.
    pub seq: u64,
    /// The stream this event belongs to (replay never crosses streams).
    pub stream: String,
    /// The message itself (for mcpd, one serialized JSON-RPC message; may be empty).
    pub data: String,
    /// The last event of its stream: whoever writes the stream out closes it after this one.
    pub is_last: bool,
}

/// The topic on which appends to `session`'s event log are announced.
pub fn events_topic(session: &str) -> String {
    format!("ev:{session}")
}

/// A live subscription to a delivery topic; dropping it unsubscribes.
#[derive(Debug)]
pub struct Subscription {
    /// Messages published on the topic since the subscription began.
    pub messages: async_channel::Receiver<String>,
}

impl Subscription {
    /// Waits for the next message; `None` when the store has shut the subscription down.
    pub async fn next(&self) -> Option<String> {
        self.messages.recv().await.ok()
    }
}

/// The storage contract (see the crate docs for what every backend guarantees).
#[allow(async_fn_in_trait)]
pub trait Store {
    /// Writes the full snapshot of `session`, alive for `ttl` from now.
    async fn save(&self, session: &str, snapshot: &str, ttl: Duration) -> Result<()>;
    /// Reads a live session's snapshot; `None` when unknown, expired or deleted.
    async fn load(&self, session: &str) -> Result<Option<String>>;
    /// Slides a live session's TTL to `ttl` from now; `false` when it is not live.
    async fn touch(&self, session: &str, ttl: Duration) -> Result<bool>;
    /// Removes a session and its event log; `false` when it was not live.
    async fn delete(&self, session: &str) -> Result<bool>;
    /// The ids of every live session.
    async fn list(&self) -> Result<Vec<String>>;
    /// Appends an event to `stream` of `session` and announces it; returns its sequence number.
    async fn append(&self, session: &str, stream: &str, data: &str, is_last: bool) -> Result<u64>;
    /// The events of `stream` of `session` whose sequence number is greater than `after`.
    async fn read_after(&self, session: &str, stream: &str, after: u64) -> Result<Vec<Event>>;
    /// Delivers `message` to every current subscriber of `topic`.
    async fn publish(&self, topic: &str, message: &str) -> Result<()>;
    /// Starts listening on `topic`.
    async fn subscribe(&self, topic: &str) -> Result<Subscription>;
    /// Takes or renews the lease `key` for `ttl` (it lapses unless renewed), recording `holder`.
    async fn lease(&self, key: &str, holder: &str, ttl: Duration) -> Result<()>;
    /// The holder of a lease that has not lapsed.
    async fn holder(&self, key: &str) -> Result<Option<String>>;
    /// Gives a lease up at once.
    async fn release(&self, key: &str) -> Result<()>;
    /// Drops expired sessions and their logs (and lapsed leases); returns how many sessions went.
    async fn sweep(&self) -> Result<usize>;
    /// Whether the backend is reachable now (readiness).
    async fn is_ready(&self) -> bool;
    /// Background work the server runs for the store's lifetime (Redis: handing published
    /// messages to local subscribers). Never returns.
    async fn run(&self) {
        std::future::pending::<()>().await
    }
}

/// The backend chosen at start-up (static dispatch over every compiled backend).
#[derive(Debug)]
pub enum AnyStore {
    /// Everything in this process's memory.
    Memory(MemoryStore),
    /// One crash-safe database file (redb).
    File(FileStore),
    /// Redis, shared by every node.
    Redis(RedisStore),
}

impl AnyStore {
    /// The backend's name as the `--store` flag spells it.
    pub fn kind(&self) -> &'static str {
        match self {
            AnyStore::Memory(_) => "memory",
            AnyStore::File(_) => "file",
            AnyStore::Redis(_) => "redis",
        }
    }
}

/// Forwards one `Store` method to the chosen backend.
macro_rules! forward {
    ($self:ident . $method:ident ( $($arg:expr),* )) => {
        match $self {
            AnyStore::Memory(s) => s.$method($($arg),*).await,
            AnyStore::File(s) => s.$method($($arg),*).await,
            AnyStore::Redis(s) => s.$method($($arg),*).await,
        }
    };
}

impl Store for AnyStore {
    async fn save(&self, session: &str, snapshot: &str, ttl: Duration) -> Result<()> {
        forward!(self.save(session, snapshot, ttl))
    }
    async fn load(&self, session: &str) -> Result<Option<String>> {
        forward!(self.load(session))
    }
    async fn touch(&self, session: &str, ttl: Duration) -> Result<bool> {
        forward!(self.touch(session, ttl))
    }
    async fn delete(&self, session: &str) -> Result<bool> {
        forward!(self.delete(session))
    }
    async fn list(&self) -> Result<Vec<String>> {
        forward!(self.list())
    }
    async fn append(&self, session: &str, stream: &str, data: &str, is_last: bool) -> Result<u64> {
        forward!(self.append(session, stream, data, is_last))
    }
    async fn read_after(&self, session: &str, stream: &str, after: u64) -> Result<Vec<Event>> {
        forward!(self.read_after(session, stream, after))
    }
    async fn publish(&self, topic: &str, message: &str) -> Result<()> {
        forward!(self.publish(topic, message))
    }
    async fn subscribe(&self, topic: &str) -> Result<Subscription> {
        forward!(self.subscribe(topic))
    }
    async fn lease(&self, key: &str, holder: &str, ttl: Duration) -> Result<()> {
        forward!(self.lease(key, holder, ttl))
    }
    async fn holder(&self, key: &str) -> Result<Option<String>> {
        forward!(self.holder(key))
    }
    async fn release(&self, key: &str) -> Result<()> {
        forward!(self.release(key))
    }
    async fn sweep(&self) -> Result<usize> {
        forward!(self.sweep())
    }
    async fn is_ready(&self) -> bool {
        forward!(self.is_ready())
    }
    async fn run(&self) {
        forward!(self.run())
    }
}
