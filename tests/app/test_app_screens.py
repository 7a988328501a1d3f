"""Pilot tests of the rest of the app: search, list management, settings, help, first run,
small terminals, and that control characters in model output never reach the terminal."""

from __future__ import annotations

import tomllib
from pathlib import Path

from app_helpers import chat, fill, make_app, make_settings, until
from textual.command import CommandList
from textual.screen import Screen
from textual.widgets import Input

from tui.app.app import START_DEMO, QwenApp
from tui.app.screens.chat import ChatScreen
from tui.app.screens.dialogs import Confirm, TextPrompt
from tui.app.screens.first_run import FirstRunScreen
from tui.app.screens.help import HelpScreen
from tui.app.screens.settings import SettingsScreen
from tui.app.widgets.composer import Composer
from tui.app.widgets.conversation_list import PAGE_SIZE, ConversationList
from tui.app.widgets.key_footer import KeyFooter
from tui.app.widgets.message_pane import MessagePane
from tui.app.widgets.status_line import StatusLine
from tui.chat import open_engine
from tui.text_safety import strip_controls


def palette_hits(app: QwenApp) -> int:
    lists = app.screen.query(CommandList)
    return lists.first().option_count if lists else 0


def rows(app: QwenApp) -> list[str]:
    conversations = app.query_one(ConversationList)
    return [str(option.prompt) for option in conversations.options]


async def test_search_filters_the_list_through_full_text_search_and_opens_a_hit(sim, tmp_path: Path) -> None:
    settings = make_settings(tmp_path, sim)

    async def script(engine) -> None:
        await chat(engine, "Tell me about the giant panda")
        await chat(engine, "Explain SQLite full text search")
        await chat(engine, "What do pandas eat in the wild")

    await fill(settings, script)
    app = make_app(settings)
    async with app.run_test(size=(120, 40)) as pilot:
        await app.wait_for_engine()
        await until(lambda: len(rows(app)) == 3, pilot)
        await pilot.press("ctrl+f", *"sqlite")
        await until(lambda: app.query_one(ConversationList).query_text == "sqlite", pilot)
        await app.workers.wait_for_complete()
        # Every hit (W10): the title, the answer and the question, all of that one conversation.
        assert len(rows(app)) == 3 and all(row.startswith("Explain SQLite full text search") for row in rows(app))
        assert rows(app)[0].endswith("(title)")
        await pilot.press("enter", "enter")  # search box -> list, then open the (title) hit
        await until(lambda: len(app.query_one(MessagePane).views) == 2, pilot)
        assert app.query_one(MessagePane).views[0].message.content == "Explain SQLite full text search"
        # Clearing the search brings the whole list back.
        app.query_one("#search", Input).value = ""
        await until(lambda: len(rows(app)) == 3 and app.query_one(ConversationList).query_text == "", pilot)


async def test_rename_pin_and_delete_from_the_list(sim, tmp_path: Path) -> None:
    settings = make_settings(tmp_path, sim)

    async def script(engine) -> None:
        await chat(engine, "First chat")
        await chat(engine, "Second chat")

    await fill(settings, script)
    app = make_app(settings)
    async with app.run_test(size=(120, 40)) as pilot:
        await app.wait_for_engine()
        await until(lambda: len(rows(app)) == 2, pilot)
        await pilot.press("f4", "down")  # the older one: "First chat"
        assert rows(app)[1].splitlines()[0].strip() == "First chat"
        await pilot.press("r")
        assert isinstance(app.screen, TextPrompt)
        app.screen.query_one(Input).value = ""
        await pilot.press(*"Renamed", "enter")
        await until(lambda: any(row.strip() == "Renamed" for row in rows(app)), pilot)
        await pilot.press("p")
        await until(lambda: rows(app)[0].startswith("●") and "Renamed" in rows(app)[0], pilot)
        app.query_one(ConversationList).highlighted = 1  # "Second chat"
        await pilot.press("d")
        assert isinstance(app.screen, Confirm)
        await pilot.press("y")
        await until(lambda: len(rows(app)) == 1, pilot)
        assert "Renamed" in rows(app)[0]
    async with open_engine(settings) as engine:
        remaining = await engine.list_conversations()
        assert [(c.title, c.pinned) for c in remaining] == [("Renamed", True)]


async def test_settings_are_saved_to_the_config_file_and_applied(sim, tmp_path: Path) -> None:
    settings = make_settings(tmp_path, sim)
    app = make_app(settings)
    async with app.run_test(size=(100, 30)) as pilot:
        await app.wait_for_engine()
        await pilot.press("f2")
        assert isinstance(app.screen, SettingsScreen)
        app.screen.query_one("#model", Input).value = "qwen-plus"
        app.screen.query_one("#tool-web_search").value = True
        app.screen.query_one("#thinking").value = True
        await pilot.press("ctrl+s")
        await until(lambda: not isinstance(app.screen, SettingsScreen), pilot)
        assert app.query_one(StatusLine).model == "qwen-plus"
        assert app.engine.settings.model == "qwen-plus" and app.engine.settings.tools == ["web_search"]
        await pilot.press(*"hello", "enter")
        await until(lambda: len(app.query_one(MessagePane).views) == 2 and not app.chat.streaming, pilot)
    saved = tomllib.loads((tmp_path / "config.toml").read_text())
    assert saved["model"] == "qwen-plus" and saved["tools"] == ["web_search"] and saved["thinking"] is True
    assert "api_key" not in saved
    request = sim.requests[-1]
    assert request["model"] == "qwen-plus" and request["tools"] == [{"type": "web_search"}]


async def test_an_open_conversation_shows_and_uses_its_model_until_settings_change_it(sim, tmp_path: Path) -> None:
    settings = make_settings(tmp_path, sim, model="qwen-plus")
    conversation_id = await fill(settings, lambda engine: chat(engine, "Tell me about otters"))
    app = make_app(make_settings(tmp_path, sim, model="qwen-max"))
    async with app.run_test(size=(100, 30)) as pilot:
        await app.wait_for_engine()
        status = app.query_one(StatusLine)
        assert status.model == "qwen-max"  # no conversation open: a new one would use the default
        await app.chat.open_conversation(conversation_id)
        assert status.model == "qwen-plus"  # the open conversation keeps the model it has
        await pilot.press(*"And beavers?", "enter")
        await until(lambda: len(app.query_one(MessagePane).views) == 4 and not app.chat.streaming, pilot)
        assert sim.requests[-1]["model"] == "qwen-plus"
        assert app.query_one(MessagePane).views[-1].message.model == "qwen-plus"
        await pilot.press("f2")
        app.screen.query_one("#model", Input).value = "qwen-turbo"
        await pilot.press("ctrl+s")
        await until(lambda: not isinstance(app.screen, SettingsScreen), pilot)
        assert status.model == "qwen-turbo"
        await pilot.press(*"And otters again?", "enter")
        await until(lambda: len(app.query_one(MessagePane).views) == 6 and not app.chat.streaming, pilot)
        assert sim.requests[-1]["model"] == "qwen-turbo", "the model chosen in settings answers next"
        await pilot.press("ctrl+n")
        await until(lambda: not app.query_one(MessagePane).views, pilot)
        assert status.model == "qwen-turbo"


async def test_help_lists_every_app_binding_and_the_osc52_tmux_note(sim, tmp_path: Path) -> None:
    app = make_app(make_settings(tmp_path, sim))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("f1")
        assert isinstance(app.screen, HelpScreen)
        shown = "\n".join(str(widget.content) for widget in app.screen.query("Static"))
        for binding in [*ChatScreen.BINDINGS, *QwenApp.BINDINGS]:
            assert (binding.tooltip or binding.description) in shown, binding.key
        assert "set -g set-clipboard on" in shown and "OSC 52" in shown
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)


async def test_first_run_screen_without_a_key_offers_the_demo(tmp_path: Path) -> None:
    app = make_app(make_settings(tmp_path, None))
    async with app.run_test(size=(80, 24)) as pilot:
        assert isinstance(app.screen, FirstRunScreen)
        text = str(app.screen.query_one(".first-run-text").content)
        assert "export DASHSCOPE_API_KEY=" in text and "qwen-tui --demo" in text
        await pilot.press("ctrl+n")  # chat actions are off here
        assert isinstance(app.screen, FirstRunScreen) and app.engine is None
        await pilot.press("d")
    assert app.return_value == START_DEMO


async def test_narrow_terminals_hide_side_panels_behind_toggles(sim, tmp_path: Path) -> None:
    app = make_app(make_settings(tmp_path, sim))
    async with app.run_test(size=(80, 24)) as pilot:
        sidebar, tools = app.query_one("#sidebar"), app.query_one("#tools")
        assert not sidebar.display and not tools.display
        await pilot.press("ctrl+b")
        assert sidebar.display and not tools.display
        await pilot.press("ctrl+t")
        assert tools.display and not sidebar.display, "one side panel at a time when narrow"
        await pilot.press("escape")
        assert not sidebar.display and not tools.display
        await pilot.resize_terminal(120, 40)
        await pilot.pause()
        assert sidebar.display and not tools.display, "120 columns: the tool panel waits for tool activity"
        await pilot.press("ctrl+t")
        assert tools.display, "or for ctrl+t"
        await pilot.press("ctrl+t")
        assert not tools.display
        await pilot.press("ctrl+b")
        assert not sidebar.display


async def test_launch_lays_the_screen_out_for_the_terminal_size_from_the_first_layout(
    sim, tmp_path: Path, monkeypatch
) -> None:
    """No wide layout first, then the narrow one (a second full restyle and layout at launch)."""
    for size, expected in (((80, 24), {"-narrow", "-tall"}), ((120, 40), {"-wide", "-tall"}), ((50, 12), {"-tiny", "-short"})):
        seen: list[set[str]] = []
        refresh_layout = Screen._refresh_layout

        def recording(screen: Screen, *args, _seen=seen, _refresh=refresh_layout, **kwargs) -> None:
            _seen.append(set(screen.classes))
            _refresh(screen, *args, **kwargs)

        monkeypatch.setattr(Screen, "_refresh_layout", recording)
        app = make_app(make_settings(tmp_path, sim))
        async with app.run_test(size=size) as pilot:
            await pilot.pause()
        monkeypatch.undo()
        assert seen and all(expected <= classes for classes in seen), (size, seen)


async def test_a_too_small_terminal_shows_a_message_instead_of_crashing(sim, tmp_path: Path) -> None:
    app = make_app(make_settings(tmp_path, sim))
    async with app.run_test(size=(50, 12)) as pilot:
        await pilot.pause()
        assert app.query_one("#too-small").display and not app.query_one("#main").display
        await pilot.resize_terminal(30, 8)
        await pilot.pause()
        await pilot.resize_terminal(100, 30)
        await pilot.pause()
        assert app.query_one("#main").display and not app.query_one("#too-small").display


def test_strip_controls_keeps_text_newlines_and_tabs() -> None:
    raw = "a\x1b[2Jb\x1b]52;c;ZXZpbA==\x07c\r\n\td\x9b31me\x00\x7f"
    assert strip_controls(raw) == "a[2Jb]52;c;ZXZpbA==c\n\td31me"
    assert strip_controls("plain ünïcode ✓") == "plain ünïcode ✓"


async def test_escape_sequences_in_model_output_never_reach_the_terminal(sim, tmp_path: Path) -> None:
    """The simulator echoes the question into its answer, so both views carry the hostile text."""
    settings = make_settings(tmp_path, sim)
    hostile = "Explain \x1b[2J\x1b]52;c;ZXZpbA==\x07 bells\x07 and \x9b31m CSI"
    conversation = await fill(settings, lambda engine: chat(engine, hostile))
    app = make_app(settings)
    async with app.run_test(size=(120, 40)) as pilot:
        await app.wait_for_engine()
        await app.chat.open_conversation(conversation)
        await pilot.pause()
        question, answer = app.query_one(MessagePane).views
        assert "\x1b" in answer.message.content or "\x1b" in question.message.content
        output = app.screen._compositor.render_full_update().render_segments(app.console)
        assert "]52;c;ZXZpbA==" in output, "the text is shown, defused"
        for sequence in ("\x1b]52", "\x1b[2J", "\x07", "\x9b"):
            assert sequence not in output


async def test_the_list_loads_a_page_at_a_time(sim, tmp_path: Path) -> None:
    """Only the first page is read at start; moving towards its end loads the next one."""
    settings = make_settings(tmp_path, sim)

    async def script(engine) -> None:
        for number in range(PAGE_SIZE + 50):
            await engine.new_conversation(title=f"Chat {number:03d}")

    await fill(settings, script)
    app = make_app(settings)
    async with app.run_test(size=(120, 40)) as pilot:
        await app.wait_for_engine()
        conversations = app.query_one(ConversationList)
        await until(lambda: conversations.option_count > 0, pilot)
        assert conversations.option_count == PAGE_SIZE
        assert rows(app)[0].splitlines()[0].strip() == f"Chat {PAGE_SIZE + 49:03d}", "newest first"
        await pilot.press("f4", "end")
        await until(lambda: conversations.option_count == PAGE_SIZE + 50, pilot)
        assert rows(app)[-1].splitlines()[0].strip() == "Chat 000"


async def test_first_run_names_a_key_that_could_not_be_read(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, None, key_problem="key_command in config.toml failed with exit status 1")
    app = make_app(settings)
    async with app.run_test(size=(100, 30)):
        problem = str(app.screen.query_one(".first-run-problem").content)
        assert "key_command in config.toml failed" in problem


async def test_app_actions_are_in_the_command_palette(sim, tmp_path: Path) -> None:
    app = make_app(make_settings(tmp_path, sim))
    async with app.run_test(size=(100, 30)) as pilot:
        await app.wait_for_engine()
        tools = app.query_one("#tools")
        assert not tools.display  # 100 columns: the tool panel waits behind ctrl+t
        await pilot.press("ctrl+p", *"toggle tool panel")
        await until(lambda: palette_hits(app) > 0, pilot)  # the palette searches in a worker
        await pilot.press("enter")
        await until(lambda: tools.display, pilot)
        sidebar = app.query_one("#sidebar")
        assert sidebar.display
        await pilot.press("ctrl+p", *"toggle chat list")
        await until(lambda: palette_hits(app) > 0, pilot)
        await pilot.press("enter")
        await until(lambda: not sidebar.display, pilot)


def footer_keys(app: QwenApp) -> list[str]:
    return [description for _key, _display, description, _enabled in app.query_one(KeyFooter).keys]


async def test_the_footer_follows_the_keys_of_the_focused_widget(sim, tmp_path: Path) -> None:
    app = make_app(make_settings(tmp_path, sim))
    async with app.run_test(size=(120, 40)) as pilot:
        await app.wait_for_engine()
        await until(lambda: "Send" not in footer_keys(app) and "Help" in footer_keys(app), pilot)
        assert "Rename" not in footer_keys(app)
        await pilot.press("f4")  # the conversation list: its own keys join the footer
        await until(lambda: {"Rename", "Pin", "Delete"} <= set(footer_keys(app)), pilot)
        await pilot.press("ctrl+f")  # the search box: the list's keys leave it again
        await until(lambda: "Rename" not in footer_keys(app), pilot)
        app.query_one(Composer).focus()
        await until(lambda: "Rename" not in footer_keys(app) and "Help" in footer_keys(app), pilot)
        shown = app.query_one(KeyFooter).keys
        app.query_one(MessagePane).focus()  # no keys of its own in the footer: nothing is redrawn
        await pilot.pause()
        assert app.focused is app.query_one(MessagePane)
        assert app.query_one(KeyFooter).keys is shown


async def test_a_click_on_a_footer_key_presses_it(sim, tmp_path: Path) -> None:
    app = make_app(make_settings(tmp_path, sim))
    async with app.run_test(size=(80, 24)) as pilot:
        await app.wait_for_engine()
        footer = app.query_one(KeyFooter)
        await until(lambda: "Help" in footer_keys(app), pilot)
        shown = footer.render().plain
        assert shown.rstrip().endswith("^p palette") and len(shown) == footer.size.width
        await pilot.click(KeyFooter, offset=(shown.index("f1 Help") + 3, 0))
        await until(lambda: isinstance(app.screen, HelpScreen), pilot)


async def test_the_footer_shows_one_key_per_action_and_only_whole_keys(sim, tmp_path: Path) -> None:
    app = make_app(make_settings(tmp_path, sim))
    async with app.run_test(size=(80, 24)) as pilot:
        await app.wait_for_engine()
        await pilot.press("ctrl+b", "f4")  # the list's keys first, then the app's: more than fit
        await until(lambda: "Rename" in footer_keys(app), pilot)
        assert footer_keys(app).count("Delete") == 1  # del and d both delete: one key shown, as in Textual
        left = app.query_one(KeyFooter).render().plain.split("▏")[0].rstrip()
        assert left.startswith("r Rename") and left.endswith(tuple(footer_keys(app)))
