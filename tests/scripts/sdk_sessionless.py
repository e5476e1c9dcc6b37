"""Drives mcpd's 2026-07-28 (sessionless) wire with the official MCP Python SDK client in its
default auto mode, against examples/everything, and checks what comes back.

Usage: sdk_sessionless.py BASE_URL STORE. The client must negotiate 2026-07-28 through
server/discover, call tools, read a resource, complete an elicitation round trip (MRTR: the
server answers input_required, the SDK calls our callback and retries), and receive
notifications/tools/list_changed on a subscriptions/listen stream.
"""
import asyncio
import sys

from mcp import types
from mcp.client import Client


async def on_elicit(_context, params: types.ElicitRequestParams) -> types.ElicitResult:
    assert "name" in params.message.lower(), params
    return types.ElicitResult(action="accept", content={"name": "octocat"})


async def main(base: str, store: str) -> None:
    async with Client(f"{base}/mcp", elicitation_callback=on_elicit) as client:
        assert client.protocol_version == "2026-07-28", client.protocol_version
        names = [t.name for t in (await client.list_tools()).tools]
        assert "test_simple_text" in names and "test_trigger_tool_change" in names, names
        simple = await client.call_tool("test_simple_text", {})
        assert simple.content[0].text == "This is a simple text response for testing.", simple
        text = (await client.read_resource("test://static-text")).contents[0].text
        assert text == "This is the content of the static text resource.", text
        asked = await client.call_tool("test_input_required_result_elicitation", {})
        assert "octocat" in asked.content[0].text and not asked.is_error, asked
        async with client.listen(tools_list_changed=True) as subscription:
            await client.call_tool("test_trigger_tool_change", {})
            event = await asyncio.wait_for(anext(aiter(subscription)), 10)
            assert type(event).__name__ == "ToolsListChanged", event
    print(f"python sdk client (2026-07-28, {store} store): discover, tools/list, tools/call, "
          f"resources/read, elicitation via MRTR, tools/list_changed via listen: ok")


asyncio.run(main(sys.argv[1], sys.argv[2]))
