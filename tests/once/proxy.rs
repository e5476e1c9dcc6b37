//! The NGINX configuration `nginx/generate` prints, run by a real NGINX: only the MCP routes and
//! the protected-resource metadata reach mcpd (admin routes, `/health` and path tricks do not),
//! mcpd's own guards still hold behind it, bodies over `--max-body` stop at NGINX, the access log
//! holds no session ids, `X-Forwarded-For`/`-Proto` are passed on, and HTTPS with its port-80
//! redirect works. (Sessions spread over nodes and failover are in `cluster.rs`/`failover.rs`.)

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use serde_json::{json, Value};

use crate::support::cluster::{cluster, cluster_of};
use crate::support::nginx::{Listen, Nginx};
use crate::support::upstream::Upstream;
use crate::support::{
    initialize_body, process, wait, Backing, Client, Response, Server, JSON, WAIT,
};

/// Sends `<method> <target>` with `host` exactly as written, through `addr`; the answer.
fn raw(addr: &str, method: &str, target: &str, host: &str) -> Response {
    let mut c = Client::connect(addr);
    c.send_raw(format!("{method} {target} HTTP/1.1\r\nhost: {host}\r\n\r\n").as_bytes());
    c.read_response()
}

/// The generator's output for `args`.
fn generate(args: &[&str]) -> std::process::Output {
    process::output_within(
        Command::new(concat!(env!("CARGO_MANIFEST_DIR"), "/nginx/generate")).args(args),
        WAIT,
    )
}

#[test]
fn admin_routes_health_and_path_tricks_are_unreachable_through_nginx() {
    let c = cluster_of(false, Backing::Memory, 2, &["--store", "memory"]);
    let s = c.nginx.client().initialize("2025-11-25");
    let secret = s.split_once('.').expect("<node>.<random>").1.to_owned();
    let delete_by_id = format!("/sessions/{s}");
    let delete_by_backslashes = format!("/sse/..\\..\\sessions\\{s}");
    // (method, target, status, who answers). The Host is one mcpd accepts: whatever NGINX passed
    // on would be served.
    let cases = [
        ("GET", "/sessions", 404, "nginx"),
        ("GET", "/sessions?limit=10", 404, "nginx"),
        ("DELETE", &delete_by_id, 404, "nginx"),
        ("GET", "/health", 404, "nginx"),
        ("GET", "/", 404, "nginx"),
        ("GET", "/mcp\\..\\sessions", 404, "nginx"),
        ("GET", "/mcp/..%2Fsessions", 404, "nginx"),
        ("GET", "//sessions", 404, "nginx"),
        ("GET", "/%2e%2e/sessions", 400, "nginx"),
        ("GET", "/mcp/%2e%2e/%2e%2e/sessions", 400, "nginx"),
        // These match /mcp/v1/stream/ or /sse/ and reach mcpd, which refuses them.
        ("GET", "/mcp/v1/stream/..\\..\\..\\sessions", 400, "mcpd"),
        ("GET", "/sse/..\\..\\sessions", 400, "mcpd"),
        ("GET", "/sse/a%5C..%5C..%5Csessions", 400, "mcpd"),
        ("DELETE", &delete_by_backslashes, 400, "mcpd"),
    ];
    for (method, target, status, who) in cases {
        let res = raw(&c.nginx.addr, method, target, "127.0.0.1");
        let text = String::from_utf8_lossy(&res.body);
        let what = format!("{method} {target} -> {} {text}", res.status);
        assert_eq!(res.status, status, "{what}");
        assert!(!text.contains("\"sessions\""), "a session listing: {what}");
        assert!(!text.contains(&secret), "a session id: {what}");
        match who {
            "mcpd" => {
                assert_eq!(res.error_code(), -32000, "{what}");
                assert!(
                    text.contains("Malformed HTTP request"),
                    "mcpd's refusal: {what}"
                );
            }
            _ if status == 404 => {
                assert_eq!(
                    res.json()["error"]["message"],
                    "Not found",
                    "NGINX's 404: {what}"
                );
                assert_eq!(res.content_type(), "application/json", "{what}");
            }
            _ => assert!(text.contains("nginx"), "NGINX's own 400: {what}"),
        }
    }
    let ping = c.nginx.client().call(&s, 1, "ping", json!({}));
    assert_eq!(ping.status, 200, "the session survived the DELETEs");
}

#[test]
fn a_forged_host_gets_403_from_mcpd_through_nginx() {
    let c = cluster_of(false, Backing::Memory, 1, &["--store", "memory"]);
    let mut client = c.nginx.client();
    let init = initialize_body("2025-11-25").to_string();
    let headers = [
        crate::support::ACCEPT_BOTH,
        JSON,
        ("host", "evil.example.com"),
    ];
    let res = client.request("POST", "/mcp", &headers, &init);
    assert_eq!(res.status, 403, "{:?}", String::from_utf8_lossy(&res.body));
    assert_eq!(res.error_code(), -32000);
    assert!(res.header("mcp-session-id").is_none(), "no session opened");
    let sse = raw(&c.nginx.addr, "GET", "/sse", "evil.example.com");
    assert_eq!(sse.status, 403, "{sse:?}");
}

#[test]
fn sessions_legacy_sessions_and_the_access_log_through_nginx() {
    let c = cluster(Backing::Memory, 2, &["--store", "memory"]);
    let mut client = c.nginx.client();
    let s = client.initialize("2025-11-25");
    let subscribe = json!({"uri": "test://watched-resource"});
    let subscribed = client.call(&s, 1, "resources/subscribe", subscribe);
    assert_eq!(subscribed.json()["result"], json!({}));
    let mut stream = c.nginx.client();
    assert_eq!(
        stream.open_get(&s, None),
        200,
        "the GET stream through NGINX"
    );
    let called = client.call(&s, 2, "tools/call", json!({"name": "test_simple_text"}));
    assert_eq!(
        called.json()["result"]["content"][0]["type"],
        "text",
        "{called:?}"
    );
    let update = json!({"name": "update_watched_resource"});
    assert_eq!(client.call(&s, 3, "tools/call", update).status, 200);
    let note = stream.expect_messages(1, WAIT).remove(0);
    assert_eq!(note["method"], "notifications/resources/updated", "{note}");

    let mut legacy = c.nginx.client();
    legacy.send("GET", "/sse", &[("accept", "text/event-stream")], "");
    assert_eq!(legacy.read_head().0, 200);
    let endpoint = legacy.next_event(WAIT).expect_item("endpoint").data;
    let legacy_id = endpoint
        .split_once("sessionId=")
        .expect("a session id in the endpoint")
        .1
        .to_owned();
    let post = |body: Value| {
        c.nginx
            .client()
            .request("POST", &endpoint, &[JSON], &body.to_string())
            .status
    };
    assert_eq!(post(initialize_body("2024-11-05")), 202);
    let initialized = json!({"jsonrpc": "2.0", "method": "notifications/initialized"});
    assert_eq!(post(initialized), 202);
    let call = json!({"jsonrpc": "2.0", "id": 7, "method": "tools/call", "params": {"name": "test_simple_text"}});
    assert_eq!(post(call), 202);
    let answers = legacy.expect_messages(2, WAIT);
    assert_eq!(answers[0]["result"]["protocolVersion"], "2024-11-05");
    assert_eq!(answers[1]["id"], 7, "{answers:?}");
    drop(legacy);
    // 409 until mcpd has seen the first stream go.
    let again = wait::until("a re-attached stream through NGINX", WAIT, || {
        let mut again = c.nginx.client();
        let path = format!("/sse/{legacy_id}");
        again.send("GET", &path, &[("accept", "text/event-stream")], "");
        (again.read_head().0 == 200).then_some(again)
    });
    drop(again);

    // NGINX logs a request when it ends: the streams' lines come once their clients are gone.
    let log = wait::until("the re-attached stream in the access log", WAIT, || {
        let log = c.nginx.access_log();
        log.contains("\"GET /sse/:sessionId HTTP/1.1\" 200")
            .then_some(log)
    });
    for line in [
        "\"POST /mcp HTTP/1.1\" 200",
        "\"GET /sse HTTP/1.1\" 200",
        "\"POST /messages HTTP/1.1\" 202",
    ] {
        assert!(log.contains(line), "{line} in the access log:\n{log}");
    }
    for id in [&s, &legacy_id] {
        let secret = id.split_once('.').expect("<node>.<random>").1;
        assert!(!log.contains(secret), "{id} in the access log:\n{log}");
    }
    assert!(
        !log.contains("sessionId="),
        "a query in the access log:\n{log}"
    );
}

#[test]
fn nginx_passes_the_target_as_sent_forwarded_headers_and_bodies_up_to_max_body() {
    let upstream = Upstream::start();
    let nginx = Nginx::start(upstream.port, 1);
    let target = "/sse/a%5C..%5Cb?sessionId=x%2Fy";
    let res = raw(&nginx.addr, "GET", target, "mcp.example.com:8443");
    assert_eq!(res.status, 200);
    let head = upstream.head();
    assert!(
        head.starts_with(&format!("GET {target} HTTP/1.1\r\n")),
        "{head}"
    );
    assert_eq!(
        Upstream::header(&head, "host"),
        Some("mcp.example.com:8443"),
        "{head}"
    );
    assert_eq!(
        Upstream::header(&head, "x-forwarded-for"),
        Some("127.0.0.1"),
        "{head}"
    );
    assert_eq!(
        Upstream::header(&head, "x-forwarded-proto"),
        Some("http"),
        "{head}"
    );

    // mcpd's --max-body default, 4 MiB: that much passes, a byte more is refused by NGINX.
    let max = 4 * 1024 * 1024;
    let mut c = nginx.client();
    let body = "x".repeat(max);
    let res = c.request("POST", "/mcp", &[JSON], &body);
    assert_eq!(res.status, 200, "{max} bytes pass");
    assert_eq!(
        Upstream::header(&upstream.head(), "content-length"),
        Some(&*max.to_string())
    );
    let mut c = nginx.client();
    c.send_raw(
        format!(
            "POST /mcp HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-length: {}\r\n\r\n",
            max + 1
        )
        .as_bytes(),
    );
    let res = c.read_response();
    assert_eq!(res.status, 413, "{res:?}");
    assert!(
        upstream
            .heads
            .recv_timeout(Duration::from_millis(500))
            .is_err(),
        "the oversized request never reached the upstream"
    );
}

/// A self-signed certificate for 127.0.0.1 and its key, written into `dir`.
fn self_signed(dir: &Path) -> (PathBuf, PathBuf) {
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    let out = process::output_within(
        Command::new("openssl")
            .args([
                "req",
                "-x509",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:prime256v1",
            ])
            .args(["-nodes", "-days", "1", "-subj", "/CN=127.0.0.1", "-keyout"])
            .arg(&key)
            .arg("-out")
            .arg(&cert),
        WAIT,
    );
    assert!(
        out.status.success(),
        "openssl (apt-get install openssl): {out:?}"
    );
    (cert, key)
}

/// `curl -k` over HTTPS: the status line and headers, then the body.
fn curl(url: &str, args: &[&str]) -> String {
    let out = process::output_within(
        Command::new("curl")
            .args(["-sSk", "-i", "--max-time", "10"])
            .args(args)
            .arg(url),
        Duration::from_secs(20),
    );
    assert!(out.status.success(), "curl {url}: {out:?}");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn https_serves_the_routes_and_plain_http_redirects_to_it() {
    let dir = std::env::temp_dir().join(format!("mcpd-tls-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let (cert, key) = self_signed(&dir);
    let upstream = Upstream::start();
    let nginx = Nginx::start_with(upstream.port, 1, &Listen::Tls { cert, key });
    let _ = std::fs::remove_dir_all(&dir);
    let https = format!("https://{}", nginx.addr);

    let answer = curl(&format!("{https}/mcp"), &["--tlsv1.2", "-d", "{}"]);
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(
        answer
            .to_ascii_lowercase()
            .contains("strict-transport-security: max-age="),
        "{answer}"
    );
    let head = upstream.head();
    assert_eq!(
        Upstream::header(&head, "x-forwarded-proto"),
        Some("https"),
        "{head}"
    );
    let admin = curl(&format!("{https}/sessions"), &[]);
    assert!(admin.starts_with("HTTP/1.1 404"), "{admin}");

    let redirect_addr = nginx.redirect_addr.as_deref().expect("a redirecting port");
    let res = raw(redirect_addr, "POST", "/messages?sessionId=x", "127.0.0.1");
    assert_eq!(res.status, 308, "the method and body are kept: {res:?}");
    assert_eq!(
        res.header("location"),
        Some(&*format!("{https}/messages?sessionId=x")),
    );
    assert!(
        upstream
            .heads
            .recv_timeout(Duration::from_millis(200))
            .is_err(),
        "plain HTTP never reaches the upstream"
    );
}

#[test]
fn the_generator_options_and_the_max_body_of_mcpd() {
    let tls = String::from_utf8(generate(&[]).stdout).expect("text");
    for line in [
        "listen 443 ssl;",
        "ssl_certificate /etc/ssl/mcpd/fullchain.pem;",
        "ssl_certificate_key /etc/ssl/mcpd/privkey.pem;",
        "ssl_protocols TLSv1.2 TLSv1.3;",
        "listen 80;",
        "return 308 https://$host$request_uri;",
        "access_log /var/log/nginx/mcpd-access.log mcpd_access;",
        "proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;",
        "proxy_set_header X-Forwarded-Proto $scheme;",
    ] {
        assert!(tls.contains(line), "{line} in the default output:\n{tls}");
    }
    let on_8443 = String::from_utf8(generate(&["--listen", "0.0.0.0:8443"]).stdout).expect("text");
    assert!(on_8443.contains("listen 0.0.0.0:8443 ssl;"), "{on_8443}");
    assert!(
        on_8443.contains("return 308 https://$host:8443$request_uri;"),
        "{on_8443}"
    );
    let plain = String::from_utf8(
        generate(&["--plain", "--max-body", "1000", "--access-log", "off"]).stdout,
    )
    .expect("text");
    assert!(
        !plain.contains("ssl") && !plain.contains("return 308"),
        "{plain}"
    );
    assert!(plain.contains("listen 127.0.0.1:8080;"), "{plain}");
    assert!(plain.contains("client_max_body_size 1000;"), "{plain}");
    assert!(plain.contains("access_log off;"), "{plain}");
    for bad in [
        &["--max-body", "4MiB"][..],
        &["--server-name", "a b"],
        &["--listen"],
        &["--tls"],
    ] {
        let out = generate(bad);
        assert_eq!(out.status.code(), Some(2), "{bad:?}: {out:?}");
    }

    // The default limit is mcpd's default --max-body.
    let server = Server::mcpd(&["--store", "memory"]);
    let mut client = server.client();
    let s = client.initialize("2025-11-25");
    let read = client.call(&s, 1, "resources/read", json!({"uri": "config://server"}));
    let text = read.json()["result"]["contents"][0]["text"]
        .as_str()
        .expect("config text")
        .to_owned();
    let config: Value = serde_json::from_str(&text).expect("config JSON");
    let max_body = config["maxBody"].as_u64().expect("maxBody");
    assert!(
        tls.contains(&format!("client_max_body_size {max_body};")),
        "mcpd's --max-body is {max_body}:\n{tls}"
    );
}
