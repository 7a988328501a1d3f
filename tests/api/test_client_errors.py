"""Error replies and transport failures as a person meets them: which error, which text, which support id.

Every case goes over real loopback HTTP to `raw_server` (tests/api/conftest.py): the simulator
answers errors only in its own well-formed shapes, and these are the shapes it does not produce
(gateway pages, a bare-string envelope, a body or connection that breaks off, other wordings).
"""

from __future__ import annotations

import asyncio
import socket
import struct
from typing import Any

import pytest
from test_client_wire import KEY, RESPONSE, request

from tui.api.client import ResponsesClient
from tui.api.errors import (
    ApiError,
    AuthError,
    BadRequestError,
    NetworkError,
    PreviousResponseNotFound,
    RateLimitError,
    ServerError,
    StreamDropped,
)


async def create_error(raw_server: Any, status: int, body: bytes | dict[str, Any], **reply: Any) -> ApiError:
    """The error `create()` raises for one error reply (no retries)."""
    raw_server.add(raw_server.http_reply(status, body, **reply))
    async with ResponsesClient(raw_server.base_url, KEY, max_retries=0) as client:
        with pytest.raises(ApiError) as info:
            await client.create(request(previous_response_id="resp_old"))
    return info.value


def reset(writer: asyncio.StreamWriter) -> None:
    """Drop the connection with a TCP reset (SO_LINGER 0), as a crashed proxy or a firewall does."""
    sock = writer.get_extra_info("socket")
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


@pytest.mark.parametrize("status", [400, 404])
@pytest.mark.parametrize("message", ["Gone.", "Response resp_old was purged", ""])
async def test_the_standard_code_means_the_chain_is_gone_whatever_the_wording(
    raw_server: Any, status: int, message: str
) -> None:
    body = {"error": {"message": message, "type": "invalid_request_error", "code": "previous_response_not_found"}}
    error = await create_error(raw_server, status, body)
    assert isinstance(error, PreviousResponseNotFound)


@pytest.mark.parametrize("status, expected", [(401, AuthError), (403, AuthError), (500, ServerError), (503, ServerError)])
async def test_auth_and_server_errors_that_mention_a_previous_response_are_shown_not_replayed(
    raw_server: Any, status: int, expected: type[ApiError]
) -> None:
    body = {"error": {"message": "The previous response id is invalid for this key", "param": "previous_response_id"}}
    error = await create_error(raw_server, status, body)
    assert type(error) is expected and error.status == status


@pytest.mark.parametrize(
    "status, body",
    [
        (401, {"error": {"message": "Incorrect API key provided."}}),
        (403, {"error": {"message": "Access denied."}}),
        (400, {"code": "InvalidApiKey", "message": "Invalid API-key provided."}),
        (400, {"error": {"message": "Incorrect API key provided.", "code": "invalid_api_key"}}),
    ],
)
async def test_each_sign_of_a_bad_key_alone_is_an_auth_error(raw_server: Any, status: int, body: dict) -> None:
    error = await create_error(raw_server, status, body)
    assert isinstance(error, AuthError)


async def test_a_reset_after_the_request_went_out_is_a_network_error_and_not_resent(raw_server: Any) -> None:
    """Transport-level (a TCP reset): the simulator only closes connections cleanly."""

    async def reset_after_request(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        reset(writer)

    raw_server.add(reset_after_request, raw_server.http_reply(200, RESPONSE))
    async with ResponsesClient(raw_server.base_url, KEY, backoff=0.01) as client:
        with pytest.raises(NetworkError) as info:
            await client.create(request())
    assert str(info.value) == "Network error: the request failed: ReadError"  # httpx gives no text: its name, then
    assert len(raw_server.requests) == 1  # the model may have seen it: sending it again could answer twice


async def test_an_error_reply_whose_body_breaks_off_is_still_retried(raw_server: Any) -> None:
    """Transport-level (a body cut short by a reset): the simulator cannot break a reply's body."""

    async def broken_503(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
                     b"Content-Length: 400\r\n\r\n{\"error\": {\"mess")
        await writer.drain()
        reset(writer)

    raw_server.add(broken_503, raw_server.http_reply(200, RESPONSE))
    retries: list[ApiError] = []
    async with ResponsesClient(raw_server.base_url, KEY, backoff=0.01) as client:
        response = await client.create(request(), on_retry=lambda attempt, delay, error: retries.append(error))
    assert response.id == RESPONSE["id"]
    [error] = retries
    assert isinstance(error, ServerError) and error.status == 503 and "Service Unavailable" in str(error)


async def test_a_plain_text_gateway_error_keeps_its_text(raw_server: Any) -> None:
    body = b"upstream connect error or disconnect/reset before headers. reset reason: connection failure\n"
    error = await create_error(raw_server, 502, body, content_type="text/plain")
    assert isinstance(error, ServerError)
    assert error.message == body.decode().strip()
    assert "Bad Gateway" not in str(error)  # the reason phrase stands in only when there is no text


async def test_an_html_gateway_page_keeps_its_text(raw_server: Any) -> None:
    page = b"<html><body><h1>502</h1><p>The upstream server did not answer in time.</p></body></html>"
    error = await create_error(raw_server, 502, page, content_type="text/html")
    assert "The upstream server did not answer in time." in str(error)


async def test_a_long_error_page_is_cut_at_200_characters(raw_server: Any) -> None:
    text = " ".join(f"line{n}" for n in range(100))
    error = await create_error(raw_server, 502, text.encode(), content_type="text/plain")
    assert error.message == text[:200]


async def test_an_error_given_as_a_plain_string_is_shown(raw_server: Any) -> None:
    error = await create_error(raw_server, 400, {"error": "Model qwen-nope does not exist."})
    assert isinstance(error, BadRequestError) and not isinstance(error, PreviousResponseNotFound)
    assert error.message == "Model qwen-nope does not exist."


async def test_a_gateways_error_name_gives_way_to_its_message(raw_server: Any) -> None:
    body = {"status": 400, "error": "Bad Request", "message": "temperature must be at most 2", "path": "/responses"}
    error = await create_error(raw_server, 400, body)  # the shape a Spring-based gateway sends
    assert error.message == "temperature must be at most 2"


async def test_a_400_about_a_size_limit_is_a_bad_request_not_a_rate_limit(raw_server: Any) -> None:
    body = {"error": {"message": "max_output_tokens is over the limit", "code": "max_output_tokens_limit"}}
    error = await create_error(raw_server, 400, body)
    assert type(error) is BadRequestError


@pytest.mark.parametrize(
    "headers, body_id, expected",
    [
        ({"x-request-id": "hdr-1"}, None, "hdr-1"),
        ({"x-dashscope-request-id": "ds-2"}, None, "ds-2"),
        ({"x-request-id": "hdr-1", "x-dashscope-request-id": "ds-2"}, None, "hdr-1"),
        ({"x-dashscope-request-id": "ds-2"}, "body-3", "ds-2"),
        ({}, "body-3", "body-3"),
    ],
)
async def test_the_support_id_comes_from_the_reply_headers(
    raw_server: Any, headers: dict[str, str], body_id: str | None, expected: str
) -> None:
    body: dict[str, Any] = {"code": "InvalidParameter", "message": "temperature out of range"}
    if body_id:
        body["request_id"] = body_id
    error = await create_error(raw_server, 400, body, headers=headers)
    assert error.request_id == expected and f"request {expected}" in str(error)


@pytest.mark.parametrize("code", ["rate_limit_exceeded", "limit_requests", "Throttling.RateQuota"])
async def test_a_rate_limit_reported_inside_the_stream_is_a_rate_limit(raw_server: Any, code: str) -> None:
    error_event = {"type": "error", "code": code, "message": "slow down", "sequence_number": 0}
    raw_server.add(raw_server.sse_reply(raw_server.sse_event(error_event)))
    async with ResponsesClient(raw_server.base_url, KEY) as client:
        with pytest.raises(RateLimitError) as info:
            async for _ in client.stream(request()):
                pass
    assert "slow down" in str(info.value)


@pytest.mark.parametrize("code, expected", [(None, ServerError), ("internal_error", ServerError)])
async def test_other_errors_reported_inside_the_stream_are_server_errors(
    raw_server: Any, code: str | None, expected: type[ApiError]
) -> None:
    error_event: dict[str, Any] = {"type": "error", "message": "model overloaded", "sequence_number": 0}
    if code:
        error_event["code"] = code
    raw_server.add(raw_server.sse_reply(raw_server.sse_event(error_event)))
    async with ResponsesClient(raw_server.base_url, KEY) as client:
        with pytest.raises(ApiError) as info:
            async for _ in client.stream(request()):
                pass
    assert type(info.value) is expected and "model overloaded" in str(info.value)


class _Scheduled(Exception):
    """Raised from on_retry: the client has decided to wait and retry (the test does not wait)."""


async def test_a_retry_after_of_a_minute_is_waited_for_and_a_longer_one_is_not(raw_server: Any) -> None:
    limited = {"error": {"message": "slow down", "code": "limit_requests"}}
    raw_server.add(raw_server.http_reply(429, limited, headers={"retry-after": "60"}),
                   raw_server.http_reply(429, limited, headers={"retry-after": "61"}))
    delays: list[float] = []

    def on_retry(attempt: int, delay: float, error: ApiError) -> None:
        delays.append(delay)
        raise _Scheduled

    async with ResponsesClient(raw_server.base_url, KEY) as client:
        with pytest.raises(_Scheduled):
            await client.create(request(), on_retry=on_retry)
        assert delays == [60.0]
        with pytest.raises(RateLimitError) as info:
            await client.create(request(), on_retry=on_retry)
    assert info.value.retry_after == 61.0 and delays == [60.0]


@pytest.mark.parametrize("wording", ["The previous response does not exist.", "Previous response id is invalid."])
async def test_other_wordings_of_a_gone_previous_response(raw_server: Any, wording: str) -> None:
    error = await create_error(raw_server, 400, {"error": {"message": wording, "type": "invalid_request_error"}})
    assert isinstance(error, PreviousResponseNotFound)


@pytest.mark.parametrize(
    "body, expected",
    [
        ({"error": {"message": "bad", "code": "InvalidParameter"}, "request_id": "top-1"}, "top-1"),
        ({"error": {"message": "bad", "code": "InvalidParameter", "request_id": "in-2"}}, "in-2"),
    ],
)
async def test_the_support_id_is_found_beside_or_inside_the_error(raw_server: Any, body: dict, expected: str) -> None:
    error = await create_error(raw_server, 400, body)
    assert error.request_id == expected


async def test_extra_headers_go_with_every_request(raw_server: Any) -> None:
    raw_server.add(raw_server.http_reply(200, RESPONSE))
    async with ResponsesClient(raw_server.base_url, KEY, headers={"X-DashScope-WorkSpace": "ws-7"}) as client:
        assert repr(client) == f"ResponsesClient({raw_server.base_url!r})"
        await client.create(request())
    head, _ = raw_server.requests[0]
    assert b"x-dashscope-workspace: ws-7" in head.lower()


@pytest.mark.parametrize("key, shown", [("sk", "Task sk failed"), ("abcd", "Task *** failed")])
async def test_only_keys_of_four_characters_or_more_are_blanked_in_messages(raw_server: Any, key: str, shown: str) -> None:
    raw_server.add(raw_server.http_reply(400, {"error": {"message": f"Task {key} failed", "code": "x"}}))
    async with ResponsesClient(raw_server.base_url, key, max_retries=0) as client:
        with pytest.raises(ApiError) as info:
            await client.create(request())
    assert info.value.message == shown  # a two-letter key would garble every word holding those letters


async def test_a_stream_that_goes_quiet_says_how_long_it_waited(raw_server: Any) -> None:
    created = {"type": "response.created", "response": {**RESPONSE, "status": "in_progress"}, "sequence_number": 0}

    async def quiet(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(raw_server.sse_reply(raw_server.sse_event(created)))
        await writer.drain()
        await reader.read()

    raw_server.add(quiet)
    async with ResponsesClient(raw_server.base_url, KEY, timeout=0.3) as client:
        with pytest.raises(StreamDropped) as info:
            async for _ in client.stream(request()):
                pass
    assert "no data from the server for 0.3 s" in str(info.value)


async def test_a_reply_body_cut_off_is_a_network_error_with_the_reason(raw_server: Any) -> None:
    """Transport-level (a 200 body shorter than its Content-Length): the simulator cannot break a body mid-way."""

    async def cut(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n{\"id\": ")
        await writer.drain()

    raw_server.add(cut)
    async with ResponsesClient(raw_server.base_url, KEY) as client:
        with pytest.raises(NetworkError) as info:
            await client.create(request())
    assert "reading the reply failed: peer closed connection" in str(info.value)


async def test_retries_are_spread_out_rather_than_in_lockstep(raw_server: Any) -> None:
    busy = {"error": {"message": "busy", "code": "internal_error"}}
    raw_server.add(*(raw_server.http_reply(500, busy) for _ in range(5)), raw_server.http_reply(200, RESPONSE))
    delays: list[float] = []
    async with ResponsesClient(raw_server.base_url, KEY, max_retries=5, backoff=0.001, max_backoff=0.001) as client:
        await client.create(request(), on_retry=lambda attempt, delay, error: delays.append(delay))
    assert len(delays) == 5 and all(0.00075 <= d <= 0.001 for d in delays)
    assert len(set(delays)) > 1  # random jitter: five identical delays would mean every client retries together


async def test_a_stream_reset_midway_says_the_connection_was_lost(raw_server: Any) -> None:
    """Transport-level (a TCP reset mid-stream): the simulator only ends streams cleanly."""
    created = {"type": "response.created", "response": {**RESPONSE, "status": "in_progress"}, "sequence_number": 0}

    async def reset_midway(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(raw_server.sse_reply(raw_server.sse_event(created)))
        await writer.drain()
        await asyncio.sleep(0.05)
        reset(writer)

    raw_server.add(reset_midway)
    events: list[Any] = []
    async with ResponsesClient(raw_server.base_url, KEY) as client:
        with pytest.raises(StreamDropped) as info:
            async for event in client.stream(request()):
                events.append(event)
    # `response.created` alone is held back (a first `response.failed` must become a typed error), so
    # the drop is what the caller sees.
    assert len(events) <= 1 and "the connection was lost" in str(info.value)
