//! Every flag's parsing (through the library, as `main` does) and the binary's exit codes.

use std::process::Command;
use std::time::Duration;

use argh::FromArgs;
use mcpd::config::{parse_duration, Args, Config, LogLevel, StoreKind};

use crate::support::process::output_within;

fn config(args: &[&str]) -> Result<Config, String> {
    let args = Args::from_args(&["mcpd"], args).map_err(|e| e.output)?;
    Config::from_args(args).map_err(|e| e.to_string())
}

#[test]
fn defaults_are_safe_and_documented() {
    let c = config(&[]).unwrap();
    assert_eq!(c.listen.to_string(), "127.0.0.1:3000");
    assert!(c.node_id.ends_with("-3000"), "{}", c.node_id);
    assert_eq!(c.store, StoreKind::Memory);
    assert_eq!(c.session_ttl, Duration::from_secs(24 * 3600));
    assert_eq!(
        (c.max_body, c.max_sessions, c.max_connections),
        (4 << 20, 10_000, 10_000)
    );
    assert!(!c.stateless && !c.json_response);
    assert_eq!(c.log_level, LogLevel::Info);
    assert_eq!((c.page_size, c.event_retention), (100, 1000));
    assert_eq!(c.keepalive, Duration::from_secs(15));
    assert_eq!(c.init_timeout, Duration::from_secs(60));
    assert_eq!(c.state_key_file, None);
    assert!(c.is_allowed_host("localhost:3000") && !c.is_allowed_host("evil.example.com"));
}

#[test]
fn every_flag_is_read() {
    let c = config(&[
        "--host",
        "0.0.0.0",
        "--port",
        "3005",
        "--node-id",
        "edge_1",
        "--store",
        "memory",
        "--session-ttl",
        "15m",
        "--max-body",
        "1024",
        "--max-sessions",
        "5",
        "--max-connections",
        "7",
        "--allowed-origins",
        "https://a.example, https://b.example",
        "--allowed-hosts",
        "mcp.example.com",
        "--stateless",
        "--json-response",
        "--log-level",
        "debug",
        "--header-timeout",
        "2s",
        "--body-timeout",
        "3s",
        "--idle-timeout",
        "4s",
        "--keepalive",
        "500ms",
        "--request-timeout",
        "1m",
        "--shutdown-grace",
        "9s",
        "--page-size",
        "3",
        "--event-retention",
        "50",
        "--init-timeout",
        "90s",
        "--state-key-file",
        "/etc/mcpd/state.key",
    ])
    .unwrap();
    assert_eq!(c.listen.to_string(), "0.0.0.0:3005");
    assert_eq!(c.node_id, "edge_1");
    assert_eq!(c.session_ttl, Duration::from_secs(900));
    assert_eq!(
        (c.max_body, c.max_sessions, c.max_connections),
        (1024, 5, 7)
    );
    assert!(c.is_allowed_origin("https://b.example") && !c.is_allowed_origin("https://c.example"));
    assert!(c.is_allowed_origin("http://127.0.0.1:9999"));
    assert!(c.is_allowed_host("mcp.example.com") && !c.is_allowed_host("other.example.com"));
    assert!(c.stateless && c.json_response);
    assert_eq!(c.log_level, LogLevel::Debug);
    assert_eq!(
        (c.header_timeout, c.body_timeout, c.idle_timeout),
        (
            Duration::from_secs(2),
            Duration::from_secs(3),
            Duration::from_secs(4)
        )
    );
    assert_eq!(
        (c.keepalive, c.request_timeout, c.shutdown_grace),
        (
            Duration::from_millis(500),
            Duration::from_secs(60),
            Duration::from_secs(9)
        )
    );
    assert_eq!((c.page_size, c.event_retention), (3, 50));
    assert_eq!(c.init_timeout, Duration::from_secs(90));
    assert_eq!(
        c.state_key_file.as_deref(),
        Some(std::path::Path::new("/etc/mcpd/state.key"))
    );
}

#[test]
fn star_allows_any_origin_or_host_and_a_public_bind_must_name_its_hosts() {
    let c = config(&["--allowed-origins", "*", "--allowed-hosts", "*"]).unwrap();
    assert!(
        c.is_allowed_origin("https://anything.example") && c.is_allowed_host("anything.example")
    );
    let public = config(&["--host", "0.0.0.0", "--allowed-hosts", "*"]).unwrap();
    assert!(public.is_allowed_host("mcp.example.com:3000"));
    let err = config(&["--host", "0.0.0.0"]).expect_err("a public bind names its hosts");
    assert!(err.contains("--allowed-hosts"), "{err}");
}

#[test]
fn access_flags_are_read_and_urls_are_https_except_on_loopback() {
    let c = config(&[
        "--public-url",
        "https://mcp.example.com/mcp",
        "--auth-issuer",
        "http://127.0.0.1:9000",
        "--auth-scopes",
        "mcp:tools  mcp:read",
        "--auth-tokens-file",
        "/etc/mcpd/tokens",
        "--admin-token-file",
        "/etc/mcpd/admin",
        "--admin-listen",
        "9100",
    ])
    .unwrap();
    let a = &c.access;
    assert!(a.is_on());
    assert_eq!(a.public_url.as_deref(), Some("https://mcp.example.com/mcp"));
    assert_eq!(a.issuer.as_deref(), Some("http://127.0.0.1:9000"));
    assert_eq!(a.scopes, ["mcp:tools", "mcp:read"]);
    assert_eq!(
        a.admin_listen.map(|l| l.to_string()).as_deref(),
        Some("127.0.0.1:9100")
    );
    assert!(config(&["--auth-issuer", "http://localhost:8080"]).is_ok());
    assert!(config(&["--auth-issuer", "http://[::1]:8080"]).is_ok());
    let off = config(&[]).unwrap();
    assert!(!off.access.is_on() && off.access.admin_listen.is_none());
    let public_admin = config(&[
        "--admin-listen",
        "0.0.0.0:9100",
        "--admin-token-file",
        "/etc/mcpd/admin",
    ]);
    assert!(public_admin.is_ok(), "a public admin listener with a token");
}

#[test]
fn durations_take_units() {
    assert_eq!(parse_duration("--x", "30s"), Ok(Duration::from_secs(30)));
    assert_eq!(parse_duration("--x", "15m"), Ok(Duration::from_secs(900)));
    assert_eq!(
        parse_duration("--x", "24h"),
        Ok(Duration::from_secs(86_400))
    );
    assert_eq!(
        parse_duration("--x", "2d"),
        Ok(Duration::from_secs(172_800))
    );
    assert_eq!(
        parse_duration("--x", "250ms"),
        Ok(Duration::from_millis(250))
    );
    for bad in [
        "",
        "30",
        "s",
        "1.5h",
        "10y",
        "0s",
        "-1s",
        "99999999999999999999d",
    ] {
        assert!(parse_duration("--x", bad).is_err(), "{bad}");
    }
}

#[test]
fn bad_values_name_their_flag() {
    for (args, flag) in [
        (vec!["--host", "not-an-ip"], "--host"),
        (
            vec!["--public-url", "http://mcp.example.com/mcp"],
            "--public-url",
        ),
        (vec!["--public-url", "mcp.example.com"], "--public-url"),
        (
            vec!["--auth-issuer", "ftp://issuer.example"],
            "--auth-issuer",
        ),
        (
            vec!["--auth-issuer", "http://issuer.example"],
            "--auth-issuer",
        ),
        (
            vec!["--auth-jwks-url", "https://issuer.example/jwks"],
            "--auth-jwks-url",
        ),
        (
            vec!["--auth-introspection-url", "https://as.example/introspect"],
            "--auth-client-file",
        ),
        (
            vec!["--auth-client-file", "/etc/mcpd/client"],
            "--auth-client-file",
        ),
        (vec!["--auth-audience", ""], "--auth-audience"),
        (vec!["--auth-tokens-file", ""], "--auth-tokens-file"),
        (vec!["--admin-listen", "nowhere"], "--admin-listen"),
        (vec!["--admin-listen", "0.0.0.0:9000"], "--admin-listen"),
        (vec!["--node-id", "has.dot"], "--node-id"),
        (vec!["--node-id", ""], "--node-id"),
        (vec!["--store", "mongodb"], "--store"),
        (vec!["--session-ttl", "forever"], "--session-ttl"),
        (vec!["--max-body", "0"], "--max-body"),
        (vec!["--max-sessions", "0"], "--max-sessions"),
        (vec!["--max-connections", "0"], "--max-connections"),
        (vec!["--log-level", "loud"], "--log-level"),
        (vec!["--header-timeout", "1"], "--header-timeout"),
        (vec!["--body-timeout", "x"], "--body-timeout"),
        (vec!["--idle-timeout", "0s"], "--idle-timeout"),
        (vec!["--keepalive", "5q"], "--keepalive"),
        (vec!["--request-timeout", "m"], "--request-timeout"),
        (vec!["--shutdown-grace", "-3s"], "--shutdown-grace"),
        (vec!["--page-size", "0"], "--page-size"),
        (vec!["--event-retention", "0"], "--event-retention"),
        (vec!["--init-timeout", "soon"], "--init-timeout"),
        (vec!["--port", "70000"], "--port"),
        (vec!["--max-body", "lots"], "--max-body"),
    ] {
        let err = config(&args).expect_err(&format!("{args:?} should fail"));
        assert!(err.contains(flag), "{args:?}: {err}");
    }
}

/// Runs mcpd to its end (a start that should have failed fails the test instead of hanging it).
fn run_binary(args: &[&str]) -> std::process::Output {
    output_within(
        Command::new(env!("CARGO_BIN_EXE_mcpd")).args(args),
        Duration::from_secs(10),
    )
}

#[test]
fn the_binary_exits_2_with_one_line_naming_the_flag() {
    for (args, flag) in [
        (vec!["--port", "abc"], "--port"),
        (vec!["--session-ttl", "1x"], "--session-ttl"),
        (vec!["--bogus"], "--bogus"),
    ] {
        let out = run_binary(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
        assert!(stderr.contains(flag), "{stderr}");
    }
}

/// `--help`'s options, each with its whole text (a flag's first line and the lines indented
/// under it, up to the next flag).
fn help_options(help: &str) -> Vec<(String, String)> {
    let options = help
        .split("\nOptions:\n")
        .nth(1)
        .expect("an Options section");
    let mut blocks: Vec<(String, String)> = Vec::new();
    for line in options.lines() {
        let trimmed = line.trim_start();
        let indent = line.len() - trimmed.len();
        if indent == 2 && trimmed.starts_with("--") {
            let name = trimmed.split([' ', ',']).next().unwrap().to_owned();
            blocks.push((name, trimmed.to_owned()));
        } else if let Some((_, text)) = blocks.last_mut() {
            text.push(' ');
            text.push_str(trimmed);
        }
    }
    blocks
}

#[test]
fn help_documents_every_flag_with_its_default() {
    let out = run_binary(&["--help"]);
    assert_eq!(out.status.code(), Some(0));
    let help = String::from_utf8_lossy(&out.stdout);
    let options = help_options(&help);
    let documented: Vec<&str> = options.iter().map(|(name, _)| name.as_str()).collect();
    let expected = [
        "--host",
        "--port",
        "--node-id",
        "--store",
        "--data-dir",
        "--redis-url",
        "--session-ttl",
        "--max-body",
        "--max-sessions",
        "--max-connections",
        "--allowed-origins",
        "--allowed-hosts",
        "--stateless",
        "--json-response",
        "--log-level",
        "--header-timeout",
        "--body-timeout",
        "--idle-timeout",
        "--keepalive",
        "--request-timeout",
        "--state-key-file",
        "--shutdown-grace",
        "--init-timeout",
        "--page-size",
        "--event-retention",
        "--public-url",
        "--auth-issuer",
        "--auth-jwks-url",
        "--auth-introspection-url",
        "--auth-client-file",
        "--auth-audience",
        "--auth-scopes",
        "--auth-tokens-file",
        "--admin-token-file",
        "--admin-listen",
        "--help",
    ];
    assert_eq!(documented, expected, "the options --help lists");
    let usage = help.lines().next().unwrap_or_default();
    for flag in &expected[..expected.len() - 1] {
        assert!(
            usage.contains(&format!("[{flag}")),
            "{flag} missing from the usage line"
        );
    }
    for (flag, text) in &options {
        let switch = matches!(flag.as_str(), "--stateless" | "--json-response" | "--help");
        assert!(
            switch || text.contains("(default: "),
            "{flag} has no default in --help: {text:?}"
        );
    }
}

#[test]
fn a_port_in_use_exits_1_with_a_clear_message() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let out = run_binary(&["--port", &port]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot listen"));
}

#[test]
fn store_flags_pick_the_backend_and_passwords_never_show() {
    use mcpd::config::mask_password;
    let redis = config(&[
        "--store",
        "redis",
        "--redis-url",
        "redis://:s3cret@10.0.0.5:6380/2",
    ])
    .unwrap();
    assert_eq!(
        redis.store,
        StoreKind::Redis("redis://:s3cret@10.0.0.5:6380/2".into())
    );
    let shown = redis.to_json().to_string();
    assert!(
        !shown.contains("s3cret") && shown.contains("10.0.0.5:6380"),
        "{shown}"
    );
    assert_eq!(
        mask_password("redis://user:pw@host:1/0"),
        "redis://user:****@host:1/0"
    );
    assert_eq!(mask_password("redis://host:1"), "redis://host:1");
    let file = config(&["--store", "file", "--data-dir", "/tmp/x"]).unwrap();
    assert_eq!(file.store, StoreKind::File("/tmp/x".into()));
    assert!(config(&["--store", "redis", "--redis-url", "http://nope"])
        .unwrap_err()
        .contains("--redis-url"));
    assert!(config(&["--store", "file", "--data-dir", ""])
        .unwrap_err()
        .contains("--data-dir"));
}
