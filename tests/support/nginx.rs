//! A real NGINX in front of test nodes, with the configuration `nginx/generate` prints: started on
//! a free loopback port with its own directory (and access log), plain HTTP or HTTPS, stopped (by
//! pid) when dropped.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::client::Client;

/// A running nginx.
pub struct Nginx {
    child: Child,
    dir: PathBuf,
    /// `127.0.0.1:<port>`: plain HTTP, or HTTPS with `Listen::Tls`.
    pub addr: String,
    /// With `Listen::Tls`, the plain HTTP address that redirects to `addr`.
    pub redirect_addr: Option<String>,
}

/// How NGINX listens.
pub enum Listen {
    /// Plain HTTP (`nginx/generate --plain`), as the cluster tests use it.
    Plain,
    /// HTTPS with this certificate and key, and a plain HTTP port redirecting to it.
    Tls { cert: PathBuf, key: PathBuf },
}

/// A port nobody listens on right now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

/// The first of `n` consecutive ports free right now (whoever binds them must still cope with
/// one being taken meanwhile: `cluster` starts again on other ports).
pub fn free_ports(n: u16) -> u16 {
    loop {
        let first = free_port();
        let all_free = (1..n).all(|i| {
            first
                .checked_add(i)
                .is_some_and(|p| std::net::TcpListener::bind(("127.0.0.1", p)).is_ok())
        });
        if all_free {
            return first;
        }
    }
}

impl Nginx {
    /// NGINX for nodes on ports `first..first + nodes`, on a free port of its own (another one
    /// is tried when that port is taken before NGINX binds it); fails with what to install when
    /// nginx is missing.
    pub fn start(first: u16, nodes: u16) -> Nginx {
        Nginx::start_with(first, nodes, &Listen::Plain)
    }

    /// NGINX for nodes on ports `first..first + nodes`, listening as `listen` says.
    pub fn start_with(first: u16, nodes: u16, listen: &Listen) -> Nginx {
        let mut tries = 0;
        loop {
            match Nginx::try_start(first, nodes, free_port(), listen) {
                Ok(nginx) => return nginx,
                Err(e) if tries < 10 => {
                    eprintln!("nginx did not start ({e}); trying another port");
                    tries += 1;
                }
                Err(e) => panic!("nginx did not start after {tries} ports: {e}"),
            }
        }
    }

    /// NGINX listening on `port` (and a redirecting port with TLS): `Err` when it exits before
    /// it has bound them.
    fn try_start(first: u16, nodes: u16, port: u16, listen: &Listen) -> Result<Nginx, String> {
        let dir = std::env::temp_dir().join(format!("mcpd-nginx-{}-{port}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("nginx dir");
        let mut generate = Command::new(concat!(env!("CARGO_MANIFEST_DIR"), "/nginx/generate"));
        generate
            .args(["--nodes", &nodes.to_string()])
            .args(["--first-port", &first.to_string()])
            .args(["--listen", &format!("127.0.0.1:{port}")])
            .arg("--access-log")
            .arg(dir.join("access.log"));
        let redirect_addr = match listen {
            Listen::Plain => {
                generate.arg("--plain");
                None
            }
            Listen::Tls { cert, key } => {
                let redirect = format!("127.0.0.1:{}", free_port());
                generate.args(["--redirect-from", &redirect]);
                generate
                    .arg("--tls-cert")
                    .arg(cert)
                    .arg("--tls-key")
                    .arg(key);
                Some(redirect)
            }
        };
        let generated = generate.output().expect("run nginx/generate");
        assert!(
            generated.status.success(),
            "{}",
            String::from_utf8_lossy(&generated.stderr)
        );
        std::fs::write(dir.join("mcpd.conf"), &generated.stdout).expect("write mcpd.conf");
        let d = dir.display();
        let main = format!(
            "daemon off;\nmaster_process off;\nworker_processes 1;\npid {d}/nginx.pid;\nerror_log {d}/error.log;\nevents {{ worker_connections 1024; }}\n\
             http {{\n  access_log off;\n  client_body_temp_path {d}/body;\n  proxy_temp_path {d}/proxy;\n  fastcgi_temp_path {d}/fastcgi;\n  \
             uwsgi_temp_path {d}/uwsgi;\n  scgi_temp_path {d}/scgi;\n  include {d}/mcpd.conf;\n}}\n"
        );
        std::fs::write(dir.join("nginx.conf"), main).expect("write nginx.conf");
        let binary = if std::path::Path::new("/usr/sbin/nginx").exists() {
            "/usr/sbin/nginx"
        } else {
            "nginx"
        };
        let mut child = Command::new(binary)
            .args(["-p", &dir.display().to_string(), "-c", &dir.join("nginx.conf").display().to_string()])
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start nginx ({e}): install it with `apt-get install nginx` (tests/run does)"));
        // NGINX writes its pid file only once it has bound its listening socket; one that cannot
        // bind exits without writing it.
        let pid_file = dir.join("nginx.pid");
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(status) = child.try_wait().expect("wait nginx") {
                let log = std::fs::read_to_string(dir.join("error.log")).unwrap_or_default();
                let _ = std::fs::remove_dir_all(&dir);
                return Err(format!("exited with {status}: {log}"));
            }
            let written = std::fs::read_to_string(&pid_file).unwrap_or_default();
            if written.trim() == child.id().to_string() {
                break;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                return Err("no pid file within 10 s".to_owned());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let addr = format!("127.0.0.1:{port}");
        Ok(Nginx {
            child,
            dir,
            addr,
            redirect_addr,
        })
    }

    /// What the access log holds so far.
    pub fn access_log(&self) -> String {
        std::fs::read_to_string(self.dir.join("access.log")).unwrap_or_default()
    }

    /// A client connected through NGINX.
    pub fn client(&self) -> Client {
        Client::connect(&self.addr)
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
