//! The MCP protocol versions mcpd speaks, and every version-dependent rule as a predicate.

/// A protocol version negotiated by `initialize` (the sessionful eras, 2024-11-05 to 2025-11-25).
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
}

/// The sessionless revision: not served yet, but named so `server/discover` can be refused cleanly.
pub const MODERN_VERSION: &str = "2026-07-28";

impl ProtocolVersion {
    /// Every version served, oldest first.
    pub const ALL: [ProtocolVersion; 4] = [
        ProtocolVersion::V2024_11_05,
        ProtocolVersion::V2025_03_26,
        ProtocolVersion::V2025_06_18,
        ProtocolVersion::V2025_11_25,
    ];
    /// The answer to a client asking for a version we do not know.
    pub const LATEST: ProtocolVersion = ProtocolVersion::V2025_11_25;
    /// What a Streamable HTTP request without `MCP-Protocol-Version` is taken to speak.
    pub const HEADERLESS: ProtocolVersion = ProtocolVersion::V2025_03_26;

    /// The version a string names, if served.
    pub fn parse(text: &str) -> Option<ProtocolVersion> {
        Self::ALL.into_iter().find(|v| v.as_str() == text)
    }

    /// The client's version when served, else our latest (the spec's negotiation rule).
    pub fn negotiate(requested: &str) -> ProtocolVersion {
        Self::parse(requested).unwrap_or(Self::LATEST)
    }

    /// The wire spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            ProtocolVersion::V2024_11_05 => "2024-11-05",
            ProtocolVersion::V2025_03_26 => "2025-03-26",
            ProtocolVersion::V2025_06_18 => "2025-06-18",
            ProtocolVersion::V2025_11_25 => "2025-11-25",
        }
    }

    /// Whether a POST body may be a JSON-RPC batch.
    pub fn allows_batches(self) -> bool {
        self == ProtocolVersion::V2025_03_26
    }

    /// Whether SSE streams start with a priming event (id + empty data) and a `retry:` hint.
    pub fn primes_sse(self) -> bool {
        self >= ProtocolVersion::V2025_11_25
    }

    /// Whether invalid tool arguments come back as an `isError` result (SEP-1303) rather than
    /// a -32602 error.
    pub fn reports_invalid_arguments_as_tool_errors(self) -> bool {
        self >= ProtocolVersion::V2025_11_25
    }
}
