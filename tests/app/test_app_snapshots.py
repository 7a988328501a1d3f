"""Snapshots of every screen at 80x24 (SSH) and 120x40, from a real store filled through the real
engine against the simulator; fixed clock, UTC, no cursor blink, isolated config and data dirs."""

from __future__ import annotations

from pathlib import Path

import pytest
from app_helpers import chat, in_sixteen_colours, make_app, make_settings, opened, populate, until

from tui.app.widgets.conversation_list import ConversationList

SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((120, 40), id="120x40")]


@pytest.mark.parametrize("size", SIZES)
def test_empty_state(snap_compare, sim, tmp_path: Path, size) -> None:
    """A first launch: no conversations, the composer focused, the hint in the transcript."""

    async def ready(pilot) -> None:
        await pilot.app.wait_for_engine()

    app = make_app(make_settings(tmp_path, sim))
    assert snap_compare(app, terminal_size=size, run_before=ready)


@pytest.mark.parametrize("size", SIZES)
def test_finished_answer_with_tools_and_reasoning(snap_compare, sim, tmp_path: Path, size) -> None:
    """Web search and code interpreter cards with x_tools counts; the reasoning box expanded (alt+r)."""
    settings = make_settings(tmp_path, sim, tools=["web_search", "code_interpreter"], thinking=True)
    conversation = populate(settings, lambda engine: chat(engine, "Search the web for Textual and count the words"))
    app = make_app(settings)
    keys = ("alt+r", "ctrl+t") if size[0] < 100 else ("alt+r",)  # narrow: show the hidden tool panel
    assert snap_compare(app, terminal_size=size, run_before=opened(conversation, *keys))


@pytest.mark.parametrize("size", SIZES)
def test_stream_cut_midway(snap_compare, sim, tmp_path: Path, size) -> None:
    """The connection drops after 12 deltas: the partial answer stays, marked incomplete with the error."""
    settings = make_settings(tmp_path, sim)

    async def script(engine) -> int:
        sim.inject("drop", after_deltas=12)
        return await chat(engine, "Explain how Markdown streaming works")

    conversation = populate(settings, script)
    app = make_app(settings)
    assert snap_compare(app, terminal_size=size, run_before=opened(conversation))


@pytest.mark.parametrize("size", SIZES)
def test_conversation_list_with_search_results(snap_compare, sim, tmp_path: Path, size) -> None:
    """ctrl+f, a query: only the conversations whose messages match, with highlighted snippets."""
    settings = make_settings(tmp_path, sim)

    async def script(engine) -> None:
        await chat(engine, "Tell me about the giant panda")
        await chat(engine, "Explain SQLite full text search")
        await chat(engine, "What do pandas eat in the wild")

    populate(settings, script)

    async def search(pilot) -> None:
        app = pilot.app
        await app.wait_for_engine()
        await pilot.press("ctrl+f", *"panda")
        conversations = app.query_one(ConversationList)
        await until(lambda: conversations.query_text == "panda", pilot)
        await pilot.app.workers.wait_for_complete()

    assert snap_compare(make_app(settings), terminal_size=size, run_before=search)


@pytest.mark.parametrize("size", SIZES)
def test_settings_screen(snap_compare, sim, tmp_path: Path, size) -> None:
    settings = make_settings(tmp_path, sim, tools=["web_search"], thinking=True, system_prompt="Answer briefly.")

    async def ready(pilot) -> None:
        await pilot.app.wait_for_engine()

    assert snap_compare(make_app(settings), terminal_size=size, run_before=ready, press=["f2"])


@pytest.mark.parametrize("size", SIZES)
def test_help_screen(snap_compare, sim, tmp_path: Path, size) -> None:
    async def ready(pilot) -> None:
        await pilot.app.wait_for_engine()

    assert snap_compare(make_app(make_settings(tmp_path, sim)), terminal_size=size, run_before=ready, press=["f1"])


@pytest.mark.parametrize("size", SIZES)
def test_first_run_screen(snap_compare, tmp_path: Path, size) -> None:
    """No key and no --demo: how to set DASHSCOPE_API_KEY or start the demo."""
    # A fixed config path: the screen names it.
    settings = make_settings(tmp_path, None, config_path=Path("/home/you/.config/qwen-tui/config.toml"))
    assert snap_compare(make_app(settings), terminal_size=size)


THEMES_16 = [pytest.param(theme, id=theme) for theme in ("textual-dark", "ansi-dark", "ansi-light")]


@pytest.mark.parametrize("theme", THEMES_16)
def test_sixteen_colours_selection_and_warning(snap_compare, sim, tmp_path: Path, theme: str) -> None:
    """16 colours: a selected question (a bar, not a red or olive block) above a stopped answer whose
    warning line stays readable."""
    settings = make_settings(tmp_path, sim, theme=theme)

    async def script(engine) -> int:
        sim.inject("drop", after_deltas=12)
        return await chat(engine, "Explain how Markdown streaming works")

    conversation = populate(settings, script)
    app = in_sixteen_colours(make_app(settings))
    assert snap_compare(app, terminal_size=(80, 24), run_before=opened(conversation, "alt+up"))


@pytest.mark.parametrize("theme", THEMES_16)
def test_sixteen_colours_settings(snap_compare, sim, tmp_path: Path, theme: str) -> None:
    """16 colours: unchecked boxes, the focused field and the buttons stay visible."""
    settings = make_settings(tmp_path, sim, tools=["web_search"], theme=theme)

    async def ready(pilot) -> None:
        await pilot.app.wait_for_engine()

    app = in_sixteen_colours(make_app(settings))
    assert snap_compare(app, terminal_size=(80, 24), run_before=ready, press=["f2"])
