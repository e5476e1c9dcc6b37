//! MCP transports over HTTP: Streamable HTTP at `/mcp`, and the SSE framing they share.

pub mod event_stream;
pub mod inbound;
pub mod lease;
pub mod request;
pub mod sse;
pub mod streamable;
