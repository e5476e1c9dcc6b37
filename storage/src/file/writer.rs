//! The file store's writer thread: every write queued meanwhile goes into one redb transaction,
//! committed once (group commit); see the module docs of `file` for why.

use std::time::{Duration, Instant};

use redb::{Database, Durability, ReadableTable};

use super::{EVENTS, EXPIRIES, LEASES, SNAPSHOTS};

/// The most writes the writer thread folds into one transaction.
const MAX_BATCH: usize = 512;

/// Batches of nothing but TTL touches are committed without `fsync`, unless the last `fsync` is
/// this old: a crash then loses at most this much of a session's sliding TTL.
const TOUCH_DURABILITY: Duration = Duration::from_secs(5);

/// A write for the writer thread.
#[derive(Debug)]
pub(super) enum Op {
    Save {
        id: String,
        snapshot: String,
        expires: u64,
    },
    Touch {
        id: String,
        expires: u64,
        now: u64,
    },
    Delete {
        id: String,
        now: u64,
    },
    Append {
        id: String,
        stream: String,
        data: String,
        is_last: bool,
    },
    Lease {
        key: String,
        holder: String,
        lapses: u64,
    },
    Release {
        key: String,
    },
    Sweep {
        now: u64,
    },
}

impl Op {
    /// Writes that may be lost in a crash without harm (TTL touches, leases): batches of only
    /// these skip `fsync` (see `TOUCH_DURABILITY`).
    fn is_light(&self) -> bool {
        matches!(
            self,
            Op::Touch { .. } | Op::Lease { .. } | Op::Release { .. }
        )
    }
}

/// What a write answers: a flag (touch, delete), a sequence number (append), a count (sweep).
pub(super) type Reply = std::result::Result<u64, String>;

#[derive(Debug)]
pub(super) struct Write {
    pub(super) op: Op,
    pub(super) reply: async_channel::Sender<Reply>,
}

/// The writer thread: one transaction per batch of queued writes, until the store is dropped.
pub(super) fn write_loop(db: &Database, queue: &async_channel::Receiver<Write>, retention: u64) {
    let mut last_durable = Instant::now();
    while let Ok(first) = queue.recv_blocking() {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match queue.try_recv() {
                Ok(more) => batch.push(more),
                Err(_) => break,
            }
        }
        let only_touches = batch.iter().all(|w| w.op.is_light());
        let durable = !only_touches || last_durable.elapsed() >= TOUCH_DURABILITY;
        match commit(db, &batch, retention, durable) {
            Ok(replies) => {
                if durable {
                    last_durable = Instant::now();
                }
                for (write, reply) in batch.iter().zip(replies) {
                    let _ = write.reply.try_send(Ok(reply));
                }
            }
            Err(e) => {
                for write in &batch {
                    let _ = write.reply.try_send(Err(e.to_string()));
                }
            }
        }
    }
}

type Tables<'t> = (
    redb::Table<'t, &'static str, &'static str>,
    redb::Table<'t, &'static str, u64>,
    redb::Table<'t, (&'static str, u64), (&'static str, &'static str, bool)>,
    redb::Table<'t, &'static str, (u64, &'static str)>,
);

fn commit(
    db: &Database,
    batch: &[Write],
    retention: u64,
    durable: bool,
) -> std::result::Result<Vec<u64>, redb::Error> {
    let mut txn = db.begin_write()?;
    if !durable {
        txn.set_durability(Durability::None)
            .map_err(|e| redb::Error::Corrupted(e.to_string()))?;
    }
    let replies = {
        let mut tables = (
            txn.open_table(SNAPSHOTS)?,
            txn.open_table(EXPIRIES)?,
            txn.open_table(EVENTS)?,
            txn.open_table(LEASES)?,
        );
        let mut replies = Vec::with_capacity(batch.len());
        for write in batch {
            replies.push(apply(&mut tables, &write.op, retention)?);
        }
        replies
    };
    txn.commit()?;
    Ok(replies)
}

fn is_live(
    expiries: &redb::Table<'_, &'static str, u64>,
    id: &str,
    now: u64,
) -> std::result::Result<bool, redb::Error> {
    Ok(expiries.get(id)?.is_some_and(|e| e.value() > now))
}

fn remove_session(tables: &mut Tables<'_>, id: &str) -> std::result::Result<(), redb::Error> {
    tables.0.remove(id)?;
    tables.1.remove(id)?;
    tables.2.retain_in((id, 0)..=(id, u64::MAX), |_, _| false)?;
    Ok(())
}

fn apply(
    tables: &mut Tables<'_>,
    op: &Op,
    retention: u64,
) -> std::result::Result<u64, redb::Error> {
    match op {
        Op::Save {
            id,
            snapshot,
            expires,
        } => {
            tables.0.insert(id.as_str(), snapshot.as_str())?;
            tables.1.insert(id.as_str(), expires)?;
            Ok(1)
        }
        Op::Touch { id, expires, now } => {
            let live = is_live(&tables.1, id, *now)?;
            if live {
                tables.1.insert(id.as_str(), expires)?;
            }
            Ok(live as u64)
        }
        Op::Delete { id, now } => {
            let live = is_live(&tables.1, id, *now)?;
            remove_session(tables, id)?;
            Ok(live as u64)
        }
        Op::Append {
            id,
            stream,
            data,
            is_last,
        } => {
            let last = tables
                .2
                .range((id.as_str(), 0)..=(id.as_str(), u64::MAX))?
                .next_back()
                .transpose()?;
            let seq = last.map_or(0, |(key, _)| key.value().1) + 1;
            tables.2.insert(
                (id.as_str(), seq),
                (stream.as_str(), data.as_str(), *is_last),
            )?;
            if seq > retention {
                tables.2.remove((id.as_str(), seq - retention))?;
            }
            Ok(seq)
        }
        Op::Lease {
            key,
            holder,
            lapses,
        } => {
            tables.3.insert(key.as_str(), (*lapses, holder.as_str()))?;
            Ok(1)
        }
        Op::Release { key } => {
            tables.3.remove(key.as_str())?;
            Ok(1)
        }
        Op::Sweep { now } => {
            tables.3.retain(|_, (lapses, _)| lapses > *now)?;
            let mut expired = Vec::new();
            for entry in tables.1.iter()? {
                let (id, expires) = entry?;
                if expires.value() <= *now {
                    expired.push(id.value().to_owned());
                }
            }
            for id in &expired {
                remove_session(tables, id)?;
            }
            Ok(expired.len() as u64)
        }
    }
}
