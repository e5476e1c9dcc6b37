//! `App::respond`: routing, the Host/Origin guard, the body limit and response helpers. No
//! sockets here, so tests can call it directly.

use std::time::Duration;

use futures_lite::{AsyncReadExt, FutureExt};
use http_types::{Body, Method, Request, Response, StatusCode};
use mcpd_storage::Store;
use serde_json::{json, Value};

use crate::app::App;
use crate::jsonrpc::{self, RpcError, TRANSPORT_ERROR};
use crate::transport::streamable;

/// A response that ends a request early (guards use `Result<_, Response>` and `?`).
pub type Reject = Response;

impl App {
    /// Answers one HTTP request.
    pub async fn respond(&self, req: Request) -> Response {
        let path = req.url().path().to_owned();
        let method = req.method();
        let res = match path.as_str() {
            "/health" if req.method() == Method::Get => self.health().await,
            "/health" => method_not_allowed("GET"),
            "/mcp" => match self.guard(&req) {
                Ok(()) => streamable::handle(self, req).await,
                Err(reject) => reject,
            },
            _ => rpc_error(
                StatusCode::NotFound,
                &RpcError::new(TRANSPORT_ERROR, format!("Not found: {path}")),
            ),
        };
        if crate::log::is_debug() {
            crate::log::debug(format_args!("{method} {path} -> {}", res.status()));
        }
        res
    }

    /// DNS-rebinding protection: `Host` must name this server and `Origin`, when present, must be
    /// allowed (403 otherwise).
    fn guard(&self, req: &Request) -> Result<(), Reject> {
        let config = self.config();
        let host = header(req, "host").unwrap_or("");
        if !config.is_allowed_host(host) {
            return Err(rpc_error(
                StatusCode::Forbidden,
                &RpcError::new(TRANSPORT_ERROR, format!("Invalid Host: {host}")),
            ));
        }
        if let Some(origin) = header(req, "origin") {
            if !config.is_allowed_origin(origin) {
                let e = RpcError::new(TRANSPORT_ERROR, format!("Invalid Origin: {origin}"));
                return Err(rpc_error(StatusCode::Forbidden, &e));
            }
        }
        Ok(())
    }

    /// `GET /health`: 200 when the store is reachable, 503 otherwise.
    async fn health(&self) -> Response {
        let state = &self.state;
        let is_ready = state.store.is_ready().await;
        let body = json!({
            "status": if is_ready { "ok" } else { "unavailable" },
            "nodeId": state.config.node_id,
            "version": env!("CARGO_PKG_VERSION"),
            "uptimeSeconds": state.started.elapsed().as_secs(),
            "sessions": state.sessions.count(),
            "store": state.store.kind(),
            "draining": state.shutdown.is_draining(),
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

/// A JSON-RPC error that could not be tied to a request (`id: null`) with an HTTP status.
pub fn rpc_error(status: StatusCode, error: &RpcError) -> Response {
    json_response(status, &jsonrpc::error(Value::Null, error))
}

/// 405 with the methods that are allowed.
pub fn method_not_allowed(allow: &str) -> Response {
    let mut res = rpc_error(
        StatusCode::MethodNotAllowed,
        &RpcError::new(TRANSPORT_ERROR, "Method not allowed"),
    );
    res.insert_header("allow", allow);
    res
}

/// 202 with an empty body.
pub fn accepted() -> Response {
    let mut res = Response::new(StatusCode::Accepted);
    res.set_body(Body::empty());
    res.remove_header("content-type");
    res
}

/// 503 with `Retry-After`, for when a limit is reached or the store is down.
pub fn unavailable(message: &str, retry_after: Duration) -> Response {
    let mut res = rpc_error(
        StatusCode::ServiceUnavailable,
        &RpcError::new(TRANSPORT_ERROR, message),
    );
    res.insert_header("retry-after", retry_after.as_secs().max(1).to_string());
    res
}

/// A rejection that also closes the connection, because the request body was left unread.
fn closing(status: StatusCode, message: &str) -> Reject {
    let mut res = rpc_error(status, &RpcError::new(TRANSPORT_ERROR, message));
    res.insert_header("connection", "close");
    res
}

/// Reads the body, at most `max` bytes within `deadline`: 413 (unread, connection closed) when
/// it is larger, 408 when it is too slow.
pub async fn read_body(
    req: &mut Request,
    max: usize,
    deadline: Duration,
) -> Result<Vec<u8>, Reject> {
    if req.len().is_some_and(|len| len > max) {
        return Err(closing(
            StatusCode::PayloadTooLarge,
            &format!("Body larger than {max} bytes"),
        ));
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
        None => Err(closing(
            StatusCode::RequestTimeout,
            "Body not received in time",
        )),
        Some(Err(_)) => Err(closing(StatusCode::BadRequest, "Body could not be read")),
        Some(Ok(_)) if buf.len() > max => Err(closing(
            StatusCode::PayloadTooLarge,
            &format!("Body larger than {max} bytes"),
        )),
        Some(Ok(_)) => Ok(buf),
    }
}
