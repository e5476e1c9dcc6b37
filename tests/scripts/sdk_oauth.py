"""The official MCP Python SDK client (mcp 2.x) reaching mcpd through OAuth, as a machine client
would: from mcpd's 401 it reads the protected-resource metadata named in the challenge, then the
authorization server's metadata, asks its token endpoint for a client-credentials token with
`resource` (RFC 8707), and calls tools with it. Checks that each of those steps went over the wire.

Usage: sdk_oauth.py BASE_URL ISSUER MODE, MODE one of auto (server/discover probe: 2026-07-28),
legacy (initialize) over Streamable HTTP at BASE_URL/mcp, or sse (the legacy HTTP+SSE transport at
BASE_URL/sse; mcpd's --public-url must then be BASE_URL/, a resource covering /sse).
"""
import asyncio
import sys

from mcp.client import Client
from mcp.client.auth.extensions.client_credentials import ClientCredentialsOAuthProvider
from mcp.client.sse import sse_client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client


class Tokens:
    """Token storage in memory (a fresh client: no token to begin with)."""

    def __init__(self):
        self.tokens = None
        self.client_info = None

    async def get_tokens(self):
        return self.tokens

    async def set_tokens(self, tokens):
        self.tokens = tokens

    async def get_client_info(self):
        return self.client_info

    async def set_client_info(self, client_info):
        self.client_info = client_info


async def main(base: str, issuer: str, mode: str) -> None:
    endpoint = f"{base}/sse" if mode == "sse" else f"{base}/mcp"
    provider = ClientCredentialsOAuthProvider(
        server_url=endpoint,
        storage=Tokens(),
        client_id="client-a",
        client_secret="secret-a",
        issuer=issuer,
    )
    seen = []

    async def record(response):
        request = response.request
        body = request.content.decode() if request.method == "POST" else ""
        seen.append((request.method, str(request.url), response.status_code, body))

    if mode == "sse":
        def factory(headers=None, timeout=None, auth=None):
            client = create_mcp_http_client(headers=headers, timeout=timeout, auth=auth)
            client.event_hooks["response"].append(record)
            return client

        target = sse_client(endpoint, auth=provider, httpx_client_factory=factory)
    else:
        http = create_mcp_http_client(auth=provider)
        http.event_hooks["response"].append(record)
        target = streamable_http_client(endpoint, http_client=http)
    async with Client(target, mode="legacy" if mode == "sse" else mode) as client:
        version = client.protocol_version
        assert version == ("2026-07-28" if mode == "auto" else "2025-11-25"), version
        names = sorted(t.name for t in (await client.list_tools()).tools)
        assert names == ["calculator", "echo"], names
        echoed = await client.call_tool("echo", {"message": "hello over OAuth"})
        assert echoed.content[0].text == "hello over OAuth", echoed
        product = await client.call_tool("calculator", {"operation": "multiply", "a": 6, "b": 7})
        assert product.content[0].text == "42" and not product.is_error, product

    def first(what, test):
        found = [s for s in seen if test(s)]
        assert found, f"no {what} in {[(m, u, s) for m, u, s, _ in seen]}"
        return found[0]

    first("401 from mcpd", lambda s: s[1].startswith(base) and s[2] == 401)
    first("protected-resource metadata", lambda s: "/.well-known/oauth-protected-resource" in s[1] and s[2] == 200)
    first("authorization server metadata", lambda s: s[1].startswith(issuer) and "/.well-known/" in s[1] and s[2] == 200)
    token = first("token request", lambda s: s[1] == f"{issuer}/token")
    assert token[2] == 200 and "grant_type=client_credentials" in token[3] and "resource=" in token[3], token
    print(f"python sdk client over OAuth ({mode}, {version}): 401 -> metadata -> token with resource -> tools: ok")


asyncio.run(main(sys.argv[1], sys.argv[2], sys.argv[3]))
