//! `subscriptions/listen` (2026-07-28): the acknowledgement first, only the kinds asked for,
//! each tagged with the listen id (same JSON type), keep-alive comments, a result on shutdown.
//! (A change reaching a listen stream on another node is in `once/stores.rs`.)

use std::time::{Duration, Instant};

use serde_json::json;

use crate::support::modern::{listen, modern_call};
use crate::support::sse::Next;
use crate::support::*;

#[test]
fn listen_acknowledges_first_then_sends_only_what_was_asked_tagged_and_ends_on_shutdown() {
    // A grace far beyond every wait below: the process reaching it cannot pass for the streams
    // ending, nor for the drain being done.
    let mut server = Server::everything(&["--keepalive", "200ms", "--shutdown-grace", "60s"]);
    let mut tools = listen(
        &server,
        json!("listen-1"),
        json!({"toolsListChanged": true}),
    );
    let watched =
        json!({"promptsListChanged": true, "resourceSubscriptions": ["test://watched-resource"]});
    let mut prompts = listen(&server, json!(7), watched);

    modern_call(&server, "test_trigger_tool_change");
    modern_call(&server, "update_watched_resource");
    modern_call(&server, "test_trigger_prompt_change");
    let heard = tools.expect_messages(1, WAIT).pop().expect("a message");
    assert_eq!(heard["method"], "notifications/tools/list_changed");
    assert_eq!(
        heard["params"]["_meta"]["io.modelcontextprotocol/subscriptionId"],
        "listen-1"
    );
    assert!(heard.get("id").is_none());
    // The prompts listener heard no tools change: first the resource it follows, then prompts.
    let heard = prompts.expect_messages(2, WAIT);
    assert_eq!(
        heard[0]["method"], "notifications/resources/updated",
        "{heard:?}"
    );
    assert_eq!(heard[0]["params"]["uri"], "test://watched-resource");
    assert_eq!(
        heard[1]["method"], "notifications/prompts/list_changed",
        "{heard:?}"
    );
    assert_eq!(
        heard[1]["params"]["_meta"]["io.modelcontextprotocol/subscriptionId"],
        7
    );

    // Then only keep-alive comments (every 200 ms): nothing the tools listener did not ask for.
    let within = Duration::from_secs(5);
    let deadline = Instant::now() + within;
    let mut raw = String::new();
    while !raw.contains(": keepalive") {
        match tools.next_chunk(deadline.saturating_duration_since(Instant::now())) {
            Next::Item(chunk) => raw.push_str(&String::from_utf8_lossy(&chunk)),
            other => panic!(
                "no keep-alive comment within {within:?}: {raw:?}, then {}",
                other.describe()
            ),
        }
    }
    assert!(
        !raw.contains("data:"),
        "only comments on the tools stream: {raw:?}"
    );

    server.signal("TERM");
    // Each listen request gets its result, and its stream ends after it.
    for (stream, id) in [(&mut tools, json!("listen-1")), (&mut prompts, json!(7))] {
        let last = stream
            .expect_messages(1, WAIT)
            .pop()
            .expect("the listen result");
        assert_eq!(last["id"], id, "{last}");
        assert_eq!(last["result"]["resultType"], "complete", "{last}");
        assert_eq!(
            last["result"]["_meta"]["io.modelcontextprotocol/subscriptionId"],
            id
        );
        stream.expect_end(WAIT);
    }
    assert_eq!(
        server.wait(Duration::from_secs(10)),
        Some(0),
        "exit 0 once drained"
    );
}
