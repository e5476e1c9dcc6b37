//! The store a test's server runs on. By default the one named by `MCPD_TEST_STORE` (memory,
//! file or redis; `tests/run` runs the whole suite once per store), each server with its own data
//! directory or its own `redis-server`, cleaned up when the server goes.

use std::cell::RefCell;
use std::path::PathBuf;

use super::redis_server::RedisServer;

/// What a server's store lives in.
pub enum Backing {
    /// `--store memory`.
    Memory,
    /// `--store file` in this directory (removed on drop).
    File(PathBuf),
    /// `--store redis` on this server (stopped on drop; tests may kill and restart it).
    Redis(RefCell<RedisServer>),
}

fn fresh_dir() -> PathBuf {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("mcpd-test-{}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

impl Backing {
    /// The store `MCPD_TEST_STORE` names (memory when unset).
    pub fn from_env() -> Backing {
        match std::env::var("MCPD_TEST_STORE").as_deref() {
            Ok("file") => Backing::file(),
            Ok("redis") => Backing::redis(),
            Ok("memory") | Err(_) => Backing::Memory,
            Ok(other) => panic!("MCPD_TEST_STORE={other}: use memory, file or redis"),
        }
    }

    /// A file store in a fresh directory.
    pub fn file() -> Backing {
        Backing::File(fresh_dir())
    }

    /// A Redis store on a fresh `redis-server`.
    pub fn redis() -> Backing {
        Backing::Redis(RefCell::new(RedisServer::start()))
    }

    /// A Redis store on a fresh `redis-server` that persists every write (survives its restart).
    pub fn redis_persistent() -> Backing {
        Backing::Redis(RefCell::new(RedisServer::start_persistent()))
    }

    /// The store's name as `--store` spells it.
    pub fn kind(&self) -> &'static str {
        match self {
            Backing::Memory => "memory",
            Backing::File(_) => "file",
            Backing::Redis(_) => "redis",
        }
    }

    /// The mcpd flags that select this store.
    pub fn args(&self) -> Vec<String> {
        match self {
            Backing::Memory => vec!["--store".into(), "memory".into()],
            Backing::File(dir) => vec![
                "--store".into(),
                "file".into(),
                "--data-dir".into(),
                dir.display().to_string(),
            ],
            Backing::Redis(redis) => vec![
                "--store".into(),
                "redis".into(),
                "--redis-url".into(),
                redis.borrow().url(),
            ],
        }
    }
}

impl Drop for Backing {
    fn drop(&mut self) {
        if let Backing::File(dir) = self {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}
