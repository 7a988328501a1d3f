"""Keys belong to the person: `[keys]` in config.toml remaps any binding by id, and F1, the palette
and the footer show the keys as remapped; Shift+Enter inserts a newline where the terminal reports it."""

from __future__ import annotations

from pathlib import Path

from app_helpers import make_app, make_settings, until
from textual.command import CommandList

from tui.app.screens.dialogs import TextPrompt
from tui.app.screens.help import HelpScreen
from tui.app.widgets.composer import Composer
from tui.app.widgets.key_footer import KeyFooter
from tui.app.widgets.message_pane import MessagePane


def help_text(app) -> str:
    return "\n".join(str(widget.content) for widget in app.screen.query("Static"))


async def test_a_remapped_key_does_the_action_and_help_and_footer_show_it(sim, tmp_path: Path) -> None:
    app = make_app(make_settings(tmp_path, sim, keys={"chat.new": "ctrl+k", "chat.tools": "f10"}))
    async with app.run_test(size=(120, 40)) as pilot:
        await app.wait_for_engine()
        await pilot.press(*"hello", "enter")
        await until(lambda: len(app.query_one(MessagePane).views) == 2 and not app.chat.streaming, pilot)
        await pilot.press("ctrl+n")  # the old key no longer starts a new chat
        await pilot.pause()
        assert len(app.query_one(MessagePane).views) == 2
        await pilot.press("ctrl+k")
        await until(lambda: not app.query_one(MessagePane).views, pilot)
        footer = app.query_one(KeyFooter).render().plain
        assert "^k New" in footer and "f10 Tools" in footer and "^n" not in footer
        await pilot.press("f1")
        assert isinstance(app.screen, HelpScreen)
        rows = help_text(app)
        assert "^k" in rows and "f10" in rows and "^n" not in rows and "^t" not in rows
        assert not app._notifications  # a clean keymap: nothing to report


async def test_the_palette_names_the_remapped_key(sim, tmp_path: Path) -> None:
    app = make_app(make_settings(tmp_path, sim, keys={"chat.tools": "f10"}))
    async with app.run_test(size=(100, 30)) as pilot:  # the tool panel starts hidden
        await app.wait_for_engine()
        await pilot.press("ctrl+p", *"toggle tool panel")

        def hits() -> list[str]:
            lists = app.screen.query(CommandList)
            if not lists:
                return []
            options = lists.first().options
            return [str(option.prompt) for option in options]

        await until(lambda: any("Toggle tool panel" in hit for hit in hits()), pilot)
        assert any("(f10)" in hit for hit in hits())
        await pilot.press("enter")
        await until(lambda: app.query_one("#tools").display, pilot)
        # The conversation list's commands run from the palette too (on the open conversation).
        await pilot.press("ctrl+g", *"hello", "enter")
        await until(lambda: len(app.query_one(MessagePane).views) == 2 and not app.chat.streaming, pilot)
        await pilot.press("ctrl+p", *"rename chat")
        await until(lambda: any("Rename chat" in hit for hit in hits()), pilot)
        await pilot.press("enter")
        await until(lambda: isinstance(app.screen, TextPrompt), pilot)


async def test_keymap_conflicts_and_unknown_ids_are_reported_in_one_line_at_start(sim, tmp_path: Path) -> None:
    keys = {"chat.new": "ctrl+f", "chat.nonsense": "f9"}
    app = make_app(make_settings(tmp_path, sim, keys=keys))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        messages = [n.message for n in app._notifications]
        assert len(messages) == 1 and "\n" not in messages[0]
        assert "ctrl+f is bound to both chat.new and chat.search" in messages[0]
        assert "unknown binding id 'chat.nonsense'" in messages[0]


async def test_shift_enter_inserts_a_newline_and_enter_still_sends(sim, tmp_path: Path) -> None:
    app = make_app(make_settings(tmp_path, sim))
    async with app.run_test(size=(120, 40)) as pilot:
        await app.wait_for_engine()
        await pilot.press(*"first", "shift+enter", *"second")
        composer = app.query_one(Composer)
        assert composer.text == "first\nsecond"
        assert not app.query_one(MessagePane).views  # nothing was sent
        await pilot.press("enter")
        await until(lambda: len(app.query_one(MessagePane).views) == 2 and not app.chat.streaming, pilot)
        assert app.query_one(MessagePane).views[0].message.content == "first\nsecond"
