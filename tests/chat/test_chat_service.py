"""The client and engine against both wire styles (live DashScope and OpenAI), over real HTTP to the simulator."""

from __future__ import annotations

import socket
from collections.abc import Callable
from pathlib import Path

import pytest
from chat_support import MakeEngine, ask

from tui.api.client import ResponsesClient
from tui.api.errors import BillingError, ContentRejected, QuotaExceeded, StreamDropped, advice_for
from tui.api.types import ResponseRequest
from tui.chat.engine import ChatEngine, EngineSettings
from tui.chat.updates import ChainFallback, ReasoningDelta, Retrying, TextDelta, TurnFinished, TurnStarted
from tui.sim import SimServer
from tui.store import Store

MODEL = "qwen3-max-2026-01-23"


def finished(updates: list) -> TurnFinished:
    return updates[-1]


async def test_a_lost_chain_id_replays_by_itself_and_says_so_once(styled_sim: SimServer, make_engine: MakeEngine) -> None:
    """Live: 200 + response.failed "Not found previous_response_id"; OpenAI: a 400. Either way: replay (B1)."""
    engine = await make_engine(styled_sim)
    conversation = await engine.new_conversation()
    await ask(engine, conversation.id, "My name is John, please remember it.")
    styled_sim.inject("forget")
    updates = await ask(engine, conversation.id, "Do you remember my name?")
    assert finished(updates).status == "complete" and "John" in finished(updates).message.content
    assert sum(isinstance(u, ChainFallback) for u in updates) == 1
    assert finished(updates).message.mode == "replay"
    chained, replayed = styled_sim.requests[-2:]
    assert chained["previous_response_id"] and "previous_response_id" not in replayed


async def test_reasoning_streams_live_in_both_spellings(styled_sim: SimServer, make_engine: MakeEngine) -> None:
    engine = await make_engine(styled_sim, thinking=True)
    conversation = await engine.new_conversation()
    updates = await ask(engine, conversation.id, "What is Rust?")
    reasoning = [u for u in updates if isinstance(u, ReasoningDelta)]
    first_text = next(i for i, u in enumerate(updates) if isinstance(u, TextDelta))
    # Many small pieces, all before the answer text: shown as they come, not at the item's end (B2).
    assert len(reasoning) > 3 and all(updates.index(u) < first_text for u in reasoning)
    summary = finished(updates).message.items[0].data["summary"]
    assert summary == "".join(u.text for u in reasoning)


async def test_after_a_failed_turn_the_next_chains_with_only_what_the_server_lacks(
    styled_sim: SimServer, make_engine: MakeEngine
) -> None:
    """W12: a failed turn does not cost the whole transcript."""
    engine = await make_engine(styled_sim)
    conversation = await engine.new_conversation()
    first = await ask(engine, conversation.id, "My name is John, please remember it.")
    styled_sim.inject("server_error", times=3)
    failed = await ask(engine, conversation.id, "Are you there?")
    assert finished(failed).status == "failed"
    updates = await ask(engine, conversation.id, "Do you remember my name?")
    body = styled_sim.requests[-1]
    assert next(u for u in updates if isinstance(u, TurnStarted)).mode == "chain"
    assert body["previous_response_id"] == finished(first).message.response_id
    assert body["input"] == [{"role": "user", "content": "Are you there?"}, {"role": "user", "content": "Do you remember my name?"}]
    assert "John" in finished(updates).message.content


async def test_a_private_conversation_is_never_chained(styled_sim: SimServer, make_engine: MakeEngine) -> None:
    engine = await make_engine(styled_sim)
    conversation = await engine.new_conversation()
    await engine.set_private(conversation.id, True)
    await ask(engine, conversation.id, "My name is John.")
    second = await ask(engine, conversation.id, "Do you remember my name?")
    assert [r["store"] for r in styled_sim.requests] == [False, False]
    assert "previous_response_id" not in styled_sim.requests[-1] and len(styled_sim.requests[-1]["input"]) == 3
    assert "John" in finished(second).message.content
    assert (await engine.chain_state(conversation.id)).mode == "replay"
    default_private = await make_engine(styled_sim, db="other.db", private=True)
    other = await default_private.new_conversation()
    await ask(default_private, other.id, "hi")
    assert styled_sim.requests[-1]["store"] is False


async def test_deleting_a_conversation_deletes_its_stored_responses(styled_sim: SimServer, make_engine: MakeEngine) -> None:
    engine = await make_engine(styled_sim)
    conversation = await engine.new_conversation()
    ids = [finished(await ask(engine, conversation.id, text)).message.response_id for text in ("hi", "again")]
    report = await engine.delete(conversation.id)
    assert (report.deleted, report.failed) == (2, 0) and "deleted 2 of 2" in report.summary()
    for response_id in ids:
        assert await engine.client.get_response(response_id or "") is None


async def test_a_failed_remote_delete_never_blocks_the_local_one(sim_factory: Callable[..., SimServer], make_engine: MakeEngine) -> None:
    sim = sim_factory()
    engine = await make_engine(sim)
    conversation = await engine.new_conversation()
    await ask(engine, conversation.id, "hi")
    sim.stop()
    report = await engine.delete(conversation.id)
    assert report.failed == 1 and report.error and "could not be deleted" in report.summary()
    assert report.error.startswith("Network error: cannot reach")  # the reason, not a made-up timeout
    assert await engine.list_conversations() == []


@pytest.mark.parametrize("code", ["Throttling.AllocationQuota", "Arrearage", "DataInspectionFailed"])
async def test_quota_billing_and_content_refusals_are_not_retried(styled_sim: SimServer, code: str) -> None:
    styled_sim.inject("refuse", code=code, times=5)
    expected = {"Throttling.AllocationQuota": QuotaExceeded, "Arrearage": BillingError, "DataInspectionFailed": ContentRejected}[code]
    async with ResponsesClient(styled_sim.base_url, "sk-test", backoff=0.01) as client:
        with pytest.raises(expected) as info:
            async for _ in client.stream(ResponseRequest(model=MODEL, input="hi")):
                pass
    assert len(styled_sim.requests) == 1
    # What to do, for the one line a front end shows; found again from the turn's stored error text.
    assert info.value.advice and advice_for(str(info.value)) == info.value.advice


async def test_a_rate_limit_is_retried_for_about_a_minute_with_a_countdown(styled_sim: SimServer, tmp_path: Path) -> None:
    """More waits than the two retries other failures get, each announced with when it resumes."""
    styled_sim.inject("rate_limit", times=5, retry_after=0.05)
    async with ResponsesClient(styled_sim.base_url, "sk-test") as client, await Store.open(tmp_path / "c.db") as store:
        engine = ChatEngine(store, client, settings=EngineSettings(model=MODEL, endpoint=styled_sim.base_url))
        conversation = await engine.new_conversation()
        updates = await ask(engine, conversation.id, "hi")
    waits = [u for u in updates if isinstance(u, Retrying)]
    assert [w.attempt for w in waits] == [1, 2, 3, 4, 5] and finished(updates).status == "complete"
    assert all(w.resume_at is not None and w.delay == pytest.approx(0.05) for w in waits)


async def test_cancel_gives_up_a_rate_limit_wait(sim: SimServer, tmp_path: Path) -> None:
    sim.inject("rate_limit", times=3, retry_after=30)
    async with ResponsesClient(sim.base_url, "sk-test") as client, await Store.open(tmp_path / "c.db") as store:
        engine = ChatEngine(store, client, settings=EngineSettings(model=MODEL, endpoint=sim.base_url))
        conversation = await engine.new_conversation()
        turn = await engine.send(conversation.id, "hi")
        updates = []
        async for update in turn:
            updates.append(update)
            if isinstance(update, Retrying):
                assert update.delay == 30
                turn.cancel()
    assert finished(updates).status == "cancelled" and len(sim.requests) == 1


async def test_a_silent_tool_run_is_not_a_dropped_stream_but_a_silent_answer_is(sim: SimServer) -> None:
    """B11: a longer idle limit while a tool item is open; the short one otherwise."""
    request = ResponseRequest(model=MODEL, input="What is Rust?")
    async with ResponsesClient(sim.base_url, "sk-test", timeout=0.4, tool_timeout=5) as client:
        sim.inject("silent_tool", seconds=1.2)
        events = [event async for event in client.stream(request)]
        assert events[-1].type == "response.completed"
        sim.inject("stall", seconds=1.2)
        with pytest.raises(StreamDropped, match="0.4 s"):
            async for _ in client.stream(request):
                pass
    async with ResponsesClient(sim.base_url, "sk-test", timeout=0.3, tool_timeout=0.6) as client:
        sim.inject("silent_tool", seconds=1.5)  # a tool run longer than the tool limit is still cut
        with pytest.raises(StreamDropped, match="0.6 s"):
            async for _ in client.stream(request):
                pass


async def test_the_connection_has_tcp_keepalive(sim: SimServer) -> None:
    async with ResponsesClient(sim.base_url, "sk-test") as client:
        async with client._http.stream("GET", sim.base_url + "/responses/none") as reply:
            sock = reply.extensions["network_stream"].get_extra_info("socket")
            assert sock.getsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE) == 1


async def test_streamed_refusal_of_a_previous_id_needs_no_response_id(sim: SimServer) -> None:
    """The live `response.failed` refusal has no `id`: a typed error, not a protocol error (B3)."""
    from tui.api.errors import PreviousResponseNotFound

    async with ResponsesClient(sim.base_url, "sk-test") as client:
        with pytest.raises(PreviousResponseNotFound):
            async for _ in client.stream(ResponseRequest(model=MODEL, input="hi", previous_response_id="resp_x")):
                pass


async def test_the_session_cache_header_is_sent_and_cached_tokens_are_kept(sim: SimServer, tmp_path: Path) -> None:
    headers = {"x-dashscope-session-cache": "enable"}
    async with ResponsesClient(sim.base_url, "sk-test", headers=headers) as client, await Store.open(tmp_path / "c.db") as store:
        engine = ChatEngine(store, client, settings=EngineSettings(model=MODEL, endpoint=sim.base_url))
        conversation = await engine.new_conversation()
        await ask(engine, conversation.id, "Please keep these notes. " + "Foxes jump over lazy dogs again. " * 150)
        second = await ask(engine, conversation.id, "And now?")
        total = await engine.conversation_usage(conversation.id)
    usage = finished(second).message.usage
    assert usage is not None and usage.cached_tokens >= 1024
    assert total.cached_tokens == usage.cached_tokens
