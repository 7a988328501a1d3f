"""Chain or replay, end to end: what the engine sends to the simulator, and what the answer remembers."""

from __future__ import annotations

from chat_support import MakeEngine, ask

from tui.chat.chain import RESPONSE_TTL_SECONDS
from tui.chat.engine import ChatEngine
from tui.chat.updates import ChainFallback, ResponseCreated, TurnFinished, TurnStarted
from tui.sim import SimServer

WEEK_AND_A_SECOND = RESPONSE_TTL_SECONDS + 1


def finished(updates: list) -> TurnFinished:
    return updates[-1]


def started(updates: list) -> TurnStarted:
    return next(update for update in updates if isinstance(update, TurnStarted))


async def test_first_turn_replays_and_second_chains_with_only_the_new_message(sim: SimServer, engine: ChatEngine) -> None:
    conversation = await engine.new_conversation()
    first = await ask(engine, conversation.id, "My name is John, please remember it.")
    assert finished(first).status == "complete"
    assert started(first).mode == "replay"
    first_id = finished(first).message.response_id
    assert first_id and any(isinstance(u, ResponseCreated) and u.response_id == first_id for u in first)

    second = await ask(engine, conversation.id, "Do you remember my name?")
    assert started(second).mode == "chain"
    assert "John" in finished(second).message.content
    body = sim.requests[-1]
    assert body["previous_response_id"] == first_id
    assert body["input"] == [{"role": "user", "content": "Do you remember my name?"}]
    assert body["stream"] is True and body["store"] is True

    stored = await engine.transcript(conversation.id)
    assert [(m.role, m.mode) for m in stored] == [("user", None), ("assistant", "replay"), ("user", None), ("assistant", "chain")]
    assert stored[-1].previous_response_id == first_id


async def test_expired_by_the_local_clock_replays_up_front_and_still_remembers(sim: SimServer, engine: ChatEngine) -> None:
    conversation = await engine.new_conversation()
    await ask(engine, conversation.id, "My name is John, please remember it.")
    assert (await engine.chain_state(conversation.id)).mode == "chain"

    sim.clock.advance(WEEK_AND_A_SECOND)  # the engine's clock is the simulator's clock
    assert (await engine.chain_state(conversation.id)).mode == "replay"
    requests_before = len(sim.requests)
    updates = await ask(engine, conversation.id, "Do you remember my name?")

    assert started(updates).mode == "replay"
    assert not any(isinstance(u, ChainFallback) for u in updates)
    assert len(sim.requests) == requests_before + 1  # decided locally: no failed chained attempt
    body = sim.requests[-1]
    assert "previous_response_id" not in body
    assert [item["role"] for item in body["input"]] == ["user", "assistant", "user"]
    assert "John" in finished(updates).message.content
    assert finished(updates).message.mode == "replay"


async def test_the_local_clock_alone_decides_expiry(sim: SimServer, make_engine: MakeEngine) -> None:
    offset = [0.0]
    engine = await make_engine(sim, clock=lambda: sim.clock.now() + offset[0])
    conversation = await engine.new_conversation()
    await ask(engine, conversation.id, "My name is John, please remember it.")
    offset[0] = RESPONSE_TTL_SECONDS - 30  # inside the safety margin: the server would still answer
    updates = await ask(engine, conversation.id, "Do you remember my name?")
    assert started(updates).mode == "replay"
    assert "previous_response_id" not in sim.requests[-1]
    assert "John" in finished(updates).message.content


async def test_server_forgetting_the_id_falls_back_to_replay_once(sim: SimServer, engine: ChatEngine) -> None:
    conversation = await engine.new_conversation()
    await ask(engine, conversation.id, "My name is John, please remember it.")
    sim.inject("forget")
    requests_before = len(sim.requests)
    updates = await ask(engine, conversation.id, "Do you remember my name?")

    assert started(updates).mode == "chain"
    fallbacks = [u for u in updates if isinstance(u, ChainFallback)]
    assert len(fallbacks) == 1 and fallbacks[0].reason
    chained, replayed = sim.requests[requests_before:]
    assert "previous_response_id" in chained
    assert "previous_response_id" not in replayed and len(replayed["input"]) == 3
    result = finished(updates)
    assert result.status == "complete" and "John" in result.message.content
    assert result.message.mode == "replay" and result.message.previous_response_id is None

    # The replayed answer heads a fresh chain.
    again = await ask(engine, conversation.id, "What's my name?")
    assert started(again).mode == "chain"
    assert sim.requests[-1]["previous_response_id"] == result.message.response_id


async def test_system_prompt_travels_as_a_system_message_in_replay(sim: SimServer, engine: ChatEngine) -> None:
    conversation = await engine.new_conversation(system_prompt="The user's name is Ada. Be brief.")
    updates = await ask(engine, conversation.id, "Do you remember my name?")
    body = sim.requests[-1]
    assert body["input"][0] == {"role": "system", "content": "The user's name is Ada. Be brief."}
    assert "instructions" not in body
    assert "Ada" in finished(updates).message.content


async def test_engine_default_system_prompt_applies_to_new_conversations(sim: SimServer, make_engine: MakeEngine) -> None:
    engine = await make_engine(sim, system_prompt="Answer like a pirate.")
    conversation = await engine.new_conversation()
    assert conversation.system_prompt == "Answer like a pirate."
    await ask(engine, conversation.id, "Hello")
    assert sim.requests[-1]["input"][0] == {"role": "system", "content": "Answer like a pirate."}


async def test_store_off_never_chains(sim: SimServer, make_engine: MakeEngine) -> None:
    engine = await make_engine(sim, store_responses=False)
    conversation = await engine.new_conversation()
    await ask(engine, conversation.id, "My name is John, please remember it.")
    assert (await engine.chain_state(conversation.id)).mode == "replay"
    updates = await ask(engine, conversation.id, "Do you remember my name?")
    body = sim.requests[-1]
    assert body["store"] is False and "previous_response_id" not in body
    assert started(updates).mode == "replay"
    assert "John" in finished(updates).message.content
    assert finished(updates).message.stored is False


async def test_chain_state_reports_expiry_of_the_head(sim: SimServer, engine: ChatEngine) -> None:
    conversation = await engine.new_conversation()
    assert (await engine.chain_state(conversation.id)).mode == "new"
    updates = await ask(engine, conversation.id, "Hello")
    created = next(u for u in updates if isinstance(u, ResponseCreated))
    state = await engine.chain_state(conversation.id)
    assert state.mode == "chain"
    assert state.expires_at == created.expires_at == finished(updates).message.expires_at
    assert state.expires_at is not None and state.expires_at > sim.clock.now() + RESPONSE_TTL_SECONDS - 60
    assert await engine.chain_state(await engine.conversation(conversation.id)) == state  # or the conversation itself


async def test_legacy_endpoint_gets_the_system_prompt_and_no_effort(sim: SimServer, make_engine: MakeEngine) -> None:
    engine = await make_engine(sim, legacy=True, thinking=True, effort="high")
    conversation = await engine.new_conversation(system_prompt="The user's name is Ada.")
    updates = await ask(engine, conversation.id, "Do you remember my name?")
    body = sim.requests[-1]
    assert body["input"][0] == {"role": "system", "content": "The user's name is Ada."}
    assert "reasoning" not in body and body["enable_thinking"] is True
    assert "Ada" in finished(updates).message.content
    second = await ask(engine, conversation.id, "What's my name?")
    assert started(second).mode == "chain" and "Ada" in finished(second).message.content
