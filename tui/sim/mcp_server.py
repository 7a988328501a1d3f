"""A small MCP server for tests and the demo, under `/_mcp/`: it answers `initialize` and
`tools/list` over both transports (streamable HTTP at `/_mcp/http`, SSE at `/_mcp/sse`).

The service calls MCP servers itself; the client only lists their tools, so this is all a test
needs. A request without an `Authorization` header gets 401, like a server that wants a token.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qs

Send = Callable[[dict[str, Any]], Awaitable[None]]
Receive = Callable[[], Awaitable[dict[str, Any]]]

#: The tools the test server offers (name, description).
TOOLS = (
    ("search", "Find places near a point"),
    ("route", "Plan a route between two places"),
)


def _answer(message: dict[str, Any]) -> dict[str, Any] | None:
    """The JSON-RPC response to `message` (None for a notification)."""
    if "id" not in message:
        return None
    method = message.get("method")
    if method == "initialize":
        result: dict[str, Any] = {
            "protocolVersion": "2025-03-26",
            "capabilities": {"tools": {}},
            "serverInfo": {"name": "qwen-tui-sim-mcp", "version": "1"},
        }
    elif method == "tools/list":
        result = {"tools": [{"name": name, "description": text, "inputSchema": {"type": "object"}} for name, text in TOOLS]}
    else:
        return {"jsonrpc": "2.0", "id": message["id"], "error": {"code": -32601, "message": f"unknown method {method}"}}
    return {"jsonrpc": "2.0", "id": message["id"], "result": result}


def _event(data: dict[str, Any] | str, name: str = "message") -> bytes:
    text = data if isinstance(data, str) else json.dumps(data)
    return f"event: {name}\ndata: {text}\n\n".encode()


class McpDouble:
    """The MCP endpoints; SSE sessions keep a queue each, filled by POSTs to their message endpoint."""

    def __init__(self) -> None:
        self._queues: dict[str, asyncio.Queue[bytes]] = {}

    async def __call__(self, scope: dict[str, Any], receive: Receive, send: Send, body: bytes) -> None:
        headers = {key.decode().lower(): value.decode() for key, value in scope.get("headers", [])}
        if not headers.get("authorization"):
            await _plain(send, 401, b'{"error":"missing token"}')
            return
        path, method = scope["path"], scope["method"]
        if path == "/_mcp/http" and method == "POST":
            await self._http(send, body)
        elif path == "/_mcp/http" and method == "DELETE":
            await _plain(send, 204, b"")
        elif path == "/_mcp/sse" and method == "GET":
            await self._sse(receive, send)
        elif path == "/_mcp/sse/messages" and method == "POST":
            session = parse_qs(scope.get("query_string", b"").decode()).get("session", [""])[0]
            queue = self._queues.get(session)
            if queue is None:
                await _plain(send, 404, b'{"error":"no such session"}')
                return
            reply = _answer(json.loads(body or b"{}"))
            if reply is not None:
                queue.put_nowait(_event(reply))
            await _plain(send, 202, b"")
        else:
            await _plain(send, 404, b'{"error":"not found"}')

    async def _http(self, send: Send, body: bytes) -> None:
        """Streamable HTTP: initialize answers JSON with a session id; tools/list answers as an event stream."""
        message = json.loads(body or b"{}")
        reply = _answer(message)
        if reply is None:
            await _plain(send, 202, b"")
            return
        if message.get("method") == "tools/list":
            start = [(b"content-type", b"text/event-stream")]
            await send({"type": "http.response.start", "status": 200, "headers": start})
            await send({"type": "http.response.body", "body": _event(reply)})
            return
        payload = json.dumps(reply).encode()
        session = [(b"mcp-session-id", uuid.uuid4().hex.encode())] if message.get("method") == "initialize" else []
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json"), *session]})
        await send({"type": "http.response.body", "body": payload})

    async def _sse(self, receive: Receive, send: Send) -> None:
        session = uuid.uuid4().hex
        queue: asyncio.Queue[bytes] = asyncio.Queue()
        self._queues[session] = queue
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/event-stream")]})
        await send({"type": "http.response.body", "body": _event(f"/_mcp/sse/messages?session={session}", "endpoint"), "more_body": True})
        gone = asyncio.ensure_future(_disconnected(receive))
        try:
            while True:
                chunk = asyncio.ensure_future(queue.get())
                done, _ = await asyncio.wait({chunk, gone}, return_when=asyncio.FIRST_COMPLETED)
                if gone in done:
                    chunk.cancel()
                    return
                await send({"type": "http.response.body", "body": chunk.result(), "more_body": True})
        finally:
            gone.cancel()
            self._queues.pop(session, None)


async def _disconnected(receive: Receive) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass


async def _plain(send: Send, status: int, body: bytes) -> None:
    await send({"type": "http.response.start", "status": status, "headers": [(b"content-type", b"application/json")]})
    await send({"type": "http.response.body", "body": body})
