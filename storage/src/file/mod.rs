//! The file backend: sessions and event logs in one crash-safe database file, for an edge box
//! whose sessions should survive a restart without running Redis.
//!
//! **Why redb.** It is maintained, has a stable on-disk format, ACID transactions with an fsync
//! per durable commit, and recovers cleanly from `kill -9`; it depends on nothing but libc and
//! starts no threads of its own (sled's format is still changing and it starts eight threads;
//! fjall forbids sharing a directory between processes and starts two). Its file lock makes a
//! second process on the same directory fail at start with a clear message, not corrupt data.
//!
//! **Threads.** Reads run inline on the caller's thread (a few microseconds from the page cache).
//! Writes go to one writer thread that gathers everything queued into a single transaction and
//! commits it once (group commit), so the event loop never waits on `fsync`, and a burst of
//! writes costs one `fsync`. A batch of nothing but TTL touches commits without `fsync` unless
//! the last `fsync` is `TOUCH_DURABILITY` (5 s) old, so a crash costs a session at most that much of
//! its sliding TTL.
//!
//! **Delivery** is in-process: one process owns the file.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use redb::{Database, ReadableDatabase, ReadableTable, TableDefinition};

mod writer;

use writer::{write_loop, Op, Write};

use crate::topics::Topics;
use crate::{events_topic, Error, ErrorKind, Event, Result, Store, Subscription};

/// Session id → snapshot.
const SNAPSHOTS: TableDefinition<'static, &str, &str> = TableDefinition::new("snapshots");
/// Session id → expiry, unix milliseconds (kept apart so a touch rewrites 8 bytes).
const EXPIRIES: TableDefinition<'static, &str, u64> = TableDefinition::new("expiries");
/// Lease key → (the moment it lapses, unix milliseconds; holder).
const LEASES: TableDefinition<'static, &str, (u64, &str)> = TableDefinition::new("leases");
/// (session id, sequence) → (stream, data, is_last).
const EVENTS: TableDefinition<'static, (&str, u64), (&str, &str, bool)> =
    TableDefinition::new("events");

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

fn expiry(ttl: Duration) -> u64 {
    now_ms().saturating_add(ttl.as_millis().min(u64::MAX as u128) as u64)
}

fn failed(e: impl std::fmt::Display) -> Error {
    Error::new(ErrorKind::Unavailable, format!("file store: {e}"))
}

/// The file store (see the module docs).
#[derive(Debug)]
pub struct FileStore {
    db: Arc<Database>,
    writes: async_channel::Sender<Write>,
    /// Joined on drop, so the file is closed (and may be reopened) once the store is gone.
    writer: Option<std::thread::JoinHandle<()>>,
    topics: Topics,
    path: PathBuf,
}

impl FileStore {
    /// Opens (or creates) `dir/mcpd.redb`, keeping at most `retention` events per session, and
    /// drops the sessions that expired while no process had it open.
    pub fn open(dir: &Path, retention: usize) -> Result<FileStore> {
        std::fs::create_dir_all(dir)
            .map_err(|e| failed(format!("cannot create {}: {e}", dir.display())))?;
        let path = dir.join("mcpd.redb");
        let db = Database::create(&path).map_err(|e| match e {
            redb::DatabaseError::DatabaseAlreadyOpen => failed(format!(
                "{} is in use by another process (one mcpd per data directory)",
                path.display()
            )),
            e => failed(format!("cannot open {}: {e}", path.display())),
        })?;
        let db = Arc::new(db);
        let (writes, queue) = async_channel::unbounded();
        let writer_db = db.clone();
        let retention = retention.max(1) as u64;
        let writer = std::thread::Builder::new()
            .name("mcpd-file".into())
            .spawn(move || write_loop(&writer_db, &queue, retention))
            .map_err(failed)?;
        let store = FileStore {
            db,
            writes,
            writer: Some(writer),
            topics: Topics::default(),
            path,
        };
        store.request_blocking(Op::Sweep { now: now_ms() })?;
        Ok(store)
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    async fn request(&self, op: Op) -> Result<u64> {
        let (reply, answer) = async_channel::bounded(1);
        self.writes
            .send(Write { op, reply })
            .await
            .map_err(|_| failed("the writer thread stopped"))?;
        answer
            .recv()
            .await
            .map_err(|_| failed("the writer thread stopped"))?
            .map_err(failed)
    }

    fn request_blocking(&self, op: Op) -> Result<u64> {
        let (reply, answer) = async_channel::bounded(1);
        self.writes
            .send_blocking(Write { op, reply })
            .map_err(|_| failed("the writer thread stopped"))?;
        answer
            .recv_blocking()
            .map_err(|_| failed("the writer thread stopped"))?
            .map_err(failed)
    }

    fn read<T>(
        &self,
        f: impl FnOnce(&redb::ReadTransaction) -> std::result::Result<T, redb::Error>,
    ) -> Result<T> {
        let txn = self.db.begin_read().map_err(failed)?;
        f(&txn).map_err(failed)
    }
}

impl Drop for FileStore {
    fn drop(&mut self) {
        self.writes.close();
        if let Some(writer) = self.writer.take() {
            let _ = writer.join();
        }
    }
}

/// Whether a table not yet created (nothing written so far) is the reason for a read error.
fn absent<T: Default>(e: redb::TableError) -> std::result::Result<T, redb::Error> {
    match e {
        redb::TableError::TableDoesNotExist(_) => Ok(T::default()),
        e => Err(e.into()),
    }
}

impl Store for FileStore {
    async fn save(&self, session: &str, snapshot: &str, ttl: Duration) -> Result<()> {
        let op = Op::Save {
            id: session.to_owned(),
            snapshot: snapshot.to_owned(),
            expires: expiry(ttl),
        };
        self.request(op).await.map(drop)
    }

    async fn load(&self, session: &str) -> Result<Option<String>> {
        let now = now_ms();
        self.read(|txn| {
            let expiries = match txn.open_table(EXPIRIES) {
                Ok(t) => t,
                Err(e) => return absent(e),
            };
            if expiries.get(session)?.is_none_or(|e| e.value() <= now) {
                return Ok(None);
            }
            let snapshots = txn.open_table(SNAPSHOTS)?;
            Ok(snapshots.get(session)?.map(|s| s.value().to_owned()))
        })
    }

    async fn touch(&self, session: &str, ttl: Duration) -> Result<bool> {
        let op = Op::Touch {
            id: session.to_owned(),
            expires: expiry(ttl),
            now: now_ms(),
        };
        self.request(op).await.map(|live| live == 1)
    }

    async fn delete(&self, session: &str) -> Result<bool> {
        let op = Op::Delete {
            id: session.to_owned(),
            now: now_ms(),
        };
        self.request(op).await.map(|live| live == 1)
    }

    async fn list(&self) -> Result<Vec<String>> {
        let now = now_ms();
        self.read(|txn| {
            let expiries = match txn.open_table(EXPIRIES) {
                Ok(t) => t,
                Err(e) => return absent(e),
            };
            let mut live = Vec::new();
            for entry in expiries.iter()? {
                let (id, expires) = entry?;
                if expires.value() > now {
                    live.push(id.value().to_owned());
                }
            }
            Ok(live)
        })
    }

    async fn append(&self, session: &str, stream: &str, data: &str, is_last: bool) -> Result<u64> {
        let op = Op::Append {
            id: session.to_owned(),
            stream: stream.to_owned(),
            data: data.to_owned(),
            is_last,
        };
        let seq = self.request(op).await?;
        self.topics.publish(&events_topic(session), stream);
        Ok(seq)
    }

    async fn read_after(&self, session: &str, stream: &str, after: u64) -> Result<Vec<Event>> {
        self.read(|txn| {
            let events = match txn.open_table(EVENTS) {
                Ok(t) => t,
                Err(e) => return absent(e),
            };
            let mut found = Vec::new();
            for entry in events.range((session, after.saturating_add(1))..=(session, u64::MAX))? {
                let (key, value) = entry?;
                let (their_stream, data, is_last) = value.value();
                if their_stream == stream {
                    found.push(Event {
                        seq: key.value().1,
                        stream: stream.to_owned(),
                        data: data.to_owned(),
                        is_last,
                    });
                }
            }
            Ok(found)
        })
    }

    async fn publish(&self, topic: &str, message: &str) -> Result<()> {
        self.topics.publish(topic, message);
        Ok(())
    }

    async fn subscribe(&self, topic: &str) -> Result<Subscription> {
        Ok(self.topics.subscribe(topic).0)
    }

    async fn lease(&self, key: &str, holder: &str, ttl: Duration) -> Result<()> {
        let op = Op::Lease {
            key: key.to_owned(),
            holder: holder.to_owned(),
            lapses: expiry(ttl),
        };
        self.request(op).await.map(drop)
    }

    async fn holder(&self, key: &str) -> Result<Option<String>> {
        let now = now_ms();
        self.read(|txn| {
            let leases = match txn.open_table(LEASES) {
                Ok(t) => t,
                Err(e) => return absent(e),
            };
            let Some(lease) = leases.get(key)? else {
                return Ok(None);
            };
            let (lapses, holder) = lease.value();
            Ok((lapses > now).then(|| holder.to_owned()))
        })
    }

    async fn release(&self, key: &str) -> Result<()> {
        self.request(Op::Release {
            key: key.to_owned(),
        })
        .await
        .map(drop)
    }

    async fn sweep(&self) -> Result<usize> {
        self.topics.prune();
        self.request(Op::Sweep { now: now_ms() })
            .await
            .map(|n| n as usize)
    }

    async fn is_ready(&self) -> bool {
        !self.writes.is_closed()
    }
}
