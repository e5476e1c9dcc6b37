//! The integration tests: one binary, one module per topic, all against the real server
//! processes on 127.0.0.1:0.

mod app;
mod backing;
mod client;
mod cluster;
mod connection;
mod failover;
mod flags;
mod jsonrpc;
mod legacy;
mod lifecycle;
mod listen;
mod mcp;
mod mrtr;
mod nginx;
#[path = "../storage/tests/redis_server/mod.rs"]
mod redis_server;
mod routes;
mod sessionless;
mod status;
mod stores;
mod streams;
mod support;
mod systemd;
