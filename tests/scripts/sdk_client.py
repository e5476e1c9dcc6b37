"""Drives mcpd with the official MCP Python SDK client and checks what comes back.

Usage: sdk_client.py BASE_URL MODE STORE [--any-node], MODE one of auto (server/discover probe:
2026-07-28, sessionless), legacy (plain initialize) over Streamable HTTP at BASE_URL/mcp, or sse (the legacy HTTP+SSE
transport at BASE_URL/sse); STORE is the store mcpd runs on (memory, file or redis). With
--any-node, BASE_URL is a cluster behind NGINX and any node may answer.
"""
import asyncio
import json
import sys

from mcp.client import Client
from mcp.client.sse import sse_client


async def main(base: str, mode: str, store: str, any_node: bool) -> None:
    target = sse_client(f"{base}/sse") if mode == "sse" else f"{base}/mcp"
    async with Client(target, mode="legacy" if mode == "sse" else mode) as client:
        version = client.protocol_version
        assert version == ("2026-07-28" if mode == "auto" else "2025-11-25"), version
        names = sorted(t.name for t in (await client.list_tools()).tools)
        assert names == ["calculator", "echo"], names
        echoed = await client.call_tool("echo", {"message": "hello from the SDK"})
        assert echoed.content[0].text == "hello from the SDK", echoed
        product = await client.call_tool("calculator", {"operation": "multiply", "a": 6, "b": 7})
        assert product.content[0].text == "42" and not product.is_error, product
        by_zero = await client.call_tool("calculator", {"operation": "divide", "a": 1, "b": 0})
        assert by_zero.is_error, by_zero
        info = json.loads((await client.read_resource("system://info")).contents[0].text)
        assert info["pid"] > 0 and (any_node or info["nodeId"] == "sdk-test"), info
        config = json.loads((await client.read_resource("config://server")).contents[0].text)
        assert config["store"] == store, config
    print(f"python sdk client ({mode}, {version}, {store} store): tools/list, echo, calculator, 2 resources: ok")


asyncio.run(main(sys.argv[1], sys.argv[2], sys.argv[3], "--any-node" in sys.argv[4:]))
