"""ResponsesClient on byte-level cases the simulator does not produce, via a raw loopback server.

`raw_server` (tests/api/conftest.py) answers each connection with the next scripted reply.
"""

from __future__ import annotations

import asyncio
import email.utils
import logging
import time
from typing import Any

import pytest

from tui.api import types as t
from tui.api.client import MAX_RETRY_AFTER, ResponsesClient
from tui.api.errors import (
    ApiError,
    BadRequestError,
    NetworkError,
    PreviousResponseNotFound,
    ProtocolError,
    RateLimitError,
    ServerError,
    StreamDropped,
)

KEY = "sk-wire-0123456789abcdef"
RESPONSE = {"id": "c9f9c06b-0000-4000-8000-000000000001", "object": "response", "status": "completed", "output": []}


def request(**fields: Any) -> t.ResponseRequest:
    return t.ResponseRequest(model="qwen3-max-2026-01-23", input="Hello!", **fields)


def client_for(raw_server: Any, **kwargs: Any) -> ResponsesClient:
    kwargs.setdefault("backoff", 0.01)
    return ResponsesClient(raw_server.base_url, KEY, **kwargs)


def delta(text: str, seq: int) -> dict[str, Any]:
    return {"type": "response.output_text.delta", "item_id": "msg_1", "output_index": 0,
            "content_index": 0, "delta": text, "sequence_number": seq}


def lifecycle(kind: str, seq: int) -> dict[str, Any]:
    return {"type": kind, "response": RESPONSE, "sequence_number": seq}


async def collect(client: ResponsesClient, into: list | None = None, **kwargs: Any) -> list:
    events = [] if into is None else into
    async for event in client.stream(request(), **kwargs):
        events.append(event)
    return events


async def test_request_carries_auth_json_and_event_stream_headers(raw_server: Any) -> None:
    raw_server.add(raw_server.sse_reply(raw_server.sse_event(lifecycle("response.completed", 0))))
    async with client_for(raw_server) as client:
        await collect(client)
    head, body = raw_server.requests[0]
    assert head.startswith(b"POST /compatible-mode/v1/responses ")
    lowered = head.lower()
    assert f"authorization: bearer {KEY}".lower().encode() in lowered
    assert b"content-type: application/json" in lowered and b"accept: text/event-stream" in lowered
    assert body == {"model": "qwen3-max-2026-01-23", "input": "Hello!", "stream": True}


async def test_openai_framing_with_done_and_an_unknown_event(raw_server: Any) -> None:
    stream = (
        b'event: response.created\ndata: {"type":"response.created","sequence_number":0,"response":'
        + f'{{"id":"{RESPONSE["id"]}","status":"in_progress"}}}}\n\n'.encode()
        + b'event: response.shiny_new\ndata: {"type":"response.shiny_new","sequence_number":1,"x":[1]}\n\n'
        + b'data: {"type":"response.output_text.delta","delta":"Hi","sequence_number":2}\n\n'
        + b'event: response.completed\ndata: {"type":"response.completed","sequence_number":3,"response":'
        + f'{{"id":"{RESPONSE["id"]}","status":"completed"}}}}\n\n'.encode()
        + b"data: [DONE]\n\n"
    )
    raw_server.add(raw_server.sse_reply(stream))
    async with client_for(raw_server) as client:
        events = await collect(client)
    assert [type(e) for e in events] == [
        t.ResponseCreatedEvent, t.UnknownEvent, t.OutputTextDeltaEvent, t.ResponseCompletedEvent,
    ]
    assert events[1].model_extra == {"x": [1]}


async def test_stream_split_into_one_byte_writes(raw_server: Any) -> None:
    body = b"".join(raw_server.sse_event(e) for e in [
        lifecycle("response.created", 0), delta("你好", 1), delta(" world", 2), lifecycle("response.completed", 3),
    ]).replace(b"\n", b"\r\n")

    async def trickle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(raw_server.sse_reply(b""))
        for i in range(len(body)):
            writer.write(body[i : i + 1])
            await writer.drain()

    raw_server.add(trickle)
    async with client_for(raw_server) as client:
        events = await collect(client)
    assert "".join(e.delta for e in events if isinstance(e, t.OutputTextDeltaEvent)) == "你好 world"


@pytest.mark.parametrize(
    "ending, expected",
    [
        (b"", StreamDropped),  # clean close, no terminal event
        (b"data: [DONE]\n\n", StreamDropped),  # [DONE] before any terminal event
    ],
)
async def test_stream_ending_without_a_terminal_event(raw_server: Any, ending: bytes, expected: type) -> None:
    raw_server.add(raw_server.sse_reply(
        raw_server.sse_event(lifecycle("response.created", 0)) + raw_server.sse_event(delta("Hi", 1)) + ending
    ))
    events: list = []
    async with client_for(raw_server) as client:
        with pytest.raises(expected):
            await collect(client, into=events)
    assert [type(e) for e in events] == [t.ResponseCreatedEvent, t.OutputTextDeltaEvent]


async def test_error_event_then_end_raises_the_servers_error(raw_server: Any) -> None:
    error = {"type": "error", "code": "internal_error", "message": "model overloaded", "sequence_number": 1}
    raw_server.add(raw_server.sse_reply(raw_server.sse_event(lifecycle("response.created", 0)) + raw_server.sse_event(error)))
    events: list = []
    async with client_for(raw_server) as client:
        with pytest.raises(ServerError) as info:
            await collect(client, into=events)
    assert isinstance(events[-1], t.ErrorEvent)
    assert "model overloaded" in str(info.value) and info.value.code == "internal_error"


async def test_failed_response_after_the_answer_started_is_a_terminal_event(raw_server: Any) -> None:
    failed = {**RESPONSE, "status": "failed", "error": {"code": "server_error", "message": "boom"}}
    created = {"type": "response.created", "response": {**RESPONSE, "status": "in_progress"}, "sequence_number": 0}
    item = {"type": "response.output_item.added", "output_index": 0, "sequence_number": 1,
            "item": {"type": "message", "id": "m", "role": "assistant", "content": []}}
    raw_server.add(raw_server.sse_reply(b"".join(raw_server.sse_event(e) for e in (
        created, item, {"type": "response.failed", "response": failed, "sequence_number": 2}))))
    async with client_for(raw_server) as client:
        events = await collect(client)
    assert isinstance(events[-1], t.ResponseFailedEvent) and events[-1].response.error.message == "boom"


async def test_failed_response_before_any_output_is_the_typed_refusal(raw_server: Any) -> None:
    """DashScope refuses a streamed request with HTTP 200 and a first `response.failed` (audit B1), no id (B3)."""
    created = {"type": "response.created", "response": {**RESPONSE, "status": "queued"}, "sequence_number": 0}
    failed = {"type": "response.failed", "sequence_number": 1, "response": {
        "status": "failed", "error": {"code": "InvalidParameter", "message": "Not found previous_response_id: resp_1"}}}
    raw_server.add(raw_server.sse_reply(raw_server.sse_event(created) + raw_server.sse_event(failed)))
    async with client_for(raw_server) as client:
        with pytest.raises(PreviousResponseNotFound) as info:
            await collect(client)
    assert info.value.code == "InvalidParameter" and "resp_1" in str(info.value)


async def test_dashscope_native_error_body(raw_server: Any) -> None:
    raw_server.add(raw_server.http_reply(400, {"request_id": "req-42", "code": "InvalidParameter",
                                               "message": "The parameter `temperature` is out of range."}))
    async with client_for(raw_server) as client:
        with pytest.raises(BadRequestError) as info:
            await client.create(request(temperature=5))
    error = info.value
    assert (error.status, error.code, error.request_id) == (400, "InvalidParameter", "req-42")
    assert str(error) == (
        "The server rejected the request: The parameter `temperature` is out of range. "
        "(HTTP 400, code InvalidParameter, request req-42)"
    )


@pytest.mark.parametrize(
    "status, body",
    [
        (400, {"error": {"message": "Previous response with id 'abc' not found.", "type": "invalid_request_error"}}),
        (400, {"code": "InvalidParameter", "message": "The previous_response_id has expired.", "request_id": "r"}),
        (404, {"error": {"message": "Response with id 'abc' not found.", "type": "invalid_request_error",
                         "param": "previous_response_id", "code": 404}}),
    ],
)
async def test_previous_response_not_found_without_the_standard_code(raw_server: Any, status: int, body: dict) -> None:
    raw_server.add(raw_server.http_reply(status, body))
    async with client_for(raw_server) as client:
        with pytest.raises(PreviousResponseNotFound):
            await client.create(request(previous_response_id="abc"))


async def test_other_400_is_a_bad_request_and_not_retried(raw_server: Any) -> None:
    raw_server.add(raw_server.http_reply(400, {"error": {"message": "Missing required parameter: 'model'.",
                                                         "code": "missing_required_parameter"}}))
    async with client_for(raw_server) as client:
        with pytest.raises(BadRequestError) as info:
            await client.create(request())
    assert not isinstance(info.value, PreviousResponseNotFound)
    assert len(raw_server.requests) == 1


async def test_non_json_error_body_keeps_its_text(raw_server: Any) -> None:
    raw_server.add(raw_server.http_reply(502, b"<html>Bad Gateway</html>", content_type="text/html"),
                   raw_server.http_reply(502, b"", content_type="text/html"))
    async with client_for(raw_server, max_retries=1) as client:
        with pytest.raises(ServerError) as info:
            await client.create(request())
    assert info.value.status == 502 and "Bad Gateway" in str(info.value)


@pytest.mark.parametrize(
    "headers, low, high",
    [
        ({"retry-after-ms": "150"}, 0.15, 0.15),
        ({"retry-after": "0.2"}, 0.2, 0.2),
        ({"retry-after": "in-2-seconds"}, 0.1, 2.0),  # an HTTP date: whole seconds, minus time spent
    ],
)
async def test_retry_after_forms(raw_server: Any, headers: dict[str, str], low: float, high: float) -> None:
    if headers.get("retry-after") == "in-2-seconds":
        headers = {"retry-after": email.utils.formatdate(time.time() + 2, usegmt=True)}
    raw_server.add(raw_server.http_reply(429, {"error": {"message": "slow down", "code": "limit_requests"}}, headers=headers),
                   raw_server.http_reply(200, RESPONSE))
    delays: list[float] = []
    async with client_for(raw_server) as client:
        response = await client.create(request(), on_retry=lambda attempt, delay, error: delays.append(delay))
    assert response.id == RESPONSE["id"]
    [delay] = delays
    assert low - 1e-9 <= delay <= high + 1e-9


async def test_retry_after_longer_than_the_cap_is_raised_at_once(raw_server: Any) -> None:
    raw_server.add(raw_server.http_reply(429, {"error": {"message": "slow down", "code": "Throttling.RateQuota"}},
                                         headers={"retry-after": str(int(MAX_RETRY_AFTER) + 60)}))
    async with client_for(raw_server) as client:
        with pytest.raises(RateLimitError) as info:
            await client.create(request())
    assert info.value.retry_after == MAX_RETRY_AFTER + 60
    assert f"asks to wait {int(MAX_RETRY_AFTER) + 60} s" in str(info.value)  # reported with its length
    assert len(raw_server.requests) == 1


async def test_json_reply_to_a_stream_request(raw_server: Any) -> None:
    raw_server.add(raw_server.http_reply(200, {"error": {"message": "Arrearage: your account is overdue", "code": "Arrearage"}}),
                   raw_server.http_reply(200, RESPONSE))
    async with client_for(raw_server) as client:
        with pytest.raises(ApiError) as info:
            await collect(client)
        assert info.value.code == "Arrearage" and "overdue" in str(info.value)
        with pytest.raises(ProtocolError):
            await collect(client)


async def test_api_key_echoed_by_the_server_is_redacted_in_errors_and_logs(
    raw_server: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    echo = {"error": {"message": f"Key {KEY} is over its quota", "code": "limit_requests"}}
    raw_server.add(raw_server.http_reply(429, echo, headers={"retry-after": "0"}),
                   raw_server.http_reply(401, {"error": {"message": f"Incorrect API key provided: {KEY}",
                                                         "code": "invalid_api_key"}}))
    async with client_for(raw_server) as client:
        with pytest.raises(ApiError) as info:
            await client.create(request())
    assert KEY not in str(info.value) and KEY not in repr(info.value) and "***" in str(info.value)
    assert "retry 1 in" in caplog.text and "over its quota" in caplog.text
    assert KEY not in caplog.text


async def test_closing_the_stream_closes_the_connection_at_once(raw_server: Any) -> None:
    client_hung_up = asyncio.Event()

    async def endless(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(raw_server.sse_reply(raw_server.sse_event(lifecycle("response.created", 0))))
        for seq in range(1, 3):
            writer.write(raw_server.sse_event(delta("x", seq)))
        await writer.drain()
        if await reader.read() == b"":  # EOF: the client closed its socket
            client_hung_up.set()

    raw_server.add(endless)
    async with client_for(raw_server) as client:
        stream = client.stream(request())
        assert isinstance(await anext(stream), t.ResponseCreatedEvent)
        assert isinstance(await anext(stream), t.OutputTextDeltaEvent)
        await stream.aclose()
        await asyncio.wait_for(client_hung_up.wait(), 5)


async def test_no_reply_headers_within_the_timeout_is_a_network_error_not_retried(raw_server: Any) -> None:
    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read()

    raw_server.add(silent)
    async with client_for(raw_server, timeout=0.3) as client:
        with pytest.raises(NetworkError) as info:
            await collect(client)
    assert not isinstance(info.value, StreamDropped) and "0.3 s" in str(info.value)
    assert len(raw_server.requests) == 1
