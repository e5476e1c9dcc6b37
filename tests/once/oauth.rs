//! mcpd as an OAuth resource server against a real authorization server (oidc-provider,
//! `support::issuer`): JWT access tokens from its token endpoint open sessions and call tools;
//! a token with one thing wrong is refused (each minted with the issuer's own key, beside a
//! control that differs in nothing else and passes); an issuer that is down makes tokens that
//! need it 503, `/health` says so, and mcpd recovers by itself; opaque tokens go through
//! introspection; and the official Python SDK client finds its way from mcpd's 401 to a token.

use std::process::Command;
use std::rc::Rc;
use std::time::Duration;

use serde_json::{json, Value};

use crate::support::backing::Backing;
use crate::support::issuer::{Issuer, KID};
use crate::support::modern::{modern, send};
use crate::support::nginx::free_port;
use crate::support::process::{output_within, Terminated};
use crate::support::tokens::{bearer, initialize_as};
use crate::support::{initialize_body, wait, Response, Server};

/// The audience of tests that fix it with `--auth-audience` (so tokens can be minted before mcpd
/// starts).
const AUD: &str = "http://mcpd.test/mcp";

/// mcpd's default audience: its public URL, from the address it bound.
fn resource(server: &Server) -> String {
    format!("http://{}/mcp", server.addr)
}

/// `initialize` with `token`.
fn initialize(server: &Server, token: &str) -> Response {
    let auth = bearer(token);
    server.client().post(
        None,
        &initialize_body("2025-11-25"),
        &[("authorization", &auth)],
    )
}

/// The principal `test_whoami` reports for `token`, on the sessionless 2026-07-28 wire.
fn whoami(server: &Server, token: &str) -> Value {
    let body = modern(
        json!(7),
        "tools/call",
        json!({"name": "test_whoami"}),
        json!({}),
    );
    let res = send(
        &mut server.client(),
        &body,
        &[("authorization", &bearer(token))],
    );
    assert_eq!(res.status, 200, "{}", String::from_utf8_lossy(&res.body));
    let text = res.json()["result"]["content"][0]["text"]
        .as_str()
        .map(str::to_owned);
    serde_json::from_str(&text.expect("whoami text")).expect("whoami JSON")
}

/// The refusal of `res`: 401 with `error="invalid_token"`, and its description.
fn invalid_token(res: &Response) -> String {
    assert_eq!(res.status, 401, "{}", String::from_utf8_lossy(&res.body));
    let challenge = res
        .header("www-authenticate")
        .unwrap_or_default()
        .to_owned();
    assert!(challenge.contains("error=\"invalid_token\""), "{challenge}");
    challenge
}

/// What `/health` says of the issuer.
fn issuer_health(server: &Server) -> Value {
    let res = server.client().request("GET", "/health", &[], "");
    res.json()["issuer"].clone()
}

#[test]
fn a_token_from_the_issuer_opens_a_session_and_calls_tools_as_its_client() {
    let issuer = Issuer::start();
    let server = Server::everything(&["--auth-issuer", &issuer.url]);
    let token = issuer.token("client-a", &resource(&server));
    let session = initialize_as(&server, &token);
    let call = json!({"jsonrpc": "2.0", "id": 3, "method": "tools/call",
        "params": {"name": "test_whoami"}});
    let auth = bearer(&token);
    let res = server
        .client()
        .post(Some(&session), &call, &[("authorization", &auth)]);
    assert_eq!(res.status, 200, "{}", String::from_utf8_lossy(&res.body));
    let text = res.json()["result"]["content"][0]["text"].clone();
    let on_session: Value = serde_json::from_str(text.as_str().expect("whoami text")).unwrap();
    assert_eq!(on_session["subject"], "client-a", "{on_session}");
    let me = whoami(&server, &token);
    assert_eq!(me["subject"], "client-a");
    assert_eq!(me["issuer"], issuer.url.as_str());
    assert_eq!(me["scopes"], json!(["mcp:tools", "mcp:read"]));
    let b = issuer.token("client-b", &resource(&server));
    assert_eq!(whoami(&server, &b)["subject"], "client-b");
}

#[test]
fn a_token_for_another_resource_gets_401_invalid_token() {
    let issuer = Issuer::start();
    let server = Server::mcpd(&["--auth-issuer", &issuer.url]);
    let other = issuer.token("client-a", "http://127.0.0.1:1/other");
    let challenge = invalid_token(&initialize(&server, &other));
    assert!(challenge.contains("another resource"), "{challenge}");
    assert!(challenge.contains("resource_metadata="), "{challenge}");
    let ours = issuer.token("client-a", &resource(&server));
    assert_eq!(initialize(&server, &ours).status, 200);
}

#[test]
fn a_token_with_one_thing_wrong_is_refused_and_the_same_token_without_it_passes() {
    let issuer = Issuer::start();
    let server = Server::mcpd(&["--auth-issuer", &issuer.url, "--auth-audience", AUD]);
    let good = issuer.claims(AUD);
    let control = issuer.sign(json!({}), &good);
    assert_eq!(
        initialize(&server, &control).status,
        200,
        "the control passes"
    );
    let now = good["iat"].as_u64().unwrap();
    let with = |changes: Value| {
        let mut claims = good.clone();
        for (name, value) in changes.as_object().unwrap() {
            match value {
                Value::Null => claims.as_object_mut().unwrap().remove(name),
                v => claims
                    .as_object_mut()
                    .unwrap()
                    .insert(name.clone(), v.clone()),
            };
        }
        claims
    };
    let b64 =
        |v: &Value| mcpd::base64::encode(v.to_string().as_bytes(), mcpd::base64::Alphabet::UrlSafe);
    let alg_none = format!(
        "{}.{}.",
        b64(&json!({"alg": "none", "kid": KID})),
        b64(&good)
    );
    let hmac_header = json!({"alg": "HS256", "kid": KID, "typ": "JWT"});
    let hmac_input = format!("{}.{}", b64(&hmac_header), b64(&good));
    let public_key = issuer.public_jwk().to_string();
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, public_key.as_bytes());
    let tag = ring::hmac::sign(&key, hmac_input.as_bytes());
    let hs256 = format!(
        "{hmac_input}.{}",
        mcpd::base64::encode(tag.as_ref(), mcpd::base64::Alphabet::UrlSafe)
    );
    let cases = [
        (
            "expired",
            issuer.sign(json!({}), &with(json!({"exp": now - 120}))),
            "expired",
        ),
        (
            "no exp",
            issuer.sign(json!({}), &with(json!({"exp": null}))),
            "no exp claim",
        ),
        (
            "nbf ahead",
            issuer.sign(json!({}), &with(json!({"nbf": now + 600}))),
            "not valid yet",
        ),
        (
            "iat ahead",
            issuer.sign(json!({}), &with(json!({"iat": now + 600}))),
            "in the future",
        ),
        (
            "wrong iss",
            issuer.sign(json!({}), &with(json!({"iss": "http://127.0.0.1:1"}))),
            "another issuer",
        ),
        (
            "wrong aud",
            issuer.sign(json!({}), &with(json!({"aud": "http://mcpd.test/other"}))),
            "another resource",
        ),
        ("foreign key", issuer.forge(&good), "signature"),
        ("alg none", alg_none, "algorithm none"),
        ("HS256 keyed with the public key", hs256, "algorithm HS256"),
        (
            "id-token type",
            issuer.sign(json!({"typ": "dpop+jwt"}), &good),
            "not an access token",
        ),
    ];
    for (what, token, why) in cases {
        let challenge = invalid_token(&initialize(&server, &token));
        assert!(challenge.contains(why), "{what}: {challenge}");
    }
}

#[test]
fn tokens_checkable_without_the_issuer_still_pass_while_it_is_down() {
    let mut issuer = Issuer::start();
    let server = Server::mcpd(&["--auth-issuer", &issuer.url]);
    let used = issuer.token("client-a", &resource(&server));
    assert_eq!(initialize(&server, &used).status, 200);
    let unseen = issuer.token("client-b", &resource(&server));
    issuer.stop();
    assert_eq!(initialize(&server, &used).status, 200, "verified before");
    assert_eq!(initialize(&server, &unseen).status, 200, "its key is known");
}

#[test]
fn while_the_issuer_is_down_tokens_that_need_it_get_503_and_health_says_so_until_it_is_back() {
    let mut issuer = Issuer::start();
    let token = issuer.token("client-a", AUD);
    issuer.stop();
    let server = Server::mcpd(&["--auth-issuer", &issuer.url, "--auth-audience", AUD]);
    wait::until_true(
        "/health knows before any request",
        Duration::from_secs(10),
        || issuer_health(&server) == "unreachable",
    );
    let res = initialize(&server, &token);
    assert_eq!(res.status, 503, "{}", String::from_utf8_lossy(&res.body));
    assert!(res.header("retry-after").is_some());
    assert!(
        res.header("www-authenticate").is_none(),
        "not the token's fault"
    );
    assert_eq!(issuer_health(&server), "unreachable");
    issuer.restart();
    wait::until_true(
        "the token passes once the issuer is back",
        Duration::from_secs(30),
        || initialize(&server, &token).status == 200,
    );
    assert_eq!(issuer_health(&server), "reachable");
}

#[test]
fn opaque_tokens_are_checked_by_introspection_next_to_jwts() {
    let mut issuer = Issuer::start();
    let client_file = issuer.client_file();
    let server = Server::everything(&[
        "--auth-issuer",
        &issuer.url,
        "--auth-introspection-url",
        &issuer.introspection_url(),
        "--auth-client-file",
        &client_file,
        "--auth-audience",
        AUD,
    ]);
    let opaque = issuer.token("client-opaque", AUD);
    assert!(!opaque.contains('.'), "an opaque token: {opaque}");
    assert_eq!(initialize(&server, &opaque).status, 200);
    let me = whoami(&server, &opaque);
    assert_eq!(
        (me["subject"].as_str(), me["issuer"].as_str()),
        (Some("client-opaque"), Some(issuer.url.as_str()))
    );
    let jwt = issuer.token("client-a", AUD);
    assert_eq!(
        whoami(&server, &jwt)["subject"],
        "client-a",
        "JWTs still pass"
    );
    let revoked = issuer.token("client-opaque", AUD);
    issuer.revoke("client-opaque", &revoked);
    let challenge = invalid_token(&initialize(&server, &revoked));
    assert!(challenge.contains("not active"), "{challenge}");
    let elsewhere = issuer.token("client-opaque", "http://127.0.0.1:1/other");
    let challenge = invalid_token(&initialize(&server, &elsewhere));
    assert!(challenge.contains("another resource"), "{challenge}");
    invalid_token(&initialize(&server, "not-a-token-the-issuer-made"));
    // A forged JWT: the JWT check refuses it, and the issuer will not introspect a JWT (400).
    let forged = invalid_token(&initialize(&server, &issuer.forge(&issuer.claims(AUD))));
    assert!(forged.contains("signature"), "{forged}");
    // Down: an opaque token not seen before cannot be checked; one checked before still passes.
    let unseen = issuer.token("client-opaque", AUD);
    issuer.stop();
    assert_eq!(initialize(&server, &unseen).status, 503);
    assert_eq!(initialize(&server, &opaque).status, 200, "cached");
    assert_eq!(issuer_health(&server), "unreachable");
    issuer.restart();
    let fresh = issuer.token("client-opaque", AUD);
    assert_eq!(initialize(&server, &fresh).status, 200);
    assert_eq!(issuer_health(&server), "reachable");
}

#[test]
fn a_client_file_others_can_read_stops_mcpd_at_start_naming_the_flag() {
    use std::os::unix::fs::PermissionsExt;
    let issuer = Issuer::start();
    let file = issuer.client_file();
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
    let out = output_within(
        Command::new(env!("CARGO_BIN_EXE_mcpd")).args([
            "--port",
            "0",
            "--auth-introspection-url",
            &issuer.introspection_url(),
            "--auth-client-file",
            &file,
        ]),
        Duration::from_secs(20),
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("--auth-client-file") && stderr.contains("0600"),
        "{stderr}"
    );
}

/// Runs tests/scripts/sdk_oauth.py against `base` in `mode`.
fn sdk(base: &str, issuer: &Issuer, mode: &str) {
    let python = concat!(env!("CARGO_MANIFEST_DIR"), "/target/tools/venv/bin/python");
    assert!(
        std::path::Path::new(python).exists(),
        "{python} is missing: run tests/scripts/setup (it installs the Python SDK)"
    );
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/scripts/sdk_oauth.py");
    let out = output_within(
        Command::new(python).args([script, base, &issuer.url, mode]),
        Duration::from_secs(90),
    );
    assert!(
        out.status.success(),
        "sdk_oauth.py {mode}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn the_python_sdk_client_goes_from_the_401_to_a_token_and_calls_tools() {
    let issuer = Issuer::start();
    // The scope every request needs is what the SDK asks the issuer for (named in the 401).
    let server = Server::mcpd(&["--auth-issuer", &issuer.url, "--auth-scopes", "mcp:tools"]);
    let base = format!("http://{}", server.addr);
    sdk(&base, &issuer, "auto");
    sdk(&base, &issuer, "legacy");
    // Legacy /sse is not under /mcp: its clients need a resource that covers it, the origin.
    let backing = Rc::new(Backing::Memory);
    let sse_server = (0..10)
        .find_map(|_| {
            let port = free_port();
            let public = format!("http://127.0.0.1:{port}/");
            let args = [
                "--auth-issuer",
                &issuer.url,
                "--public-url",
                &public,
                "--auth-scopes",
                "mcp:tools",
            ];
            Server::node(false, &backing, port, &args).ok()
        })
        .expect("mcpd on a fixed port");
    sdk(&format!("http://{}", sse_server.addr), &issuer, "sse");
}

/// mcpd with `args` and the environment variables `env` (and no other trust store setting); its
/// address, once it listens.
fn mcpd_with_env(args: &[&str], env: &[(&str, &str)]) -> (Terminated, String) {
    use std::io::{BufRead, BufReader};
    let mut child = Command::new(env!("CARGO_BIN_EXE_mcpd"))
        .args(["--port", "0", "--log-level", "warn"])
        .args(args)
        .env_remove("SSL_CERT_FILE")
        .env_remove("SSL_CERT_DIR")
        .envs(env.iter().copied())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("start mcpd");
    let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
    let mut banner = String::new();
    let _ = stdout.read_line(&mut banner);
    let addr = banner
        .split("http://")
        .nth(1)
        .and_then(|rest| rest.split('/').next())
        .unwrap_or_else(|| panic!("mcpd did not start: {banner}"))
        .to_owned();
    std::thread::spawn(move || std::io::copy(&mut stdout, &mut std::io::sink()));
    (Terminated(child), addr)
}

#[test]
fn an_https_issuer_is_trusted_through_the_system_trust_store_and_only_then() {
    let issuer = Issuer::start_tls();
    let token = issuer.sign(json!({}), &issuer.claims(AUD));
    let args = ["--auth-issuer", issuer.url.as_str(), "--auth-audience", AUD];
    // SSL_CERT_FILE names the trust store, as for OpenSSL: here, the issuer's test CA.
    let (_trusting, addr) = mcpd_with_env(&args, &[("SSL_CERT_FILE", &issuer.ca_file())]);
    let init = |addr: &str| {
        crate::support::Client::connect(addr).post(
            None,
            &initialize_body("2025-11-25"),
            &[("authorization", &bearer(&token))],
        )
    };
    assert_eq!(init(&addr).status, 200, "keys fetched over TLS");
    // The system's own trust store does not know the test CA: the keys cannot be fetched.
    let (_doubting, addr) = mcpd_with_env(&args, &[]);
    let res = init(&addr);
    assert_eq!(res.status, 503, "{}", String::from_utf8_lossy(&res.body));
    let body = String::from_utf8_lossy(&res.body).into_owned();
    assert!(
        body.contains("TLS") || body.contains("certificate"),
        "{body}"
    );
}
