"""Acting on a search hit (issue 16, W2 and W10): rename and delete name the right chat wherever it is in
the paged list, and an answer opened from a hit shows its match highlighted; pilot tests against the
real simulator and a real SQLite store."""

from __future__ import annotations

from pathlib import Path

from app_helpers import fill, make_app, make_settings, until
from textual.widgets import Input, Label

from tui.app.screens import Confirm, TextPrompt
from tui.app.widgets.conversation_list import PAGE_SIZE
from tui.chat import open_engine


def _document(title: str, question: str, answer: str) -> dict:
    return {
        "format": "qwen-tui/1",
        "conversation": {"title": title, "model": "qwen3-max"},
        "messages": [
            {"id": 1, "parent_id": None, "role": "user", "content": question},
            {"id": 2, "parent_id": 1, "role": "assistant", "content": answer},
        ],
    }


async def _many_chats(engine, count: int) -> int:
    """`count` chats; the first (the oldest, so the last row of the list) mentions walruses. Its id."""
    first = await engine.import_json(_document("Arctic notes", "Tell me about walruses", "They live in the Arctic."))
    for number in range(1, count):
        await engine.import_json(_document(f"Chat {number}", f"Question {number}", f"Answer {number}"))
    return first.id


async def test_rename_and_delete_from_a_search_hit_beyond_the_first_page_name_that_chat(sim, tmp_path: Path) -> None:
    settings = make_settings(tmp_path, sim)
    walruses = await fill(settings, lambda engine: _many_chats(engine, PAGE_SIZE + 5))
    app = make_app(settings)
    async with app.run_test(size=(120, 40)) as pilot:
        await app.wait_for_engine()
        conversations = app.chat.conversations
        await until(lambda: conversations.option_count == PAGE_SIZE, pilot)
        assert walruses not in conversations.conversations, "the chat is beyond the first page"
        await pilot.press("ctrl+f", *"walruses")
        await until(lambda: conversations.query_text == "walruses", pilot)
        await app.workers.wait_for_complete()
        await pilot.press("down")
        assert conversations.highlighted_conversation_id == walruses
        await pilot.press("r")
        await until(lambda: isinstance(app.screen, TextPrompt), pilot)
        field = app.screen.query_one(Input)
        assert field.value == "Arctic notes", "the rename field holds that chat's title"
        field.value = "Walrus facts"
        await pilot.press("enter")
        await until(lambda: not isinstance(app.screen, TextPrompt), pilot)
        await app.workers.wait_for_complete()
        await until(lambda: "Walrus facts" in str(conversations.options[0].prompt), pilot)
        conversations.focus()
        conversations.highlighted = 0
        await pilot.press("d")
        await until(lambda: isinstance(app.screen, Confirm), pilot)
        question = str(app.screen.query_one(Label).content)
        assert question == "Delete “Walrus facts” and all its messages?"
        await pilot.press("y")
        await until(lambda: any("Deleted “Walrus facts”" in n.message for n in app._notifications), pilot)
    async with open_engine(settings) as engine:
        titles = [c.title for c in await engine.list_conversations(limit=PAGE_SIZE * 2, offset=0)]
    assert len(titles) == PAGE_SIZE + 4 and "Walrus facts" not in titles and "Arctic notes" not in titles
    assert "Chat 1" in titles, "only that chat was deleted"
