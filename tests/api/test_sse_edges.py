"""SSE edge cases a live server or proxy produces: CR-only line ends arriving live, one-byte comment
lines (proxy keep-alives), and bytes that are not UTF-8."""

from __future__ import annotations

import asyncio
import json

from tui.api import types as t
from tui.api.client import ResponsesClient
from tui.api.sse import ServerSentEvent, SSEDecoder

RESPONSE = {"id": "c9f9c06b-0000-4000-8000-000000000002", "object": "response", "status": "completed", "output": []}


def decode(raw: bytes) -> list[ServerSentEvent]:
    decoder = SSEDecoder()
    return decoder.feed(raw) + decoder.close()


def test_cr_only_events_come_out_as_soon_as_their_blank_line_ends() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b"event: a\rdata: 1\r\r") == [ServerSentEvent("a", "1")]
    assert decoder.feed(b"data: 2\r\r") == [ServerSentEvent(None, "2")]
    assert decoder.feed(b"data: 3\r") == []
    assert decoder.feed(b"\r") == [ServerSentEvent(None, "3")]
    assert decoder.close() == []


def test_a_crlf_split_after_its_cr_still_counts_once() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b"data: x\r") == []
    assert decoder.feed(b"\ndata: y\r") == []  # the LF finishes the CRLF; it is not a blank line
    assert decoder.feed(b"\n\r") == [ServerSentEvent(None, "x\ny")]
    assert decoder.feed(b"\n") == []  # the LF of the blank line's CRLF dispatches nothing more
    assert decoder.feed(b"data: z\n\n") == [ServerSentEvent(None, "z")]


def test_a_last_event_without_its_blank_line_survives_a_bom_and_any_line_end() -> None:
    for raw in (b"\xef\xbb\xbfdata: a", b"\xef\xbb\xbfdata: a\r", b"data: a\r\n", b"data: a\n"):
        assert decode(raw) == [ServerSentEvent(None, "a")], raw
    decoder = SSEDecoder()
    assert decoder.feed(b"\xef\xbb") == [] and decoder.feed(b"\xbfdata: b") == []
    assert decoder.close() == [ServerSentEvent(None, "b")]
    assert decode(b"\xef\xbb") == [] and decode(b"") == []


def test_a_bom_later_in_the_stream_is_not_stripped() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b"data: a\n\n") == [ServerSentEvent(None, "a")]
    assert decoder.feed(b"\xef\xbb\xbfdata: b\n\n") == []  # the field is named "\ufeffdata": unknown
    assert decoder.close() == []


def test_empty_chunks_change_nothing() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b"") == [] and decoder.feed(b"data: a\r") == [] and decoder.feed(b"") == []
    assert decoder.feed(b"\ndata: b\r\n") == []  # the LF still completes the CRLF begun before the empty chunk
    assert decoder.feed(b"") == [] and decoder.feed(b"\r\n") == [ServerSentEvent(None, "a\nb")]


def test_one_byte_comment_lines_between_events_are_ignored() -> None:
    assert decode(b":\ndata: a\n\n:\n:\ndata: b\n:\n\n") == [ServerSentEvent(None, "a"), ServerSentEvent(None, "b")]
    assert decode(b":\r:\r\n") == []


def test_a_one_byte_field_line_without_a_colon_is_ignored() -> None:
    assert decode(b"x\ndata: a\n\n") == [ServerSentEvent(None, "a")]


def test_invalid_utf8_in_data_event_and_id_shows_replacement_characters() -> None:
    [event] = decode(b"event: a\xffb\nid: 7\xfe\ndata: caf\xe9 ok\n\n")
    assert event == ServerSentEvent("a\ufffdb", "caf\ufffd ok", "7\ufffd")


async def test_a_cr_only_stream_shows_each_delta_before_the_next_is_sent(raw_server) -> None:  # type: ignore[no-untyped-def]
    """Transport-level (line ends as bytes on the wire): the raw loopback server, since the simulator frames with LF.

    The server sends the second delta only after the client has shown the first, so a decoder
    that held CR-only events until the stream closed would stall here.
    """
    shown = asyncio.Event()

    def event(data: dict) -> bytes:  # type: ignore[type-arg]
        return f"event: {data['type']}\rdata: {json.dumps(data)}\r\r".encode()

    def delta(text: str, seq: int) -> bytes:
        return event({"type": "response.output_text.delta", "item_id": "m", "output_index": 0,
                      "content_index": 0, "delta": text, "sequence_number": seq})

    async def cr_only(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n\r\n")
        writer.write(delta("Hello", 0))
        await writer.drain()
        await asyncio.wait_for(shown.wait(), 5)
        writer.write(delta(" world", 1) + event({"type": "response.completed", "response": RESPONSE, "sequence_number": 2}))
        await writer.drain()

    raw_server.add(cr_only)
    deltas: list[str] = []
    async with ResponsesClient(raw_server.base_url, "sk-edge-0123456789") as client:
        stream = client.stream(t.ResponseRequest(model="qwen3-max", input="Hi"))
        first = await asyncio.wait_for(anext(stream), 3)
        assert isinstance(first, t.OutputTextDeltaEvent)
        deltas.append(first.delta)
        shown.set()
        async for later in stream:
            if isinstance(later, t.OutputTextDeltaEvent):
                deltas.append(later.delta)
    assert "".join(deltas) == "Hello world" and isinstance(later, t.ResponseCompletedEvent)
