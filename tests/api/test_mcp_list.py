"""Listing an MCP server's tools over both transports, against the simulator's MCP server and raw replies."""

from __future__ import annotations

from typing import Any

import pytest
from raw_server import RawServer

from tui.api.mcp import McpError, McpTool, list_tools
from tui.sim import SimServer

OFFERED = [McpTool("search", "Find places near a point"), McpTool("route", "Plan a route between two places")]


def root(sim: SimServer) -> str:
    return sim.base_url.split("/compatible-mode")[0]


@pytest.mark.parametrize(("protocol", "path"), [("streamable_http", "/_mcp/http"), ("sse", "/_mcp/sse")])
async def test_both_transports_list_the_tools(sim: SimServer, protocol: str, path: str) -> None:
    assert await list_tools(root(sim) + path, protocol, {"Authorization": "Bearer t"}) == OFFERED


async def test_refused_credentials_are_one_line_naming_the_config(sim: SimServer) -> None:
    with pytest.raises(McpError) as caught:
        await list_tools(root(sim) + "/_mcp/http", "streamable_http", {})
    assert "refused the credentials" in str(caught.value) and "HTTP 401" in str(caught.value)
    assert "API key" not in str(caught.value)  # not DashScope's key


async def test_unreachable_server_is_one_line(sim: SimServer) -> None:
    sim.stop()
    with pytest.raises(McpError, match="could not reach"):
        await list_tools(root(sim) + "/_mcp/http", "streamable_http", {"Authorization": "x"}, timeout=2)


async def test_pages_are_followed_and_a_json_rpc_error_is_reported(raw_server: RawServer) -> None:
    def reply(body: dict[str, Any]) -> bytes:
        return RawServer.http_reply(200, {"jsonrpc": "2.0", **body})

    raw_server.add(
        reply({"id": 1, "result": {"protocolVersion": "2025-03-26"}}),
        RawServer.http_reply(202, b""),
        reply({"id": 2, "result": {"tools": [{"name": "a"}], "nextCursor": "p2"}}),
        reply({"id": 3, "result": {"tools": [{"name": "b", "description": "  two\n words "}]}}),
    )
    url = f"http://127.0.0.1:{raw_server.port}/mcp"
    assert await list_tools(url, "streamable_http", {}) == [McpTool("a"), McpTool("b", "two words")]
    assert raw_server.requests[3][1]["params"] == {"cursor": "p2"}

    raw_server.add(reply({"id": 1, "error": {"code": -1, "message": "not today"}}))
    with pytest.raises(McpError, match="not today"):
        await list_tools(url, "streamable_http", {})
