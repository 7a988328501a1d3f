"""W8 in the engine: a turn that fails before its answer starts can be taken back whole (`discard_if_unsent`)."""

from __future__ import annotations

from chat_support import MakeEngine, ask

from tui.chat.engine import ChatEngine
from tui.chat.updates import TurnFinished
from tui.sim import SimServer


async def test_a_failed_first_question_removes_its_conversation_and_gives_the_text_back(
    engine: ChatEngine, sim: SimServer
) -> None:
    conversation = await engine.new_conversation()
    sim.inject("server_error", times=3)
    finished = await (await engine.send(conversation.id, "hello there", discard_if_unsent=True)).wait()
    assert finished.status == "failed" and finished.error
    assert (finished.discarded, finished.unsent_text, finished.conversation_removed) == (True, "hello there", True)
    assert await engine.list_conversations() == []


async def test_a_failed_follow_up_leaves_the_conversation_as_it_was(engine: ChatEngine, sim: SimServer) -> None:
    conversation = await engine.new_conversation()
    await ask(engine, conversation.id, "My name is Ada.")
    before = await engine.transcript(conversation.id)
    sim.inject("server_error", times=3)
    finished = await (await engine.send(conversation.id, "what is my name?", discard_if_unsent=True)).wait()
    assert (finished.discarded, finished.unsent_text, finished.conversation_removed) == (True, "what is my name?", False)
    assert await engine.transcript(conversation.id) == before
    assert (await engine.conversation(conversation.id)).head_message_id == before[-1].id
    hits = await engine.search("what is my name")
    assert [hit.message_id for hit in hits if hit.role == "user"] == []  # gone from the full-text index too


async def test_a_failed_regeneration_removes_only_the_new_answer(engine: ChatEngine, sim: SimServer) -> None:
    conversation = await engine.new_conversation()
    await ask(engine, conversation.id, "hello")
    before = await engine.transcript(conversation.id)
    sim.inject("server_error", times=3)
    finished = await (await engine.regenerate(conversation.id, before[-1].id, discard_if_unsent=True)).wait()
    assert (finished.discarded, finished.unsent_text) == (True, None)
    assert await engine.transcript(conversation.id) == before
    assert await engine.branch_positions(conversation.id) == {}


async def test_without_the_option_a_failed_turn_is_kept_as_before(engine: ChatEngine, sim: SimServer) -> None:
    conversation = await engine.new_conversation()
    sim.inject("server_error", times=3)
    finished: TurnFinished = await (await engine.send(conversation.id, "hello")).wait()
    assert not finished.discarded
    assert [m.status for m in await engine.transcript(conversation.id)] == ["complete", "failed"]


async def test_a_rejected_key_is_taken_back_too(make_engine: MakeEngine, sim_factory) -> None:
    sim = sim_factory(api_key="sk-another-key-0000")
    engine = await make_engine(sim)
    conversation = await engine.new_conversation()
    finished = await (await engine.send(conversation.id, "hi", discard_if_unsent=True)).wait()
    assert finished.discarded and finished.unsent_text == "hi"
    assert await engine.list_conversations() == []
