//! The HTTP(S) client mcpd talks to its authorization server with: one `GET` (metadata, keys)
//! or form `POST` (introspection) per connection, HTTP/1.1 with `Connection: close`, on smol
//! (never blocking the executor), TLS by rustls on ring with the system's trust store.
//!
//! Bounded in every way an unreliable or hostile server could exploit: connecting gives up after
//! [`CONNECT_TIMEOUT`], the whole exchange after [`TOTAL_TIMEOUT`], and an answer larger than
//! [`MAX_BODY`] is refused. Plain `http` is only for loopback hosts (a test issuer on
//! 127.0.0.1), even for a URL an issuer's metadata names; redirects are not followed.

use std::cell::RefCell;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use async_io::Timer;
use futures_lite::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, FutureExt};
use http_types::url::{self, Url};
use rustls::pki_types::ServerName;
use rustls::ClientConfig;
use smol::net::TcpStream;

use super::answer::{Answer, MAX_HEAD};

/// How long connecting (name resolution and TCP, not TLS) may take.
pub(crate) const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// How long a whole exchange may take, connecting included: a request that waits for it holds
/// an MCP request.
pub(crate) const TOTAL_TIMEOUT: Duration = Duration::from_secs(10);
/// The largest body accepted (a key set or an introspection answer is a few KiB).
pub(crate) const MAX_BODY: usize = 1024 * 1024;

/// Why an exchange failed.
#[derive(Debug)]
pub(crate) enum FetchError {
    /// Not an absolute http(s) URL with a host.
    BadUrl(String),
    /// Plain http to a host that is not loopback.
    Insecure(String),
    /// Connecting, writing or reading failed.
    Io(std::io::Error),
    /// The TLS handshake failed (an untrusted certificate, a name mismatch…).
    Tls(std::io::Error),
    /// No trusted root certificates could be loaded from the system.
    NoRoots,
    /// [`CONNECT_TIMEOUT`] or [`TOTAL_TIMEOUT`] ran out.
    Timeout,
    /// The answer was larger than [`MAX_HEAD`] + [`MAX_BODY`].
    TooLarge,
    /// The answer was not HTTP/1.x, or ended early.
    Malformed(&'static str),
}

impl std::fmt::Display for FetchError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FetchError::BadUrl(url) => write!(f, "'{url}' is not an http(s) URL"),
            FetchError::Insecure(url) => write!(f, "'{url}': plain http only on loopback"),
            FetchError::Io(e) => write!(f, "{e}"),
            FetchError::Tls(e) => write!(f, "TLS: {e}"),
            FetchError::NoRoots => write!(f, "TLS: no trusted certificates in the system store"),
            FetchError::Timeout => write!(f, "no answer within {}s", TOTAL_TIMEOUT.as_secs()),
            FetchError::TooLarge => write!(f, "answer larger than {MAX_BODY} bytes"),
            FetchError::Malformed(why) => write!(f, "not an HTTP answer: {why}"),
        }
    }
}

/// The client: holds the TLS configuration, loaded once.
#[derive(Default)]
pub(crate) struct Fetcher {
    tls: RefCell<Option<Arc<ClientConfig>>>,
}

impl std::fmt::Debug for Fetcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Fetcher").finish_non_exhaustive()
    }
}

/// Where to connect and what to ask for.
struct Target {
    tls: bool,
    /// Host for TCP (brackets stripped from IPv6).
    host: String,
    port: u16,
    /// `Host` header.
    authority: String,
    /// Path and query.
    path: String,
}

impl Fetcher {
    /// Loads the system's trusted roots now (at start, when some URL is https), so the first
    /// https exchange does not read certificate files on the executor.
    pub fn preload_tls(&self) {
        if let Err(e) = self.tls_config() {
            crate::log::warn(format_args!("https fetches will fail: {e}"));
        }
    }

    /// `GET url`.
    pub async fn get(&self, url: &str) -> Result<Answer, FetchError> {
        self.exchange(url, "GET", &[], b"").await
    }

    /// `POST url` with a form body and `Authorization: Basic`.
    pub async fn post_form(
        &self,
        url: &str,
        authorization: &str,
        form: &str,
    ) -> Result<Answer, FetchError> {
        let headers = [
            ("authorization", authorization),
            ("content-type", "application/x-www-form-urlencoded"),
        ];
        self.exchange(url, "POST", &headers, form.as_bytes()).await
    }

    async fn exchange(
        &self,
        url: &str,
        method: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Result<Answer, FetchError> {
        let target = target(url)?;
        let mut request = format!(
            "{method} {} HTTP/1.1\r\nhost: {}\r\naccept: application/json\r\nuser-agent: mcpd/{}\r\nconnection: close\r\n",
            target.path,
            target.authority,
            env!("CARGO_PKG_VERSION")
        );
        for (name, value) in headers {
            request.push_str(&format!("{name}: {value}\r\n"));
        }
        if method == "POST" {
            request.push_str(&format!("content-length: {}\r\n", body.len()));
        }
        request.push_str("\r\n");
        let mut request = request.into_bytes();
        request.extend_from_slice(body);
        let timeout = async {
            Timer::after(TOTAL_TIMEOUT).await;
            Err(FetchError::Timeout)
        };
        self.connect_and_send(&target, &request).or(timeout).await
    }

    async fn connect_and_send(
        &self,
        target: &Target,
        request: &[u8],
    ) -> Result<Answer, FetchError> {
        let timeout = async {
            Timer::after(CONNECT_TIMEOUT).await;
            Err(FetchError::Timeout)
        };
        let connect = async {
            TcpStream::connect((target.host.as_str(), target.port))
                .await
                .map_err(FetchError::Io)
        };
        let tcp = connect.or(timeout).await?;
        let _ = tcp.set_nodelay(true);
        if !target.tls {
            return send(tcp, request).await;
        }
        let name = match target.host.parse::<IpAddr>() {
            Ok(ip) => ServerName::IpAddress(ip.into()),
            Err(_) => ServerName::try_from(target.host.clone())
                .map_err(|_| FetchError::BadUrl(target.host.clone()))?,
        };
        let connector = futures_rustls::TlsConnector::from(self.tls_config()?);
        let stream = connector
            .connect(name, tcp)
            .await
            .map_err(FetchError::Tls)?;
        send(stream, request).await
    }

    /// The TLS configuration: ring, the system's trusted roots, TLS 1.2 and 1.3.
    fn tls_config(&self) -> Result<Arc<ClientConfig>, FetchError> {
        if let Some(config) = self.tls.borrow().as_ref() {
            return Ok(config.clone());
        }
        let mut roots = rustls::RootCertStore::empty();
        let found = rustls_native_certs::load_native_certs();
        let (added, _) = roots.add_parsable_certificates(found.certs);
        if added == 0 {
            return Err(FetchError::NoRoots);
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| FetchError::Tls(std::io::Error::other(e)))?
            .with_root_certificates(roots)
            .with_no_client_auth();
        let config = Arc::new(config);
        *self.tls.borrow_mut() = Some(config.clone());
        Ok(config)
    }
}

/// Where `url` points; plain http only to a loopback host.
fn target(url: &str) -> Result<Target, FetchError> {
    let parsed = Url::parse(url).map_err(|_| FetchError::BadUrl(url.to_owned()))?;
    let host = match parsed.host() {
        Some(url::Host::Domain(name)) => name.to_owned(),
        Some(url::Host::Ipv4(ip)) => ip.to_string(),
        Some(url::Host::Ipv6(ip)) => ip.to_string(),
        None => return Err(FetchError::BadUrl(url.to_owned())),
    };
    let tls = match parsed.scheme() {
        "https" => true,
        "http" if is_loopback(&host) => false,
        "http" => return Err(FetchError::Insecure(url.to_owned())),
        _ => return Err(FetchError::BadUrl(url.to_owned())),
    };
    let port = parsed
        .port_or_known_default()
        .ok_or_else(|| FetchError::BadUrl(url.to_owned()))?;
    let mut authority = parsed.host_str().unwrap_or_default().to_owned();
    if let Some(port) = parsed.port() {
        authority.push_str(&format!(":{port}"));
    }
    let mut path = parsed.path().to_owned();
    if let Some(query) = parsed.query() {
        path.push('?');
        path.push_str(query);
    }
    Ok(Target {
        tls,
        host,
        port,
        authority,
        path,
    })
}

/// `localhost` or a loopback address.
fn is_loopback(host: &str) -> bool {
    host == "localhost" || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// Writes the request and reads the answer, until it is complete or the peer closes.
async fn send<S: AsyncRead + AsyncWrite + Unpin>(
    mut stream: S,
    request: &[u8],
) -> Result<Answer, FetchError> {
    stream.write_all(request).await.map_err(FetchError::Io)?;
    stream.flush().await.map_err(FetchError::Io)?;
    let mut buf = Vec::with_capacity(8 * 1024);
    let mut chunk = [0u8; 8 * 1024];
    loop {
        let n = match stream.read(&mut chunk).await {
            Ok(n) => n,
            // A TLS peer that closes without close_notify: the answer is judged by its framing.
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => 0,
            Err(e) => return Err(FetchError::Io(e)),
        };
        if n == 0 {
            return Answer::parse(&buf, true)?
                .ok_or(FetchError::Malformed("the answer ended early"));
        }
        buf.extend_from_slice(&chunk[..n]);
        if buf.len() > MAX_HEAD + MAX_BODY {
            return Err(FetchError::TooLarge);
        }
        if let Some(answer) = Answer::parse(&buf, false)? {
            return Ok(answer);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_http_is_only_for_loopback_hosts() {
        for url in [
            "http://127.0.0.1:8080/jwks",
            "http://localhost/x",
            "http://[::1]:9/x",
        ] {
            assert!(!target(url).unwrap().tls, "{url}");
        }
        let t = target("https://issuer.example.com/tenant/jwks?x=1").unwrap();
        assert!(t.tls);
        assert_eq!(
            (
                t.host.as_str(),
                t.port,
                t.authority.as_str(),
                t.path.as_str()
            ),
            (
                "issuer.example.com",
                443,
                "issuer.example.com",
                "/tenant/jwks?x=1"
            )
        );
        assert_eq!(target("http://[::1]:9/x").unwrap().host, "::1");
        assert!(matches!(
            target("http://issuer.example.com/jwks"),
            Err(FetchError::Insecure(_))
        ));
        assert!(matches!(
            target("ftp://127.0.0.1/x"),
            Err(FetchError::BadUrl(_))
        ));
    }
}
