"""What front ends read and manage through the engine (never the store): unknown ids are clear errors,
pages and searches have their default sizes, titles are tidied, and export/import/usage round-trip."""

from __future__ import annotations

import pytest
from chat_support import ask

from tui.chat.engine import ChatEngine
from tui.chat.errors import EngineError


@pytest.mark.parametrize("call", ["transcript", "branches", "set_model", "set_options", "chain_state"])
async def test_a_conversation_that_does_not_exist_is_a_clear_error(engine: ChatEngine, call: str) -> None:
    with pytest.raises(EngineError, match="^there is no conversation 777$"):
        if call == "set_model":
            await engine.set_model(777, "qwen-plus")
        elif call == "set_options":
            await engine.set_options(777, thinking=True)
        else:
            await getattr(engine, call)(777)


async def test_the_alternatives_of_a_message_that_does_not_exist_are_a_clear_error(engine: ChatEngine) -> None:
    with pytest.raises(EngineError, match="^there is no message 888$"):
        await engine.siblings(888)


async def test_a_rename_tidies_the_spaces_and_refuses_a_blank_title(engine: ChatEngine) -> None:
    conversation = await engine.new_conversation()
    renamed = await engine.rename(conversation.id, "  Trip\tto   Kyoto\n plans ")
    assert renamed.title == "Trip to Kyoto plans"
    with pytest.raises(EngineError, match="^the title is empty$"):
        await engine.rename(conversation.id, " \n ")


async def test_the_conversation_list_starts_at_the_newest_and_holds_fifty(engine: ChatEngine) -> None:
    for n in range(51):
        await engine.store.create_conversation(title=f"chat {n}", model="m", endpoint="e")
    page = await engine.list_conversations()
    assert len(page) == 50 and page[0].title == "chat 50"


async def test_a_search_returns_fifty_hits_unless_asked_for_more(engine: ChatEngine) -> None:
    conversation = await engine.new_conversation()
    parent = None
    for n in range(51):
        parent = (await engine.store.add_message(conversation.id, role="user", content=f"quokka {n}", parent_id=parent)).id
    assert len(await engine.search("quokka")) == 50
    assert len(await engine.search("quokka", limit=60)) == 51


async def test_an_exported_conversation_imports_as_a_new_one_with_its_usage(engine: ChatEngine) -> None:
    conversation = await engine.new_conversation()
    await ask(engine, conversation.id, "My name is John, please remember it.")
    usage = await engine.conversation_usage(conversation.id)
    assert usage.input_tokens > 0 and usage.output_tokens > 0
    imported = await engine.import_json(await engine.export_json(conversation.id))
    assert imported.id != conversation.id and imported.title == (await engine.conversation(conversation.id)).title
    assert [m.content for m in await engine.transcript(imported.id)] == [
        m.content for m in await engine.transcript(conversation.id)
    ]
    assert "John" in await engine.export_markdown(imported.id)
