//! A real `redis-server` for one test: started on a free loopback port with its own directory,
//! stopped (by pid) and cleaned up when dropped.
//!
//! A free port is found by binding `127.0.0.1:0` and letting it go, so another process may take
//! it before redis-server binds it. That cannot pass unnoticed: the server counts as ready only
//! once `INFO server` on the port reports our child's pid (another redis-server there would
//! answer `PING` too), and a start that fails that way (ours exits because it could not bind, or
//! someone else answers) is tried again on a new port. Ports of this process's servers, running
//! or killed awaiting `restart`, are never handed out twice.

use std::collections::BTreeSet;
use std::fs::File;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Starts on a fresh port before giving up.
const ATTEMPTS: usize = 5;
/// How long a started redis-server may take to answer.
const READY_WITHIN: Duration = Duration::from_secs(10);
/// Ports of this process's servers, from their start until they are dropped.
static PORTS: Mutex<BTreeSet<u16>> = Mutex::new(BTreeSet::new());
/// Numbers each server's directory (a port may come round again after a server is dropped).
static SERVERS: AtomicUsize = AtomicUsize::new(0);

/// A running redis-server.
pub struct RedisServer {
    child: Child,
    port: u16,
    dir: PathBuf,
    args: Vec<String>,
}

impl RedisServer {
    /// Starts one without persistence; panics with what to install when redis-server is missing.
    pub fn start() -> RedisServer {
        RedisServer::start_with(&["--save", "", "--appendonly", "no"])
    }

    /// Starts one that writes every change to its append-only file (survives a restart).
    #[allow(dead_code)]
    pub fn start_persistent() -> RedisServer {
        RedisServer::start_with(&[
            "--save",
            "",
            "--appendonly",
            "yes",
            "--appendfsync",
            "always",
        ])
    }

    fn start_with(args: &[&str]) -> RedisServer {
        let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
        let mut failures = Vec::new();
        for _ in 0..ATTEMPTS {
            let port = free_port();
            let dir = std::env::temp_dir().join(format!(
                "mcpd-redis-{}-{}",
                std::process::id(),
                SERVERS.fetch_add(1, Ordering::Relaxed)
            ));
            std::fs::create_dir_all(&dir).expect("redis dir");
            let mut server = RedisServer {
                child: spawn(port, &dir, &args),
                port,
                dir,
                args: args.clone(),
            };
            match server.wait_ready() {
                Ok(()) => return server,
                Err(failure) => failures.push(failure), // dropping it frees its port and directory
            }
        }
        panic!(
            "redis-server did not start in {ATTEMPTS} attempts:\n{}",
            failures.join("\n")
        );
    }

    /// Waits until our child answers on its port; `Err` when that port turned out to be someone
    /// else's (our child exited, or another server answers), so a new port may do.
    fn wait_ready(&mut self) -> Result<(), String> {
        let deadline = Instant::now() + READY_WITHIN;
        loop {
            if let Some(status) = self.child.try_wait().expect("wait for redis-server") {
                return Err(format!(
                    "redis-server on port {} exited at start ({status}); its log:\n{}",
                    self.port,
                    self.log()
                ));
            }
            match answering_pid(self.port) {
                Some(pid) if pid == self.child.id() => return Ok(()),
                Some(pid) => {
                    return Err(format!(
                        "port {} is taken by another redis-server (pid {pid}, ours is {})",
                        self.port,
                        self.child.id()
                    ))
                }
                None => {}
            }
            if Instant::now() >= deadline {
                panic!(
                    "redis-server (pid {}) on port {} did not answer within {READY_WITHIN:?}; its log:\n{}",
                    self.child.id(),
                    self.port,
                    self.log()
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// What the server wrote to its stdout and stderr (in its directory).
    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("redis.log")).unwrap_or_default()
    }

    /// `redis://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// Kills it (`kill -9`), keeping its data directory (and its port: no server of this process
    /// gets it meanwhile).
    #[allow(dead_code)]
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Starts it again on the same port and directory; panics if another process took the port
    /// while it was down.
    #[allow(dead_code)]
    pub fn restart(&mut self) {
        self.child = spawn(self.port, &self.dir, &self.args);
        if let Err(failure) = self.wait_ready() {
            panic!("redis-server did not come back on its port: {failure}");
        }
    }
}

/// A loopback port free just now and not held by another server of this process.
fn free_port() -> u16 {
    let mut ports = PORTS
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    loop {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        if ports.insert(port) {
            return port;
        }
    }
}

/// The pid of the ready redis-server answering on `port`: `INFO server` names it, and `PING`
/// answers `PONG` once it has loaded its data. `None` while nothing (ready) answers there.
fn answering_pid(port: u16) -> Option<u32> {
    let addr = ([127, 0, 0, 1], port).into();
    let mut conn = TcpStream::connect_timeout(&addr, Duration::from_secs(1)).ok()?;
    conn.set_read_timeout(Some(Duration::from_secs(1))).ok()?;
    conn.set_write_timeout(Some(Duration::from_secs(1))).ok()?;
    conn.write_all(b"INFO server\r\nPING\r\n").ok()?;
    let mut reply = BufReader::new(conn);
    let mut header = String::new();
    reply.read_line(&mut header).ok()?;
    let len: usize = header.strip_prefix('$')?.trim_end().parse().ok()?;
    let mut info = vec![0u8; len + 2];
    reply.read_exact(&mut info).ok()?;
    let mut pong = [0u8; 7];
    reply.read_exact(&mut pong).ok()?;
    if &pong != b"+PONG\r\n" {
        return None;
    }
    String::from_utf8_lossy(&info)
        .lines()
        .find_map(|line| line.strip_prefix("process_id:"))?
        .trim()
        .parse()
        .ok()
}

fn spawn(port: u16, dir: &Path, args: &[String]) -> Child {
    let log = File::options()
        .create(true)
        .append(true)
        .open(dir.join("redis.log"))
        .expect("redis log file");
    Command::new("redis-server")
        .args(["--port", &port.to_string(), "--bind", "127.0.0.1", "--dir"])
        .arg(dir)
        .args(args)
        .stdout(log.try_clone().expect("redis log file"))
        .stderr(log)
        .spawn()
        .unwrap_or_else(|e| {
            panic!("cannot start redis-server ({e}): install it with `apt-get install redis-server` (tests/run does)")
        })
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
        PORTS
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .remove(&self.port);
    }
}
