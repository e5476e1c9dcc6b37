//! What a read off a stream found (`Next`: an item, the end, or nothing within the wait) and
//! SSE events as the tests see them.

use std::fmt::Debug;

use serde_json::Value;

/// The outcome of one read with a deadline: never `Option`, so "the stream ended" and "nothing
/// arrived in time" cannot be mistaken for each other.
#[derive(Debug)]
pub enum Next<T> {
    /// A chunk, an event or a line arrived.
    Item(T),
    /// The peer ended the stream (the terminating chunk, or the connection closed).
    End,
    /// Nothing (more) arrived before the deadline; the stream is still open.
    Timeout,
}

impl<T: Debug> Next<T> {
    /// The item; panics naming `what` was expected and what happened instead.
    pub fn expect_item(self, what: &str) -> T {
        match self {
            Next::Item(item) => item,
            Next::End => panic!("expected {what}, but the stream ended"),
            Next::Timeout => panic!("expected {what}, but nothing arrived in time"),
        }
    }

    /// `Item` and `End` pass; a timeout panics naming `what` was awaited.
    pub fn or_timeout_panic(self, what: &str) -> Next<T> {
        if let Next::Timeout = self {
            panic!("expected {what} or the end, but nothing arrived in time");
        }
        self
    }

    /// What happened, for a failure message.
    pub fn describe(&self) -> String {
        match self {
            Next::Item(item) => format!("{item:?}"),
            Next::End => "the stream ended".to_owned(),
            Next::Timeout => "nothing more arrived".to_owned(),
        }
    }
}

/// One SSE event.
#[derive(Debug, Clone, Default)]
pub struct Event {
    pub id: Option<String>,
    pub event: Option<String>,
    pub data: String,
    pub retry: Option<u64>,
}

impl Event {
    /// The data as JSON; panics (showing the data) when it is not JSON.
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.data)
            .unwrap_or_else(|e| panic!("event data is not JSON ({e}): {self:?}"))
    }

    /// Whether it carries a message (priming events and `retry:` hints carry none).
    pub fn has_data(&self) -> bool {
        !self.data.is_empty()
    }
}

/// One block of SSE fields; `None` when it holds only comments.
pub fn parse_event(block: &str) -> Option<Event> {
    let mut event = Event::default();
    let mut seen = false;
    for line in block.lines() {
        let (field, value) = line.split_once(':').unwrap_or((line, ""));
        let value = value.strip_prefix(' ').unwrap_or(value);
        match field {
            "id" => event.id = Some(value.to_owned()),
            "event" => event.event = Some(value.to_owned()),
            "data" => event.data.push_str(value),
            "retry" => event.retry = value.parse().ok(),
            _ => continue,
        }
        seen = true;
    }
    seen.then_some(event)
}

/// The JSON of the events that carry a message.
pub fn messages(events: &[Event]) -> Vec<Value> {
    events
        .iter()
        .filter(|e| e.has_data())
        .map(Event::json)
        .collect()
}
