//! The MCP protocol versions mcpd speaks, every version-dependent rule as a predicate, and the
//! per-request decision between the sessionful eras and the sessionless 2026-07-28 one.

use serde_json::Value;

/// The `_meta` key that carries a 2026-07-28 request's protocol version.
pub const META_VERSION: &str = "io.modelcontextprotocol/protocolVersion";

/// A protocol version: negotiated by `initialize` (2024-11-05 to 2025-11-25), or carried by every
/// request (2026-07-28).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ProtocolVersion {
    /// HTTP+SSE era.
    V2024_11_05,
    /// First Streamable HTTP version; the only one with JSON-RPC batches.
    V2025_03_26,
    /// Adds the `MCP-Protocol-Version` header, elicitation, structured content.
    V2025_06_18,
    /// Adds SSE priming and polling, 403 for bad origins, SEP-1303 validation errors.
    V2025_11_25,
    /// Sessionless: `server/discover`, per-request `_meta`, `subscriptions/listen`, MRTR.
    V2026_07_28,
}

/// Which rules a request is served by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Era {
    /// 2024-11-05 to 2025-11-25: `initialize` opens a session, the rest names it.
    Sessionful,
    /// 2026-07-28: every request stands alone.
    Sessionless,
}

impl Era {
    /// The era of a POST, body first (mcp-2026.md §1): `params._meta` naming a protocol version
    /// makes it sessionless whatever the headers say; so does an `MCP-Protocol-Version` header
    /// that names no sessionful version (the ladder then refuses the missing `_meta`).
    pub fn of_post(body: &Value, header_version: Option<&str>) -> Era {
        let has_meta_version = body
            .get("params")
            .and_then(|p| p.get("_meta"))
            .and_then(|m| m.get(META_VERSION))
            .is_some();
        if has_meta_version {
            return Era::Sessionless;
        }
        Era::of_header(header_version)
    }

    /// The era of a request without a body to read (GET, DELETE): the header alone.
    pub fn of_header(header_version: Option<&str>) -> Era {
        match header_version.map(str::trim) {
            Some(v) if ProtocolVersion::parse_sessionful(v).is_none() => Era::Sessionless,
            _ => Era::Sessionful,
        }
    }
}

impl ProtocolVersion {
    /// Every sessionful version, oldest first: what `initialize` can negotiate.
    pub const ALL: [ProtocolVersion; 4] = [
        ProtocolVersion::V2024_11_05,
        ProtocolVersion::V2025_03_26,
        ProtocolVersion::V2025_06_18,
        ProtocolVersion::V2025_11_25,
    ];
    /// Every version served, newest first: `server/discover`'s `supportedVersions` and the
    /// `supported` list of an unsupported-version error.
    pub const SERVED: [ProtocolVersion; 5] = [
        ProtocolVersion::V2026_07_28,
        ProtocolVersion::V2025_11_25,
        ProtocolVersion::V2025_06_18,
        ProtocolVersion::V2025_03_26,
        ProtocolVersion::V2024_11_05,
    ];
    /// The sessionless version.
    pub const SESSIONLESS: ProtocolVersion = ProtocolVersion::V2026_07_28;
    /// The answer to a client asking for a version we do not know.
    pub const LATEST: ProtocolVersion = ProtocolVersion::V2025_11_25;
    /// What a Streamable HTTP request without `MCP-Protocol-Version` is taken to speak.
    pub const HEADERLESS: ProtocolVersion = ProtocolVersion::V2025_03_26;

    /// The sessionful version a string names, if served.
    pub fn parse_sessionful(text: &str) -> Option<ProtocolVersion> {
        Self::ALL.into_iter().find(|v| v.as_str() == text)
    }

    /// The wire spellings of [`ProtocolVersion::SERVED`].
    pub fn served() -> Vec<&'static str> {
        Self::SERVED.iter().map(|v| v.as_str()).collect()
    }

    /// The client's version when served by `initialize`, else our latest (the spec's rule).
    pub fn negotiate(requested: &str) -> ProtocolVersion {
        Self::parse_sessionful(requested).unwrap_or(Self::LATEST)
    }

    /// The wire spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            ProtocolVersion::V2024_11_05 => "2024-11-05",
            ProtocolVersion::V2025_03_26 => "2025-03-26",
            ProtocolVersion::V2025_06_18 => "2025-06-18",
            ProtocolVersion::V2025_11_25 => "2025-11-25",
            ProtocolVersion::V2026_07_28 => "2026-07-28",
        }
    }

    /// Whether requests stand alone: no session, no resumable streams, no event ids, MRTR
    /// instead of server→client requests, logging only when the request asks for it.
    pub fn is_sessionless(self) -> bool {
        self == ProtocolVersion::V2026_07_28
    }

    /// Whether a method exists in this version: `server/discover` and `subscriptions/listen`
    /// only sessionless; `initialize`, `ping`, `logging/setLevel` and resource subscriptions
    /// only sessionful.
    pub fn serves(self, method: &str) -> bool {
        match method {
            "server/discover" | "subscriptions/listen" => self.is_sessionless(),
            "initialize"
            | "ping"
            | "logging/setLevel"
            | "resources/subscribe"
            | "resources/unsubscribe" => !self.is_sessionless(),
            _ => true,
        }
    }

    /// Whether a POST body may be a JSON-RPC batch.
    pub fn allows_batches(self) -> bool {
        self == ProtocolVersion::V2025_03_26
    }

    /// Whether SSE streams start with a priming event (id + empty data) and a `retry:` hint.
    pub fn primes_sse(self) -> bool {
        self == ProtocolVersion::V2025_11_25
    }

    /// Whether invalid tool arguments come back as an `isError` result (SEP-1303) rather than
    /// a -32602 error.
    pub fn reports_invalid_arguments_as_tool_errors(self) -> bool {
        self >= ProtocolVersion::V2025_11_25
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    const SESSIONFUL: [&str; 4] = ["2024-11-05", "2025-03-26", "2025-06-18", "2025-11-25"];
    /// Header values that name no sessionful version.
    const NOT_SESSIONFUL: [&str; 5] = ["2026-07-28", "2099-01-01", "2025-6-18", "", "latest"];

    fn with_meta(version: Value) -> Value {
        json!({ "jsonrpc": "2.0", "id": 1, "method": "tools/list",
            "params": { "_meta": { META_VERSION: version } } })
    }

    /// Every header case: absent, each sessionful version, and values naming none.
    fn headers() -> Vec<Option<&'static str>> {
        let named = SESSIONFUL.iter().chain(&NOT_SESSIONFUL);
        std::iter::once(None)
            .chain(named.map(|v| Some(*v)))
            .collect()
    }

    #[test]
    fn a_body_naming_a_version_in_meta_is_sessionless_whatever_the_header_says() {
        for version in [
            json!("2026-07-28"),
            json!("2025-11-25"),
            json!("bogus"),
            json!(null),
        ] {
            let body = with_meta(version);
            for header in headers() {
                assert_eq!(
                    Era::of_post(&body, header),
                    Era::Sessionless,
                    "{body} with {header:?}"
                );
            }
        }
    }

    #[test]
    fn without_meta_a_post_follows_its_header() {
        let bodies = [
            json!({ "jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {} }),
            json!({ "jsonrpc": "2.0", "id": 1, "method": "tools/list" }),
            json!({ "jsonrpc": "2.0", "id": 1, "method": "tools/list",
                "params": { "_meta": { "progressToken": 1 } } }),
            // The key anywhere but `params._meta`: beside `_meta`, in `params`, at the top.
            json!({ "jsonrpc": "2.0", "id": 1, "method": "tools/list",
                "params": { "protocolVersion": "2026-07-28", META_VERSION: "2026-07-28" },
                "_meta": { META_VERSION: "2026-07-28" } }),
            json!({ "jsonrpc": "2.0", "id": 1, "method": "tools/list",
                "_meta": { META_VERSION: "2026-07-28" } }),
            json!([{ "jsonrpc": "2.0", "id": 1, "method": "tools/list" }]),
            json!("not an object"),
        ];
        for body in &bodies {
            for header in headers() {
                let expected = match header {
                    Some(v) if !SESSIONFUL.contains(&v) => Era::Sessionless,
                    _ => Era::Sessionful,
                };
                assert_eq!(
                    Era::of_post(body, header),
                    expected,
                    "{body} with {header:?}"
                );
            }
        }
    }

    #[test]
    fn a_header_naming_a_sessionful_version_or_none_is_sessionful() {
        assert_eq!(Era::of_header(None), Era::Sessionful);
        for v in SESSIONFUL {
            assert_eq!(Era::of_header(Some(v)), Era::Sessionful, "{v}");
            let padded = format!(" {v}\t");
            assert_eq!(Era::of_header(Some(&padded)), Era::Sessionful, "{padded:?}");
        }
    }

    #[test]
    fn a_header_naming_no_sessionful_version_is_sessionless() {
        for v in NOT_SESSIONFUL
            .into_iter()
            .chain([" ", "2025-11-25,2025-06-18"])
        {
            assert_eq!(Era::of_header(Some(v)), Era::Sessionless, "{v:?}");
        }
    }

    #[test]
    fn only_the_four_handshake_versions_parse_as_sessionful() {
        for v in ProtocolVersion::ALL {
            assert_eq!(ProtocolVersion::parse_sessionful(v.as_str()), Some(v));
            assert!(!v.is_sessionless());
        }
        let spelled: Vec<_> = ProtocolVersion::ALL.iter().map(|v| v.as_str()).collect();
        assert_eq!(spelled, SESSIONFUL, "oldest first");
        for v in NOT_SESSIONFUL
            .into_iter()
            .chain([" 2025-06-18", "2025-06-18 "])
        {
            assert_eq!(ProtocolVersion::parse_sessionful(v), None, "{v:?}");
        }
        assert!(ProtocolVersion::SESSIONLESS.is_sessionless());
    }

    #[test]
    fn initialize_grants_a_served_sessionful_version_else_the_latest() {
        for v in ProtocolVersion::ALL {
            assert_eq!(ProtocolVersion::negotiate(v.as_str()), v);
        }
        for v in NOT_SESSIONFUL {
            assert_eq!(
                ProtocolVersion::negotiate(v),
                ProtocolVersion::V2025_11_25,
                "{v:?}"
            );
        }
    }

    #[test]
    fn every_version_is_served_newest_first() {
        assert_eq!(
            ProtocolVersion::served(),
            [
                "2026-07-28",
                "2025-11-25",
                "2025-06-18",
                "2025-03-26",
                "2024-11-05"
            ]
        );
    }

    #[test]
    fn each_method_is_served_only_in_its_era() {
        let sessionless = ["server/discover", "subscriptions/listen"];
        let sessionful = [
            "initialize",
            "ping",
            "logging/setLevel",
            "resources/subscribe",
            "resources/unsubscribe",
        ];
        let both = ["tools/list", "tools/call", "resources/read", "prompts/get"];
        for v in ProtocolVersion::SERVED {
            let modern = v.is_sessionless();
            for m in sessionless {
                assert_eq!(v.serves(m), modern, "{m} in {}", v.as_str());
            }
            for m in sessionful {
                assert_eq!(v.serves(m), !modern, "{m} in {}", v.as_str());
            }
            for m in both {
                assert!(v.serves(m), "{m} in {}", v.as_str());
            }
        }
    }

    #[test]
    fn version_rules_switch_on_at_their_own_versions() {
        use ProtocolVersion::*;
        let batches: Vec<_> = ProtocolVersion::SERVED
            .into_iter()
            .filter(|v| v.allows_batches())
            .collect();
        assert_eq!(batches, [V2025_03_26]);
        let priming: Vec<_> = ProtocolVersion::SERVED
            .into_iter()
            .filter(|v| v.primes_sse())
            .collect();
        assert_eq!(priming, [V2025_11_25]);
        let tool_errors: Vec<_> = ProtocolVersion::SERVED
            .into_iter()
            .filter(|v| v.reports_invalid_arguments_as_tool_errors())
            .collect();
        assert_eq!(tool_errors, [V2026_07_28, V2025_11_25]);
    }
}
