//! The admin routes are never public: 404 on the MCP port unless `--admin-token-file` is given,
//! and then only for that token; `--admin-listen` serves them and `/health`, nothing else.

use serde_json::json;

use crate::support::{Server, WAIT};

const TOKEN: &str = "an-admin-token-of-some-length";

fn token_file(name: &str) -> std::path::PathBuf {
    let file = std::env::temp_dir().join(format!("mcpd-admin-{}-{name}", std::process::id()));
    std::fs::write(&file, format!("{TOKEN}\n")).unwrap();
    file
}

#[test]
fn on_the_mcp_port_the_admin_routes_answer_only_the_admin_token() {
    let file = token_file("port");
    let server = Server::mcpd(&["--admin-token-file", file.to_str().unwrap()]);
    let s = server.client().initialize("2025-11-25");
    let bearer = format!("Bearer {TOKEN}");
    let mut c = server.client();
    for headers in [
        vec![],
        vec![("authorization", "Bearer wrong-token-of-some-length")],
    ] {
        let list = c.request("GET", "/sessions", &headers, "");
        assert_eq!(list.status, 404, "{headers:?}");
        assert!(!String::from_utf8_lossy(&list.body).contains(&s));
        let end = c.request("DELETE", &format!("/sessions/{s}"), &headers, "");
        assert_eq!(end.status, 404, "{headers:?}");
    }
    let list = c.request("GET", "/sessions", &[("authorization", &bearer)], "");
    assert_eq!((list.status, list.json()["total"].clone()), (200, json!(1)));
    let end = c.request(
        "DELETE",
        &format!("/sessions/{s}"),
        &[("authorization", &bearer)],
        "",
    );
    assert_eq!(end.status, 200);
    assert_eq!(c.call(&s, 1, "ping", json!({})).status, 404, "ended");
    let _ = std::fs::remove_file(file);
}

#[test]
fn the_admin_listener_serves_sessions_and_health_and_nothing_of_mcp() {
    let server = Server::mcpd(&["--admin-listen", "127.0.0.1:0"]);
    let s = server.client().initialize("2025-11-25");
    let mut admin = server.admin();
    let list = admin.request("GET", "/sessions", &[], "").json();
    assert_eq!(list["sessions"][0]["id"], s.as_str());
    assert_eq!(admin.request("GET", "/health", &[], "").status, 200);
    let mcp = admin.post(
        Some(&s),
        &json!({"jsonrpc": "2.0", "id": 1, "method": "ping"}),
        &[],
    );
    assert_eq!(mcp.status, 404, "no MCP on the admin listener");
    assert_eq!(
        server.client().request("GET", "/sessions", &[], "").status,
        404,
        "and no admin on the MCP port"
    );
    let mut get = server.client();
    assert_eq!(get.open_get(&s, None), 200);
    assert_eq!(
        admin
            .request("DELETE", &format!("/sessions/{s}"), &[], "")
            .status,
        200
    );
    get.expect_end(WAIT);
}

#[test]
fn an_admin_listener_with_a_token_file_wants_the_token_too() {
    let file = token_file("listener");
    let server = Server::mcpd(&[
        "--admin-listen",
        "127.0.0.1:0",
        "--admin-token-file",
        file.to_str().unwrap(),
    ]);
    let mut admin = server.admin();
    assert_eq!(admin.request("GET", "/sessions", &[], "").status, 404);
    let bearer = format!("Bearer {TOKEN}");
    let list = admin.request("GET", "/sessions", &[("authorization", &bearer)], "");
    assert_eq!(list.status, 200);
    let _ = std::fs::remove_file(file);
}

#[test]
fn a_short_admin_token_stops_the_start_naming_the_flag() {
    let file = std::env::temp_dir().join(format!("mcpd-admin-short-{}", std::process::id()));
    std::fs::write(&file, "short\n").unwrap();
    let out = crate::support::process::output_within(
        std::process::Command::new(env!("CARGO_BIN_EXE_mcpd")).args([
            "--port",
            "0",
            "--admin-token-file",
            file.to_str().unwrap(),
        ]),
        WAIT,
    );
    let _ = std::fs::remove_file(&file);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("--admin-token-file"));
}
