"""A tiny raw HTTP/1.1 server on 127.0.0.1 for byte-level cases the simulator cannot produce.

Each connection gets the next scripted reply: raw bytes, or a coroutine that writes what it
wants (slowly, partially) and may watch for the client hanging up.
"""

from __future__ import annotations

import asyncio
import json
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


class RawServer:
    """Serves scripted replies in order and records each request's headers and JSON body."""

    @staticmethod
    def http_reply(status: int, body: bytes | dict[str, Any], *, headers: dict[str, str] | None = None,
                   content_type: str = "application/json") -> bytes:
        """A complete response with a Content-Length body."""
        payload = json.dumps(body).encode() if isinstance(body, dict) else body
        lines = [f"HTTP/1.1 {status} X", f"Content-Type: {content_type}", f"Content-Length: {len(payload)}",
                 "Connection: close", *(f"{k}: {v}" for k, v in (headers or {}).items())]
        return ("\r\n".join(lines) + "\r\n\r\n").encode() + payload

    @staticmethod
    def sse_reply(body: bytes) -> bytes:
        """A 200 event stream whose body ends when the connection closes."""
        return b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n\r\n" + body

    @staticmethod
    def sse_event(data: dict[str, Any] | str, event: str | None = None) -> bytes:
        """One SSE block in DashScope framing."""
        text = data if isinstance(data, str) else json.dumps(data)
        name = event or (data.get("type") if isinstance(data, dict) else None)
        head = f"event:{name}\n" if name else ""
        return f"{head}:HTTP_STATUS/200\ndata:{text}\n\n".encode()

    def __init__(self) -> None:
        self.replies: deque[bytes | Handler] = deque()
        self.requests: list[tuple[bytes, Any]] = []
        self._server: asyncio.Server | None = None
        self.port = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/compatible-mode/v1"

    def add(self, *replies: bytes | Handler) -> None:
        self.replies.extend(replies)

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        assert self._server is not None
        self._server.close()
        await self._server.wait_closed()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n"):
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            body = await reader.readexactly(length)
            self.requests.append((head, json.loads(body) if body else None))
            reply = self.replies.popleft()
            if isinstance(reply, bytes):
                writer.write(reply)
                await writer.drain()
            else:
                await reply(reader, writer)
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()
