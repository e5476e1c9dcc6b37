//! A real OAuth authorization server for the tests: oidc-provider (`tests/scripts/issuer.mjs`) on
//! a free loopback port, ready once it says it listens, stopped (by pid) when dropped. Tokens come
//! from its real token endpoint (client credentials with a `resource`); tokens with one thing
//! wrong are minted here with its own signing key, forgeries with a key it never publishes.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use ring::rand::SystemRandom;
use ring::signature::{RsaKeyPair, RSA_PKCS1_SHA256};
use serde_json::{json, Value};

use mcpd::base64::{encode, Alphabet};

use super::client::Client;
use super::nginx::free_port;
use super::process::output_within;

/// The `kid` of the issuer's signing key (issuer.mjs).
pub const KID: &str = "test-rs256";

/// The clients issuer.mjs knows, with their secrets.
const CLIENTS: [(&str, &str); 4] = [
    ("client-a", "secret-a"),
    ("client-b", "secret-b"),
    ("client-opaque", "secret-opaque"),
    ("mcpd", "mcpd-secret"),
];

/// A running issuer.
pub struct Issuer {
    child: Option<Child>,
    pub port: u16,
    /// `http://127.0.0.1:<port>`: its issuer identifier.
    pub url: String,
    /// Its keys (kept across restarts) and mcpd's client file.
    dir: PathBuf,
    /// Whether it serves https.
    tls: bool,
}

fn tools(path: &str) -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/target/tools")).join(path)
}

impl Issuer {
    /// An issuer on a free port (another one is tried when that port is taken meanwhile).
    pub fn start() -> Issuer {
        Issuer::start_with(false)
    }

    /// An issuer at `https://localhost:<port>`, its certificate issued by a test CA of its own
    /// ([`Issuer::ca_file`]), which nothing trusts unless told to. The test client speaks no
    /// TLS: tokens for it are minted with [`Issuer::sign`].
    pub fn start_tls() -> Issuer {
        Issuer::start_with(true)
    }

    fn start_with(tls: bool) -> Issuer {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let n = NEXT.fetch_add(1, Ordering::SeqCst);
        let dir = std::env::temp_dir().join(format!("mcpd-issuer-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("issuer dir");
        if tls {
            certificates(&dir);
        }
        for _ in 0..10 {
            let port = free_port();
            match spawn(port, &dir, tls) {
                Ok(child) => {
                    let url = match tls {
                        true => format!("https://localhost:{port}"),
                        false => format!("http://127.0.0.1:{port}"),
                    };
                    return Issuer {
                        child: Some(child),
                        port,
                        url,
                        dir,
                        tls,
                    };
                }
                Err(e) => eprintln!("the issuer did not start ({e}); trying another port"),
            }
        }
        panic!("the issuer did not start on 10 ports");
    }

    /// The test CA's certificate (PEM) of an issuer started with [`Issuer::start_tls`].
    pub fn ca_file(&self) -> String {
        self.dir.join("ca.pem").display().to_string()
    }

    /// Stops it (SIGKILL: it is gone at once, as a crashed server is).
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts it again on its port, with its keys (tokens in memory are lost).
    pub fn restart(&mut self) {
        self.stop();
        let child = spawn(self.port, &self.dir, self.tls)
            .unwrap_or_else(|e| panic!("the issuer did not start again on {}: {e}", self.port));
        self.child = Some(child);
    }

    /// The token endpoint's answer to `client` asking for a token for `resource`.
    pub fn token_response(&self, client: &str, resource: &str) -> (u16, Value) {
        let secret = CLIENTS
            .iter()
            .find(|(id, _)| *id == client)
            .map(|(_, secret)| *secret)
            .unwrap_or_else(|| panic!("issuer.mjs has no client {client}"));
        let basic = encode(format!("{client}:{secret}").as_bytes(), Alphabet::Standard);
        let form = format!(
            "grant_type=client_credentials&scope=mcp%3Atools%20mcp%3Aread&resource={}",
            form_encode(resource)
        );
        let res = Client::connect(&format!("127.0.0.1:{}", self.port)).request(
            "POST",
            "/token",
            &[
                ("authorization", &format!("Basic {basic}")),
                ("content-type", "application/x-www-form-urlencoded"),
            ],
            &form,
        );
        (res.status, res.json())
    }

    /// A token for `resource` from the real token endpoint, as `client`.
    pub fn token(&self, client: &str, resource: &str) -> String {
        let (status, body) = self.token_response(client, resource);
        assert_eq!(
            status, 200,
            "token request of {client} for {resource}: {body}"
        );
        body["access_token"]
            .as_str()
            .expect("access_token")
            .to_owned()
    }

    /// Revokes `token` (RFC 7009) as `client`, the client it was issued to.
    pub fn revoke(&self, client: &str, token: &str) {
        let secret = CLIENTS.iter().find(|(id, _)| *id == client).unwrap().1;
        let basic = encode(format!("{client}:{secret}").as_bytes(), Alphabet::Standard);
        let res = Client::connect(&format!("127.0.0.1:{}", self.port)).request(
            "POST",
            "/token/revocation",
            &[
                ("authorization", &format!("Basic {basic}")),
                ("content-type", "application/x-www-form-urlencoded"),
            ],
            &format!("token={}", form_encode(token)),
        );
        assert_eq!(res.status, 200, "{}", String::from_utf8_lossy(&res.body));
    }

    /// Claims the issuer would put in a token for `audience` (valid for 10 minutes).
    pub fn claims(&self, audience: &str) -> Value {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs();
        json!({"iss": self.url, "aud": audience, "sub": "client-a", "client_id": "client-a",
            "iat": now, "exp": now + 600, "scope": "mcp:tools mcp:read", "jti": format!("t{now}")})
    }

    /// A JWT of `claims` signed RS256 with the issuer's own key (as the issuer would sign it).
    pub fn sign(&self, header: Value, claims: &Value) -> String {
        sign_with(
            &std::fs::read(self.dir.join("issuer.der")).expect("issuer key"),
            header,
            claims,
        )
    }

    /// A JWT of `claims` signed RS256 with a key the issuer never publishes, naming its `kid`.
    pub fn forge(&self, claims: &Value) -> String {
        let key = std::fs::read(self.dir.join("foreign.der")).expect("foreign key");
        sign_with(&key, json!({}), claims)
    }

    /// The issuer's public key as its JWK Set lists it.
    pub fn public_jwk(&self) -> Value {
        let text = std::fs::read_to_string(self.dir.join("issuer.jwk.json")).expect("issuer key");
        let private: Value = serde_json::from_str(&text).unwrap();
        json!({"kty": "RSA", "use": "sig", "kid": KID, "alg": "RS256", "e": private["e"], "n": private["n"]})
    }

    /// mcpd's `--auth-client-file` (mode 0600) to introspect as client `mcpd`.
    pub fn client_file(&self) -> String {
        use std::os::unix::fs::PermissionsExt;
        let path = self.dir.join("mcpd-client");
        std::fs::write(&path, "mcpd\nmcpd-secret\n").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        path.display().to_string()
    }

    /// The introspection endpoint.
    pub fn introspection_url(&self) -> String {
        format!("{}/token/introspection", self.url)
    }
}

impl Drop for Issuer {
    fn drop(&mut self) {
        self.stop();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A test CA and a certificate it issues for localhost and 127.0.0.1 (`tls-cert.pem`,
/// `tls-key.pem`), made with the openssl command.
fn certificates(dir: &std::path::Path) {
    let script = r#"set -e
cd "$0"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key -out ca.pem -days 2 -subj /CN=mcpd-test-ca
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout tls-key.pem -out tls.csr -subj /CN=localhost
printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' > tls.ext
openssl x509 -req -in tls.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out tls-cert.pem -days 2 -extfile tls.ext
"#;
    let out = output_within(
        Command::new("sh").args(["-c", script, &dir.display().to_string()]),
        Duration::from_secs(30),
    );
    assert!(
        out.status.success(),
        "making the test certificates failed (is openssl installed? tests/scripts/setup installs it): {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Starts issuer.mjs on `port`; `Err` when it exits before it listens (the port was taken).
fn spawn(port: u16, dir: &std::path::Path, tls: bool) -> Result<Child, String> {
    let node = tools("node22/node_modules/.bin/node");
    assert!(
        node.exists(),
        "{} is missing: run tests/scripts/setup (it installs Node 22 and oidc-provider into target/tools)",
        node.display()
    );
    assert!(
        tools("issuer/node_modules/oidc-provider/package.json").exists(),
        "oidc-provider is missing from target/tools/issuer: run tests/scripts/setup"
    );
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/scripts/issuer.mjs");
    let mut child = Command::new(&node)
        .args([script, &port.to_string(), &dir.display().to_string()])
        .args(tls.then_some("tls"))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", node.display()));
    let mut line = String::new();
    let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
    let _ = stdout.read_line(&mut line);
    if !line.starts_with("issuer listening on") {
        let stderr = super::process::abandon(&mut child);
        return Err(format!("{line}{stderr}"));
    }
    // Read to the end, so the issuer never writes into a closed pipe (which would stop it);
    // oidc-provider's development notices are noise in test output.
    let mut stderr = child.stderr.take().expect("stderr");
    std::thread::spawn(move || std::io::copy(&mut stdout, &mut std::io::sink()));
    std::thread::spawn(move || std::io::copy(&mut stderr, &mut std::io::sink()));
    Ok(child)
}

/// `base64url(header).base64url(claims).base64url(RS256 signature)` with the PKCS#1 `key`.
fn sign_with(key: &[u8], header: Value, claims: &Value) -> String {
    let pair = RsaKeyPair::from_der(key).expect("an RSA key");
    let mut full = json!({"alg": "RS256", "typ": "at+jwt", "kid": KID});
    for (name, value) in header.as_object().cloned().unwrap_or_default() {
        full[name] = value;
    }
    let b64 = |bytes: &[u8]| encode(bytes, Alphabet::UrlSafe);
    let input = format!(
        "{}.{}",
        b64(full.to_string().as_bytes()),
        b64(claims.to_string().as_bytes())
    );
    let mut signature = vec![0; pair.public().modulus_len()];
    pair.sign(
        &RSA_PKCS1_SHA256,
        &SystemRandom::new(),
        input.as_bytes(),
        &mut signature,
    )
    .expect("RS256 signature");
    format!("{input}.{}", b64(&signature))
}

/// A form value, percent-encoded.
pub fn form_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
