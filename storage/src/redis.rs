//! The Redis backend: the store that lets any node serve any session.
//!
//! **Keys.** `mcpd:s:<id>` holds a session's snapshot with a Redis TTL (`PX`), so Redis itself
//! expires sessions. `mcpd:l:<id>` is the session's event log, a Redis Stream trimmed to exactly
//! `MAXLEN retention` entries (the contract says "at most"), whose TTL is renewed by every append
//! and touch. An event's sequence number is its stream entry id `<ms>-<n>` packed as
//! `ms << 20 | n`: unique, increasing, and the same on every node.
//!
//! Leases are `mcpd:lease:<key>` with a Redis TTL.
//!
//! **Round trips.** Every call is one round trip (several commands go out as one pipeline): a
//! touch is `PEXPIRE` on the snapshot and the log, and its answer (0 when the key is gone) is how
//! a node learns that another node deleted or expired the session.
//!
//! **Delivery.** `PUBLISH mcpd:<topic>`; one RESP3 connection carries every `SUBSCRIBE` (one per
//! topic with local subscribers) and the pushes come back to [`Store::run`], which hands them to
//! the local subscribers. The connection manager reconnects by itself and resubscribes.
//!
//! **Threads.** The redis crate drives its connection on smol's global executor thread; nothing
//! here blocks the caller's thread.
//!
//! **Failure.** Any Redis error is [`ErrorKind::Unavailable`]; a call that fails on a connection
//! just lost is retried once on the new one.

use std::time::Duration;

use ::redis::aio::{ConnectionManager, ConnectionManagerConfig};
use ::redis::{cmd, pipe, PushInfo, PushKind, RedisError, Value};
use futures_lite::FutureExt;

use crate::topics::Topics;
use crate::{events_topic, Error, ErrorKind, Event, Result, Store, Subscription};

/// Channel and key prefix, so mcpd can share a Redis database.
const PREFIX: &str = "mcpd:";
/// Most sessions `list` returns.
const LIST_CAP: usize = 100_000;

fn unavailable(e: RedisError) -> Error {
    Error::new(ErrorKind::Unavailable, format!("redis: {e}"))
}

fn snapshot_key(id: &str) -> String {
    format!("{PREFIX}s:{id}")
}

fn log_key(id: &str) -> String {
    format!("{PREFIX}l:{id}")
}

fn lease_key(key: &str) -> String {
    format!("{PREFIX}lease:{key}")
}

fn ms(d: Duration) -> u64 {
    d.as_millis().clamp(1, i64::MAX as u128) as u64
}

/// `<ms>-<n>` as one number.
fn seq_of(entry_id: &str) -> Option<u64> {
    let (ms, n) = entry_id.split_once('-')?;
    Some((ms.parse::<u64>().ok()? << 20) | n.parse::<u64>().ok()?.min((1 << 20) - 1))
}

fn entry_id_of(seq: u64) -> String {
    format!("{}-{}", seq >> 20, seq & ((1 << 20) - 1))
}

fn text(value: &Value) -> Option<String> {
    match value {
        Value::BulkString(bytes) => String::from_utf8(bytes.clone()).ok(),
        Value::SimpleString(s) | Value::VerbatimString { text: s, .. } => Some(s.clone()),
        _ => None,
    }
}

/// One stream entry as XRANGE returns it: its id and its field/value pairs.
type Entry = (String, Vec<(String, String)>);

/// The Redis store (see the module docs).
pub struct RedisStore {
    conn: ConnectionManager,
    topics: Topics,
    pushes: async_channel::Receiver<PushInfo>,
    retention: usize,
    log_ttl: Duration,
}

impl std::fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisStore")
            .field("retention", &self.retention)
            .finish_non_exhaustive()
    }
}

impl RedisStore {
    /// A store on the Redis at `url` (`redis://[:password@]host:port[/db]`), keeping at most
    /// `retention` events per session and event logs alive for `log_ttl` after their last write.
    /// It connects lazily: a Redis that is down now makes calls fail (and `is_ready` false) until
    /// it is back.
    pub fn open(url: &str, retention: usize, log_ttl: Duration) -> Result<RedisStore> {
        let separator = if url.contains('?') { '&' } else { '?' };
        let url = if url.contains("protocol=") {
            url.to_owned()
        } else {
            format!("{url}{separator}protocol=resp3")
        };
        let client = ::redis::Client::open(url.as_str()).map_err(|e| {
            Error::new(
                ErrorKind::Unavailable,
                format!("bad --redis-url ({:?})", e.kind()),
            )
        })?;
        let (tx, pushes) = async_channel::unbounded();
        let config = ConnectionManagerConfig::new()
            .set_push_sender(move |push: PushInfo| {
                tx.try_send(push).map_err(|_| ::redis::aio::SendError)
            })
            .set_automatic_resubscription()
            .set_connection_timeout(Some(Duration::from_secs(1)))
            .set_response_timeout(Some(Duration::from_secs(2)))
            .set_number_of_retries(2)
            .set_max_delay(Duration::from_millis(500));
        let conn = ConnectionManager::new_lazy_with_config(client, config).map_err(unavailable)?;
        Ok(RedisStore {
            conn,
            topics: Topics::default(),
            pushes,
            retention: retention.max(1),
            log_ttl,
        })
    }

    /// Runs a command or pipeline, retrying once when it failed on a connection just lost.
    async fn query<T: ::redis::FromRedisValue>(
        &self,
        command: impl Fn() -> ::redis::Pipeline,
    ) -> Result<T> {
        let mut conn = self.conn.clone();
        match command().query_async(&mut conn).await {
            Ok(value) => Ok(value),
            Err(e) if e.is_io_error() || e.is_connection_dropped() || e.is_timeout() => {
                command().query_async(&mut conn).await.map_err(unavailable)
            }
            Err(e) => Err(unavailable(e)),
        }
    }
}

/// One command as a pipeline (so `query` takes one shape).
fn one(command: &mut ::redis::Cmd) -> ::redis::Pipeline {
    let mut p = pipe();
    p.add_command(command.clone());
    p
}

impl Store for RedisStore {
    async fn save(&self, session: &str, snapshot: &str, ttl: Duration) -> Result<()> {
        let (key, log) = (snapshot_key(session), log_key(session));
        self.query::<()>(|| {
            let mut p = pipe();
            p.cmd("SET")
                .arg(&key)
                .arg(snapshot)
                .arg("PX")
                .arg(ms(ttl))
                .ignore();
            p.cmd("PEXPIRE").arg(&log).arg(ms(ttl)).ignore();
            p
        })
        .await
    }

    async fn load(&self, session: &str) -> Result<Option<String>> {
        let key = snapshot_key(session);
        let (value,): (Option<String>,) = self.query(|| one(cmd("GET").arg(&key))).await?;
        Ok(value)
    }

    async fn touch(&self, session: &str, ttl: Duration) -> Result<bool> {
        let (key, log) = (snapshot_key(session), log_key(session));
        let (live, _): (bool, bool) = self
            .query(|| {
                let mut p = pipe();
                p.cmd("PEXPIRE").arg(&key).arg(ms(ttl));
                p.cmd("PEXPIRE").arg(&log).arg(ms(ttl));
                p
            })
            .await?;
        Ok(live)
    }

    async fn delete(&self, session: &str) -> Result<bool> {
        let (key, log) = (snapshot_key(session), log_key(session));
        let (removed, _): (u64, u64) = self
            .query(|| {
                let mut p = pipe();
                p.cmd("DEL").arg(&key);
                p.cmd("DEL").arg(&log);
                p
            })
            .await?;
        Ok(removed > 0)
    }

    async fn list(&self) -> Result<Vec<String>> {
        let pattern = format!("{PREFIX}s:*");
        let (mut cursor, mut ids) = (0u64, Vec::new());
        loop {
            let ((next, keys),): ((u64, Vec<String>),) = self
                .query(|| {
                    one(cmd("SCAN")
                        .arg(cursor)
                        .arg("MATCH")
                        .arg(&pattern)
                        .arg("COUNT")
                        .arg(1000))
                })
                .await?;
            ids.extend(keys.into_iter().filter_map(|k| {
                k.strip_prefix(&pattern[..pattern.len() - 1])
                    .map(str::to_owned)
            }));
            if next == 0 || ids.len() >= LIST_CAP {
                ids.truncate(LIST_CAP);
                return Ok(ids);
            }
            cursor = next;
        }
    }

    async fn append(&self, session: &str, stream: &str, data: &str, is_last: bool) -> Result<u64> {
        let (log, channel) = (
            log_key(session),
            format!("{PREFIX}{}", events_topic(session)),
        );
        let (entry_id,): (String,) = self
            .query(|| {
                let mut p = pipe();
                p.cmd("XADD")
                    .arg(&log)
                    .arg("MAXLEN")
                    .arg(self.retention)
                    .arg("*");
                p.arg("stream")
                    .arg(stream)
                    .arg("data")
                    .arg(data)
                    .arg("last")
                    .arg(u8::from(is_last));
                p.cmd("PEXPIRE").arg(&log).arg(ms(self.log_ttl)).ignore();
                p.cmd("PUBLISH").arg(&channel).arg(stream).ignore();
                p
            })
            .await?;
        seq_of(&entry_id).ok_or_else(|| {
            Error::new(
                ErrorKind::Corrupt,
                format!("odd stream entry id {entry_id}"),
            )
        })
    }

    async fn read_after(&self, session: &str, stream: &str, after: u64) -> Result<Vec<Event>> {
        let (log, start) = (log_key(session), format!("({}", entry_id_of(after)));
        let (entries,): (Vec<Entry>,) = self
            .query(|| one(cmd("XRANGE").arg(&log).arg(&start).arg("+")))
            .await?;
        let mut events = Vec::new();
        for (entry_id, fields) in entries {
            let field = |name: &str| {
                fields
                    .iter()
                    .find(|(k, _)| k == name)
                    .map(|(_, v)| v.as_str())
            };
            if field("stream") != Some(stream) {
                continue;
            }
            let seq = seq_of(&entry_id)
                .ok_or_else(|| Error::new(ErrorKind::Corrupt, "odd stream entry id"))?;
            let data = field("data").unwrap_or_default().to_owned();
            events.push(Event {
                seq,
                stream: stream.to_owned(),
                data,
                is_last: field("last") == Some("1"),
            });
        }
        Ok(events)
    }

    async fn publish(&self, topic: &str, message: &str) -> Result<()> {
        let channel = format!("{PREFIX}{topic}");
        self.query::<()>(|| {
            let mut p = pipe();
            p.cmd("PUBLISH").arg(&channel).arg(message).ignore();
            p
        })
        .await
    }

    async fn subscribe(&self, topic: &str) -> Result<Subscription> {
        let (subscription, is_first) = self.topics.subscribe(topic);
        if is_first {
            let mut conn = self.conn.clone();
            conn.subscribe(format!("{PREFIX}{topic}"))
                .await
                .map_err(unavailable)?;
        }
        Ok(subscription)
    }

    async fn lease(&self, key: &str, holder: &str, ttl: Duration) -> Result<()> {
        let key = lease_key(key);
        self.query::<()>(|| {
            let mut p = pipe();
            p.cmd("SET")
                .arg(&key)
                .arg(holder)
                .arg("PX")
                .arg(ms(ttl))
                .ignore();
            p
        })
        .await
    }

    async fn holder(&self, key: &str) -> Result<Option<String>> {
        let key = lease_key(key);
        let (holder,): (Option<String>,) = self.query(|| one(cmd("GET").arg(&key))).await?;
        Ok(holder)
    }

    async fn release(&self, key: &str) -> Result<()> {
        let key = lease_key(key);
        self.query::<()>(|| {
            let mut p = pipe();
            p.cmd("DEL").arg(&key).ignore();
            p
        })
        .await
    }

    async fn sweep(&self) -> Result<usize> {
        let mut conn = self.conn.clone();
        for topic in self.topics.prune() {
            conn.unsubscribe(format!("{PREFIX}{topic}"))
                .await
                .map_err(unavailable)?;
        }
        Ok(0)
    }

    async fn is_ready(&self) -> bool {
        let ping = async {
            self.query::<(String,)>(|| one(&mut cmd("PING")))
                .await
                .is_ok()
        };
        ping.or(async {
            async_io::Timer::after(Duration::from_secs(1)).await;
            false
        })
        .await
    }

    async fn run(&self) {
        while let Ok(push) = self.pushes.recv().await {
            if push.kind != PushKind::Message {
                continue;
            }
            if let [channel, payload] = push.data.as_slice() {
                if let (Some(channel), Some(payload)) = (text(channel), text(payload)) {
                    if let Some(topic) = channel.strip_prefix(PREFIX) {
                        self.topics.publish(topic, &payload);
                    }
                }
            }
        }
    }
}
