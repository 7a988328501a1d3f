"""Asking an MCP server which tools it offers (`tools/list`), over either MCP transport.

DashScope calls MCP servers itself and documents no `mcp_list_tools` item, so the client asks the
server directly when a person wants to see what a server offers. Only listing is done here; calls
always go through the service. Transports (MCP spec): "streamable_http" POSTs JSON-RPC and gets JSON
or an event stream back; "sse" opens an event stream whose first `endpoint` event names where to POST.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any, Self
from urllib.parse import urljoin

import httpx

from tui import __version__
from tui.api.errors import ApiError
from tui.api.sse import ServerSentEvent, SSEDecoder

PROTOCOL_VERSION = "2025-03-26"
#: Pages of `tools/list` followed at most (a server that never stops paging is cut off).
MAX_PAGES = 10
_ACCEPT = "application/json, text/event-stream"


class McpError(ApiError):
    """Listing an MCP server's tools failed (unreachable, refused, or an answer that is not MCP)."""

    summary = "MCP server"


@dataclass(frozen=True, slots=True)
class McpTool:
    name: str
    description: str = ""


async def list_tools(
    url: str,
    protocol: str,
    headers: dict[str, str],
    *,
    timeout: float = 15.0,
    transport: httpx.AsyncBaseTransport | None = None,
) -> list[McpTool]:
    """The tools the server at `url` offers; any failure is an `ApiError` with one line."""
    try:
        async with httpx.AsyncClient(timeout=timeout, headers=headers, transport=transport) as http:
            session = _SseSession(http, url) if protocol == "sse" else _HttpSession(http, url)
            async with session:
                await session.request("initialize", {
                    "protocolVersion": PROTOCOL_VERSION,
                    "capabilities": {},
                    "clientInfo": {"name": "qwen-tui", "version": __version__},
                })
                await session.notify("notifications/initialized")
                tools: list[McpTool] = []
                cursor: str | None = None
                for _ in range(MAX_PAGES):
                    result = await session.request("tools/list", {"cursor": cursor} if cursor else {})
                    tools += [_tool(entry) for entry in result.get("tools") or [] if isinstance(entry, dict)]
                    cursor = result.get("nextCursor")
                    if not cursor:
                        break
                return tools
    except httpx.HTTPError as exc:
        raise McpError(f"could not reach {url}: {exc}") from None


def _tool(entry: dict[str, Any]) -> McpTool:
    return McpTool(str(entry.get("name") or "?"), " ".join(str(entry.get("description") or "").split()))


def _check(response: httpx.Response, url: str) -> None:
    if response.status_code in (401, 403):
        raise McpError(f"{url} refused the credentials; check the server's headers in the config", status=response.status_code)
    if response.status_code >= 400:
        raise McpError(f"{url} refused the request", status=response.status_code)


def _result(message: dict[str, Any]) -> dict[str, Any]:
    if isinstance(message.get("error"), dict):
        raise McpError(f"it reported: {message['error'].get('message') or 'an error'}")
    result = message.get("result")
    if not isinstance(result, dict):
        raise McpError("its answer has no result")
    return result


async def _events(response: httpx.Response) -> AsyncIterator[ServerSentEvent]:
    decoder = SSEDecoder()
    async for chunk in response.aiter_bytes():
        for event in decoder.feed(chunk):
            yield event


def _json(event: ServerSentEvent) -> dict[str, Any] | None:
    """The JSON-RPC message an event carries (None for other events)."""
    if event.event not in (None, "message") or not event.data:
        return None
    try:
        message = json.loads(event.data)
    except ValueError:
        raise McpError("it sent an event that is not JSON") from None
    return message if isinstance(message, dict) else None


async def _answer(events: AsyncIterator[ServerSentEvent], request_id: int, method: str) -> dict[str, Any]:
    """The result of request `request_id` from a stream of events (other messages are skipped)."""
    async for event in events:
        message = _json(event)
        if message is not None and message.get("id") == request_id:
            return _result(message)
    raise McpError(f"its stream ended without answering {method}")


class _HttpSession:
    """Streamable HTTP: every message is a POST; the answer is JSON or an event stream."""

    def __init__(self, http: httpx.AsyncClient, url: str) -> None:
        self.http, self.url = http, url
        self.session_id: str | None = None
        self.next_id = 0

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self.session_id:  # end the session politely; a server that does not care may refuse
            try:
                await self.http.delete(self.url, headers=self._headers())
            except httpx.HTTPError:
                pass

    def _headers(self) -> dict[str, str]:
        headers = {"Accept": _ACCEPT, "MCP-Protocol-Version": PROTOCOL_VERSION}
        if self.session_id:
            headers["Mcp-Session-Id"] = self.session_id
        return headers

    async def notify(self, method: str) -> None:
        response = await self.http.post(self.url, json={"jsonrpc": "2.0", "method": method}, headers=self._headers())
        _check(response, self.url)

    async def request(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        self.next_id += 1
        body = {"jsonrpc": "2.0", "id": self.next_id, "method": method, "params": params}
        async with self.http.stream("POST", self.url, json=body, headers=self._headers()) as response:
            _check(response, self.url)
            self.session_id = response.headers.get("mcp-session-id") or self.session_id
            if response.headers.get("content-type", "").startswith("text/event-stream"):
                return await _answer(_events(response), self.next_id, method)
            try:
                message = json.loads(await response.aread())
            except ValueError:
                raise McpError(f"its answer to {method} is not JSON") from None
        return _result(message if isinstance(message, dict) else {})


class _SseSession:
    """The older SSE transport: answers arrive on one event stream, requests go to its `endpoint`."""

    def __init__(self, http: httpx.AsyncClient, url: str) -> None:
        self.http, self.url = http, url
        self.endpoint = url
        self.next_id = 0
        self._stream: Any = None
        self._events: AsyncIterator[ServerSentEvent] | None = None

    async def __aenter__(self) -> Self:
        self._stream = self.http.stream("GET", self.url, headers={"Accept": "text/event-stream"})
        response = await self._stream.__aenter__()
        _check(response, self.url)
        self._events = _events(response)
        async for event in self._events:
            if event.event == "endpoint":
                self.endpoint = urljoin(self.url, event.data.strip())
                return self
        raise McpError(f"{self.url} sent no endpoint event")

    async def __aexit__(self, *exc: object) -> None:
        await self._stream.__aexit__(None, None, None)

    async def notify(self, method: str) -> None:
        _check(await self.http.post(self.endpoint, json={"jsonrpc": "2.0", "method": method}), self.url)

    async def request(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        self.next_id += 1
        body = {"jsonrpc": "2.0", "id": self.next_id, "method": method, "params": params}
        _check(await self.http.post(self.endpoint, json=body), self.url)
        assert self._events is not None
        return await _answer(self._events, self.next_id, method)
