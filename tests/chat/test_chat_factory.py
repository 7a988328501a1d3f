"""`open_engine`: settings in, a working engine out (real SQLite file, real simulator)."""

from __future__ import annotations

from pathlib import Path

import pytest
from chat_support import ask

from tui.chat import EngineError, open_engine
from tui.chat.updates import TextDelta
from tui.config import Settings
from tui.sim import SimServer
from tui.store import Store


async def test_open_engine_talks_to_the_configured_endpoint_and_file(sim: SimServer, tmp_path: Path) -> None:
    db = tmp_path / "nested" / "chats.db"
    settings = Settings(api_key="sk-test-key-123456", base_url=sim.base_url, db_path=db, tools=["web_search"], thinking=True)
    async with open_engine(settings) as engine:
        conversation = await engine.new_conversation()
        updates = await ask(engine, conversation.id, "What is SQLite?")
        assert updates[-1].status == "complete"
    assert sim.requests[-1]["tools"] == [{"type": "web_search"}]
    assert sim.requests[-1]["model"] == settings.model
    async with await Store.open(db) as store:
        [saved] = await store.list_conversations()
        assert (saved.title, saved.endpoint) == ("What is SQLite?", sim.base_url)


async def test_missing_key_is_one_clear_line_unless_only_reading(tmp_path: Path) -> None:
    settings = Settings(api_key=None, db_path=tmp_path / "chats.db")
    with pytest.raises(EngineError, match="DASHSCOPE_API_KEY"):
        async with open_engine(settings):
            pass
    async with open_engine(settings, require_key=False) as engine:
        assert await engine.list_conversations() == []


async def test_closing_the_engine_keeps_a_streaming_answer_as_cancelled(sim_factory, tmp_path: Path) -> None:
    sim = sim_factory(speed=40, long_answer=400)
    settings = Settings(api_key="sk-test-key-123456", base_url=sim.base_url, db_path=tmp_path / "chats.db")
    async with open_engine(settings) as engine:
        conversation = await engine.new_conversation()
        turn = await engine.send(conversation.id, "Write a long essay")
        async for update in turn:
            if isinstance(update, TextDelta):
                break  # the front end goes away mid-answer without cancelling
    assert turn.finished is not None and turn.finished.status == "cancelled"
    async with await Store.open(settings.db_path) as store:
        [question, answer] = await store.head_branch(conversation.id)
        assert question.content == "Write a long essay"
        assert (answer.status, answer.content) == ("cancelled", turn.finished.message.content)
        assert answer.content
