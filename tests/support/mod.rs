//! What the integration tests share: the real server processes (`server`), the store they run
//! on (`backing`, `redis_server`), a cluster behind the real NGINX (`cluster`, `nginx`), a
//! stand-in for mcpd that shows what NGINX sends it (`upstream`), the HTTP client whose reads
//! tell an end from a timeout (`client`, `sse`), 2026-07-28 requests (`modern`), waiting for a
//! condition (`wait`) and for child processes the tests start themselves (`process`). Topic
//! modules use these, never each other.

pub mod backing;
pub mod client;
pub mod cluster;
pub mod issuer;
pub mod modern;
pub mod nginx;
pub mod process;
#[path = "../../storage/tests/redis_server/mod.rs"]
pub mod redis_server;
pub mod response;
pub mod server;
pub mod sse;
pub mod tokens;
pub mod upstream;
pub mod wait;

pub use backing::Backing;
pub use client::*;
pub use response::Response;
pub use server::Server;

/// `GET /health`'s status.
pub fn health(server: &Server) -> u16 {
    server.client().request("GET", "/health", &[], "").status
}
