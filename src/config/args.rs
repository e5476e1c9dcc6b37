//! The command-line flags, as argh reads them: each field's doc comment is its `--help` line,
//! default included. `Config::from_args` (in `mod.rs`) validates them.

use argh::FromArgs;

/// mcpd: a lean Model Context Protocol server (Streamable HTTP at /mcp).
#[derive(FromArgs, Debug)]
pub struct Args {
    /// address to listen on (default: 127.0.0.1; use 0.0.0.0 for all interfaces)
    #[argh(option, default = "String::from(\"127.0.0.1\")")]
    pub host: String,
    /// TCP port to listen on; 0 picks a free one (default: 3000)
    #[argh(option, default = "3000")]
    pub port: u16,
    /// this process's name, the prefix of its session ids: letters, digits, '-' and '_'
    /// (default: host name and port, e.g. edge1-3000)
    #[argh(option)]
    pub node_id: Option<String>,
    /// session store: memory (this process only), file (survives restarts; see --data-dir),
    /// redis (shared by every node; see --redis-url) (default: memory)
    #[argh(option, default = "String::from(\"memory\")")]
    pub store: String,
    /// directory of the file store's database, created if missing (default: /var/lib/mcpd)
    #[argh(option, default = "String::from(\"/var/lib/mcpd\")")]
    pub data_dir: String,
    /// the redis store's server, redis://[:password@]host:port[/db]; the password never appears
    /// in logs, /health or config://server (default: redis://127.0.0.1:6379)
    #[argh(option, default = "String::from(\"redis://127.0.0.1:6379\")")]
    pub redis_url: String,
    /// idle time after which a session expires, e.g. 30s, 15m, 24h (default: 24h)
    #[argh(option, default = "String::from(\"24h\")")]
    pub session_ttl: String,
    /// largest request body in bytes; larger ones get 413 (default: 4194304)
    #[argh(option, default = "4 * 1024 * 1024")]
    pub max_body: usize,
    /// most live sessions; more get 503 with Retry-After (default: 10000)
    #[argh(option, default = "10_000")]
    pub max_sessions: usize,
    /// most open connections; more are answered 503 and closed (default: 10000)
    #[argh(option, default = "10_000")]
    pub max_connections: usize,
    /// extra allowed Origin values, comma-separated, or * for any; loopback origins are always
    /// allowed (default: none)
    #[argh(option, default = "String::new()")]
    pub allowed_origins: String,
    /// extra allowed Host header names, comma-separated, or * for any; loopback names are always
    /// allowed (default: none, or * when --host is not a loopback address)
    #[argh(option)]
    pub allowed_hosts: Option<String>,
    /// serve every request on its own: no session ids, GET and DELETE /mcp answer 405
    #[argh(switch)]
    pub stateless: bool,
    /// answer every request with one JSON body, never an SSE stream; notifications then go to the
    /// session's GET stream
    #[argh(switch)]
    pub json_response: bool,
    /// what mcpd logs to stderr: error, warn, info or debug (default: info)
    #[argh(option, default = "String::from(\"info\")")]
    pub log_level: String,
    /// time allowed to send a request's head (default: 10s)
    #[argh(option, default = "String::from(\"10s\")")]
    pub header_timeout: String,
    /// time allowed to send a request's body (default: 30s)
    #[argh(option, default = "String::from(\"30s\")")]
    pub body_timeout: String,
    /// time an idle keep-alive connection stays open (default: 60s)
    #[argh(option, default = "String::from(\"60s\")")]
    pub idle_timeout: String,
    /// interval of keep-alive comments on open SSE streams (default: 15s)
    #[argh(option, default = "String::from(\"15s\")")]
    pub keepalive: String,
    /// how long a server-to-client request (sampling, elicitation) waits for the answer
    /// (default: 60s)
    #[argh(option, default = "String::from(\"60s\")")]
    pub request_timeout: String,
    /// file holding the key that signs 2026-07-28 MRTR requestState (at least 32 bytes of
    /// text); created with a random key if missing. Give every process behind one load balancer
    /// the same file so any of them can serve a retry (default: a random key per process)
    #[argh(option, default = "String::new()")]
    pub state_key_file: String,
    /// on SIGTERM/SIGINT, how long in-flight requests may take before exit (default: 10s)
    #[argh(option, default = "String::from(\"10s\")")]
    pub shutdown_grace: String,
    /// time a session has to finish initialize (send notifications/initialized) before it is
    /// dropped (default: 60s)
    #[argh(option, default = "String::from(\"60s\")")]
    pub init_timeout: String,
    /// items per page of tools/list, resources/list, prompts/list (default: 100)
    #[argh(option, default = "100")]
    pub page_size: usize,
    /// SSE events kept per session for replay (default: 1000)
    #[argh(option, default = "1000")]
    pub event_retention: usize,
    /// the URL clients use for the MCP endpoint, e.g. https://mcp.example.com/mcp: the resource
    /// of the protected-resource metadata and the default --auth-audience; https unless on
    /// loopback (default: http://<host>:<port>/mcp)
    #[argh(option)]
    pub public_url: Option<String>,
    /// the OAuth authorization server whose JWT access tokens are accepted (turns
    /// authentication on); https unless on loopback (default: none)
    #[argh(option)]
    pub auth_issuer: Option<String>,
    /// where the issuer's signing keys are (default: the jwks_uri of the issuer's metadata)
    #[argh(option)]
    pub auth_jwks_url: Option<String>,
    /// RFC 7662 introspection endpoint checking opaque tokens (turns authentication on; needs
    /// --auth-client-file) (default: none)
    #[argh(option)]
    pub auth_introspection_url: Option<String>,
    /// file (mode 0600) holding the client id and secret mcpd introspects with, one per line
    /// (default: none)
    #[argh(option)]
    pub auth_client_file: Option<String>,
    /// the audience (RFC 8707 resource) a token must be issued for (default: --public-url)
    #[argh(option)]
    pub auth_audience: Option<String>,
    /// scopes every MCP request needs, space-separated (default: none beyond a valid token)
    #[argh(option, default = "String::new()")]
    pub auth_scopes: String,
    /// static bearer tokens, one "subject sha256-hex-of-token [scope ...]" per line (turns
    /// authentication on; reloaded on SIGHUP) (default: none)
    #[argh(option)]
    pub auth_tokens_file: Option<String>,
    /// file holding the bearer token that opens GET /sessions and DELETE /sessions/:id, on the
    /// MCP port and on --admin-listen (default: none: not served on the MCP port)
    #[argh(option)]
    pub admin_token_file: Option<String>,
    /// also serve /sessions and /health on ADDR:PORT, for operators and scrapers; a bare PORT
    /// means 127.0.0.1:PORT (default: none)
    #[argh(option)]
    pub admin_listen: Option<String>,
}
