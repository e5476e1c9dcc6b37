//! MCP transports over HTTP: Streamable HTTP at `/mcp` (sessionful and sessionless), the legacy
//! HTTP+SSE transport, and the SSE framing they share.

pub mod event_id;
pub mod event_stream;
pub mod inbound;
pub mod lease;
pub mod listen;
pub mod request;
pub mod sessionless;
pub mod sse;
pub mod streamable;
