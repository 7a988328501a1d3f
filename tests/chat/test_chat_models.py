"""Per-model behaviour from the table: Chat Completions for models the Responses API lacks, the context
meter, summarising into a new branch, and estimated cost."""

from __future__ import annotations

import pytest
from chat_support import MakeEngine, ask, collect

from tui.catalog import load_catalog
from tui.chat.cost import Cost, turn_cost
from tui.chat.engine import SUMMARY_PROMPT
from tui.chat.errors import EngineError
from tui.chat.updates import ContextUpdated, ReasoningDelta, TurnFinished, TurnStarted
from tui.sim import SimServer
from tui.store.models import Usage


async def test_a_chat_only_model_answers_through_chat_completions_with_the_transcript_replayed(
    sim: SimServer, make_engine: MakeEngine
) -> None:
    engine = await make_engine(sim, model="qwq-plus")
    conversation = await engine.new_conversation()
    first = await ask(engine, conversation.id, "My name is John, please remember it.")
    started = first[0]
    assert isinstance(started, TurnStarted) and (started.api, started.mode) == ("chat", "replay")
    assert any(isinstance(update, ReasoningDelta) for update in first)  # qwq always thinks: reasoning_content streamed
    second = await ask(engine, conversation.id, "What is my name?")
    finished = second[-1]
    assert isinstance(finished, TurnFinished) and finished.status == "complete"
    assert "**John**" in finished.message.content  # remembered only because the transcript was replayed
    assert (finished.message.api, finished.message.mode) == ("chat", "replay")
    assert finished.message.usage is not None and finished.message.usage.input_tokens > 0
    body = sim.requests[-1]
    assert [m["role"] for m in body["messages"]] == ["user", "assistant", "user"]
    assert body["stream_options"] == {"include_usage": True} and body["enable_thinking"] is True
    stored = await engine.transcript(conversation.id)
    assert any(item.type == "reasoning" for item in stored[1].items)
    assert (await engine.chain_state(conversation.id)).mode == "replay"
    assert engine.api_for("qwq-plus") == "chat" and engine.api_for("qwen3-max") == "responses"
    await engine.set_model(conversation.id, "qwen3-max")  # back on the Responses API: nothing to chain on
    moved = (await ask(engine, conversation.id, "Still there?"))[0]
    assert isinstance(moved, TurnStarted) and (moved.api, moved.mode) == ("responses", "replay")
    assert "previous_response_id" not in sim.requests[-1]


async def test_each_turn_ends_with_the_share_of_the_window_in_use(sim: SimServer, make_engine: MakeEngine) -> None:
    engine = await make_engine(sim)
    conversation = await engine.new_conversation()
    updates = await ask(engine, conversation.id, "hello")
    meters = [update.meter for update in updates if isinstance(update, ContextUpdated)]
    assert len(meters) == 1 and isinstance(updates[-1], TurnFinished)
    usage = updates[-1].message.usage
    assert usage is not None
    assert (meters[0].used, meters[0].window) == (usage.input_tokens, 262144)
    assert not meters[0].warn
    assert await engine.context_meter(conversation.id) == meters[0]


@pytest.mark.parametrize(("window", "warn"), [(38, True), (40, False)])
async def test_the_meter_warns_at_80_percent_of_the_window(
    sim: SimServer, make_engine: MakeEngine, window: int, warn: bool
) -> None:
    catalog = load_catalog({"tiny": {"endpoints": ["responses"], "context_window": window, "max_output": 10, "vision": False,
                                     "thinking": "never", "efforts": [], "thinking_off": "enable_thinking",
                                     "tools_need_thinking": []}})
    engine = await make_engine(sim, model="tiny", catalog=catalog)
    conversation = await engine.new_conversation()
    updates = await ask(engine, conversation.id, "hello")
    meter = next(update.meter for update in updates if isinstance(update, ContextUpdated))
    assert meter.used == 31  # "hello" with the simulator's token estimate: 82% of 38, 78% of 40
    assert meter.warn is warn
    assert meter.text == f"{31 / window:.0%} of {window}"


async def test_summarise_starts_a_new_branch_seeded_with_a_summary_and_keeps_the_old_one(
    sim: SimServer, make_engine: MakeEngine
) -> None:
    engine = await make_engine(sim)
    conversation = await engine.new_conversation()
    await ask(engine, conversation.id, "My name is John, please remember it.")
    await ask(engine, conversation.id, "Tell me about rust")
    old = await engine.transcript(conversation.id)
    finished = (await collect(await engine.summarise(conversation.id)))[-1]
    assert isinstance(finished, TurnFinished) and finished.status == "complete"
    request = sim.requests[-1]
    sent = [item["content"] for item in request["input"]]
    assert "previous_response_id" not in request and request["store"] is False
    assert sent[0] == "My name is John, please remember it." and sent[-1] == SUMMARY_PROMPT
    branch = await engine.transcript(conversation.id)
    assert [m.content for m in branch][:1] == [SUMMARY_PROMPT] and branch[0].parent_id is None
    assert len(branch) == 2
    leaves = await engine.branches(conversation.id)
    assert old[-1].id in [leaf.id for leaf in leaves]  # the original branch is still there, untouched
    await engine.switch_branch(conversation.id, old[-1].id)
    assert [m.id for m in await engine.transcript(conversation.id)] == [m.id for m in old]
    await engine.switch_branch(conversation.id, branch[-1].id)
    await ask(engine, conversation.id, "What is my name?")
    replayed = sim.requests[-1]
    assert "previous_response_id" not in replayed  # the summary is replayed, never chained on the old context
    assert replayed["input"][0]["content"] == SUMMARY_PROMPT


async def test_summarising_an_empty_conversation_is_refused(sim: SimServer, make_engine: MakeEngine) -> None:
    engine = await make_engine(sim)
    conversation = await engine.new_conversation()
    with pytest.raises(EngineError, match="nothing to summarise"):
        await engine.summarise(conversation.id)


def test_cost_uses_the_input_tier_cached_price_thinking_price_and_tool_fees() -> None:
    catalog = load_catalog()
    small = Usage(input_tokens=10_000, output_tokens=1_000)
    # qwen3-max, first tier (<= 32k): $1.2 in, $6 out per million.
    assert turn_cost(small, "qwen3-max", catalog, "USD").amount == pytest.approx((10_000 * 1.2 + 1_000 * 6.0) / 1e6)
    large = Usage(input_tokens=100_000, output_tokens=1_000)  # second tier: $2.4 / $12
    assert turn_cost(large, "qwen3-max", catalog, "USD").amount == pytest.approx((100_000 * 2.4 + 1_000 * 12.0) / 1e6)
    cached = Usage(input_tokens=10_000, output_tokens=0, cached_tokens=4_000)
    assert turn_cost(cached, "qwen3-max", catalog, "USD").amount == pytest.approx((6_000 * 1.2 + 4_000 * 0.24) / 1e6)
    thinking = Usage(input_tokens=0, output_tokens=1_000, reasoning_tokens=500)
    assert turn_cost(thinking, "qwen-plus", catalog, "USD").amount == pytest.approx(1_000 * 4.0 / 1e6)
    plain = Usage(input_tokens=0, output_tokens=1_000)
    assert turn_cost(plain, "qwen-plus", catalog, "USD").amount == pytest.approx(1_000 * 1.2 / 1e6)
    searched = Usage(input_tokens=0, output_tokens=0, x_tools={"web_search": 2})
    assert turn_cost(searched, "qwen3-max", catalog, "USD").amount == pytest.approx(0.02)
    assert turn_cost(small, "qwen3-max", catalog, "CNY").amount == pytest.approx((10_000 * 2.5 + 1_000 * 10.0) / 1e6)


def test_cost_is_always_labelled_an_estimate_and_config_can_override_prices() -> None:
    usage = Usage(input_tokens=1_000_000, output_tokens=0)
    catalog = load_catalog({"qwen3-max": {"price": {"USD": [{"input": 9.0, "output": 9.0}]}}})
    cost = turn_cost(usage, "qwen3-max", catalog, "USD")
    assert cost.label == "≈ $9.00 (estimate)"
    unknown = turn_cost(usage, "some-new-model", catalog, "USD")
    assert unknown.unpriced == 1 and "1 turn unpriced" in unknown.label
    assert (Cost(0.5, "CNY") + Cost(0.25, "CNY")).text == "≈ ¥0.7500"


async def test_conversation_cost_adds_every_answer_on_every_branch(sim: SimServer, make_engine: MakeEngine) -> None:
    engine = await make_engine(sim)
    conversation = await engine.new_conversation()
    await ask(engine, conversation.id, "hello")
    updates = await ask(engine, conversation.id, "Tell me about rust")
    answer = updates[-1].message
    await collect(await engine.regenerate(conversation.id, answer.id))
    messages = await engine.store.conversation_messages(conversation.id)
    expected = sum(engine.turn_cost(m).amount for m in messages if m.role == "assistant")
    total = await engine.conversation_cost(conversation.id)
    assert total.amount == pytest.approx(expected) and total.amount > 0 and total.currency == "USD"


@pytest.mark.parametrize(("fault", "words"), [("drop", "cut off"), ("malformed", "not JSON")])
async def test_a_chat_completions_stream_that_breaks_keeps_what_arrived_with_one_line(
    sim: SimServer, make_engine: MakeEngine, fault: str, words: str
) -> None:
    engine = await make_engine(sim, model="qwen-max")
    conversation = await engine.new_conversation()
    sim.inject(fault, after_deltas=2)
    finished = (await ask(engine, conversation.id, "Tell me about rust"))[-1]
    assert isinstance(finished, TurnFinished) and finished.status == "incomplete"
    assert finished.error is not None and words in finished.error and "\n" not in finished.error
    assert finished.message.content.startswith("## Rust")  # the deltas before the break are kept
