"""Incremental Server-Sent Events decoder (WHATWG rules): bytes in, complete events out.

Handles `event:`/`id:`/`retry:`/comment lines, `data:` with or without a space, LF/CR/CRLF line
ends (also split across chunks), multi-line data, a leading BOM, and blocks without data (which
dispatch nothing). `[DONE]` is passed through as an ordinary event so the caller can stop on it.
"""

from __future__ import annotations

from dataclasses import dataclass

_BOM = b"\xef\xbb\xbf"
DONE = "[DONE]"


@dataclass(slots=True)
class ServerSentEvent:
    """One dispatched event: its `event:` name (None if absent), data, last event id and `retry:`."""

    event: str | None
    data: str
    id: str | None = None
    retry: int | None = None


class SSEDecoder:
    """Feed it chunks as they arrive; it returns the events each chunk completes."""

    __slots__ = ("_after_cr", "_data", "_event", "_last_id", "_parts", "_retry", "_started")

    def __init__(self) -> None:
        self._parts: list[bytes] = []  # the unfinished last line, in pieces (no quadratic re-joining)
        self._started = False  # whether the BOM check at the start of the stream is done
        self._after_cr = False  # whether the last chunk ended on a CR (a LF next would be its CRLF)
        self._data: list[bytes] = []
        self._event: bytes | None = None
        self._last_id: str | None = None
        self._retry: int | None = None

    def feed(self, chunk: bytes) -> list[ServerSentEvent]:
        """Decode `chunk` and return the events it completes (possibly none)."""
        if self._after_cr and chunk:
            self._after_cr = False
            if chunk[:1] == b"\n":
                chunk = chunk[1:]  # the LF of a CRLF whose CR ended the previous chunk
        parts = self._parts
        if b"\n" not in chunk and b"\r" not in chunk:
            parts.append(chunk)  # the middle of a long line (or of a BOM): nothing can complete yet
            return []
        buf = self._begin(b"".join(parts) + chunk if parts else chunk)
        if b"\r" in buf:
            # A CR ends its line at once (CR-only servers stream live); should the chunk end on
            # it, a LF opening the next chunk is the rest of a CRLF and is dropped there.
            self._after_cr = buf.endswith(b"\r")
            lines = buf.replace(b"\r\n", b"\n").replace(b"\r", b"\n").split(b"\n")
        else:
            lines = buf.split(b"\n")
        rest = lines.pop()
        self._parts = [rest] if rest else []
        return self._lines(lines)

    def close(self) -> list[ServerSentEvent]:
        """The stream ended cleanly: dispatch what is pending, as if a blank line followed.

        WHATWG discards an unterminated last event; we keep it because some servers omit the
        final blank line. (A connection that breaks mid-event is the client's to report.)
        """
        rest = self._begin(b"".join(self._parts))  # holds no line end: feed() split on them all
        self._parts = []
        return self._lines([rest, b""])

    def _begin(self, buf: bytes) -> bytes:
        """`buf` without the BOM that may open the stream (looked for once, in its first full line)."""
        if self._started:
            return buf
        self._started = True
        return buf[3:] if buf.startswith(_BOM) else buf

    def _lines(self, lines: list[bytes]) -> list[ServerSentEvent]:
        """Apply complete lines to the pending event; return the events blank lines dispatched.

        Hot path: state lives in locals while the lines of a chunk are applied.
        """
        events: list[ServerSentEvent] = []
        data, event, last_id, retry = self._data, self._event, self._last_id, self._retry
        for line in lines:
            if not line:
                if data:
                    events.append(
                        ServerSentEvent(
                            event.decode("utf-8", "replace") if event else None,
                            (data[0] if len(data) == 1 else b"\n".join(data)).decode("utf-8", "replace"),
                            last_id,
                            retry,
                        )
                    )
                    data = []
                event = retry = None
                continue
            # A comment (":HTTP_STATUS/200" from DashScope, ":" keep-alives) has an empty field name: ignored below.
            field, colon, value = line.partition(b":")
            if colon and value[:1] == b" ":
                value = value[1:]
            if field == b"data":
                data.append(value)
            elif field == b"event":
                event = value
            elif field == b"id":
                if b"\0" not in value:
                    last_id = value.decode("utf-8", "replace") or None
            elif field == b"retry":
                if value.isdigit():
                    retry = int(value)
        self._data, self._event, self._last_id, self._retry = data, event, last_id, retry
        return events

