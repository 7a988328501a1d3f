"""Acting on a search hit (issue 16, W2 and W10): rename and delete name the right chat wherever it is in
the paged list, and an answer opened from a hit shows its match highlighted; pilot tests against the
real simulator and a real SQLite store."""

from __future__ import annotations

from pathlib import Path

import pytest
from app_helpers import fill, make_app, make_settings, populate, until
from textual.widgets import Input, Label

from tui.app.screens import Confirm, TextPrompt
from tui.app.widgets.conversation_list import PAGE_SIZE
from tui.chat import open_engine


def _document(title: str, question: str, answer: str) -> dict:
    return {
        "format": "qwen-tui/1",
        "conversation": {"title": title, "model": "qwen3-max", "head_message_id": 2},
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


WALRUS_ANSWER = "\n\n".join(
    [
        *(f"Paragraph {n} is about seals in general, and nothing in it matches." for n in range(1, 41)),
        "Most **walruses** live in the Arctic.",
        "- walruses haul out on ice\n- seals do too",
        "```python\nwalruses = count_herd()\n```",
        "| animal | tusks |\n|---|---|\n| walruses | yes |",
    ]
)


async def _long_chat_with_an_answer_hit(engine, walrus_answer: str = WALRUS_ANSWER) -> int:
    """30 turns; the walrus answer is the 4th, far outside the newest window."""
    messages: list[dict] = []
    for turn in range(30):
        answer = walrus_answer if turn == 3 else f"Answer {turn}."
        parent = messages[-1]["id"] if messages else None
        messages.append({"id": 2 * turn + 1, "parent_id": parent, "role": "user", "content": f"Question {turn}"})
        messages.append({"id": 2 * turn + 2, "parent_id": 2 * turn + 1, "role": "assistant", "content": answer})
    document = {
        "format": "qwen-tui/1",
        "conversation": {"title": "Animals", "model": "qwen3-max", "head_message_id": messages[-1]["id"]},
        "messages": messages,
    }
    return (await engine.import_json(document)).id


def marked_words(view) -> list[str]:
    """The words shown highlighted (MATCH_STYLE) in an answer's rendered blocks, in order."""
    from textual.content import Content
    from textual.widgets.markdown import MarkdownBlock

    from tui.app.widgets.answer_blocks import MATCH_STYLE, HangingItems, MarkedFence, TableGrid

    def spans(content: Content) -> list[str]:
        return [content.plain[s.start : s.end] for s in content.spans if str(s.style) == MATCH_STYLE]

    words: list[str] = []
    for block in view.query(MarkdownBlock):
        visual = block.visual
        if isinstance(block, MarkedFence):
            words += spans(block.query_one("#code-content").visual)
        elif isinstance(visual, HangingItems):
            words += [word for _, text in visual.items for word in spans(text)]
        elif isinstance(visual, TableGrid):
            words += [word for row in [visual.headers, *visual.rows] for cell in row for word in spans(cell)]
        elif isinstance(visual, Content):
            words += spans(visual)
    return words


async def open_answer_hit(app, pilot, query: str) -> None:
    """ctrl+f QUERY, then open the first hit in an answer (not a title, not a question)."""
    conversations = app.chat.conversations
    await pilot.press("ctrl+f", *query)
    await until(lambda: conversations.query_text == query, pilot)
    await app.workers.wait_for_complete()
    await pilot.press("down")
    prompts = [str(option.prompt) for option in conversations.options]
    conversations.highlighted = next(i for i, p in enumerate(prompts) if "You:" not in p and "(title)" not in p)
    await pilot.press("enter")
    await until(lambda: app.chat.pane.selected is not None, pilot)
    await pilot.pause(0.2)


async def test_an_answer_opened_from_a_search_hit_far_back_shows_its_matches_highlighted(sim, tmp_path: Path) -> None:
    """W2 in answers: the hit's answer is mounted and selected, the match is highlighted in its paragraph,
    list, code and table, and the first match is on screen (it is below the answer's first screen)."""
    settings = make_settings(tmp_path, sim)
    await fill(settings, _long_chat_with_an_answer_hit)
    app = make_app(settings)
    async with app.run_test(size=(120, 40)) as pilot:
        await app.wait_for_engine()
        await open_answer_hit(app, pilot, "walruses")
        pane = app.chat.pane
        selected = pane.selected
        assert selected.message.content == WALRUS_ANSWER
        assert marked_words(selected) == ["walruses"] * 4
        assert selected.hidden_segments > 0, "a long answer: only its newest parts are mounted"
        first = next(b for b in selected.query(".answer > *") if "walruses" in str(b.visual))
        assert pane.scroll_y > selected.virtual_region.y, "the view moved past the answer's top to the match"
        assert pane.scrollable_content_region.contains_region(first.region), "the first match is on screen"
        selected.set_class(True, "-x")  # a restyle recolours code blocks: the match stays marked
        await pilot.pause()
        assert marked_words(selected) == ["walruses"] * 4


async def test_a_match_in_an_earlier_part_of_a_long_answer_is_mounted_and_highlighted(sim, tmp_path: Path) -> None:
    """The answer's match is in a part not mounted yet (the answer is long): that part is shown, marked."""
    settings = make_settings(tmp_path, sim)
    answer = "Walruses first.\n\n" + WALRUS_ANSWER.split("\n\nMost")[0]
    await fill(settings, lambda engine: _long_chat_with_an_answer_hit(engine, answer))
    app = make_app(settings)
    async with app.run_test(size=(80, 24)) as pilot:
        await app.wait_for_engine()
        await open_answer_hit(app, pilot, "walruses")
        selected = app.chat.pane.selected
        assert selected.message.content == answer and selected.hidden_segments == 0
        assert marked_words(selected) == ["Walruses"]


@pytest.mark.parametrize("size", [pytest.param((80, 24), id="80x24"), pytest.param((120, 40), id="120x40")])
def test_snapshot_an_answer_opened_from_a_search_hit(snap_compare, sim, tmp_path: Path, size) -> None:
    """The hit's answer selected (the bar) and scrolled to its first match; every match highlighted."""
    settings = make_settings(tmp_path, sim)
    populate(settings, _long_chat_with_an_answer_hit)

    async def open_hit(pilot) -> None:
        await pilot.app.wait_for_engine()
        await open_answer_hit(pilot.app, pilot, "walruses")
        await pilot.wait_for_scheduled_animations()
        await pilot.pause()

    assert snap_compare(make_app(settings), terminal_size=size, run_before=open_hit)
