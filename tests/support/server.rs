//! A real server process (`mcpd` or `examples/everything`) on 127.0.0.1 on a chosen store,
//! stopped (by pid) when dropped.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use std::rc::Rc;

use super::backing::Backing;
use super::client::Client;

/// A running server process, killed (by pid) when dropped, with the store it runs on.
pub struct Server {
    pub child: Child,
    pub addr: String,
    /// The `--admin-listen` address, when the server has one.
    pub admin_addr: Option<String>,
    /// The store (unless the test picked one with `--store`, the one `MCPD_TEST_STORE` names).
    pub backing: Rc<Backing>,
    path: PathBuf,
    args: Vec<String>,
}

/// The example binaries sit next to the test binary's `deps` directory.
fn example(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("test exe path");
    let dir = exe.parent().and_then(|d| d.parent()).expect("target dir");
    let path = dir.join("examples").join(name);
    assert!(
        path.exists(),
        "{} is missing: run `cargo build --examples` first (the README's test command does)",
        path.display()
    );
    path
}

impl Server {
    /// Starts `mcpd` with `args` (plus `--port 0`).
    pub fn mcpd(args: &[&str]) -> Server {
        Server::start(PathBuf::from(env!("CARGO_BIN_EXE_mcpd")), args)
    }

    /// Starts `examples/everything` (the conformance fixtures) with `args`.
    pub fn everything(args: &[&str]) -> Server {
        Server::start(example("everything"), args)
    }

    fn start(path: PathBuf, args: &[&str]) -> Server {
        let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
        let backing = if args.iter().any(|a| a == "--store") {
            Backing::Memory
        } else {
            Backing::from_env()
        };
        Server::launch(path, args, Rc::new(backing))
    }

    /// Starts `examples/everything` on a given store.
    pub fn everything_on(backing: Backing, args: &[&str]) -> Server {
        let args = args.iter().map(|a| a.to_string()).collect();
        Server::launch(example("everything"), args, Rc::new(backing))
    }

    fn launch(path: PathBuf, args: Vec<String>, backing: Rc<Backing>) -> Server {
        Server::try_launch(path, args, backing).unwrap_or_else(|e| panic!("{e}"))
    }

    /// Starts the binary; `Err` (with what it printed) when it exits before its banner, e.g.
    /// because the port it was given is taken.
    fn try_launch(
        path: PathBuf,
        args: Vec<String>,
        backing: Rc<Backing>,
    ) -> Result<Server, String> {
        let store_args = if args.iter().any(|a| a == "--store") {
            Vec::new()
        } else {
            backing.args()
        };
        let port_args: &[&str] = if args.iter().any(|a| a == "--port") {
            &[]
        } else {
            &["--port", "0"]
        };
        let mut child = Command::new(&path)
            .args(port_args)
            .args(["--log-level", "warn"])
            .args(&store_args)
            .args(&args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start server");
        let mut line = String::new();
        let _ = BufReader::new(child.stdout.take().expect("stdout")).read_line(&mut line);
        let Some(addr) = line
            .split("http://")
            .nth(1)
            .and_then(|rest| rest.split('/').next())
        else {
            let stderr = super::process::abandon(&mut child);
            return Err(format!(
                "{} {args:?} did not start: {stderr}",
                path.display()
            ));
        };
        forward_stderr(&mut child);
        let admin_addr = line
            .split("admin on ")
            .nth(1)
            .map(|rest| rest.trim_end().trim_end_matches(')').to_owned());
        Ok(Server {
            admin_addr,
            addr: addr.to_owned(),
            child,
            backing,
            path,
            args,
        })
    }

    /// Node `p<port>` of a cluster on a shared store (the node ids `nginx/generate` routes on),
    /// running `examples/everything` (`fixtures`) or `mcpd`; `Err` when it cannot start (the
    /// port was taken meanwhile: the caller picks other ports).
    pub fn node(
        fixtures: bool,
        backing: &Rc<Backing>,
        port: u16,
        args: &[&str],
    ) -> Result<Server, String> {
        let mut all = vec![
            "--port".to_owned(),
            port.to_string(),
            "--node-id".to_owned(),
            format!("p{port}"),
        ];
        all.extend(args.iter().map(|a| a.to_string()));
        let path = if fixtures {
            example("everything")
        } else {
            PathBuf::from(env!("CARGO_BIN_EXE_mcpd"))
        };
        Server::try_launch(path, all, backing.clone())
    }

    /// A second process of the same binary, flags and store (a new port): another node.
    pub fn another_node(&self) -> Server {
        Server::launch(self.path.clone(), self.args.clone(), self.backing.clone())
    }

    /// `kill -9`, then the same binary with the same flags and store again (a new port).
    pub fn crash_and_restart(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let again = Server::launch(self.path.clone(), self.args.clone(), self.backing.clone());
        drop(std::mem::replace(self, again));
    }

    /// A client connected to this server.
    pub fn client(&self) -> Client {
        Client::connect(&self.addr)
    }

    /// A client connected to this server's admin listener (`--admin-listen`).
    pub fn admin(&self) -> Client {
        let addr = self
            .admin_addr
            .as_deref()
            .expect("start the server with --admin-listen 127.0.0.1:0");
        Client::connect(addr)
    }

    /// Sends a signal to the process.
    pub fn signal(&self, signal: &str) {
        let status = Command::new("kill")
            .args(["-s", signal, &self.child.id().to_string()])
            .status()
            .expect("kill");
        assert!(status.success());
    }

    /// Waits for the process to exit; its exit code.
    pub fn wait(&mut self, within: Duration) -> Option<i32> {
        let deadline = std::time::Instant::now() + within;
        while std::time::Instant::now() < deadline {
            if let Some(status) = self.child.try_wait().expect("wait") {
                return status.code();
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Copies the child's stderr to ours (as `Stdio::inherit` would) from here on.
fn forward_stderr(child: &mut Child) {
    let mut stderr = child.stderr.take().expect("stderr");
    std::thread::spawn(move || {
        let _ = std::io::copy(&mut stderr, &mut std::io::stderr());
    });
}
