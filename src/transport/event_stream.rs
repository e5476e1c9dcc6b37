//! SSE framing and the stream writer: a local task that reads one stream of a session's event
//! log, writes each event as it is announced, sends keep-alive comments, and ends after the
//! stream's last event, when the session is deleted, or when the server drains (with a `retry:`
//! hint, so the client resumes with `Last-Event-ID`, through NGINX on another process). A
//! request's stream without a session has no event ids and no resumption: it stays open through
//! a drain until its request answers, and its client closing it cancels the request.

use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use futures_lite::{AsyncBufRead, AsyncRead, FutureExt, Stream};
use http_types::{Body, Response, StatusCode};
use mcpd_storage::{events_topic, Event, Store};

use crate::app::AppState;
use crate::outbox::ThrowawayLog;
use crate::session::Session;
use crate::transport::event_id::event_id;
use crate::transport::{lease, request};

/// Published on a session's events topic when the session ends: every stream closes.
pub const CLOSE_ALL: &str = "*";

/// The `retry:` hint (ms) sent to 2025-11-25 clients, and before a drain closes a stream.
pub const RETRY_MS: u64 = 1000;

/// One event as SSE: with an id on a session's stream (so it can be resumed), without one on a
/// request's own stream when there is no session (nothing could resume it).
fn frame(spec: &StreamSpec, event: &Event) -> Vec<u8> {
    if spec.throwaway.is_some() {
        return data_frame(&event.data);
    }
    format!(
        "id: {}\nevent: message\ndata: {}\n\n",
        event_id(&spec.key, &spec.stream, event.seq),
        event.data
    )
    .into_bytes()
}

/// A message event without an id.
pub fn data_frame(data: &str) -> Vec<u8> {
    format!("event: message\ndata: {data}\n\n").into_bytes()
}

/// An event with an id, a retry hint and empty data: the priming event of a 2025-11-25 stream,
/// and the last thing sent before a paused stream's connection closes.
pub fn priming(key: &str, stream: &str, seq: u64) -> Vec<u8> {
    format!(
        "id: {}\nretry: {RETRY_MS}\ndata: \n\n",
        event_id(key, stream, seq)
    )
    .into_bytes()
}

/// What the writer task needs to know about its stream.
#[derive(Debug)]
pub struct StreamSpec {
    /// Event-log key (session id or a throwaway key).
    pub key: String,
    /// Stream name within the log.
    pub stream: String,
    /// Replay events after this sequence number.
    pub after: u64,
    /// Bytes to send before any event (a priming event, the legacy `endpoint` event).
    pub first: Option<Vec<u8>>,
    /// The session the stream belongs to (counted in its open streams).
    pub session: Option<Rc<Session>>,
    /// The session's own stream (GET `/mcp`, legacy `/sse`): its "open" mark is cleared at the end.
    pub is_exclusive: bool,
    /// A request without a session: its log goes once this writer and the work are done.
    pub throwaway: Option<Rc<ThrowawayLog>>,
}

/// An SSE response whose body a task feeds through the returned [`Outlet`].
pub fn response() -> (Response, Outlet) {
    let (tx, rx) = async_channel::bounded(8);
    let (alive, hung_up) = async_channel::bounded::<()>(1);
    let mut res = Response::new(StatusCode::Ok);
    let reader = ChannelReader {
        rx: Box::pin(rx),
        chunk: Vec::new(),
        pos: 0,
        _alive: alive,
    };
    res.set_body(Body::from_reader(reader, None));
    res.insert_header("content-type", "text/event-stream");
    res.insert_header("cache-control", "no-cache, no-transform");
    res.insert_header("x-accel-buffering", "no");
    (res, Outlet { tx, hung_up })
}

/// Opens the SSE response for a stream and spawns its writer.
pub fn open(app: &Rc<AppState>, spec: StreamSpec) -> Response {
    let (res, outlet) = response();
    app.executor
        .spawn(write(app.clone(), spec, outlet))
        .detach();
    res
}

/// Counts a session's open streams, and clears its exclusive-stream mark, however a writer ends.
struct StreamMark<'a>(&'a StreamSpec);

impl<'a> StreamMark<'a> {
    fn new(spec: &'a StreamSpec) -> Self {
        if let Some(session) = &spec.session {
            session.open_streams.set(session.open_streams.get() + 1);
        }
        StreamMark(spec)
    }
}

impl Drop for StreamMark<'_> {
    fn drop(&mut self) {
        if let Some(session) = &self.0.session {
            session
                .open_streams
                .set(session.open_streams.get().saturating_sub(1));
            if self.0.is_exclusive {
                session.has_get_stream.set(false);
            }
        }
    }
}

/// The writer's end of an SSE response: where bytes go, and how it learns the client is gone.
#[derive(Debug)]
pub struct Outlet {
    tx: async_channel::Sender<Vec<u8>>,
    /// Closes when the response body (the client's connection) is dropped.
    hung_up: async_channel::Receiver<()>,
}

impl Outlet {
    /// Sends bytes; `false` once the client is gone.
    pub async fn send(&self, bytes: Vec<u8>) -> bool {
        self.tx.send(bytes).await.is_ok()
    }

    /// Resolves when the client is gone.
    pub async fn hung_up(&self) {
        let _ = self.hung_up.recv().await;
    }
}

enum Wake {
    HungUp,
    CheckLease,
    Announced(Option<String>),
    KeepAlive,
    Drain,
}

async fn write(app: Rc<AppState>, spec: StreamSpec, outlet: Outlet) {
    let _mark = StreamMark::new(&spec);
    pump(&app, &spec, &outlet).await;
    if spec.throwaway.is_some() {
        // Without a session nobody can resume the stream: its request is cancelled (a no-op
        // when it already answered).
        request::cancel(&app, &spec.key);
    }
}

/// Whether a reader resumes at its stream's last event (its request's result): then nothing
/// more will come, and the stream ends at once.
async fn resumes_after_the_end(app: &AppState, spec: &StreamSpec) -> bool {
    let Some(before) = spec.after.checked_sub(1) else {
        return false;
    };
    app.store
        .read_after(&spec.key, &spec.stream, before)
        .await
        .is_ok_and(|events| {
            events
                .first()
                .is_some_and(|e| e.seq == spec.after && e.is_last)
        })
}

async fn pump(app: &AppState, spec: &StreamSpec, outlet: &Outlet) {
    let tx = &outlet.tx;
    let Ok(announcements) = app.store.subscribe(&events_topic(&spec.key)).await else {
        return;
    };
    if let Some(first) = &spec.first {
        if tx.send(first.clone()).await.is_err() {
            return;
        }
    }
    if resumes_after_the_end(app, spec).await {
        return;
    }
    let mut after = spec.after;
    loop {
        let Ok(events) = app.store.read_after(&spec.key, &spec.stream, after).await else {
            return;
        };
        for event in events {
            after = event.seq;
            if event.is_last && event.data.is_empty() {
                return;
            }
            if event.data.is_empty() {
                let _ = tx.send(priming(&spec.key, &spec.stream, event.seq)).await;
                return;
            }
            if tx.send(frame(spec, &event)).await.is_err() || event.is_last {
                return;
            }
        }
        let keepalive = app.config.keepalive;
        let resumable = spec.throwaway.is_none();
        let watch_lease = resumable && lease::is_watched(&spec.stream);
        let wake = async { Wake::Announced(announcements.next().await) }
            .or(async {
                let _ = outlet.hung_up.recv().await;
                Wake::HungUp
            })
            .or(async {
                async_io::Timer::after(keepalive).await;
                Wake::KeepAlive
            })
            .or(async {
                // A stream nobody could resume stays open until its request answers (within
                // `--shutdown-grace`); the others are told to come back.
                if !resumable {
                    std::future::pending::<()>().await;
                }
                app.shutdown.wait().await;
                Wake::Drain
            })
            .or(async {
                if !watch_lease {
                    std::future::pending::<()>().await;
                }
                async_io::Timer::after(lease::RENEW_EVERY).await;
                Wake::CheckLease
            })
            .await;
        match wake {
            Wake::Announced(Some(m)) if m != CLOSE_ALL => {}
            Wake::Announced(_) | Wake::HungUp => return,
            Wake::CheckLease => lease::settle_if_orphaned(app, &spec.key, &spec.stream).await,
            Wake::KeepAlive => {
                if tx.send(b": keepalive\n\n".to_vec()).await.is_err() {
                    return;
                }
            }
            Wake::Drain => {
                let _ = tx.send(format!("retry: {RETRY_MS}\n\n").into_bytes()).await;
                return;
            }
        }
    }
}

/// An SSE body fed by the writer task through a channel; EOF when the writer ends.
struct ChannelReader {
    rx: Pin<Box<async_channel::Receiver<Vec<u8>>>>,
    chunk: Vec<u8>,
    pos: usize,
    /// Dropped with the reader, which tells the writer the client is gone.
    _alive: async_channel::Sender<()>,
}

impl AsyncBufRead for ChannelReader {
    fn poll_fill_buf(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<&[u8]>> {
        let this = self.get_mut();
        while this.pos >= this.chunk.len() {
            match this.rx.as_mut().poll_next(cx) {
                Poll::Ready(Some(chunk)) => {
                    this.chunk = chunk;
                    this.pos = 0;
                }
                Poll::Ready(None) => return Poll::Ready(Ok(&[])),
                Poll::Pending => return Poll::Pending,
            }
        }
        Poll::Ready(Ok(&this.chunk[this.pos..]))
    }

    fn consume(self: Pin<&mut Self>, amt: usize) {
        self.get_mut().pos += amt;
    }
}

impl AsyncRead for ChannelReader {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<std::io::Result<usize>> {
        let available = match self.as_mut().poll_fill_buf(cx) {
            Poll::Ready(Ok(data)) => data,
            Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
            Poll::Pending => return Poll::Pending,
        };
        let n = available.len().min(buf.len());
        buf[..n].copy_from_slice(&available[..n]);
        self.consume(n);
        Poll::Ready(Ok(n))
    }
}
