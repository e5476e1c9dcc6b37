//! mcpd: a lean Model Context Protocol server for systemd services on VMs and edge boxes.
//!
//! One process runs one single-threaded executor; run one process per core behind NGINX.
//! The binary `mcpd` serves the sample content of [`sample`]; a server of your own is
//! [`run`] with a [`Registry`] of your tools, resources and prompts (see `registry.rs` and
//! `examples/everything/`). Every `mcpd` flag works for it too.
//!
//! # Layout
//! `config` (flags → `Config`), `server` (sockets, keep-alive, drain), `http` (`App::respond`:
//! routing and guards), `transport/` (Streamable HTTP, SSE framing, request serving), `outbox`
//! (the one path for server→client messages), `session`, `jsonrpc`, `protocol` (versions),
//! `mcp/` (the method dispatch and handlers), `registry` + `ctx` + `content` (the public API).
#![deny(unsafe_code)]
#![warn(missing_docs, missing_debug_implementations, rust_2018_idioms)]

pub mod admin;
pub mod app;
mod auth;
pub mod base64;
pub mod changes;
pub mod config;
pub mod content;
pub mod ctx;
pub mod error;
mod http;
pub mod ids;
pub mod jsonrpc;
pub mod log;
pub mod mcp;
pub mod notify;
pub mod outbox;
pub mod protocol;
pub mod registry;
mod request_line;
mod request_target;
pub mod sample;
pub mod server;
pub mod session;
pub mod sessionless;
pub mod sessions;
pub mod shutdown;
pub mod system;
pub mod transport;
pub mod trim;
pub mod uri_template;

use std::io::Write;
use std::net::TcpListener;
use std::rc::Rc;
use std::time::Duration;

use argh::FromArgs;
use async_io::Async;
use futures_lite::StreamExt;
use mcpd_storage::{AnyStore, FileStore, MemoryStore, RedisStore, Store};
use smol::LocalExecutor;

pub use app::App;
pub use auth::Principal;
pub use changes::Listing;
pub use config::Config;
pub use ctx::Ctx;
pub use jsonrpc::RpcError;
pub use mcp::logging::Level;
pub use registry::{Outcome, Prompt, Registry, Resource, ResourceTemplate, Tool};

/// Exit status for unusable flags.
const EXIT_USAGE: i32 = 2;

/// Parses the flags, serves `registry` until SIGTERM/SIGINT, and exits: 0 after a clean drain,
/// 2 for bad flags (one line naming the flag), 1 when the server cannot start.
pub fn run(registry: Registry) -> ! {
    let argv: Vec<String> = std::env::args().collect();
    let name = argv
        .first()
        .map_or("mcpd", |a| a.rsplit('/').next().unwrap_or(a));
    let rest: Vec<&str> = argv.iter().skip(1).map(String::as_str).collect();
    let args = match config::Args::from_args(&[name], &rest) {
        Ok(args) => args,
        Err(exit) if exit.status.is_ok() => {
            println!("{}", exit.output);
            std::process::exit(0)
        }
        Err(exit) => {
            let first = exit.output.lines().next().unwrap_or("bad arguments");
            eprintln!("{name}: {first} (see {name} --help)");
            std::process::exit(EXIT_USAGE)
        }
    };
    let config = match Config::from_args(args) {
        Ok(config) => config,
        Err(e) => {
            eprintln!("{name}: {e}");
            std::process::exit(EXIT_USAGE)
        }
    };
    std::process::exit(match serve(config, registry) {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("{name}: {e}");
            1
        }
    })
}

/// Binds, serves until a signal, drains. Prints `mcpd listening on http://ADDR/mcp` on stdout
/// once ready (tests and scripts read the port from it when `--port 0`).
pub fn serve(config: Config, registry: Registry) -> std::io::Result<()> {
    log::init(config.log_level);
    // async-h1 answers `Expect: 100-continue` from a task on async-global-executor, which
    // otherwise starts one thread per CPU: one is plenty (stack-notes.md, pitfall 8).
    async_global_executor::init_with_config(
        async_global_executor::GlobalExecutorConfig::default()
            .with_min_threads(1)
            .with_max_threads(1),
    );
    let listener = Async::<TcpListener>::bind(config.listen).map_err(|e| {
        std::io::Error::new(e.kind(), format!("cannot listen on {}: {e}", config.listen))
    })?;
    let local = listener.get_ref().local_addr()?;
    let admin_listener = match config.access.admin_listen {
        Some(addr) => Some(Async::<TcpListener>::bind(addr).map_err(|e| {
            std::io::Error::new(
                e.kind(),
                format!("--admin-listen: cannot listen on {addr}: {e}"),
            )
        })?),
        None => None,
    };
    let mut config = config;
    if config.access.public_url.is_none() {
        // The default public URL names the port actually bound (`--port 0` picks one).
        config.access.public_url = Some(format!("http://{local}/mcp"));
    }
    let executor = Rc::new(LocalExecutor::new());
    let (trigger, shutdown) = shutdown::Shutdown::new();
    let store = open_store(&config)?;
    let app = App::new(config, registry, store, executor.clone(), shutdown.clone())?;
    let mut signals =
        async_signal::Signals::new([async_signal::Signal::Term, async_signal::Signal::Int])?;
    let admin_local = match &admin_listener {
        Some(l) => Some(l.get_ref().local_addr()?),
        None => None,
    };
    let mut banner = format!(
        "mcpd listening on http://{local}/mcp (node {}, store {}",
        app.config().node_id,
        app.state.store.kind()
    );
    if let Some(admin) = admin_local {
        banner.push_str(&format!(", admin on {admin}"));
    }
    banner.push(')');
    if !local.ip().is_loopback() && !app.state.auth.is_on() {
        log::warn(format_args!(
            "authentication is off on {local}: anyone who reaches it can call every tool (see --auth-issuer, --auth-tokens-file)"
        ));
    }
    let mut hangups = async_signal::Signals::new([async_signal::Signal::Hup])?;
    let mut stdout = std::io::stdout();
    let _ = writeln!(stdout, "{banner}").and_then(|()| stdout.flush());
    log::info(format_args!("listening on {local}"));
    let notifier = Rc::new(notify::Notifier::from_service_manager());
    notifier.notify("READY=1");
    smol::block_on(executor.run(async {
        if let Some(every) = notifier.watchdog_interval() {
            let pinger = notifier.clone();
            let pings = async move {
                loop {
                    pinger.notify("WATCHDOG=1");
                    async_io::Timer::after(every).await;
                }
            };
            executor.spawn(pings).detach();
        }
        let stopping = notifier.clone();
        executor
            .spawn(async move {
                if let Some(Ok(signal)) = signals.next().await {
                    log::info(format_args!("{signal:?} received: draining"));
                }
                stopping.notify("STOPPING=1");
                trigger.fire();
            })
            .detach();
        executor
            .spawn(sweep(app.clone(), shutdown.clone()))
            .detach();
        let deliveries = app.clone();
        executor
            .spawn(async move { deliveries.state.store.run().await })
            .detach();
        executor.spawn(follow_endings(app.clone())).detach();
        let issuer = app.clone();
        executor
            .spawn(async move { issuer.state.auth.follow_issuer().await })
            .detach();
        let reloads = app.clone();
        executor
            .spawn(async move {
                while let Some(Ok(_)) = hangups.next().await {
                    reloads.state.auth.reload();
                }
            })
            .detach();
        if let Some(admin) = admin_listener {
            let side = server::run(admin, app.admin_side(), shutdown.clone());
            executor.spawn(side).detach();
        }
        server::run(listener, app, shutdown).await;
    }));
    log::info(format_args!("stopped"));
    Ok(())
}

/// Opens the store `--store` names (the file store fails here if another process holds it).
fn open_store(config: &Config) -> std::io::Result<AnyStore> {
    let unusable = |e: mcpd_storage::Error| std::io::Error::other(e.to_string());
    Ok(match &config.store {
        config::StoreKind::Memory => AnyStore::Memory(MemoryStore::new(config.event_retention)),
        config::StoreKind::File(dir) => {
            AnyStore::File(FileStore::open(dir, config.event_retention).map_err(unusable)?)
        }
        config::StoreKind::Redis(url) => AnyStore::Redis(
            RedisStore::open(url, config.event_retention, config.session_ttl).map_err(unusable)?,
        ),
    })
}

/// Keeps this node's session copies in step with endings elsewhere, resubscribing after a
/// store outage.
async fn follow_endings(app: App) {
    let state = &app.state;
    loop {
        if let Err(e) = state.sessions.follow_endings(&state.store).await {
            log::debug(format_args!("session endings not followed: {e}"));
        }
        async_io::Timer::after(Duration::from_secs(1)).await;
    }
}

/// Expires idle sessions without a request touching them.
async fn sweep(app: App, shutdown: shutdown::Shutdown) {
    let config = app.config();
    let shortest = config.session_ttl.min(config.init_timeout);
    let every = (shortest / 4).clamp(Duration::from_millis(50), Duration::from_secs(60));
    while !shutdown.is_draining() {
        async_io::Timer::after(every).await;
        let state = &app.state;
        match state.sessions.sweep(&state.store).await {
            Ok(0) => {}
            Ok(n) => {
                log::debug(format_args!("{n} idle session(s) expired"));
                trim::release_free_memory();
            }
            Err(e) => log::warn(format_args!("sweep failed: {e}")),
        }
    }
}
