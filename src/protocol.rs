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
