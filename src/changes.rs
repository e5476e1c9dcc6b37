//! Changes that `subscriptions/listen` streams follow, on every process: a listing changed, or a
//! resource did. They travel on one store topic, so with `--store redis` a change made on one
//! node reaches the listen streams of all of them.

use mcpd_storage::Store;

use crate::app::AppState;

/// The store topic changes are published on.
pub const TOPIC: &str = "changes";

/// A listing a handler can say has changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Listing {
    /// `tools/list`.
    Tools,
    /// `prompts/list`.
    Prompts,
    /// `resources/list` (and the templates).
    Resources,
}

/// One change, as published.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// A listing changed: `notifications/<kind>/list_changed`.
    Listing(Listing),
    /// A resource changed: `notifications/resources/updated` for its uri.
    Resource(String),
}

impl Change {
    /// The wire text on the topic.
    pub fn encode(&self) -> String {
        match self {
            Change::Listing(Listing::Tools) => "tools".into(),
            Change::Listing(Listing::Prompts) => "prompts".into(),
            Change::Listing(Listing::Resources) => "resources".into(),
            Change::Resource(uri) => format!("uri:{uri}"),
        }
    }

    /// Reads what [`Change::encode`] wrote.
    pub fn decode(text: &str) -> Option<Change> {
        match text {
            "tools" => Some(Change::Listing(Listing::Tools)),
            "prompts" => Some(Change::Listing(Listing::Prompts)),
            "resources" => Some(Change::Listing(Listing::Resources)),
            _ => text
                .strip_prefix("uri:")
                .map(|u| Change::Resource(u.into())),
        }
    }
}

/// Publishes a change to every process's listen streams.
pub async fn publish(app: &AppState, change: Change) {
    if let Err(e) = app.store.publish(TOPIC, &change.encode()).await {
        crate::log::warn(format_args!(
            "change {} not announced: {e}",
            change.encode()
        ));
    }
}
