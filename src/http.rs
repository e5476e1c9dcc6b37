//! `App::respond`: routing, the Host/Origin guard, the body limit and response helpers. No
//! sockets here, so tests can call it directly.
//!
//! Who may call each route:
//!
//! | route | who |
//! |---|---|
//! | `/health` | anyone (no session ids, no client data) |
//! | `/.well-known/oauth-protected-resource[/<path of --public-url>]` | anyone (RFC 9728 metadata; served with `--auth-issuer`) |
//! | `/mcp`, `/mcp/v1/init`, `/mcp/v1/message`, `/mcp/v1/stream/:id`, `/sse`, `/sse/:id`, `/messages`, `/message` | a valid bearer token when authentication is on (`auth/`), else anyone; a session only its creator (`inbound::session`) |
//! | `/sessions`, `/sessions/:id` | on the MCP port only with `--admin-token-file`, and then only that token; on `--admin-listen`, that token when the file is given (`admin.rs`) |
//!
//! Everything but `/health` and the metadata sits behind the Host/Origin guard.

use std::time::Duration;

use futures_lite::{AsyncReadExt, FutureExt};
use http_types::{Body, Method, Request, Response, StatusCode};
use mcpd_storage::Store;
use serde_json::{json, Value};

use crate::admin;
use crate::app::{App, Side};
use crate::error::Error;
use crate::transport::sse;
use crate::transport::streamable::{self, Route};

impl App {
    /// Answers one HTTP request.
    pub async fn respond(&self, req: Request) -> Response {
        let path = req.url().path().to_owned();
        let method = req.method();
        let res = if path == "/health" {
            match method {
                Method::Get => self.health().await,
                _ => Error::MethodNotAllowed("GET").into_response(),
            }
        } else if let Some(metadata) = self.metadata(&path, method) {
            metadata
        } else if self.state.shutdown.is_draining() {
            // Not started, so safe to send elsewhere: NGINX retries it on another process.
            let mut res = Error::Unavailable(
                "this process is shutting down".into(),
                Duration::from_secs(1),
            )
            .into_response();
            res.insert_header("connection", "close");
            res
        } else {
            match self.guard(&req) {
                Ok(()) => self.route(req, &path).await,
                Err(refused) => refused.into_response(),
            }
        };
        if crate::log::is_debug() {
            crate::log::debug(format_args!("{method} {path} -> {}", res.status()));
        }
        res
    }

    /// The protected-resource metadata, on the MCP side when `path` is where it is served.
    fn metadata(&self, path: &str, method: Method) -> Option<Response> {
        if self.side != Side::Mcp {
            return None;
        }
        let metadata = self.state.auth.metadata_at(path)?;
        Some(match method {
            Method::Get => metadata,
            _ => Error::MethodNotAllowed("GET").into_response(),
        })
    }

    /// The MCP and admin routes (all behind the Host/Origin guard): the admin ones only for
    /// the admin token, the MCP ones only for a caller the gate lets in.
    async fn route(&self, mut req: Request, path: &str) -> Response {
        let mut segments = path.trim_start_matches('/').splitn(4, '/');
        let parts = (
            segments.next(),
            segments.next(),
            segments.next(),
            segments.next(),
        );
        if let (Some("sessions"), _, None, _) = parts {
            if !admin::admits(self, &req) {
                return Error::NotFound(path.to_owned()).into_response();
            }
            return match parts.1 {
                None => admin::list(self, &req),
                Some(id) => admin::end(self, &req, id).await,
            };
        }
        if self.side == Side::Admin {
            return Error::NotFound(path.to_owned()).into_response();
        }
        let is_mcp = matches!(
            parts,
            (Some("mcp"), None, ..)
                | (Some("mcp"), Some("v1"), Some("init" | "message"), None)
                | (Some("mcp"), Some("v1"), Some("stream"), Some(_))
                | (Some("sse"), _, None, _)
                | (Some("messages" | "message"), None, ..)
        );
        if !is_mcp {
            return Error::NotFound(path.to_owned()).into_response();
        }
        let auth = &self.state.auth;
        match auth.check(&req).await {
            Ok(Some(principal)) => {
                req.ext_mut().insert(principal);
            }
            Ok(None) => {}
            Err(refusal) => return auth.refuse(refusal),
        }
        match parts {
            (Some("mcp"), None, ..) => streamable::handle(self, req, Route::Endpoint).await,
            (Some("mcp"), Some("v1"), Some("init" | "message"), None) => {
                streamable::handle(self, req, Route::PostAlias).await
            }
            (Some("mcp"), Some("v1"), Some("stream"), Some(id)) => {
                streamable::handle(self, req, Route::StreamAlias(id)).await
            }
            (Some("sse"), None, ..) => sse::open(self, req, None).await,
            (Some("sse"), Some(id), None, _) => sse::open(self, req, Some(id)).await,
            (Some("messages" | "message"), None, ..) => sse::post(self, req).await,
            _ => Error::NotFound(path.to_owned()).into_response(),
        }
    }

    /// DNS-rebinding protection: `Host` must name this server and `Origin`, when present, must be
    /// allowed (403 otherwise).
    fn guard(&self, req: &Request) -> Result<(), Error> {
        let config = self.config();
        let host = header(req, "host").unwrap_or("");
        if !config.is_allowed_host(host) {
            return Err(Error::Forbidden(format!("Invalid Host: {host}")));
        }
        match header(req, "origin") {
            Some(origin) if !config.is_allowed_origin(origin) => {
                Err(Error::Forbidden(format!("Invalid Origin: {origin}")))
            }
            _ => Ok(()),
        }
    }

    /// `GET /health`: 200 when the store is reachable and the process is not draining, 503
    /// otherwise.
    async fn health(&self) -> Response {
        let state = &self.state;
        let is_ready = !state.shutdown.is_draining() && state.store.is_ready().await;
        let body = json!({
            "status": if is_ready { "ok" } else { "unavailable" },
            "nodeId": state.config.node_id,
            "version": env!("CARGO_PKG_VERSION"),
            "uptimeSeconds": state.started.elapsed().as_secs(),
            "sessions": state.sessions.count(),
            "store": state.store.kind(),
            "draining": state.shutdown.is_draining(),
            // Cached tokens keep working while the issuer is down, so it does not make the
            // process unready; it is reported for operators.
            "issuer": match (state.config.access.issuer.is_some(), state.auth.issuer_reachable()) {
                (false, _) => None,
                (true, true) => Some("reachable"),
                (true, false) => Some("unreachable"),
            },
        });
        let status = if is_ready {
            StatusCode::Ok
        } else {
            StatusCode::ServiceUnavailable
        };
        json_response(status, &body)
    }
}

/// A header's value as text.
pub fn header<'a>(req: &'a Request, name: &str) -> Option<&'a str> {
    req.header(name).map(|v| v.as_str())
}

/// A JSON body with `status`.
pub fn json_response(status: StatusCode, body: &Value) -> Response {
    let mut res = Response::new(status);
    res.set_body(Body::from_bytes(
        serde_json::to_vec(body).unwrap_or_default(),
    ));
    res.insert_header("content-type", "application/json");
    res
}

/// An empty body with `status` (202 for notifications, 200 for DELETE).
pub fn empty(status: StatusCode) -> Response {
    let mut res = Response::new(status);
    res.set_body(Body::empty());
    res.remove_header("content-type");
    res
}

/// Reads the body, at most `max` bytes within `deadline`: 413 (unread, connection closed) when
/// it is larger, 408 when it is too slow.
pub async fn read_body(
    req: &mut Request,
    max: usize,
    deadline: Duration,
) -> Result<Vec<u8>, Error> {
    if req.len().is_some_and(|len| len > max) {
        return Err(Error::BodyTooLarge(max));
    }
    let mut body = req.take_body().take(max as u64 + 1);
    let mut buf = Vec::with_capacity(req.len().unwrap_or(0).min(max));
    let read = async { Some(body.read_to_end(&mut buf).await) }
        .or(async {
            async_io::Timer::after(deadline).await;
            None
        })
        .await;
    match read {
        None => Err(Error::Timeout("Body")),
        Some(Err(e)) => Err(Error::MalformedHttp(
            StatusCode::BadRequest,
            format!("unreadable body: {e}"),
        )),
        Some(Ok(_)) if buf.len() > max => Err(Error::BodyTooLarge(max)),
        Some(Ok(_)) => Ok(buf),
    }
}
