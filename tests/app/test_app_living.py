"""Living in the app (issue 16): reading, navigation, keys that reach it, words; pilot tests against the
real simulator and a real SQLite store."""

from __future__ import annotations

from pathlib import Path

from app_helpers import chat, fill, make_app, make_settings, until
from textual.theme import Theme
from textual.widgets import Input

from tui.app.formatting import format_tokens, plural
from tui.app.widgets.composer import Composer
from tui.app.widgets.message_pane import MessagePane
from tui.app.widgets.message_view import status_hint
from tui.app.widgets.status_line import StatusLine
from tui.chat import open_engine
from tui.chat.updates import Retrying


async def test_page_up_from_the_composer_holds_its_place_while_the_answer_streams(sim_factory, tmp_path: Path) -> None:
    """W5: PageUp (from the composer) during a stream; the view stays where it was put until End."""
    sim = sim_factory(speed=100, long_answer=3000)
    app = make_app(make_settings(tmp_path, sim))
    async with app.run_test(size=(80, 24)) as pilot:
        await app.wait_for_engine()
        await pilot.press(*"Write a long answer", "enter")
        pane = app.query_one(MessagePane)
        await until(lambda: pane.max_scroll_y > 40, pilot, timeout=30)
        assert isinstance(app.focused, Composer)
        await pilot.press("pageup")
        await pilot.press("pageup", "pageup")
        await pilot.pause(0.3)
        held = pane.scroll_y
        assert held < pane.max_scroll_y - 10, "PageUp scrolled the transcript from the composer"
        answer = pane.views[-1]
        length = len(answer.message.content)
        for _ in range(6):  # three seconds of streaming: the view stays put
            await pilot.pause(0.5)
            assert abs(pane.scroll_y - held) <= 1, "the stream did not pull the view back"
        assert len(answer.message.content) > length + 100
        assert app.chat.streaming
        pane.focus()
        await pilot.press("end")
        await pilot.pause(0.3)
        await pilot.pause(1.5)
        assert pane.scroll_y >= pane.max_scroll_y - 1, "End follows the stream again"
        await pilot.press("escape")


async def test_a_search_hit_far_back_opens_on_that_message_and_sending_ends_the_selection(sim, tmp_path: Path) -> None:
    """W2: the hit is outside the newest window; it is mounted, selected and on screen, its words marked.
    W1: sending then clears the selection, so ctrl+r regenerates the newest answer, not the hit's."""
    settings = make_settings(tmp_path, sim)
    questions = [f"Question number {n}" for n in range(30)]
    questions[3] = "Tell me about walruses"
    conversation = await fill(settings, lambda engine: chat(engine, *questions))
    app = make_app(settings)
    async with app.run_test(size=(120, 40)) as pilot:
        await app.wait_for_engine()
        await pilot.press("ctrl+f", *"walruses")
        conversations = app.chat.conversations
        await until(lambda: conversations.query_text == "walruses", pilot)
        await app.workers.wait_for_complete()
        await pilot.press("down")  # from the search box into the results
        assert conversations.has_focus and conversations.highlighted == 0
        hit = next(i for i, o in enumerate(conversations.options) if "You:" in str(o.prompt))
        conversations.highlighted = hit
        await pilot.press("enter")
        pane = app.query_one(MessagePane)
        await until(lambda: pane.selected is not None, pilot)
        await pilot.pause(0.2)
        selected = pane.selected
        assert selected.message.content == "Tell me about walruses"
        assert pane.first_mounted <= 6 < 8 <= pane.last_mounted < len(pane.messages)
        top, bottom = pane.scroll_y, pane.scroll_y + pane.scrollable_content_region.height
        assert top <= selected.virtual_region.y < bottom, "the hit is on screen"
        marked = selected.query_one(".user-text").content
        assert [marked.plain[s.start : s.end] for s in marked.spans] == ["walruses"]
        await pilot.press("ctrl+g", *"One more", "enter")
        await until(lambda: len(pane.messages) == 62 and not app.chat.streaming, pilot)
        assert pane.selected is None and pane.last_mounted == len(pane.messages)
        last_answer = pane.messages[-1].id
        await pilot.press("ctrl+r")
        await until(lambda: pane.messages[-1].id != last_answer and not app.chat.streaming, pilot)
        assert len(pane.messages) == 62 and pane.messages[-2].content == "One more", "the last answer was regenerated"
    async with open_engine(settings) as engine:
        transcript = await engine.transcript(conversation)
    assert len(transcript) == 62 and transcript[-2].content == "One more"
    assert transcript[-1].id != last_answer


async def test_a_title_hit_opens_its_conversation(sim, tmp_path: Path) -> None:
    settings = make_settings(tmp_path, sim)

    async def script(engine) -> int:
        conversation = await chat(engine, "hello")
        await engine.rename(conversation, "Renamed chat")
        return conversation

    conversation = await fill(settings, script)
    app = make_app(settings)
    async with app.run_test(size=(120, 40)) as pilot:
        await app.wait_for_engine()
        await pilot.press("ctrl+f", *"Renamed")
        conversations = app.chat.conversations
        await until(lambda: conversations.query_text == "Renamed", pilot)
        await app.workers.wait_for_complete()
        assert str(conversations.options[0].prompt).endswith("(title)")
        await pilot.press("down", "enter")
        await until(lambda: app.chat.conversation_id == conversation, pilot)
        assert len(app.query_one(MessagePane).views) == 2


async def test_new_chat_during_a_stream_stops_it_with_a_note(sim_factory, tmp_path: Path) -> None:
    sim = sim_factory(speed=40, long_answer=400)
    settings = make_settings(tmp_path, sim)
    app = make_app(settings)
    async with app.run_test(size=(100, 30)) as pilot:
        await app.wait_for_engine()
        await pilot.press(*"Write a long answer", "enter")
        pane = app.query_one(MessagePane)
        await until(lambda: len(pane.views) == 2 and len(pane.views[1].message.content) > 40, pilot)
        conversation = app.chat.conversation_id
        await pilot.press("ctrl+n")
        await until(lambda: not app.chat.streaming and not pane.views, pilot)
        assert app.chat.conversation_id is None
        assert any("stopped" in n.message for n in app._notifications)
    async with open_engine(settings) as engine:
        transcript = await engine.transcript(conversation)
    assert transcript[-1].status == "cancelled" and transcript[-1].content


async def test_the_tool_panel_shows_at_120_columns_only_with_tool_activity(sim, tmp_path: Path) -> None:
    plain = await fill(make_settings(tmp_path, sim), lambda engine: chat(engine, "hello"))
    settings = make_settings(tmp_path, sim, tools=["web_search"])
    app = make_app(settings)
    async with app.run_test(size=(120, 40)) as pilot:
        await app.wait_for_engine()
        tools = app.query_one("#tools")
        assert not tools.display, "the answer column gets the room"
        await pilot.press(*"Search the web for Textual", "enter")
        await until(lambda: not app.chat.streaming and len(app.chat.pane.messages) == 2, pilot)
        assert tools.display, "a tool was called"
        await app.chat.open_conversation(plain)
        await pilot.pause()
        assert not tools.display, "no tool in that answer"
        await pilot.press("ctrl+t")
        assert tools.display, "asked for"


async def test_redraw_repaints_the_whole_screen(sim, tmp_path: Path, monkeypatch) -> None:
    """ctrl+l: the next frame is a full update (every cell), not a partial one that skips cells."""
    app = make_app(make_settings(tmp_path, sim))
    sent: list[str] = []
    display = type(app)._display

    def recording(self, screen, renderable) -> None:
        sent.append(type(renderable).__name__)
        display(self, screen, renderable)

    monkeypatch.setattr(type(app), "_display", recording)
    async with app.run_test(size=(80, 24)) as pilot:
        await app.wait_for_engine()
        await pilot.press(*"abc")
        await pilot.pause()
        sent.clear()
        app._sent_spans._rows[0] = {(0, 1): "stale"}
        await pilot.press("ctrl+l")
        await pilot.pause()
        assert "LayoutUpdate" in sent
        assert 0 not in app._sent_spans._rows or app._sent_spans._rows[0].get((0, 1)) != "stale"


def test_words() -> None:
    assert format_tokens(21_778_000) == "21.8M" and format_tokens(999_499) == "999k"
    assert format_tokens(999_500) == "1.0M" and format_tokens(99_960) == "100k"
    assert plural(1, "tool call") == "1 tool call" and plural(2, "tool call") == "2 tool calls"
    assert status_hint("failed", "HTTP 500").startswith("Failed: HTTP 500")
    assert status_hint("incomplete", "cut").startswith("Incomplete: cut")


async def test_a_retry_note_counts_down(sim, tmp_path: Path) -> None:
    now = [1000.0]
    app = make_app(make_settings(tmp_path, sim))
    async with app.run_test(size=(100, 30)) as pilot:
        status = app.query_one(StatusLine)
        status.clock = lambda: now[0]
        status.start()
        status.show_update(Retrying(attempt=1, delay=5.0, reason="HTTP 429"))
        assert "retrying in 5 s (Esc gives up): HTTP 429" in status.note
        now[0] += 2.2
        status._tick()
        assert "retrying in 3 s" in status.note
        now[0] += 3
        status._tick()
        assert "retrying now" in status.note
        status.stop()
        await pilot.pause()


async def test_the_first_run_screen_names_every_way_to_give_the_key(tmp_path: Path) -> None:
    app = make_app(make_settings(tmp_path, None))
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.pause()
        text = str(app.screen.query_one(".first-run-text").content)
        assert "export DASHSCOPE_API_KEY" in text and "key_file" in text and "key_command" in text
        assert str(tmp_path / "config.toml") in text and "never written" in text


async def test_settings_keep_a_theme_they_do_not_list_and_save_palette_themes(sim, tmp_path: Path) -> None:
    """W6: a saved form keeps the current theme; a theme picked elsewhere (the palette) is written."""
    register = Theme(name="house-blend", primary="#004578", dark=True)
    settings = make_settings(tmp_path, sim)
    app = make_app(settings)
    async with app.run_test(size=(80, 24)) as pilot:
        await app.wait_for_engine()
        app.register_theme(register)
        app.theme = "dracula"  # as the palette's "Change theme" does
        await pilot.pause()
        assert 'theme = "dracula"' in settings.config_path.read_text()
        app.theme = "house-blend"
        await pilot.press("f2")
        await pilot.pause()
        save = app.screen.query_one("#save")
        assert save.region.bottom <= 24, "Save is on screen at 80x24"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.theme == "house-blend", "an unlisted theme is kept, not reset"


async def test_a_failed_save_keeps_the_change_for_the_session_and_says_why(sim, tmp_path: Path) -> None:
    settings = make_settings(tmp_path, sim, config_path=tmp_path / "config-dir-is-a-file" / "config.toml")
    (tmp_path / "config-dir-is-a-file").write_text("not a directory")
    app = make_app(settings)
    async with app.run_test(size=(100, 30)) as pilot:
        await app.wait_for_engine()
        await pilot.press("f2")
        await pilot.pause()
        app.screen.query_one("#thinking").value = True
        await pilot.press("ctrl+s")
        await until(lambda: any("not saved" in n.message for n in app._notifications), pilot)
        assert app.settings.thinking, "the change holds for this session"
        assert any("kept for this session" in n.message for n in app._notifications)


async def test_unchecked_boxes_are_empty_and_checked_ones_crossed(sim, tmp_path: Path) -> None:
    """On and off differ by shape, so they stay apart in 16 colours."""
    app = make_app(make_settings(tmp_path, sim, tools=["web_search"]))
    async with app.run_test(size=(100, 30)) as pilot:
        await app.wait_for_engine()
        await pilot.press("f2")
        await pilot.pause()
        on, off = app.screen.query_one("#tool-web_search"), app.screen.query_one("#tool-file_search")
        assert "X" in on._button.plain and "X" not in off._button.plain


async def test_export_and_import_from_the_app(sim, tmp_path: Path) -> None:
    """Palette: export the open chat to Markdown and JSON at a path asked for; import the JSON back."""
    settings = make_settings(tmp_path, sim)
    conversation = await fill(settings, lambda engine: chat(engine, "Tell me about otters"))
    app = make_app(settings)
    async with app.run_test(size=(100, 30)) as pilot:
        await app.wait_for_engine()
        titles = [command.title for command in app.get_system_commands(app.chat)]
        assert {"Export chat as Markdown", "Export chat as JSON", "Import chat from JSON"} <= set(titles)
        await app.chat.open_conversation(conversation)
        for fmt in ("md", "json"):
            await app.run_action(f"export_conversation('{fmt}')", app.chat)
            await pilot.pause()
            answer = app.screen.query_one("#answer", Input)
            assert answer.value.endswith(f"qwen-chat-{conversation}.{fmt}")
            answer.value = str(tmp_path / f"out.{fmt}")
            await pilot.press("enter")
            await until(lambda fmt=fmt: (tmp_path / f"out.{fmt}").exists(), pilot)
        assert "otters" in (tmp_path / "out.md").read_text()
        await app.run_action("import_conversation", app.chat)
        await pilot.pause()
        app.screen.query_one("#answer", Input).value = str(tmp_path / "out.json")
        await pilot.press("enter")
        await until(lambda: app.chat.conversation_id not in (None, conversation), pilot)
        assert app.chat.pane.messages[0].content == "Tell me about otters"
        assert len(app.chat.conversations.options) == 2
