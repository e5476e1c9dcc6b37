//! The socket side: accept loop, connection cap, one task per connection running our own
//! keep-alive loop over async-h1's decoder and encoder, timeouts, and the graceful drain.
//!
//! We do not use `async_h1::accept` (stack-notes.md §3): it has a fixed 60 s header timer on a
//! second reactor thread, closes the socket without a response on malformed requests, and drains
//! whole oversized bodies. Here: idle, header and body deadlines come from `Config`; malformed
//! heads get 400/431/505; a body left unread beyond a small allowance closes the connection.
//! A request target that could be read as another path is refused (400) before routing
//! (`request_target.rs`), on the raw text a `Recorder` keeps (`request_line.rs`).

use std::cell::Cell;
use std::net::{TcpListener, TcpStream};
use std::rc::Rc;
use std::time::Duration;

use async_h1::server::{decode, Encoder};
use async_io::{Async, Timer};
use futures_lite::{io, AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, FutureExt};
use http_types::{Method, Response, StatusCode};

use crate::app::App;
use crate::error::Error;
use crate::request_line::Recorder;
use crate::request_target;
use crate::shutdown::Shutdown;

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
/// connections and requests in flight to finish.
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
        let executor = app.state.executor.clone();
        let connection = async move {
            let Some((io, res)) = serve(app.clone(), stream, shutdown).await else {
                return drop(guard);
            };
            // An SSE stream may stay open for hours: it gets a task of its own, sized for the
            // stream alone, and the request loop's task ends (the connection closes after it).
            let stream_out = async move {
                let _ = send_stream(&io, res).await;
                drop(guard);
            };
            app.state.executor.spawn(stream_out).detach();
        };
        executor.spawn(connection).detach();
    }
    drop(listener);
    drop(done_tx);
    let in_flight = app.state.in_flight.borrow().len();
    crate::log::info(format_args!(
        "draining {} connection(s), {in_flight} request(s) in flight",
        open.get()
    ));
    let state = app.state.clone();
    let drained = async move {
        let _ = done_rx.recv().await;
        // Requests still running have no connection any more (their streams were closed with a
        // retry hint); their results go to the event log, where a resumed stream finds them.
        while !state.in_flight.borrow().is_empty() {
            Timer::after(Duration::from_millis(20)).await;
        }
    };
    if timeout(config.shutdown_grace, drained).await.is_none() {
        crate::log::warn(format_args!("--shutdown-grace ran out with work in flight"));
    }
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

/// The socket and the SSE response a connection ends with.
type Handoff = (smol::net::TcpStream, Response);

/// One connection's keep-alive loop, until it closes, or until a response is an SSE stream,
/// which it hands back to be written by a task of its own.
async fn serve(app: App, stream: Async<TcpStream>, shutdown: Shutdown) -> Option<Handoff> {
    let io = smol::net::TcpStream::from(stream);
    let recorder = Recorder::new(io.clone());
    loop {
        let mut probe = [0u8; 1];
        let waiting = async { timeout(app.config().idle_timeout, io.peek(&mut probe)).await }
            .or(async {
                shutdown.wait().await;
                None
            })
            .await;
        if !matches!(waiting, Some(Ok(n)) if n > 0) {
            return None;
        }
        recorder.start();
        let decoding = Box::pin(decode(recorder.clone()));
        let (req, body) = match timeout(app.config().header_timeout, decoding).await {
            Some(Ok(Some(decoded))) => decoded,
            Some(Ok(None)) => return None,
            Some(Err(e)) => {
                reject_on(&io, Error::MalformedHttp(decode_status(&e), e.to_string())).await;
                return None;
            }
            None => {
                reject_on(&io, Error::Timeout("Request head")).await;
                return None;
            }
        };
        let target = recorder.target();
        if let Err(refusal) = request_target::check_routed(&target, req.url().path()) {
            if crate::log::is_debug() {
                crate::log::debug(format_args!(
                    "{} {target:?} -> 400: {refusal}",
                    req.method()
                ));
            }
            let why = refusal.to_string();
            reject_on(&io, Error::MalformedHttp(StatusCode::BadRequest, why)).await;
            return None;
        }
        let method = req.method();
        let is_close = |v: Option<&http_types::headers::HeaderValues>| {
            v.is_some_and(|v| v.as_str().eq_ignore_ascii_case("close"))
        };
        let client_closes = is_close(req.header("connection"));
        let res = Box::pin(app.respond(req)).await;
        let server_closes = is_close(res.header("connection"));
        if res
            .content_type()
            .is_some_and(|m| m.essence() == "text/event-stream")
        {
            return Some((io, res));
        }
        if Box::pin(send(&io, res, method)).await.is_err() || client_closes || server_closes {
            return None;
        }
        let mut rest = body.take(DRAIN_ALLOWANCE + 1);
        match timeout(
            app.config().body_timeout,
            io::copy(&mut rest, &mut io::sink()),
        )
        .await
        {
            Some(Ok(n)) if n <= DRAIN_ALLOWANCE => {}
            _ => return None,
        }
    }
}

/// Writes a plain response through async-h1's encoder and an 8 KiB buffer (head and body in one
/// write).
async fn send(io: &smol::net::TcpStream, res: Response, method: Method) -> std::io::Result<()> {
    let mut buf = vec![0u8; 8 * 1024];
    let mut encoder = Encoder::new(res, method);
    let mut out = io.clone();
    loop {
        let n = encoder.read(&mut buf).await?;
        if n == 0 {
            return Ok(());
        }
        out.write_all(&buf[..n]).await?;
    }
}

/// Writes an SSE response without the encoder: the head, then each event as one chunk in one
/// write, straight from the body's own buffer; the connection closes after it. Only the body
/// stays in memory while the stream is open (no response object, no copy buffer), and a watcher
/// notices at once when the client hangs up (a write alone would only find out at the next event
/// or keep-alive).
async fn send_stream(io: &smol::net::TcpStream, res: Response) -> std::io::Result<()> {
    write_stream(io, res)
        .or(async {
            hung_up(io).await;
            Err(std::io::ErrorKind::ConnectionReset.into())
        })
        .await
}

async fn write_stream(io: &smol::net::TcpStream, mut res: Response) -> std::io::Result<()> {
    let status = res.status();
    let mut head = format!(
        "HTTP/1.1 {} {}\r\n",
        status as u16,
        status.canonical_reason()
    );
    for (name, values) in res.iter() {
        for value in values.iter() {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
    }
    head.push_str("transfer-encoding: chunked\r\nconnection: close\r\n\r\n");
    let mut body = res.take_body();
    drop(res);
    let mut out = io.clone();
    out.write_all(head.as_bytes()).await?;
    drop(head);
    loop {
        let chunk = body.fill_buf().await?;
        if chunk.is_empty() {
            return out.write_all(b"0\r\n\r\n").await;
        }
        let n = chunk.len();
        let mut frame = Vec::with_capacity(n + 12);
        frame.extend_from_slice(format!("{n:x}\r\n").as_bytes());
        frame.extend_from_slice(chunk);
        frame.extend_from_slice(b"\r\n");
        body.consume(n);
        out.write_all(&frame).await?;
    }
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
