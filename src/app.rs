//! The application: configuration, content, store and sessions, shared by every request.
//!
//! `App` is a cheap handle (`Rc`); everything runs on the one executor thread, so state uses
//! `Cell`/`RefCell` and no locks. [`App::respond`] (in `http.rs`) turns a request into a response
//! without touching a socket.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;
use std::time::Instant;

use mcpd_storage::AnyStore;
use smol::LocalExecutor;

use crate::config::Config;
use crate::registry::Registry;
use crate::sessions::Sessions;
use crate::shutdown::Shutdown;

/// A handle on the shared state.
#[derive(Clone, Debug)]
pub struct App {
    pub(crate) state: Rc<AppState>,
}

/// What every request shares.
#[derive(Debug)]
pub struct AppState {
    /// The validated flags.
    pub config: Config,
    /// Tools, resources, prompts.
    pub registry: Registry,
    /// The chosen backend.
    pub store: AnyStore,
    /// This node's sessions.
    pub sessions: Sessions,
    /// Runs request work that outlives the first poll, and SSE stream writers.
    pub executor: Rc<LocalExecutor<'static>>,
    /// Fires once, when the process starts draining.
    pub shutdown: Shutdown,
    /// When the process started (for `/health` and `system://info`).
    pub started: Instant,
    /// Cancel handles of requests still running, by `session|request-id`; dropping one cancels.
    pub in_flight: RefCell<HashMap<String, async_channel::Sender<()>>>,
    /// Source of stream names and server→client request ids, unique in this process.
    pub counter: Cell<u64>,
}

impl App {
    /// Builds the application state.
    pub fn new(
        config: Config,
        registry: Registry,
        store: AnyStore,
        executor: Rc<LocalExecutor<'static>>,
        shutdown: Shutdown,
    ) -> std::io::Result<App> {
        let sessions = Sessions::new(&config)?;
        Ok(App {
            state: Rc::new(AppState {
                config,
                registry,
                store,
                sessions,
                executor,
                shutdown,
                started: Instant::now(),
                in_flight: RefCell::default(),
                counter: Cell::new(0),
            }),
        })
    }

    /// The validated configuration.
    pub fn config(&self) -> &Config {
        &self.state.config
    }
}

impl AppState {
    /// A number not handed out before in this process.
    pub fn next_number(&self) -> u64 {
        let n = self.counter.get() + 1;
        self.counter.set(n);
        n
    }
}
