//! `subscriptions/listen` (2026-07-28): a long-lived SSE response carrying the changes a client
//! asked for. The acknowledgement comes first and lists what will be delivered; then every
//! matching change, from any process (`changes.rs`), each tagged with the subscription id (the
//! listen request's id); keep-alive comments every `--keepalive`. When the server drains, the
//! listen request gets its result (`resultType: complete`) and the stream ends; when the client
//! goes, the stream is freed. A client may hold several.

use std::rc::Rc;

use futures_lite::FutureExt;
use http_types::Response;
use mcpd_storage::{Store, Subscription};
use serde_json::{json, Map, Value};

use crate::app::{App, AppState};
use crate::changes::{self, Change, Listing};
use crate::error::Error;
use crate::jsonrpc::{self, RpcError};
use crate::sessionless::META_SUBSCRIPTION;
use crate::transport::event_stream::{self, data_frame, Outlet};
use crate::transport::inbound::store_down;

/// What one listen stream delivers.
#[derive(Debug, Default)]
struct Filter {
    tools: bool,
    prompts: bool,
    resources: bool,
    uris: Vec<String>,
}

impl Filter {
    /// Reads `params.notifications`; -32602 when it is not the spec's shape.
    fn read(params: &Value) -> Result<Filter, RpcError> {
        let bad = |why: &str| RpcError::invalid_params(format!("params.notifications: {why}"));
        let wanted = match params.get("notifications") {
            None | Some(Value::Null) => return Ok(Filter::default()),
            Some(Value::Object(wanted)) => wanted,
            Some(_) => return Err(bad("must be an object")),
        };
        let flag = |key: &str| match wanted.get(key) {
            None | Some(Value::Null) => Ok(false),
            Some(Value::Bool(on)) => Ok(*on),
            Some(_) => Err(bad(&format!("{key} must be a boolean"))),
        };
        let uris = match wanted.get("resourceSubscriptions") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(uris)) => uris
                .iter()
                .map(|u| u.as_str().map(str::to_owned))
                .collect::<Option<_>>()
                .ok_or_else(|| bad("resourceSubscriptions must hold strings"))?,
            Some(_) => return Err(bad("resourceSubscriptions must be an array")),
        };
        Ok(Filter {
            tools: flag("toolsListChanged")?,
            prompts: flag("promptsListChanged")?,
            resources: flag("resourcesListChanged")?,
            uris,
        })
    }

    /// What the acknowledgement says will be delivered (everything asked for).
    fn honoured(&self) -> Value {
        let mut out = Map::new();
        for (key, on) in [
            ("toolsListChanged", self.tools),
            ("promptsListChanged", self.prompts),
            ("resourcesListChanged", self.resources),
        ] {
            if on {
                out.insert(key.into(), true.into());
            }
        }
        if !self.uris.is_empty() {
            out.insert("resourceSubscriptions".into(), json!(self.uris));
        }
        Value::Object(out)
    }

    /// The notification a change becomes on this stream, if it asked for it.
    fn notification(&self, change: &Change) -> Option<(&'static str, Value)> {
        match change {
            Change::Listing(Listing::Tools) if self.tools => {
                Some(("notifications/tools/list_changed", json!({})))
            }
            Change::Listing(Listing::Prompts) if self.prompts => {
                Some(("notifications/prompts/list_changed", json!({})))
            }
            Change::Listing(Listing::Resources) if self.resources => {
                Some(("notifications/resources/list_changed", json!({})))
            }
            Change::Resource(uri) if self.uris.contains(uri) => {
                Some(("notifications/resources/updated", json!({ "uri": uri })))
            }
            _ => None,
        }
    }
}

/// Opens a listen stream for request `id`: following the changes topic first, so nothing
/// published after the acknowledgement is missed.
pub async fn open(app: &App, id: Value, params: &Value) -> Result<Response, Error> {
    let filter = Filter::read(params).map_err(|e| Error::Refused(id.clone(), e))?;
    let state = &app.state;
    let follow = state
        .store
        .subscribe(changes::TOPIC)
        .await
        .map_err(store_down)?;
    let (res, outlet) = event_stream::response();
    let task = deliver(state.clone(), id, filter, follow, outlet);
    state.executor.spawn(task).detach();
    Ok(res)
}

enum Wake {
    Change(Option<String>),
    KeepAlive,
    Drain,
    Gone,
}

/// A message of the stream, its `_meta` tagged with the subscription id.
fn tagged(method: &str, mut params: Value, id: &Value) -> Vec<u8> {
    params["_meta"] = json!({ META_SUBSCRIPTION: id });
    data_frame(&jsonrpc::notification(method, params).to_string())
}

async fn deliver(
    app: Rc<AppState>,
    id: Value,
    filter: Filter,
    follow: Subscription,
    outlet: Outlet,
) {
    let ack = json!({ "notifications": filter.honoured() });
    if !outlet
        .send(tagged("notifications/subscriptions/acknowledged", ack, &id))
        .await
    {
        return;
    }
    loop {
        let wake = async { Wake::Change(follow.next().await) }
            .or(async {
                outlet.hung_up().await;
                Wake::Gone
            })
            .or(async {
                async_io::Timer::after(app.config.keepalive).await;
                Wake::KeepAlive
            })
            .or(async {
                app.shutdown.wait().await;
                Wake::Drain
            })
            .await;
        let sent = match wake {
            Wake::Change(Some(text)) => match Change::decode(&text)
                .as_ref()
                .and_then(|c| filter.notification(c))
            {
                Some((method, params)) => outlet.send(tagged(method, params, &id)).await,
                None => true,
            },
            Wake::KeepAlive => outlet.send(b": keepalive\n\n".to_vec()).await,
            Wake::Drain => {
                let result =
                    json!({ "resultType": "complete", "_meta": { META_SUBSCRIPTION: id } });
                let _ = outlet
                    .send(data_frame(&jsonrpc::result(id, result).to_string()))
                    .await;
                return;
            }
            Wake::Change(None) | Wake::Gone => return,
        };
        if !sent {
            return;
        }
    }
}
