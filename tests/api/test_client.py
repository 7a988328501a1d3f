"""ResponsesClient against the simulator over real loopback HTTP: answers, errors, retries, faults."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest

from tui.api import types as t
from tui.api.client import ResponsesClient
from tui.api.errors import (
    ApiError,
    AuthError,
    NetworkError,
    PreviousResponseNotFound,
    ProtocolError,
    RateLimitError,
    ServerError,
    StreamDropped,
)
from tui.sim import SimServer

MODEL = "qwen3-max-2026-01-23"
KEY = "sk-test-0123456789abcdef"


def request(text: str = "Hello!", **fields: Any) -> t.ResponseRequest:
    return t.ResponseRequest(model=MODEL, input=text, **fields)


def client_for(base_url: str, key: str | None = KEY, **kwargs: Any) -> ResponsesClient:
    kwargs.setdefault("backoff", 0.01)
    return ResponsesClient(base_url, key, **kwargs)


async def collect(client: ResponsesClient, req: t.ResponseRequest, into: list | None = None, **kwargs: Any) -> list:
    """All events of one stream (appended to `into` as they come, so a test can see them after a raise)."""
    events = [] if into is None else into
    async for event in client.stream(req, **kwargs):
        events.append(event)
    return events


def text_of(events: list) -> str:
    return "".join(e.delta for e in events if isinstance(e, t.OutputTextDeltaEvent))


class Retries:
    """Records on_retry calls."""

    def __init__(self) -> None:
        self.calls: list[tuple[int, float, ApiError]] = []

    def __call__(self, attempt: int, delay: float, error: ApiError) -> None:
        self.calls.append((attempt, delay, error))


async def test_stream_yields_typed_events_from_created_to_completed(sim: SimServer) -> None:
    async with client_for(sim.base_url) as client:
        events = await collect(client, request("My name is John, please remember it."))
    assert isinstance(events[0], t.ResponseCreatedEvent)
    assert isinstance(events[-1], t.ResponseCompletedEvent)
    assert not any(isinstance(e, t.UnknownEvent) for e in events)
    assert [e.sequence_number for e in events] == list(range(len(events)))
    final = events[-1].response
    assert text_of(events) == final.output_text and "John" in final.output_text
    assert final.usage is not None and final.usage.output_tokens > 0
    assert sim.requests[-1]["stream"] is True and sim.requests[-1]["model"] == MODEL


async def test_create_returns_the_response_and_chains_on_previous_id(sim: SimServer) -> None:
    async with client_for(sim.base_url) as client:
        first = await client.create(request("My name is John, please remember it.", stream=True))
        second = await client.create(request("Do you remember my name?", previous_response_id=first.id))
    assert first.status == "completed" and first.output_text
    assert "stream" not in sim.requests[0]  # create() never asks for a stream
    assert sim.requests[1]["previous_response_id"] == first.id
    assert "John" in second.output_text


async def test_a_streamed_answer_can_be_chained_on_at_once(sim: SimServer) -> None:
    async with client_for(sim.base_url) as client:
        first = await collect(client, request("My name is John, please remember it."))
        second = await collect(client, request("Do you remember my name?", previous_response_id=first[-1].response.id))
    assert "John" in text_of(second)


async def test_stream_with_thinking_and_tools_parses_every_event(sim: SimServer) -> None:
    req = request(
        "Find the Alibaba Cloud website and extract key information",
        tools=[{"type": "web_search"}, {"type": "web_extractor"}, {"type": "code_interpreter"}],
        enable_thinking=True,
    )
    async with client_for(sim.base_url) as client:
        events = await collect(client, req)
    assert not any(isinstance(e, t.UnknownEvent) for e in events)
    kinds = {type(e.item) for e in events if isinstance(e, t.OutputItemDoneEvent)}
    assert {t.ReasoningItem, t.WebSearchCallItem, t.MessageItem} <= kinds
    # The live style streams DS-ZH's `reasoning_text.*`, OpenAI's the summary events.
    assert any(isinstance(e, (t.ReasoningSummaryTextDeltaEvent, t.ReasoningTextDeltaEvent)) for e in events)
    assert events[-1].response.usage.x_tools


@pytest.mark.parametrize("which", ["base_url", "legacy_base_url"])
async def test_new_and_legacy_base_url_paths(sim: SimServer, which: str) -> None:
    async with client_for(getattr(sim, which)) as client:
        response = await client.create(request())
        events = await collect(client, request())
    assert response.output_text and text_of(events) == events[-1].response.output_text
    assert len(sim.requests) == 2


async def test_wrong_key_is_an_auth_error_that_does_not_show_the_key(sim_factory: Callable[..., SimServer]) -> None:
    sim = sim_factory(api_key="sk-the-right-one")
    async with client_for(sim.base_url) as client:
        with pytest.raises(AuthError) as info:
            await collect(client, request())
    error = info.value
    assert error.status == 401 and error.code in ("InvalidApiKey", "invalid_api_key") and error.request_id
    assert KEY not in str(error) and KEY not in repr(error)
    assert "\n" not in str(error) and "API key" in str(error)
    assert len(sim.requests) == 1  # auth errors are not retried


async def test_missing_key_is_an_auth_error(sim: SimServer) -> None:
    async with client_for(sim.base_url, key=None) as client:
        with pytest.raises(AuthError):
            await client.create(request())


async def test_rate_limit_waits_retry_after_then_succeeds(sim: SimServer) -> None:
    sim.inject("rate_limit", retry_after=0.2)
    retries = Retries()
    async with client_for(sim.base_url) as client:
        events = await collect(client, request(), on_retry=retries)
    assert isinstance(events[-1], t.ResponseCompletedEvent)
    [(attempt, delay, error)] = retries.calls
    assert attempt == 1 and delay == pytest.approx(0.2)
    assert isinstance(error, RateLimitError) and error.retry_after == pytest.approx(0.2)
    assert error.code in ("Throttling.RateQuota", "rate_limit_exceeded")
    assert len(sim.requests) == 2


async def test_server_error_is_retried_with_backoff_then_succeeds(sim: SimServer) -> None:
    sim.inject("server_error")
    retries = Retries()
    async with client_for(sim.base_url, backoff=0.05) as client:
        response = await client.create(request(), on_retry=retries)
    assert response.status == "completed"
    [(attempt, delay, error)] = retries.calls
    assert attempt == 1 and 0.0375 <= delay <= 0.05  # backoff with at most 25% jitter
    assert isinstance(error, ServerError) and error.status == 500
    assert len(sim.requests) == 2


async def test_retries_are_bounded(sim: SimServer) -> None:
    sim.inject("server_error", times=5)
    retries = Retries()
    async with client_for(sim.base_url, max_retries=2) as client:
        with pytest.raises(ServerError) as info:
            await collect(client, request(), on_retry=retries)
    assert [attempt for attempt, _, _ in retries.calls] == [1, 2]
    assert len(sim.requests) == 3
    assert "HTTP 500" in str(info.value)


async def test_backoff_grows_exponentially_up_to_the_cap(sim: SimServer) -> None:
    sim.inject("server_error", times=4)
    retries = Retries()
    async with client_for(sim.base_url, max_retries=4, backoff=0.02, max_backoff=0.05) as client:
        await client.create(request(), on_retry=retries)
    delays = [delay for _, delay, _ in retries.calls]
    for delay, nominal in zip(delays, [0.02, 0.04, 0.05, 0.05], strict=True):
        assert nominal * 0.75 <= delay <= nominal


async def test_drop_mid_stream_raises_stream_dropped_and_is_not_retried(sim: SimServer) -> None:
    sim.inject("drop", after_deltas=3)
    events: list = []
    async with client_for(sim.base_url) as client:
        with pytest.raises(StreamDropped) as info:
            await collect(client, request(), into=events)
    assert sum(isinstance(e, t.OutputTextDeltaEvent) for e in events) == 3
    assert len(sim.requests) == 1
    assert isinstance(info.value, NetworkError) and "cut off" in str(info.value)


async def test_drop_during_a_create_reply_is_a_network_error(sim: SimServer) -> None:
    sim.inject("drop")
    async with client_for(sim.base_url) as client:
        with pytest.raises(NetworkError) as info:
            await client.create(request())
    assert "reading the reply failed" in str(info.value)
    assert len(sim.requests) == 1


async def test_stall_longer_than_the_read_timeout_is_a_network_error(sim: SimServer) -> None:
    sim.inject("stall", after_deltas=2, seconds=30)
    events: list = []
    async with client_for(sim.base_url, timeout=0.3) as client:
        with pytest.raises(NetworkError) as info:
            await collect(client, request(), into=events)
    assert sum(isinstance(e, t.OutputTextDeltaEvent) for e in events) == 2
    assert "0.3 s" in str(info.value)
    assert len(sim.requests) == 1


async def test_stall_before_a_create_reply_times_out(sim: SimServer) -> None:
    sim.inject("stall", seconds=30)
    async with client_for(sim.base_url, timeout=0.3) as client:
        with pytest.raises(NetworkError):
            await client.create(request())


async def test_malformed_event_raises_protocol_error_after_the_good_ones(sim: SimServer) -> None:
    sim.inject("malformed", after_deltas=2)
    events: list = []
    async with client_for(sim.base_url) as client:
        with pytest.raises(ProtocolError) as info:
            await collect(client, request(), into=events)
    assert sum(isinstance(e, t.OutputTextDeltaEvent) for e in events) == 2
    assert "not JSON" in str(info.value)


async def test_malformed_create_body_raises_protocol_error(sim: SimServer) -> None:
    sim.inject("malformed")
    async with client_for(sim.base_url) as client:
        with pytest.raises(ProtocolError):
            await client.create(request())


async def test_unknown_previous_id_is_previous_response_not_found(styled_sim: SimServer) -> None:
    """Live: HTTP 200 + `response.failed` with InvalidParameter (B1); OpenAI: a 400 with its own code."""
    sim = styled_sim
    async with client_for(sim.base_url) as client:
        with pytest.raises(PreviousResponseNotFound) as info:
            await collect(client, request(previous_response_id="resp_does_not_exist"))
        with pytest.raises(PreviousResponseNotFound) as unstreamed:
            await client.create(request(previous_response_id="resp_does_not_exist"))
    if sim.style == "live":
        assert (info.value.status, info.value.code) == (None, "InvalidParameter")
        assert "Not found previous_response_id: resp_does_not_exist" in str(info.value)
    else:
        assert (info.value.status, info.value.code) == (400, "previous_response_not_found")
    assert unstreamed.value.status == 400
    assert len(sim.requests) == 2


async def test_forgotten_previous_id_is_previous_response_not_found(sim: SimServer) -> None:
    async with client_for(sim.base_url) as client:
        first = await client.create(request("My name is John."))
        sim.inject("forget")
        with pytest.raises(PreviousResponseNotFound):
            await client.create(request("Do you remember my name?", previous_response_id=first.id))


async def test_expired_previous_id_after_seven_days(sim: SimServer) -> None:
    async with client_for(sim.base_url) as client:
        first = await client.create(request("My name is John."))
        sim.clock.advance(7 * 24 * 3600 + 1)
        with pytest.raises(PreviousResponseNotFound):
            await client.create(request("Do you remember my name?", previous_response_id=first.id))


async def test_a_trickling_stream_is_read_in_gaps_and_still_gives_every_event_in_order(
    sim_factory: Callable[..., SimServer],
) -> None:
    """At a model's pace (here 200 deltas/s) the client reads every `READ_GAP` what arrived meanwhile:
    the text is the same as the same answer sent at once, it still arrives piece by piece while the
    stream goes on, and in far fewer pieces than there are deltas (one wake-up per piece)."""
    import itertools
    import time

    sim = sim_factory(long_answer=200)
    async with client_for(sim.base_url) as client:
        at_once = text_of(await collect(client, request("Write the long answer")))
        sim.speed = 200
        arrivals: list[float] = []
        events: list = []
        async for event in client.stream(request("Write the long answer")):
            events.append(event)
            if isinstance(event, t.OutputTextDeltaEvent):
                arrivals.append(time.perf_counter())
    assert text_of(events) == at_once and events[-1].type == "response.completed"
    # Deltas handed over together (one read's worth) come within microseconds of each other.
    pieces = 1 + sum(later - earlier > 0.002 for earlier, later in itertools.pairwise(arrivals))
    assert 3 <= pieces < len(arrivals) / 2, (pieces, len(arrivals))


async def test_cancelling_the_consumer_stops_the_stream_and_the_client_stays_usable(
    sim_factory: Callable[..., SimServer],
) -> None:
    sim = sim_factory(speed=20, long_answer=400)  # 20 s if nobody stopped it
    async with client_for(sim.base_url) as client:
        got_deltas = asyncio.Event()
        events: list = []

        async def consume() -> None:
            async for event in client.stream(request()):
                events.append(event)
                if sum(isinstance(e, t.OutputTextDeltaEvent) for e in events) == 2:
                    got_deltas.set()

        task = asyncio.create_task(consume())
        await asyncio.wait_for(got_deltas.wait(), 10)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        sim.speed = None
        sim.long_answer = None
        response = await client.create(request())
    assert response.status == "completed"


async def test_connection_refused_is_retried_then_a_network_error() -> None:
    import socket

    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    retries = Retries()
    async with client_for(f"http://127.0.0.1:{port}/compatible-mode/v1", max_retries=2) as client:
        with pytest.raises(NetworkError) as info:
            await client.create(request(), on_retry=retries)
    assert len(retries.calls) == 2
    assert f"127.0.0.1:{port}" in str(info.value)


async def test_https_base_urls_verify_certificates_and_plain_http_skips_tls_setup() -> None:
    """The CA bundle is loaded only where TLS can happen; an https endpoint always verifies."""
    import ssl

    async with ResponsesClient("https://dashscope-intl.aliyuncs.com/compatible-mode/v1", "sk-x") as secure:
        context = secure._http._transport._pool._ssl_context  # httpx -> httpcore pool
        assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
    async with ResponsesClient("http://127.0.0.1:9/compatible-mode/v1", "sk-x") as plain:
        assert plain._http._transport._pool._ssl_context.verify_mode == ssl.CERT_NONE
