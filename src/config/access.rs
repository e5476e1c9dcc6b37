//! Who may call what, as the flags say it: authentication of MCP requests (`--auth-*`,
//! `--public-url`) and the admin routes (`--admin-*`), validated into [`Access`].

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;

use super::args::Args;
use super::{bad, FlagError};

/// Opaque tokens checked by RFC 7662 introspection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Introspection {
    /// The introspection endpoint.
    pub url: String,
    /// The file holding mcpd's client id and secret (mode 0600, checked at start).
    pub client_file: PathBuf,
}

/// The validated `--auth-*`, `--public-url` and `--admin-*` flags.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Access {
    /// `--public-url`; `None`: `http://<bound address>/mcp`, known once bound.
    pub public_url: Option<String>,
    /// `--auth-issuer`: JWT access tokens of this issuer are accepted.
    pub issuer: Option<String>,
    /// `--auth-jwks-url`; `None`: from the issuer's metadata.
    pub jwks_url: Option<String>,
    /// `--auth-introspection-url` with `--auth-client-file`.
    pub introspection: Option<Introspection>,
    /// `--auth-audience`; `None`: the public URL.
    pub audience: Option<String>,
    /// `--auth-scopes`: scopes every MCP request needs.
    pub scopes: Vec<String>,
    /// `--auth-tokens-file`: static bearer tokens.
    pub tokens_file: Option<PathBuf>,
    /// `--admin-token-file`: the admin routes' bearer token.
    pub admin_token_file: Option<PathBuf>,
    /// `--admin-listen`: a listener of its own for the admin routes and `/health`.
    pub admin_listen: Option<SocketAddr>,
}

impl Access {
    /// Whether MCP requests need a token (any of issuer, introspection or tokens file).
    pub fn is_on(&self) -> bool {
        self.issuer.is_some() || self.introspection.is_some() || self.tokens_file.is_some()
    }

    /// Validates the flags; the first bad one wins.
    pub(super) fn from_args(args: &Args) -> Result<Access, FlagError> {
        let url = |flag, value: &Option<String>| -> Result<Option<String>, FlagError> {
            value.as_deref().map(|u| checked_url(flag, u)).transpose()
        };
        let introspection =
            match (&args.auth_introspection_url, &args.auth_client_file) {
                (Some(u), Some(file)) => Some(Introspection {
                    url: checked_url("--auth-introspection-url", u)?,
                    client_file: path("--auth-client-file", file)?,
                }),
                (Some(_), None) => return Err(bad(
                    "--auth-client-file",
                    "--auth-introspection-url needs the client id and secret mcpd introspects with",
                )),
                (None, Some(_)) => {
                    return Err(bad(
                        "--auth-client-file",
                        "is only used with --auth-introspection-url",
                    ))
                }
                (None, None) => None,
            };
        let access = Access {
            public_url: url("--public-url", &args.public_url)?,
            issuer: url("--auth-issuer", &args.auth_issuer)?,
            jwks_url: url("--auth-jwks-url", &args.auth_jwks_url)?,
            introspection,
            audience: match args.auth_audience.as_deref() {
                Some("") => return Err(bad("--auth-audience", "must not be empty")),
                other => other.map(str::to_owned),
            },
            scopes: args
                .auth_scopes
                .split_whitespace()
                .map(str::to_owned)
                .collect(),
            tokens_file: args
                .auth_tokens_file
                .as_deref()
                .map(|f| path("--auth-tokens-file", f))
                .transpose()?,
            admin_token_file: args
                .admin_token_file
                .as_deref()
                .map(|f| path("--admin-token-file", f))
                .transpose()?,
            admin_listen: args
                .admin_listen
                .as_deref()
                .map(admin_address)
                .transpose()?,
        };
        if access.jwks_url.is_some() && access.issuer.is_none() {
            return Err(bad("--auth-jwks-url", "needs --auth-issuer"));
        }
        let public_admin = access.admin_listen.is_some_and(|a| !a.ip().is_loopback());
        if public_admin && access.admin_token_file.is_none() {
            return Err(bad(
                "--admin-listen",
                "a non-loopback address needs --admin-token-file",
            ));
        }
        Ok(access)
    }
}

fn path(flag: &'static str, text: &str) -> Result<PathBuf, FlagError> {
    if text.is_empty() {
        return Err(bad(flag, "must name a file"));
    }
    Ok(PathBuf::from(text))
}

/// `PORT` (on 127.0.0.1) or `ADDR:PORT`.
fn admin_address(text: &str) -> Result<SocketAddr, FlagError> {
    if let Ok(port) = text.parse::<u16>() {
        return Ok(SocketAddr::from(([127, 0, 0, 1], port)));
    }
    text.parse().map_err(|_| {
        bad(
            "--admin-listen",
            format!("'{text}' is not PORT or ADDR:PORT"),
        )
    })
}

/// An absolute http(s) URL; plain http only for a loopback host.
fn checked_url(flag: &'static str, text: &str) -> Result<String, FlagError> {
    let url = http_types::Url::parse(text)
        .map_err(|e| bad(flag, format!("'{text}' is not a URL ({e})")))?;
    let host = url.host_str().unwrap_or_default();
    let loopback = host == "localhost"
        || host
            .trim_matches(|c| c == '[' || c == ']')
            .parse::<IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    match url.scheme() {
        "https" if !host.is_empty() => Ok(text.to_owned()),
        "http" if loopback => Ok(text.to_owned()),
        "http" => Err(bad(
            flag,
            format!("'{text}': use https (http only on loopback)"),
        )),
        _ => Err(bad(flag, format!("'{text}' is not an http(s) URL"))),
    }
}
