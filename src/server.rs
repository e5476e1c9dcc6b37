//! The socket side: accept loop, connection cap, one task per connection running our own
//! keep-alive loop over async-h1's decoder and encoder, timeouts, and the graceful drain.
//!
//! We do not use `async_h1::accept` (stack-notes.md §3): it has a fixed 60 s header timer on a
//! second reactor thread, closes the socket without a response on malformed requests, and drains
//! whole oversized bodies. Here: idle, header and body deadlines come from `Config`; malformed
//! heads get 400/431/505; a body left unread beyond a small allowance closes the connection.

use std::cell::Cell;
use std::net::{TcpListener, TcpStream};
use std::rc::Rc;
use std::time::Duration;

use async_h1::server::{decode, Encoder};
use async_io::{Async, Timer};
use futures_lite::{io, AsyncReadExt, AsyncWriteExt, FutureExt};
use http_types::{Method, Response, StatusCode};

use crate::app::App;
use crate::error::Error;
use crate::shutdown::Shutdown;

/// The write buffer of an SSE response: events are small, and an open stream keeps it.
const STREAM_BUFFER: usize = 1024;

/// Unread request body a keep-alive connection may skip past; more closes the connection.
const DRAIN_ALLOWANCE: u64 = 64 * 1024;

/// Counts open connections; dropping it also tells the drain that one more has finished.
struct ConnectionGuard {
    open: Rc<Cell<usize>>,
    _done: async_channel::Sender<()>,
}

impl Drop for ConnectionGuard {
    fn drop(&mut self) {
        self.open.set(self.open.get() - 1);
    }
}

async fn timeout<T>(after: Duration, work: impl std::future::Future<Output = T>) -> Option<T> {
    async { Some(work.await) }
        .or(async {
            Timer::after(after).await;
            None
        })
        .await
}

/// Serves `listener` until `shutdown` fires, then waits up to `--shutdown-grace` for open
/// connections to finish.
pub async fn run(listener: Async<TcpListener>, app: App, shutdown: Shutdown) {
    let open = Rc::new(Cell::new(0usize));
    let (done_tx, done_rx) = async_channel::bounded::<()>(1);
    let config = app.config().clone();
    loop {
        let accepted = async { Some(listener.accept().await) }
            .or(async {
                shutdown.wait().await;
                None
            })
            .await;
        let (stream, _peer) = match accepted {
            None => break,
            Some(Ok(conn)) => conn,
            Some(Err(e)) => {
                crate::log::warn(format_args!("accept failed: {e}"));
                Timer::after(Duration::from_millis(50)).await;
                continue;
            }
        };
        let _ = stream.get_ref().set_nodelay(true);
        if open.get() >= config.max_connections {
            let refusal = Error::Unavailable("too many connections".into(), Duration::from_secs(1));
            let io = smol::net::TcpStream::from(stream);
            app.state
                .executor
                .spawn(async move { reject_on(&io, refusal).await })
                .detach();
            continue;
        }
        open.set(open.get() + 1);
        let guard = ConnectionGuard {
            open: open.clone(),
            _done: done_tx.clone(),
        };
        let app = app.clone();
        let shutdown = shutdown.clone();
        app.state
            .executor
            .clone()
            .spawn(async move {
                serve(app, stream, shutdown).await;
                drop(guard);
            })
            .detach();
    }
    drop(listener);
    drop(done_tx);
    crate::log::info(format_args!("draining {} connection(s)", open.get()));
    timeout(config.shutdown_grace, done_rx.recv()).await;
}

fn decode_status(error: &http_types::Error) -> StatusCode {
    let text = error.to_string();
    if text.contains("Head byte length") || text.contains("too many headers") {
        StatusCode::RequestHeaderFieldsTooLarge
    } else if text.contains("Unsupported HTTP version") {
        StatusCode::HttpVersionNotSupported
    } else {
        StatusCode::BadRequest
    }
}

/// One connection's keep-alive loop.
async fn serve(app: App, stream: Async<TcpStream>, shutdown: Shutdown) {
    let io = smol::net::TcpStream::from(stream);
    loop {
        let mut probe = [0u8; 1];
        let waiting = async { timeout(app.config().idle_timeout, io.peek(&mut probe)).await }
            .or(async {
                shutdown.wait().await;
                None
            })
            .await;
        if !matches!(waiting, Some(Ok(n)) if n > 0) {
            return;
        }
        let (req, body) =
            match timeout(app.config().header_timeout, Box::pin(decode(io.clone()))).await {
                Some(Ok(Some(decoded))) => decoded,
                Some(Ok(None)) => return,
                Some(Err(e)) => {
                    reject_on(&io, Error::MalformedHttp(decode_status(&e), e.to_string())).await;
                    return;
                }
                None => {
                    reject_on(&io, Error::Timeout("Request head")).await;
                    return;
                }
            };
        let method = req.method();
        let is_close = |v: Option<&http_types::headers::HeaderValues>| {
            v.is_some_and(|v| v.as_str().eq_ignore_ascii_case("close"))
        };
        let client_closes = is_close(req.header("connection"));
        let res = Box::pin(app.respond(req)).await;
        let server_closes = is_close(res.header("connection"));
        if send(&io, res, method).await.is_err() {
            return;
        }
        if client_closes || server_closes {
            return;
        }
        let mut rest = body.take(DRAIN_ALLOWANCE + 1);
        match timeout(
            app.config().body_timeout,
            io::copy(&mut rest, &mut io::sink()),
        )
        .await
        {
            Some(Ok(n)) if n <= DRAIN_ALLOWANCE => {}
            _ => return,
        }
    }
}

/// Writes a response. A plain body goes out through an 8 KiB buffer (head and body in one
/// write); an SSE stream, which may stay open for hours, through a small one, while a watcher
/// notices at once when the client hangs up (a write alone would only find out at the next
/// event or keep-alive).
async fn send(io: &smol::net::TcpStream, res: Response, method: Method) -> std::io::Result<()> {
    let is_stream = res
        .content_type()
        .is_some_and(|m| m.essence() == "text/event-stream");
    let mut buf = vec![0u8; if is_stream { STREAM_BUFFER } else { 8 * 1024 }];
    let mut encoder = Encoder::new(res, method);
    let mut out = io.clone();
    let copy = async {
        loop {
            let n = encoder.read(&mut buf).await?;
            if n == 0 {
                return Ok(());
            }
            out.write_all(&buf[..n]).await?;
        }
    };
    if !is_stream {
        return copy.await;
    }
    copy.or(async {
        hung_up(io).await;
        Err(std::io::ErrorKind::ConnectionReset.into())
    })
    .await
}

/// Resolves when the peer closes its side of the connection (it sends nothing while it reads a
/// stream; if it does send something, this stops watching and the next write finds out).
async fn hung_up(io: &smol::net::TcpStream) {
    let mut probe = [0u8; 1];
    match io.peek(&mut probe).await {
        Ok(0) | Err(_) => {}
        Ok(_) => std::future::pending().await,
    }
}

/// Writes one response and closes the connection.
async fn reject_on(io: &smol::net::TcpStream, error: Error) {
    let mut res = error.into_response();
    res.insert_header("connection", "close");
    let _ = send(io, res, Method::Get).await;
}
