"""Regenerate, edit-and-fork, listing and switching branches, and the engine's one-line refusals."""

from __future__ import annotations

import pytest
from chat_support import ask, collect

from tui.chat.engine import ChatEngine
from tui.chat.errors import EngineError
from tui.chat.updates import TurnFinished, TurnStarted
from tui.sim import SimServer
from tui.store.models import Message


async def answer(engine: ChatEngine, conversation_id: int, text: str) -> Message:
    updates = await ask(engine, conversation_id, text)
    assert updates[-1].status == "complete"
    return updates[-1].message


async def test_regenerate_makes_a_sibling_answer_to_the_same_question(sim: SimServer, engine: ChatEngine) -> None:
    conversation = await engine.new_conversation()
    first = await answer(engine, conversation.id, "My name is John, please remember it.")
    second = await answer(engine, conversation.id, "Do you remember my name?")

    updates = await collect(await engine.regenerate(conversation.id, second.id))
    again: TurnFinished = updates[-1]
    assert again.status == "complete" and again.message.id != second.id
    assert again.message.parent_id == second.parent_id
    assert "John" in again.message.content
    # Regenerating the second answer chains on the first one, sending the same question again.
    body = sim.requests[-1]
    assert body["previous_response_id"] == first.response_id
    assert body["input"] == [{"role": "user", "content": "Do you remember my name?"}]

    assert [m.id for m in await engine.siblings(again.message.id)] == [second.id, again.message.id]
    assert await engine.branch_positions(conversation.id) == {second.id: (1, 2), again.message.id: (2, 2)}
    transcript = await engine.transcript(conversation.id)
    assert [m.id for m in transcript][-1] == again.message.id and len(transcript) == 4


async def test_regenerating_the_first_answer_replays(sim: SimServer, engine: ChatEngine) -> None:
    conversation = await engine.new_conversation(system_prompt="Be brief.")
    first = await answer(engine, conversation.id, "Hello")
    updates = await collect(await engine.regenerate(conversation.id, first.id))
    started = next(u for u in updates if isinstance(u, TurnStarted))
    assert started.mode == "replay" and updates[-1].message.parent_id == first.parent_id
    assert sim.requests[-1]["input"] == [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hello"}]


async def test_edit_forks_a_branch_and_branches_can_be_switched(sim: SimServer, engine: ChatEngine) -> None:
    conversation = await engine.new_conversation()
    john = await answer(engine, conversation.id, "My name is John, please remember it.")
    john_question = await engine.get_message(john.parent_id)
    assert john_question is not None
    john_leaf = await answer(engine, conversation.id, "Do you remember my name?")

    edited = await collect(await engine.edit(conversation.id, john_question.id, "My name is Mary, please remember it."))
    mary = edited[-1].message
    mary_question = await engine.get_message(mary.parent_id)
    assert mary_question is not None and mary_question.parent_id is None  # a sibling of the edited first message
    assert [m.id for m in await engine.siblings(mary_question.id)] == [john_question.id, mary_question.id]
    assert "previous_response_id" not in sim.requests[-1]

    mary_leaf = await answer(engine, conversation.id, "Do you remember my name?")
    assert "Mary" in mary_leaf.content and "John" not in mary_leaf.content
    assert sim.requests[-1]["previous_response_id"] == mary.response_id

    positions = await engine.branch_positions(conversation.id)
    assert (positions[john_question.id], positions[mary_question.id]) == ((1, 2), (2, 2)) and len(positions) == 2
    leaves = await engine.branches(conversation.id)
    assert [leaf.id for leaf in leaves] == [john_leaf.id, mary_leaf.id]

    await engine.switch_branch(conversation.id, john_leaf.id)
    assert [m.content for m in await engine.transcript(conversation.id)][0] == "My name is John, please remember it."
    back_on_john = await answer(engine, conversation.id, "What's my name?")
    assert "John" in back_on_john.content
    assert sim.requests[-1]["previous_response_id"] == john_leaf.response_id

    # Switching to a message in the middle of a branch follows its newest replies to the end.
    await engine.switch_branch(conversation.id, mary_question.id)
    assert (await engine.transcript(conversation.id))[-1].id == mary_leaf.id


async def test_editing_a_later_question_chains_on_the_answer_before_it(sim: SimServer, engine: ChatEngine) -> None:
    conversation = await engine.new_conversation()
    first = await answer(engine, conversation.id, "My name is John, please remember it.")
    asked = await answer(engine, conversation.id, "What is Rust?")
    edited = await collect(await engine.edit(conversation.id, asked.parent_id, "Do you remember my name?"))
    assert edited[-1].status == "complete" and "John" in edited[-1].message.content
    assert sim.requests[-1]["previous_response_id"] == first.response_id
    assert [m.content for m in await engine.transcript(conversation.id)][:3] == [
        "My name is John, please remember it.", first.content, "Do you remember my name?"]


async def test_refusals_are_one_line_engine_errors(sim: SimServer, engine: ChatEngine) -> None:
    conversation = await engine.new_conversation()
    reply = await answer(engine, conversation.id, "Hello")
    other = await engine.new_conversation()
    with pytest.raises(EngineError, match="empty"):
        await engine.send(conversation.id, "  \n ")
    with pytest.raises(EngineError, match="no conversation 999"):
        await engine.send(999, "Hello")
    with pytest.raises(EngineError, match="only your own messages"):
        await engine.edit(conversation.id, reply.id, "changed")
    with pytest.raises(EngineError, match="not part of conversation"):
        await engine.regenerate(other.id, reply.id)
    # Nothing half-done was stored by the refused requests.
    assert len(await engine.transcript(conversation.id)) == 2
    assert await engine.transcript(other.id) == []
