"""ResponsesClient edges a person meets: a base URL with a slash, refusals retrying cannot cure, a stored
response that does not answer, a model that thinks in silence, messages that only look like a gone chain.

Over real loopback HTTP to `raw_server` (tests/api/conftest.py), for the shapes the simulator does not send.
"""

from __future__ import annotations

import asyncio
import socket
from typing import Any

import pytest
from test_client_wire import KEY, RESPONSE, lifecycle, request

from tui.api.client import ResponsesClient
from tui.api.errors import (
    ApiError,
    BadRequestError,
    BillingError,
    NetworkError,
    QuotaExceeded,
    StreamDropped,
)


async def test_a_base_url_ending_in_a_slash_still_reaches_the_responses_endpoint(raw_server: Any) -> None:
    raw_server.add(raw_server.http_reply(200, RESPONSE))
    async with ResponsesClient(raw_server.base_url + "/", KEY) as client:
        await client.create(request())
    head, _ = raw_server.requests[0]
    assert head.startswith(b"POST /compatible-mode/v1/responses ")  # not `v1//responses`, which the service 404s


@pytest.mark.parametrize(
    "status, body, expected",
    [
        (429, {"error": {"message": "You exceeded your current quota.", "code": "Throttling.AllocationQuota"}},
         QuotaExceeded),
        (400, {"code": "Arrearage", "message": "Access denied, please make sure your account is in good standing."},
         BillingError),
    ],
)
async def test_a_used_up_quota_or_an_unpaid_bill_is_named_and_not_retried(
    raw_server: Any, status: int, body: dict[str, Any], expected: type[ApiError]
) -> None:
    raw_server.add(raw_server.http_reply(status, body, headers={"retry-after": "0"}),
                   raw_server.http_reply(200, RESPONSE))
    async with ResponsesClient(raw_server.base_url, KEY, backoff=0.01) as client:
        with pytest.raises(ApiError) as info:
            await client.create(request())
    assert type(info.value) is expected and str(info.value).startswith(expected.summary)
    assert len(raw_server.requests) == 1  # waiting does not cure these: asking again only hides the reason


@pytest.mark.parametrize("wording", ["The response format is invalid.", "Previous message not found."])
async def test_a_message_naming_only_one_of_previous_and_response_is_a_plain_bad_request(
    raw_server: Any, wording: str
) -> None:
    raw_server.add(raw_server.http_reply(400, {"error": {"message": wording, "type": "invalid_request_error"}}))
    async with ResponsesClient(raw_server.base_url, KEY, max_retries=0) as client:
        with pytest.raises(ApiError) as info:
            await client.create(request())
    # Taken for a gone chain, the engine would quietly replay instead of showing what is wrong.
    assert type(info.value) is BadRequestError and wording in str(info.value)


async def test_a_three_character_key_is_not_blanked_in_messages(raw_server: Any) -> None:
    raw_server.add(raw_server.http_reply(400, {"error": {"message": "Use a different format", "code": "x"}}))
    async with ResponsesClient(raw_server.base_url, "for", max_retries=0) as client:
        with pytest.raises(ApiError) as info:
            await client.create(request())
    assert info.value.message == "Use a different format"  # not "Use a different ***mat"


@pytest.mark.parametrize("call", ["delete", "get"])
async def test_a_stored_response_request_that_gets_no_reply_says_how_long_it_waited(raw_server: Any, call: str) -> None:
    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read()

    raw_server.add(silent)
    async with ResponsesClient(raw_server.base_url, KEY, timeout=0.3) as client:
        with pytest.raises(NetworkError) as info:
            if call == "delete":
                await client.delete_response("resp_1")
            else:
                await client.get_response("resp_1")
    assert str(info.value).endswith("no reply from the server within 0.3 s")


async def test_a_model_thinking_in_silence_gets_the_ordinary_limit_not_the_tool_one(raw_server: Any) -> None:
    """Only tool runs may go quiet for minutes; a reasoning item that stalls is a dropped stream."""
    reasoning = {"type": "response.output_item.added", "output_index": 0, "sequence_number": 1,
                 "item": {"type": "reasoning", "id": "rs_1", "summary": []}}

    async def stalls(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(raw_server.sse_reply(raw_server.sse_event(lifecycle("response.created", 0))
                                          + raw_server.sse_event(reasoning)))
        await writer.drain()
        await reader.read()

    raw_server.add(stalls)
    async with ResponsesClient(raw_server.base_url, KEY, timeout=0.3, tool_timeout=5.0) as client:
        with pytest.raises(StreamDropped) as info:
            async for _ in client.stream(request()):
                pass
    assert "no data from the server for 0.3 s" in str(info.value)


async def test_during_a_silent_tool_run_a_dead_peer_is_noticed_within_the_ordinary_silence_limit(
    raw_server: Any,
) -> None:
    """TCP keepalive on the real connection: the first probe and every retry fit in the limit a silent answer gets."""
    if not hasattr(socket, "TCP_KEEPIDLE"):
        pytest.skip("this platform has no TCP_KEEPIDLE")
    raw_server.add(raw_server.http_reply(200, RESPONSE))
    async with ResponsesClient(raw_server.base_url, KEY) as client:
        async with client._http.stream("POST", client.url, content=b"{}") as reply:
            sock = reply.extensions["network_stream"].get_extra_info("socket")
            idle, interval, count = (sock.getsockopt(socket.IPPROTO_TCP, getattr(socket, name))
                                     for name in ("TCP_KEEPIDLE", "TCP_KEEPINTVL", "TCP_KEEPCNT"))
            assert sock.getsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE) == 1
    assert 0 < idle + interval * count <= client.timeout
