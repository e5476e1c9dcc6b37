//! The integration tests: one binary, all against the real server processes on 127.0.0.1.
//!
//! `every_store` holds the tests whose servers run on the store `MCPD_TEST_STORE` names
//! (memory, file or redis): `tests/run` runs them once per store. `once` holds the tests that
//! pick their stores themselves (Redis clusters, crash recovery) or need none (flags, sockets,
//! systemd): `tests/run` runs them once. Shared helpers are in `support`; topic modules use
//! nothing of each other.

mod support;

mod every_store {
    mod auth;
    mod jsonrpc;
    mod legacy;
    mod lifecycle;
    mod listen;
    mod mcp;
    mod routes;
    mod scopes;
    mod sessionless;
    mod status;
    mod streams;
}

mod once {
    mod admin;
    mod app;
    mod cluster;
    mod connection;
    mod failover;
    mod flags;
    mod mrtr;
    mod oauth;
    mod paths;
    mod proxy;
    mod stores;
    mod systemd;
}
