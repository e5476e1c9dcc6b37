//! A stand-in for mcpd behind NGINX: it answers every request `200 ok` and hands over each
//! request head, so tests see exactly what NGINX sent on (target, `Host`, `X-Forwarded-*`).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::mpsc;

use super::client::WAIT;

/// A stand-in for mcpd on a free port: it answers every request `200 ok` (after reading its
/// body) and hands over each request head it read.
pub struct Upstream {
    pub port: u16,
    pub heads: mpsc::Receiver<String>,
}

impl Upstream {
    /// Listens on a free loopback port; each connection is served on a thread of its own (the
    /// threads live as long as the test binary).
    pub fn start() -> Upstream {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let (tx, heads) = mpsc::channel();
        std::thread::spawn(move || {
            for conn in listener.incoming().map_while(Result::ok) {
                let tx = tx.clone();
                std::thread::spawn(move || Upstream::serve(conn, &tx));
            }
        });
        Upstream { port, heads }
    }

    fn serve(conn: TcpStream, heads: &mpsc::Sender<String>) {
        let mut out = conn.try_clone().expect("clone");
        let mut reader = BufReader::new(conn);
        loop {
            let mut head = String::new();
            loop {
                let mut line = String::new();
                match reader.read_line(&mut line) {
                    Ok(0) | Err(_) => return,
                    Ok(_) if line == "\r\n" => break,
                    Ok(_) => head.push_str(&line),
                }
            }
            let length = head
                .lines()
                .find_map(|l| {
                    l.to_ascii_lowercase()
                        .strip_prefix("content-length:")
                        .map(|v| v.trim().to_owned())
                })
                .and_then(|v| v.parse::<u64>().ok())
                .unwrap_or(0);
            let mut body = (&mut reader).take(length);
            if std::io::copy(&mut body, &mut std::io::sink()).ok() != Some(length) {
                return;
            }
            let _ = heads.send(head);
            if out
                .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok")
                .is_err()
            {
                return;
            }
        }
    }

    /// The next request head that reached it, within `WAIT`.
    pub fn head(&self) -> String {
        self.heads
            .recv_timeout(WAIT)
            .expect("a request reached the upstream")
    }

    /// The value of `name` in `head`.
    pub fn header<'a>(head: &'a str, name: &str) -> Option<&'a str> {
        head.lines().find_map(|l| {
            let (n, v) = l.split_once(':')?;
            n.eq_ignore_ascii_case(name).then(|| v.trim())
        })
    }
}
