//! Static bearer tokens for the tests: a `--auth-tokens-file` made as an operator makes one
//! (`sha256sum` of each token), and requests made as the holder of a token.

use std::path::PathBuf;

use serde_json::json;

use super::client::WAIT;
use super::server::Server;

/// Principal A's token in the tests.
pub const ALICE: &str = "alice-secret-token";
/// Principal B's token in the tests.
pub const BOB: &str = "bob-secret-token";

/// A tokens file with `(subject, token, scopes)` lines, removed on drop.
pub struct TokensFile(pub PathBuf);

impl TokensFile {
    pub fn new(name: &str, tokens: &[(&str, &str, &str)]) -> TokensFile {
        let file = TokensFile(
            std::env::temp_dir().join(format!("mcpd-tokens-{}-{name}", std::process::id())),
        );
        file.write(tokens);
        file
    }

    pub fn write(&self, tokens: &[(&str, &str, &str)]) {
        let lines: String = tokens
            .iter()
            .map(|(subject, token, scopes)| format!("{subject} {} {scopes}\n", sha256_hex(token)))
            .collect();
        std::fs::write(&self.0, format!("# test tokens\n{lines}")).unwrap();
    }

    pub fn flag(&self) -> &str {
        self.0.to_str().unwrap()
    }
}

impl Drop for TokensFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// `sha256sum`'s digest of a token, as an operator makes a line.
fn sha256_hex(token: &str) -> String {
    let out = super::process::output_within(
        std::process::Command::new("sh").args(["-c", "printf %s \"$0\" | sha256sum", token]),
        WAIT,
    );
    String::from_utf8_lossy(&out.stdout)[..64].to_owned()
}

pub fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

/// Initializes a session as the holder of `token`.
pub fn initialize_as(server: &Server, token: &str) -> String {
    let auth = bearer(token);
    let mut c = server.client();
    let res = c.post(
        None,
        &super::client::initialize_body("2025-11-25"),
        &[("authorization", &auth)],
    );
    assert_eq!(res.status, 200, "{}", String::from_utf8_lossy(&res.body));
    let s = res.header("mcp-session-id").expect("a session").to_owned();
    let done = json!({"jsonrpc": "2.0", "method": "notifications/initialized"});
    assert_eq!(
        c.post(Some(&s), &done, &[("authorization", &auth)]).status,
        202
    );
    s
}
