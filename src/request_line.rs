//! `Recorder`: the connection as async-h1's decoder reads it, keeping the request line of each
//! head, so that the request target can be checked as the client sent it (`request_target.rs`;
//! the url crate has normalized it by the time `Request::url()` is seen).

use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};

use futures_lite::{AsyncRead, AsyncWrite};

/// The longest request line kept; async-h1 refuses heads of 8 KiB or more anyway.
const MAX_LINE: usize = 8 * 1024;

/// A connection that records the first line of what is read after each `start`. Clones share
/// the recording (async-h1's decoder needs a `Clone + Send + Sync` stream).
#[derive(Debug, Clone)]
pub(crate) struct Recorder {
    io: smol::net::TcpStream,
    line: Arc<Mutex<Line>>,
}

#[derive(Debug, Default)]
struct Line {
    bytes: Vec<u8>,
    /// Its `\n` has been read (or it grew past `MAX_LINE`): nothing more is recorded.
    is_done: bool,
}

impl Recorder {
    /// Wraps a connection.
    pub(crate) fn new(io: smol::net::TcpStream) -> Recorder {
        Recorder {
            io,
            line: Arc::default(),
        }
    }

    /// Forgets the last request line: the next bytes read begin a request head.
    pub(crate) fn start(&self) {
        let mut line = self.lock();
        line.bytes.clear();
        line.is_done = false;
    }

    /// The request target (the second word of the request line) recorded since `start`; empty
    /// when no whole line was read or it is not text.
    pub(crate) fn target(&self) -> String {
        let line = self.lock();
        if !line.is_done || line.bytes.len() > MAX_LINE {
            return String::new();
        }
        std::str::from_utf8(&line.bytes)
            .ok()
            .and_then(|text| text.trim_end_matches('\r').split(' ').nth(1))
            .unwrap_or_default()
            .to_owned()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Line> {
        self.line.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn record(&self, mut read: &[u8]) {
        let mut line = self.lock();
        if line.is_done {
            return;
        }
        if line.bytes.is_empty() {
            // Empty lines before a request line are allowed (RFC 9112 §2.2).
            let start = read.iter().position(|b| !matches!(b, b'\r' | b'\n'));
            read = &read[start.unwrap_or(read.len())..];
        }
        let end = read.iter().position(|&b| b == b'\n');
        let take = end
            .unwrap_or(read.len())
            .min(MAX_LINE + 1 - line.bytes.len());
        line.bytes.extend_from_slice(&read[..take]);
        line.is_done = end.is_some() || line.bytes.len() > MAX_LINE;
    }
}

impl AsyncRead for Recorder {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        let read = Pin::new(&mut self.io).poll_read(cx, buf);
        if let Poll::Ready(Ok(n)) = read {
            self.record(&buf[..n]);
        }
        read
    }
}

impl AsyncWrite for Recorder {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.io).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_close(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_close(cx)
    }
}

#[cfg(test)]
mod tests {
    use futures_lite::{AsyncReadExt, AsyncWriteExt};

    use super::*;

    /// A recorder over one end of a loopback connection, and the other end.
    fn pair() -> (Recorder, smol::net::TcpStream) {
        smol::block_on(async {
            let listener = smol::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let client = smol::net::TcpStream::connect(listener.local_addr().unwrap());
            let (client, accepted) = futures_lite::future::zip(client, listener.accept()).await;
            (Recorder::new(accepted.unwrap().0), client.unwrap())
        })
    }

    #[test]
    fn the_target_of_each_head_is_kept_even_when_read_in_pieces() {
        let (mut recorder, mut client) = pair();
        smol::block_on(async {
            client
                .write_all(b"\r\nGET /mcp\\..\\sessions HTTP/1.1\r\nhost: x\r\n\r\nPOST /mcp?a=b HTTP/1.1\r\n")
                .await
                .unwrap();
            recorder.start();
            // The first head is 44 bytes: 4 reads of 11, the first ending inside the line.
            let mut piece = [0u8; 11];
            for _ in 0..4 {
                recorder.read_exact(&mut piece).await.unwrap();
            }
            assert_eq!(recorder.target(), "/mcp\\..\\sessions");
            recorder.start();
            assert_eq!(recorder.target(), "", "nothing read since start");
            let mut rest = [0u8; 24];
            recorder.read_exact(&mut rest).await.unwrap();
            assert_eq!(recorder.target(), "/mcp?a=b");
        });
    }
}
