"""Keys that reach the app (issue 16): attach image, summarise and private each have a second default key
that macOS Terminal (without Option-as-Meta), tmux and GNOME Terminal pass: f12, and the transcript's
plain s and v. F1 and the palette name them. (test_app_tmux.py presses them through a real tmux.)"""

from __future__ import annotations

from pathlib import Path

from app_helpers import chat, fill, make_app, make_settings, until
from textual.command import CommandList

from tui.app.screens.help import HelpScreen
from tui.app.screens.image_prompt import ImagePrompt
from tui.app.widgets.message_pane import MessagePane
from tui.app.widgets.status_line import StatusLine


async def test_f12_attaches_and_the_transcript_keys_summarise_and_make_private(sim, tmp_path: Path) -> None:
    settings = make_settings(tmp_path, sim)
    conversation = await fill(settings, lambda engine: chat(engine, "Hello", "Tell me more"))
    app = make_app(settings)
    async with app.run_test(size=(120, 40)) as pilot:
        await app.wait_for_engine()
        await app.chat.open_conversation(conversation)
        await pilot.pause()
        await pilot.press("f12")  # from the composer
        await until(lambda: isinstance(app.screen, ImagePrompt), pilot)
        await pilot.press("escape")
        await until(lambda: not isinstance(app.screen, ImagePrompt), pilot)
        status = app.query_one(StatusLine)
        assert not status.private
        await pilot.press("f5", "v")
        await until(lambda: status.private, pilot)
        pane = app.query_one(MessagePane)
        await pilot.press("f5", "s")
        await until(lambda: len(pane.views) == 2 and not app.chat.streaming, pilot)
        assert "Summarise our conversation" in pane.views[0].message.content
        assert "branch 2/2" in pane.views[0].branch_label


async def test_help_and_the_palette_name_the_second_keys(sim, tmp_path: Path) -> None:
    app = make_app(make_settings(tmp_path, sim, keys={"transcript.private": "x"}))
    async with app.run_test(size=(120, 40)) as pilot:
        await app.wait_for_engine()
        await pilot.press("f1")
        assert isinstance(app.screen, HelpScreen)
        rows = [str(widget.content) for widget in app.screen.query(".help-keys Static")]
        pairs = dict(zip(rows[::2], rows[1::2], strict=False))
        assert pairs["alt+i / f12"].startswith("Attach an image")
        assert pairs["s"].startswith("Summarise this chat") and pairs["x"].startswith("Make this chat private")
        await pilot.press("escape")

        def hits() -> list[str]:
            lists = app.screen.query(CommandList)
            return [str(option.prompt) for option in lists.first().options] if lists else []

        for title, keys in (
            ("Summarise into a new branch", "(alt+s; s in the transcript)"),
            ("Toggle private chat", "(alt+p; x in the transcript)"),
            ("Attach image", "(alt+i / f12)"),
        ):
            await pilot.press("ctrl+p", *title.lower())
            await until(lambda title=title: any(title in hit for hit in hits()), pilot)
            assert any(keys in hit for hit in hits() if title in hit), hits()
            await pilot.press("escape")
            await until(lambda: not app.screen.query(CommandList), pilot)
