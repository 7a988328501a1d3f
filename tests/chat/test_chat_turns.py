"""A turn's life against the simulator: tools and thinking, drops, cancel, retries, failures, titles."""

from __future__ import annotations

import pytest
from chat_support import MakeEngine, ask, collect

from tui.chat.engine import ChatEngine
from tui.chat.errors import EngineError
from tui.chat.updates import (
    ReasoningDelta,
    Retrying,
    TextDelta,
    ToolCallUpdated,
    TurnFinished,
    TurnStarted,
    UsageUpdated,
)
from tui.sim import SimServer


def text_of(updates: list) -> str:
    return "".join(u.text for u in updates if isinstance(u, TextDelta))


async def test_tools_and_thinking_stream_tool_activity_and_store_items(sim: SimServer, make_engine: MakeEngine) -> None:
    engine = await make_engine(sim, tools=["web_search", "web_extractor", "code_interpreter"], thinking=True)
    conversation = await engine.new_conversation()
    updates = await ask(engine, conversation.id, "Find the Alibaba Cloud website and extract key information")

    body = sim.requests[-1]
    assert body["tools"] == [{"type": "web_search"}, {"type": "web_extractor"}, {"type": "code_interpreter"}]
    assert body["enable_thinking"] is True

    assert any(isinstance(u, ReasoningDelta) and u.text for u in updates)
    calls: dict[str, list[str]] = {}
    for update in updates:
        if isinstance(update, ToolCallUpdated):
            statuses = calls.setdefault(update.call.type, [])
            if not statuses or statuses[-1] != update.call.status:
                statuses.append(update.call.status)
    assert set(calls) == {"web_search_call", "web_extractor_call", "code_interpreter_call"}
    for statuses in calls.values():
        assert statuses[0] == "in_progress" and statuses[-1] == "completed"
    assert "searching" in calls["web_search_call"]

    result: TurnFinished = updates[-1]
    assert result.status == "complete" and result.message.content == text_of(updates) != ""
    stored = {item.type: item for item in result.message.items}
    assert {"reasoning", "web_search_call", "web_extractor_call", "code_interpreter_call"} <= set(stored)
    assert stored["web_search_call"].status == "completed"
    assert stored["web_search_call"].data["query"] and stored["web_search_call"].data["sources"]
    assert stored["web_extractor_call"].data["goal"] and stored["web_extractor_call"].data["urls"]
    assert "print" in stored["code_interpreter_call"].data["code"] and stored["code_interpreter_call"].data["logs"]
    assert stored["reasoning"].data["summary"]
    order = [item.type for item in result.message.items]
    assert order.index("web_search_call") < order.index("web_extractor_call") < order.index("code_interpreter_call")

    usage = [u for u in updates if isinstance(u, UsageUpdated)]
    assert usage and usage[-1].usage.x_tools.get("web_search") == 1
    assert result.message.usage is not None and result.message.usage.output_tokens > 0


async def test_conversation_options_override_engine_defaults(sim: SimServer, engine: ChatEngine) -> None:
    plain = await engine.new_conversation()
    await ask(engine, plain.id, "What is Rust?")
    assert "tools" not in sim.requests[-1] and sim.requests[-1]["enable_thinking"] is False

    searching = await engine.new_conversation(options={"tools": ["web_search"], "thinking": True, "effort": "high"})
    updates = await ask(engine, searching.id, "What is Rust?")
    body = sim.requests[-1]
    assert body["tools"] == [{"type": "web_search"}]
    assert body["reasoning"] == {"effort": "high"} and "enable_thinking" not in body  # effort wins (B4)
    assert any(isinstance(u, ToolCallUpdated) and u.call.type == "web_search_call" for u in updates)

    await engine.set_options(searching.id, tools=None, thinking=False)
    await ask(engine, searching.id, "And Go?")
    assert "tools" not in sim.requests[-1] and "reasoning" not in sim.requests[-1]


async def test_drop_mid_stream_keeps_the_partial_answer_as_incomplete(sim: SimServer, engine: ChatEngine) -> None:
    conversation = await engine.new_conversation()
    sim.inject("drop", after_deltas=3)
    updates = await ask(engine, conversation.id, "Explain Python generators")
    result: TurnFinished = updates[-1]
    partial = text_of(updates)
    assert result.status == "incomplete"
    assert partial and result.message.content == partial
    assert result.error and "\n" not in result.error and "cut off" in result.error
    assert (result.message.status, result.message.error) == ("incomplete", result.error)
    # The question is kept, and the next turn replays (an incomplete answer cannot be chained on).
    assert (await engine.chain_state(conversation.id)).mode == "replay"
    [question, answer] = await engine.transcript(conversation.id)
    assert question.content == "Explain Python generators" and answer.content == partial


async def test_malformed_event_mid_stream_ends_incomplete_with_one_line(sim: SimServer, engine: ChatEngine) -> None:
    conversation = await engine.new_conversation()
    sim.inject("malformed", after_deltas=2)
    updates = await ask(engine, conversation.id, "Explain Python generators")
    result: TurnFinished = updates[-1]
    assert result.status == "incomplete" and result.message.content == text_of(updates) != ""
    assert result.error and "\n" not in result.error


async def test_cancel_keeps_the_partial_answer(sim_factory, make_engine: MakeEngine) -> None:
    sim = sim_factory(speed=40, long_answer=400)
    engine = await make_engine(sim)
    conversation = await engine.new_conversation()
    turn = await engine.send(conversation.id, "Write a long essay")
    updates = []
    async for update in turn:
        updates.append(update)
        if sum(isinstance(u, TextDelta) for u in updates) == 3:
            turn.cancel()
    result: TurnFinished = updates[-1]
    assert result.status == "cancelled" and result.error is None
    partial = text_of(updates)
    assert partial and result.message.content == partial
    stored = await engine.get_message(turn.assistant_message_id)
    assert stored is not None and (stored.status, stored.content) == ("cancelled", partial)
    turn.cancel()  # cancelling a finished turn is harmless
    assert turn.finished is result


async def test_cancel_before_the_first_byte_still_finishes(sim: SimServer, engine: ChatEngine) -> None:
    conversation = await engine.new_conversation()
    sim.inject("rate_limit", retry_after=30)
    turn = await engine.send(conversation.id, "Hello")
    turn.cancel()
    updates = await collect(turn)
    assert updates[-1].status == "cancelled" and updates[-1].message.content == ""
    [question, answer] = await engine.transcript(conversation.id)
    assert (question.content, answer.status) == ("Hello", "cancelled")


async def test_rate_limit_then_success_surfaces_a_retry(sim: SimServer, engine: ChatEngine) -> None:
    conversation = await engine.new_conversation()
    sim.inject("rate_limit", retry_after=0.05)
    updates = await ask(engine, conversation.id, "Hello")
    retries = [u for u in updates if isinstance(u, Retrying)]
    assert len(retries) == 1 and retries[0].attempt == 1 and retries[0].delay == 0.05
    assert "Rate limited" in retries[0].reason
    first_text = next(i for i, u in enumerate(updates) if isinstance(u, TextDelta))
    assert updates.index(retries[0]) < first_text
    assert isinstance(updates[0], TurnStarted)
    assert updates[-1].status == "complete" and updates[-1].message.content


async def test_server_errors_beyond_the_retry_budget_fail_the_turn(sim: SimServer, engine: ChatEngine) -> None:
    conversation = await engine.new_conversation()
    sim.inject("server_error", times=3)
    updates = await ask(engine, conversation.id, "Hello")
    result: TurnFinished = updates[-1]
    assert sum(isinstance(u, Retrying) for u in updates) == 2
    assert result.status == "failed" and result.message.content == ""
    assert result.error and "server had an error" in result.error and "\n" not in result.error
    [question, answer] = await engine.transcript(conversation.id)
    assert question.content == "Hello" and (answer.status, answer.error) == ("failed", result.error)


async def test_rejected_key_fails_before_any_byte(sim_factory, make_engine: MakeEngine) -> None:
    sim = sim_factory(api_key="sk-the-right-key")
    engine = await make_engine(sim)
    conversation = await engine.new_conversation()
    updates = await ask(engine, conversation.id, "Hello")
    result: TurnFinished = updates[-1]
    assert [type(u) for u in updates] == [TurnStarted, TurnFinished]
    assert result.status == "failed" and "API key" in (result.error or "")


async def test_first_message_names_the_conversation(sim: SimServer, engine: ChatEngine) -> None:
    conversation = await engine.new_conversation()
    assert conversation.title == "New chat"
    await ask(engine, conversation.id, "\n  How do   I reverse a list in Python?\nI tried reversed().")
    await ask(engine, conversation.id, "Thanks, and a tuple?")
    named = await engine.conversation(conversation.id)
    assert named.title == "How do I reverse a list in Python?"

    long = await engine.new_conversation()
    await ask(engine, long.id, "Please compare " + "very " * 30 + "carefully these two approaches")
    title = (await engine.conversation(long.id)).title
    assert len(title) <= 60 and title.endswith("…") and title.startswith("Please compare very")

    kept = await engine.new_conversation(title="Groceries")
    await ask(engine, kept.id, "Hello")
    assert (await engine.conversation(kept.id)).title == "Groceries"


async def test_one_answer_at_a_time_per_conversation(sim_factory, make_engine: MakeEngine) -> None:
    sim = sim_factory(speed=40, long_answer=400)
    engine = await make_engine(sim)
    busy = await engine.new_conversation()
    idle = await engine.new_conversation()
    turn = await engine.send(busy.id, "Write a long essay")
    with pytest.raises(EngineError, match="still streaming"):
        await engine.send(busy.id, "And another")
    other = await engine.send(idle.id, "Hello")  # other conversations are not blocked
    other.cancel()
    turn.cancel()
    await turn.wait()
    await other.wait()
    follow_up = await engine.send(busy.id, "Short one, please")
    follow_up.cancel()
    assert (await follow_up.wait()).status == "cancelled"
    assert [m.role for m in await engine.transcript(busy.id)] == ["user", "assistant", "user", "assistant"]
