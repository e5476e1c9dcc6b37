//! MRTR on the 2026-07-28 wire across processes: the first round on one node answers
//! `input_required` with a signed `requestState`; the retry, served by another node holding the
//! same `--state-key-file`, completes. A tampered state, or one signed with another key, is
//! refused with -32602.

use std::os::unix::fs::PermissionsExt;

use serde_json::{json, Value};

use crate::support::modern::{modern, send};
use crate::support::Backing;
use crate::support::*;

const TOOL: &str = "test_input_required_result_elicitation";

fn round(server: &Server, id: u64, extra: Value) -> Response {
    let mut body = modern(
        json!(id),
        "tools/call",
        json!({"name": TOOL, "arguments": {}}),
        json!({"elicitation": {}}),
    );
    for (k, v) in extra.as_object().expect("extra params as an object") {
        body["params"][k] = v.clone();
    }
    send(&mut server.client(), &body, &[])
}

#[test]
fn a_retry_is_served_by_another_process_holding_the_same_state_key() {
    let dir = std::env::temp_dir().join(format!("mcpd-mrtr-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let key = dir.join("state.key");
    let _ = std::fs::remove_file(&key);
    let key_flag = key.to_str().unwrap();
    let a = Server::everything_on(Backing::redis(), &["--state-key-file", key_flag]);
    let b = a.another_node();

    let text = std::fs::read_to_string(&key).expect("the key file, created by the first node");
    assert_eq!(text.trim().len(), 64, "{text:?}");
    assert!(
        text.trim().bytes().all(|b| b.is_ascii_hexdigit()),
        "{text:?}"
    );
    assert_eq!(
        std::fs::metadata(&key)
            .expect("the key file")
            .permissions()
            .mode()
            & 0o777,
        0o600
    );

    let first = round(&a, 1, json!({})).json()["result"].clone();
    assert_eq!(first["resultType"], "input_required", "{first}");
    assert_eq!(
        first["inputRequests"]["user_name"]["method"],
        "elicitation/create"
    );
    assert!(
        first.get("ttlMs").is_none(),
        "no cache hints on input_required"
    );
    let state = first["requestState"]
        .as_str()
        .unwrap_or_else(|| panic!("no requestState in {first}"))
        .to_owned();

    let answer = json!({"user_name": {"action": "accept", "content": {"name": "octocat"}}});
    let done = round(
        &b,
        2,
        json!({"inputResponses": answer, "requestState": state}),
    );
    let result = &done.json()["result"];
    assert_eq!(result["resultType"], "complete", "{result}");
    assert!(
        result["content"][0]["text"]
            .as_str()
            .is_some_and(|t| t.contains("octocat")),
        "{result}"
    );

    let tampered = round(
        &b,
        3,
        json!({"inputResponses": answer, "requestState": format!("{state}-TAMPERED")}),
    );
    assert_eq!((tampered.status, tampered.error_code()), (400, -32602));
    assert_eq!(tampered.json()["id"], 3);

    // A process with a key of its own cannot vouch for the state.
    let c = Server::everything_on(Backing::redis(), &[]);
    let foreign = round(
        &c,
        4,
        json!({"inputResponses": answer, "requestState": state}),
    );
    assert_eq!((foreign.status, foreign.error_code()), (400, -32602));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_state_key_file_too_short_stops_the_start_with_a_message_naming_the_flag() {
    let file = std::env::temp_dir().join(format!("mcpd-short-key-{}", std::process::id()));
    std::fs::write(&file, "short\n").unwrap();
    // A start that went ahead would run until killed: wait with a bound.
    let out = process::output_within(
        std::process::Command::new(env!("CARGO_BIN_EXE_mcpd")).args([
            "--port",
            "0",
            "--state-key-file",
            &file.display().to_string(),
        ]),
        WAIT,
    );
    let _ = std::fs::remove_file(&file);
    assert!(out.status.code().is_some_and(|code| code != 0), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("--state-key-file") && stderr.contains("32"),
        "{stderr}"
    );
}

#[test]
fn processes_starting_together_on_a_missing_key_file_all_start_with_one_key() {
    for round in 0..20 {
        let dir =
            std::env::temp_dir().join(format!("mcpd-key-race-{}-{round}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let key = dir.join("state.key");
        let key_flag = key.display().to_string();
        // Each start must find a whole key: one that reads a half-written file exits at once,
        // before its banner.
        let starts: Vec<_> = (0..8)
            .map(|_| {
                let flag = key_flag.clone();
                std::thread::spawn(move || drop(Server::mcpd(&["--state-key-file", &flag])))
            })
            .collect();
        for start in starts {
            assert!(
                start.join().is_ok(),
                "round {round}: a process did not start"
            );
        }
        let text = std::fs::read_to_string(&key).unwrap();
        assert_eq!(text.trim().len(), 64, "{text:?}");
        let leftovers = std::fs::read_dir(&dir).unwrap().count();
        assert_eq!(leftovers, 1, "no temporary files left behind");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
