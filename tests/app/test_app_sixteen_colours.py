"""16 colours (issue 16, Colour): a dialog, or the command palette, open over the chat leaves every text
legible, the chat's footer and status line under it included. Snapshots at 80x24 and 120x40 in the
default theme and the two ANSI ones, drawn as a 16-colour terminal shows them."""

from __future__ import annotations

from pathlib import Path

import pytest
from app_helpers import chat, in_sixteen_colours, make_app, make_settings, opened, populate

SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((120, 40), id="120x40")]
THEMES_16 = [pytest.param(theme, id=theme) for theme in ("textual-dark", "ansi-dark", "ansi-light")]


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("theme", THEMES_16)
def test_a_dialog_over_the_chat_in_sixteen_colours(snap_compare, sim, tmp_path: Path, theme: str, size) -> None:
    """Delete from the list (f4, d): the question, its buttons, and the chat, footer and status line under it."""
    settings = make_settings(tmp_path, sim, theme=theme)
    conversation = populate(settings, lambda engine: chat(engine, "Tell me about otters"))
    app = in_sixteen_colours(make_app(settings))
    assert snap_compare(app, terminal_size=size, run_before=opened(conversation, "f4", "d"))


def test_the_command_palette_over_the_chat_in_sixteen_colours(snap_compare, sim, tmp_path: Path) -> None:
    settings = make_settings(tmp_path, sim)
    conversation = populate(settings, lambda engine: chat(engine, "Tell me about otters"))
    app = in_sixteen_colours(make_app(settings))
    assert snap_compare(app, terminal_size=(80, 24), run_before=opened(conversation, "ctrl+p", *"chat"))
