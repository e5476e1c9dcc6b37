//! SSE framing and the stream writer: a local task that reads one stream of a session's event
//! log, writes each event as it is announced, sends keep-alive comments, and ends after the
//! stream's last event, when the session is deleted, or (GET streams) when the server drains.

use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use futures_lite::{AsyncBufRead, AsyncRead, FutureExt, Stream};
use http_types::{Body, Response, StatusCode};
use mcpd_storage::{events_topic, Event, Store};

use crate::app::AppState;
use crate::outbox::{ThrowawayLog, GET_STREAM};
use crate::session::Session;

/// Published on a session's events topic when the session ends: every stream closes.
pub const CLOSE_ALL: &str = "*";

/// The `retry:` hint (ms) sent to 2025-11-25 clients, and before a drain closes a stream.
pub const RETRY_MS: u64 = 1000;

/// The wire id of an event: `<stream>_<seq>`, so a `Last-Event-ID` names its stream.
pub fn event_id(stream: &str, seq: u64) -> String {
    format!("{stream}_{seq}")
}

/// Splits a `Last-Event-ID` into stream and sequence number.
pub fn parse_event_id(id: &str) -> Option<(&str, u64)> {
    let (stream, seq) = id.rsplit_once('_')?;
    let is_name = !stream.is_empty() && stream.bytes().all(|b| b.is_ascii_alphanumeric());
    is_name.then_some(())?;
    Some((stream, seq.parse().ok()?))
}

fn frame(stream: &str, event: &Event) -> Vec<u8> {
    format!(
        "id: {}\nevent: message\ndata: {}\n\n",
        event_id(stream, event.seq),
        event.data
    )
    .into_bytes()
}

/// The priming event of a 2025-11-25 stream: an id to resume from, a retry hint, empty data.
pub fn priming(stream: &str, after: u64) -> Vec<u8> {
    format!(
        "id: {}\nretry: {RETRY_MS}\ndata: \n\n",
        event_id(stream, after)
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
    /// Bytes to send before any event (a priming event).
    pub first: Option<Vec<u8>>,
    /// The session whose GET stream this is (cleared when it ends).
    pub get_of: Option<Rc<Session>>,
    /// A request without a session: its log goes once this writer and the work are done.
    pub throwaway: Option<Rc<ThrowawayLog>>,
}

/// Opens the SSE response for a stream and spawns its writer.
pub fn open(app: &Rc<AppState>, spec: StreamSpec) -> Response {
    let (tx, rx) = async_channel::bounded(8);
    app.executor.spawn(write(app.clone(), spec, tx)).detach();
    let mut res = Response::new(StatusCode::Ok);
    res.set_body(Body::from_reader(
        ChannelReader {
            rx: Box::pin(rx),
            chunk: Vec::new(),
            pos: 0,
        },
        None,
    ));
    res.insert_header("content-type", "text/event-stream");
    res.insert_header("cache-control", "no-cache, no-transform");
    res.insert_header("x-accel-buffering", "no");
    res
}

/// Clears a session's "GET stream open" mark however the writer ends.
struct GetStreamMark(Option<Rc<Session>>);

impl Drop for GetStreamMark {
    fn drop(&mut self) {
        if let Some(session) = &self.0 {
            session.has_get_stream.set(false);
        }
    }
}

enum Wake {
    Announced(Option<String>),
    KeepAlive,
    Drain,
}

async fn write(app: Rc<AppState>, spec: StreamSpec, tx: async_channel::Sender<Vec<u8>>) {
    let _mark = GetStreamMark(spec.get_of.clone());
    pump(&app, &spec, &tx).await;
}

async fn pump(app: &AppState, spec: &StreamSpec, tx: &async_channel::Sender<Vec<u8>>) {
    let Ok(announcements) = app.store.subscribe(&events_topic(&spec.key)).await else {
        return;
    };
    if let Some(first) = &spec.first {
        if tx.send(first.clone()).await.is_err() {
            return;
        }
    }
    let mut after = spec.after;
    let is_get = spec.stream == GET_STREAM;
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
                let _ = tx.send(priming(&spec.stream, event.seq)).await;
                return;
            }
            if tx.send(frame(&spec.stream, &event)).await.is_err() || event.is_last {
                return;
            }
        }
        let keepalive = app.config.keepalive;
        let wake = async { Wake::Announced(announcements.next().await) }
            .or(async {
                async_io::Timer::after(keepalive).await;
                Wake::KeepAlive
            })
            .or(async {
                if !is_get {
                    std::future::pending::<()>().await;
                }
                app.shutdown.wait().await;
                Wake::Drain
            })
            .await;
        match wake {
            Wake::Announced(Some(m)) if m != CLOSE_ALL => {}
            Wake::Announced(_) => return,
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
