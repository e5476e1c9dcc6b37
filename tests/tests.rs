//! The integration tests: one binary, one module per topic, all against the real server
//! processes on 127.0.0.1:0.

mod app;
mod connection;
mod flags;
mod jsonrpc;
mod legacy;
mod lifecycle;
mod mcp;
mod routes;
mod status;
mod streams;
mod support;
