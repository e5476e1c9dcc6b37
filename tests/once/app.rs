//! `App::respond` called directly, without a socket: the application is a function from request
//! to response.

use std::rc::Rc;

use argh::FromArgs;
use http_types::{Method, Request, Url};
use mcpd::config::{Args, Config};
use mcpd::shutdown::Shutdown;
use mcpd::App;
use mcpd_storage::{AnyStore, MemoryStore};
use serde_json::{json, Value};
use smol::LocalExecutor;

fn request(method: Method, body: Option<&Value>, session: Option<&str>) -> Request {
    let mut req = Request::new(method, Url::parse("http://127.0.0.1/mcp").unwrap());
    req.insert_header("host", "127.0.0.1");
    req.insert_header("accept", "application/json, text/event-stream");
    req.insert_header("content-type", "application/json");
    if let Some(s) = session {
        req.insert_header("mcp-session-id", s);
    }
    if let Some(body) = body {
        req.set_body(body.to_string());
    }
    req
}

#[test]
fn respond_serves_a_whole_session_without_a_socket() {
    let executor = Rc::new(LocalExecutor::new());
    let config =
        Config::from_args(Args::from_args(&["mcpd"], &["--node-id", "direct"]).unwrap()).unwrap();
    let (_trigger, shutdown) = Shutdown::new();
    let store = AnyStore::Memory(MemoryStore::new(10));
    let app = App::new(
        config,
        mcpd::sample::registry(),
        store,
        executor.clone(),
        shutdown,
    )
    .unwrap();
    smol::block_on(executor.run(async {
        let init = json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"protocolVersion": "2025-06-18", "capabilities": {}}});
        let res = app.respond(request(Method::Post, Some(&init), None)).await;
        assert_eq!(res.status(), 200);
        let session = res
            .header("mcp-session-id")
            .expect("a session header")
            .as_str()
            .to_owned();
        assert!(session.starts_with("direct."), "{session}");

        let call = json!({"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {"name": "echo", "arguments": {"message": "direct"}}});
        let mut res = app.respond(request(Method::Post, Some(&call), Some(&session))).await;
        assert_eq!(res.status(), 200);
        let body: Value = res.body_json().await.expect("a JSON body");
        assert_eq!(body["result"]["content"][0]["text"], "direct");

        let res = app.respond(request(Method::Delete, None, Some(&session))).await;
        assert_eq!(res.status(), 200);
        let res = app.respond(request(Method::Post, Some(&call), Some(&session))).await;
        assert_eq!(res.status(), 404);
    }));
}
