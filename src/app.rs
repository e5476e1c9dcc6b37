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

use crate::auth::Auth;
use crate::config::Config;
use crate::registry::Registry;
use crate::sessionless::state::StateKey;
use crate::sessions::Sessions;
use crate::shutdown::Shutdown;

/// A handle on the shared state, for one side of the process.
#[derive(Clone, Debug)]
pub struct App {
    pub(crate) state: Rc<AppState>,
    /// Which listener this handle answers.
    pub(crate) side: Side,
}

/// The listener a request came in on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    /// The MCP port: MCP routes, `/health`, the metadata (and the admin routes with
    /// `--admin-token-file`).
    Mcp,
    /// `--admin-listen`: `/health` and the admin routes only.
    Admin,
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
    /// Source of stream names, throwaway log keys and server→client request ids.
    pub counter: Cell<u64>,
    /// Random letters drawn at start that make those names unique across processes and restarts
    /// (several nodes share a Redis; a restarted node finds its old logs in the store).
    pub name_prefix: String,
    /// Signs and checks sessionless `requestState` (`--state-key-file`).
    pub state_key: StateKey,
    /// The authentication gate (`--auth-*`).
    pub auth: Auth,
    /// The token of `--admin-token-file`.
    pub admin_token: Option<String>,
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
        let name_prefix = sessions.alphanumeric(8);
        let state_key = StateKey::load(config.state_key_file.as_deref()).map_err(|e| {
            let file = config
                .state_key_file
                .as_deref()
                .unwrap_or(std::path::Path::new(""));
            std::io::Error::other(format!("--state-key-file {}: {e}", file.display()))
        })?;
        let auth = Auth::new(&config)?;
        let admin_token = match &config.access.admin_token_file {
            Some(file) => Some(crate::admin::load_token(file).map_err(|e| {
                std::io::Error::other(format!("--admin-token-file {}: {e}", file.display()))
            })?),
            None => None,
        };
        Ok(App {
            side: Side::Mcp,
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
                name_prefix,
                state_key,
                auth,
                admin_token,
            }),
        })
    }

    /// The same application answering on the admin listener (`--admin-listen`).
    pub fn admin_side(&self) -> App {
        App {
            state: self.state.clone(),
            side: Side::Admin,
        }
    }

    /// The validated configuration.
    pub fn config(&self) -> &Config {
        &self.state.config
    }
}

impl AppState {
    /// A name not handed out before by any process: `kind`, this process's prefix, a counter.
    pub fn unique_name(&self, kind: char) -> String {
        let n = self.counter.get() + 1;
        self.counter.set(n);
        format!("{kind}{}{n}", self.name_prefix)
    }
}
