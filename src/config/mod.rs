//! Command-line flags (`mcpd --help` is the manual) turned into one validated [`Config`].
//!
//! Every default lives in `args.rs`, written once in the flag's help text. Nothing below `main` reads
//! argv or the environment: configuration flows flags → `Config` → code.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

mod access;
mod args;

pub use access::{Access, Introspection};
pub use args::Args;

/// Which backend keeps sessions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreKind {
    /// In this process (`--store memory`).
    Memory,
    /// In a database file in this directory (`--store file --data-dir DIR`).
    File(std::path::PathBuf),
    /// In Redis (`--store redis --redis-url URL`).
    Redis(String),
}

/// `url` with any password replaced by `****`, for anything that may be shown.
pub fn mask_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let authority_end = rest.find('/').unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => {
            let user = rest[..at]
                .split_once(':')
                .map_or(&rest[..at], |(user, _)| user);
            let masked = if rest[..at].contains(':') {
                format!("{user}:****")
            } else {
                "****".to_owned()
            };
            format!("{scheme}://{masked}{}", &rest[at..])
        }
        None => url.to_owned(),
    }
}

/// Log verbosity of mcpd's own stderr log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum LogLevel {
    /// Only failures.
    Error,
    /// Failures and oddities.
    Warn,
    /// Plus start, stop and lifecycle lines.
    Info,
    /// Plus one line per request.
    Debug,
}

/// The validated configuration; see [`Args`] for what each field means and its default.
#[derive(Debug, Clone)]
#[allow(missing_docs)]
pub struct Config {
    pub listen: SocketAddr,
    pub node_id: String,
    pub store: StoreKind,
    pub session_ttl: Duration,
    pub init_timeout: Duration,
    pub max_body: usize,
    pub max_sessions: usize,
    pub max_connections: usize,
    /// `None` means any origin.
    pub allowed_origins: Option<Vec<String>>,
    /// `None` means any host.
    pub allowed_hosts: Option<Vec<String>>,
    pub stateless: bool,
    pub json_response: bool,
    pub log_level: LogLevel,
    pub header_timeout: Duration,
    pub body_timeout: Duration,
    pub idle_timeout: Duration,
    pub keepalive: Duration,
    pub request_timeout: Duration,
    /// `None`: a random key per process.
    pub state_key_file: Option<std::path::PathBuf>,
    pub shutdown_grace: Duration,
    pub page_size: usize,
    pub event_retention: usize,
    /// Authentication and the admin routes.
    pub access: Access,
}

/// A flag whose value is unusable: names the flag and says why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlagError {
    /// The flag, e.g. `--port`.
    pub flag: &'static str,
    /// What is wrong with its value.
    pub reason: String,
}

impl std::fmt::Display for FlagError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.flag, self.reason)
    }
}

fn bad(flag: &'static str, reason: impl Into<String>) -> FlagError {
    FlagError {
        flag,
        reason: reason.into(),
    }
}

/// Parses `30s`, `15m`, `24h`, `500ms` or `2d` into a duration.
pub fn parse_duration(flag: &'static str, text: &str) -> Result<Duration, FlagError> {
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .ok_or_else(|| bad(flag, format!("'{text}' needs a unit: ms, s, m, h or d")))?;
    let (digits, unit) = text.split_at(split);
    let n: u64 = digits.parse().map_err(|_| {
        bad(
            flag,
            format!("'{text}' is not a duration like 30s, 15m or 24h"),
        )
    })?;
    let ms = match unit {
        "ms" => Some(n),
        "s" => n.checked_mul(1_000),
        "m" => n.checked_mul(60_000),
        "h" => n.checked_mul(3_600_000),
        "d" => n.checked_mul(86_400_000),
        _ => {
            return Err(bad(
                flag,
                format!("'{text}': unknown unit '{unit}' (ms, s, m, h or d)"),
            ))
        }
    };
    match ms {
        Some(0) => Err(bad(flag, "must be greater than zero")),
        Some(ms) => Ok(Duration::from_millis(ms)),
        None => Err(bad(flag, format!("'{text}' is too long"))),
    }
}

fn parse_list(text: &str) -> Option<Vec<String>> {
    let items: Vec<String> = text
        .split(',')
        .map(|s| s.trim().trim_end_matches('/').to_ascii_lowercase())
        .filter(|s| !s.is_empty())
        .collect();
    (!items.iter().any(|s| s == "*")).then_some(items)
}

fn is_loopback_name(host: &str) -> bool {
    matches!(host, "127.0.0.1" | "localhost" | "::1" | "[::1]")
}

/// Reads the machine's host name (for the default node id).
fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|s| s.trim().to_owned())
        .unwrap_or_default()
}

/// Keeps the characters a node id may hold, so the default is always valid.
fn sanitize_node_id(raw: &str) -> String {
    let id: String = raw
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .take(48)
        .collect();
    if id.is_empty() {
        "mcpd".into()
    } else {
        id
    }
}

impl Config {
    /// Validates the flags; the first bad one wins.
    pub fn from_args(args: Args) -> Result<Config, FlagError> {
        let ip: IpAddr = match args.host.as_str() {
            "localhost" => IpAddr::from([127, 0, 0, 1]),
            h => h
                .trim_matches(|c| c == '[' || c == ']')
                .parse()
                .map_err(|_| bad("--host", format!("'{h}' is not an IP address")))?,
        };
        let access = Access::from_args(&args)?;
        let node_id = match args.node_id.clone() {
            Some(id) => {
                let ok = !id.is_empty()
                    && id.len() <= 64
                    && id
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
                if !ok {
                    return Err(bad("--node-id", "use 1-64 letters, digits, '-' or '_'"));
                }
                id
            }
            None => sanitize_node_id(&format!("{}-{}", host_name(), args.port)),
        };
        let store = match args.store.as_str() {
            "memory" => StoreKind::Memory,
            "file" if args.data_dir.is_empty() => {
                return Err(bad("--data-dir", "must name a directory"))
            }
            "file" => StoreKind::File(args.data_dir.clone().into()),
            "redis"
                if !args.redis_url.starts_with("redis://")
                    && !args.redis_url.starts_with("rediss://") =>
            {
                return Err(bad("--redis-url", "must start with redis:// or rediss://"));
            }
            "redis" => StoreKind::Redis(args.redis_url.clone()),
            other => {
                return Err(bad(
                    "--store",
                    format!("unknown store '{other}' (memory, file or redis)"),
                ))
            }
        };
        let log_level = match args.log_level.as_str() {
            "error" => LogLevel::Error,
            "warn" => LogLevel::Warn,
            "info" => LogLevel::Info,
            "debug" => LogLevel::Debug,
            other => {
                return Err(bad(
                    "--log-level",
                    format!("'{other}' is not error, warn, info or debug"),
                ))
            }
        };
        let positive = |flag, n: usize| {
            if n == 0 {
                Err(bad(flag, "must be at least 1"))
            } else {
                Ok(n)
            }
        };
        let allowed_hosts = match &args.allowed_hosts {
            Some(list) => parse_list(list),
            None if ip.is_loopback() => Some(Vec::new()),
            None => {
                return Err(bad(
                    "--allowed-hosts",
                    format!(
                        "--host {ip} is reachable from other machines: name the Host values \
                         clients use (e.g. --allowed-hosts mcp.example.com), or --allowed-hosts '*'"
                    ),
                ))
            }
        };
        Ok(Config {
            listen: SocketAddr::new(ip, args.port),
            node_id,
            store,
            session_ttl: parse_duration("--session-ttl", &args.session_ttl)?,
            init_timeout: parse_duration("--init-timeout", &args.init_timeout)?,
            max_body: positive("--max-body", args.max_body)?,
            max_sessions: positive("--max-sessions", args.max_sessions)?,
            max_connections: positive("--max-connections", args.max_connections)?,
            allowed_origins: parse_list(&args.allowed_origins),
            allowed_hosts,
            stateless: args.stateless,
            json_response: args.json_response,
            log_level,
            header_timeout: parse_duration("--header-timeout", &args.header_timeout)?,
            body_timeout: parse_duration("--body-timeout", &args.body_timeout)?,
            idle_timeout: parse_duration("--idle-timeout", &args.idle_timeout)?,
            keepalive: parse_duration("--keepalive", &args.keepalive)?,
            request_timeout: parse_duration("--request-timeout", &args.request_timeout)?,
            state_key_file: (!args.state_key_file.is_empty())
                .then(|| args.state_key_file.clone().into()),
            shutdown_grace: parse_duration("--shutdown-grace", &args.shutdown_grace)?,
            page_size: positive("--page-size", args.page_size)?,
            event_retention: positive("--event-retention", args.event_retention)?,
            access,
        })
    }

    /// Whether a request's `Host` header names this server.
    pub fn is_allowed_host(&self, host: &str) -> bool {
        let name = match host.rfind(':') {
            Some(i) if !host[i..].contains(']') => &host[..i],
            _ => host,
        }
        .to_ascii_lowercase();
        match &self.allowed_hosts {
            None => true,
            Some(list) => is_loopback_name(&name) || list.contains(&name),
        }
    }

    /// Whether a browser `Origin` may talk to this server (absent Origins never reach here).
    pub fn is_allowed_origin(&self, origin: &str) -> bool {
        let origin = origin.trim_end_matches('/').to_ascii_lowercase();
        let host = origin.split_once("://").map_or("", |(_, rest)| rest);
        let name = match host.rfind(':') {
            Some(i) if !host[i..].contains(']') => &host[..i],
            _ => host,
        };
        match &self.allowed_origins {
            None => true,
            Some(list) => is_loopback_name(name) || list.contains(&origin),
        }
    }

    /// The configuration as JSON for `config://server`, passwords masked.
    pub fn to_json(&self) -> serde_json::Value {
        let ms = |d: Duration| d.as_millis() as u64;
        serde_json::json!({
            "listen": self.listen.to_string(),
            "nodeId": self.node_id,
            "store": match &self.store { StoreKind::Memory => "memory", StoreKind::File(_) => "file", StoreKind::Redis(_) => "redis" },
            "dataDir": match &self.store { StoreKind::File(dir) => Some(dir.display().to_string()), _ => None },
            "redisUrl": match &self.store { StoreKind::Redis(url) => Some(mask_password(url)), _ => None },
            "sessionTtlMs": ms(self.session_ttl),
            "initTimeoutMs": ms(self.init_timeout),
            "maxBody": self.max_body,
            "maxSessions": self.max_sessions,
            "maxConnections": self.max_connections,
            "allowedOrigins": self.allowed_origins.clone().unwrap_or_else(|| vec!["*".into()]),
            "allowedHosts": self.allowed_hosts.clone().unwrap_or_else(|| vec!["*".into()]),
            "stateless": self.stateless,
            "jsonResponse": self.json_response,
            "logLevel": format!("{:?}", self.log_level).to_ascii_lowercase(),
            "headerTimeoutMs": ms(self.header_timeout),
            "bodyTimeoutMs": ms(self.body_timeout),
            "idleTimeoutMs": ms(self.idle_timeout),
            "keepaliveMs": ms(self.keepalive),
            "requestTimeoutMs": ms(self.request_timeout),
            "stateKeyFile": self.state_key_file.as_ref().map(|f| f.display().to_string()),
            "shutdownGraceMs": ms(self.shutdown_grace),
            "pageSize": self.page_size,
            "eventRetention": self.event_retention,
            "publicUrl": self.access.public_url,
            "authentication": self.access.is_on(),
            "adminListen": self.access.admin_listen.map(|a| a.to_string()),
        })
    }
}
