"""The conversation list's search results highlight the matched words, and only those."""

from __future__ import annotations

from pathlib import Path

from app_helpers import fill, make_app, make_settings, until
from textual.content import Content

from tui.app.widgets.conversation_list import ConversationList

MATCH_STYLE = "bold $text-accent"


def highlighted(prompt: Content) -> list[str]:
    return [prompt.plain[span.start : span.end] for span in prompt.spans if str(span.style) == MATCH_STYLE]


async def test_brackets_in_a_message_are_shown_as_text_and_only_the_match_is_highlighted(sim, tmp_path: Path) -> None:
    settings = make_settings(tmp_path, sim)
    text = "See [1] and ]odd[ for the zebra notes [b]"
    document = {
        "format": "qwen-tui/1",
        "conversation": {"title": "Zoo [draft]", "model": "qwen3-max"},
        "messages": [{"id": 1, "parent_id": None, "role": "user", "content": text}],
    }
    await fill(settings, lambda engine: engine.import_json(document))
    app = make_app(settings)
    async with app.run_test(size=(120, 40)) as pilot:
        await app.wait_for_engine()
        conversations = app.query_one(ConversationList)
        await pilot.press("ctrl+f", *"zebra")
        await until(lambda: conversations.query_text == "zebra", pilot)
        await app.workers.wait_for_complete()
        [row] = [option.prompt for option in conversations.options]
        assert isinstance(row, Content)
        assert row.plain == f"Zoo [draft]\n  You: {text}"
        assert highlighted(row) == ["zebra"]
