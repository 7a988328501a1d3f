"""Engine doors a front end relies on: an edit that fails is kept, archiving, local tools, usage rows, and
what deleting reports; over real HTTP to the simulator and a real SQLite file."""

from __future__ import annotations

import pytest
from chat_support import ask

from tui.chat.engine import ChatEngine
from tui.chat.errors import EngineError
from tui.chat.updates import TurnFinished
from tui.sim import SimServer


async def test_a_failed_edit_keeps_the_new_branch_unless_asked_otherwise(engine: ChatEngine, sim: SimServer) -> None:
    """The app edits without `discard_if_unsent`: the person's new wording must survive a server failure."""
    conversation = await engine.new_conversation()
    await ask(engine, conversation.id, "My name is Ada.")
    question = (await engine.transcript(conversation.id))[0]
    sim.inject("server_error", times=3)
    finished: TurnFinished = await (await engine.edit(conversation.id, question.id, "My name is Grace.")).wait()
    assert finished.status == "failed" and not finished.discarded
    assert [(m.role, m.content) for m in await engine.transcript(conversation.id)][0] == ("user", "My name is Grace.")


async def test_an_archived_conversation_leaves_the_list_and_comes_back(engine: ChatEngine) -> None:
    conversation = await engine.new_conversation(title="Old trip")
    archived = await engine.set_archived(conversation.id, True)
    assert archived.archived and await engine.list_conversations() == []
    assert [c.id for c in await engine.list_conversations(include_archived=True)] == [conversation.id]
    await engine.set_archived(conversation.id, False)
    assert [c.title for c in await engine.list_conversations()] == ["Old trip"]


async def test_offering_local_tools_returns_the_conversation_that_offers_them(engine: ChatEngine) -> None:
    conversation = await engine.new_conversation()
    name = engine.local_tools()[0]
    changed = await engine.set_functions(conversation.id, [name, name])
    assert engine.functions_enabled(changed) == [name]
    with pytest.raises(EngineError) as info:
        await engine.set_functions(conversation.id, ["teleport"])
    assert str(info.value) == f"there is no local tool 'teleport' (known: {', '.join(engine.local_tools())})"


async def test_usage_rows_list_each_answer_with_its_model(engine: ChatEngine) -> None:
    conversation = await engine.new_conversation()
    await ask(engine, conversation.id, "hello")
    [(created_at, model, usage)] = await engine.usage_rows()
    assert model == engine.settings.model and usage.output_tokens > 0 and created_at > 0
    assert await engine.usage_rows(since=created_at + 1) == []


async def test_deleting_a_conversation_with_nothing_on_the_server_says_so(engine: ChatEngine) -> None:
    conversation = await engine.new_conversation()
    report = await engine.delete(conversation.id)
    assert report.summary() == "nothing was stored on the server"
    private = await engine.new_conversation()
    await engine.set_private(private.id, True)
    await ask(engine, private.id, "hello")
    assert (await engine.delete(private.id)).summary() == "nothing was stored on the server"

