"""Snapshots of the agent tools at 80x24 and 120x40: the consent dialog over a live turn, the Tools
dialog, and the tool panel's cards (MCP, image and file search; local functions allowed and denied)."""

from __future__ import annotations

from pathlib import Path

import pytest
from app_helpers import make_app, make_settings, opened, populate, until

from tui.app.screens.consent import ConsentDialog
from tui.app.screens.tools_dialog import ToolsDialog
from tui.chat.functions import allow_named

SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((120, 40), id="120x40")]
MCP = [{"label": "maps", "url": "https://mcp.example.com/sse"}]


def agent_settings(tmp_path: Path, sim, **changes):
    work = tmp_path / "work"
    work.mkdir(exist_ok=True)
    return make_settings(tmp_path, sim, **{"local_tools": ["shell", "list_dir"], "local_root": work, **changes})


def answered(settings, text: str, *, consent=None, mcp: tuple[str, ...] = ()):
    """A `run_before` showing a stored conversation whose one question was answered through the real
    engine (with `consent` for local functions and the `mcp` servers on); narrow: the panel opened."""

    async def script(engine) -> int:
        engine.consent = consent
        conversation = await engine.new_conversation()
        if mcp:
            await engine.set_mcp(conversation.id, list(mcp))
        turn = await engine.send(conversation.id, text)
        await turn.wait()
        return conversation.id

    conversation = populate(settings, script)

    async def run_before(pilot) -> None:
        narrow = pilot.app.size.width < 100
        await opened(conversation, *(["ctrl+t"] if narrow else []))(pilot)

    return run_before


@pytest.mark.parametrize("size", SIZES)
def test_consent_dialog(snap_compare, sim, tmp_path: Path, size) -> None:
    """The model calls shell: the exact call, pretty JSON, three answers with their keys; the card behind
    it (wide) waits for consent."""

    async def asked(pilot) -> None:
        app = pilot.app
        await app.wait_for_engine()
        await pilot.press(*"use shell to run `ls -la | head -n 3`", "enter")
        await until(lambda: isinstance(app.screen, ConsentDialog), pilot)
        status = app.chat.status
        status._ticker.pause()  # a still picture: the spinner stops on its first frame
        status._frame = 0
        status.refresh_line()
        await pilot.pause()

    assert snap_compare(make_app(agent_settings(tmp_path, sim)), terminal_size=size, run_before=asked)


@pytest.mark.parametrize("size", SIZES)
def test_tool_panel_with_local_functions(snap_compare, sim, tmp_path: Path, size) -> None:
    """One call allowed once (its output), one denied; the answer went on with both."""
    settings = agent_settings(tmp_path, sim)
    shown = answered(settings, "use shell to run `echo the kettle is on` and list_dir", consent=allow_named(["shell"]))
    assert snap_compare(make_app(settings), terminal_size=size, run_before=shown)


@pytest.mark.parametrize("size", SIZES)
def test_tool_panel_with_mcp_image_and_file_search(snap_compare, sim, tmp_path: Path, size) -> None:
    """An MCP call (server, tool, arguments, output), image results as titles with their full URLs,
    and a knowledge-base hit."""
    settings = make_settings(
        tmp_path, sim, mcp=MCP, tools=["web_search_image", "file_search"], knowledge_base="vs_team"
    )
    shown = answered(settings, "Red pandas near Chengdu", mcp=("maps",))
    assert snap_compare(make_app(settings), terminal_size=size, run_before=shown)


@pytest.mark.parametrize("size", SIZES)
def test_tools_dialog(snap_compare, sim, tmp_path: Path, size) -> None:
    """alt+t: the MCP servers with their URLs and "List tools", the local tools with what they do."""
    settings = agent_settings(tmp_path, sim, mcp=MCP, local_root=Path("/srv/garden"))  # a path the same every run

    async def shown(pilot) -> None:
        app = pilot.app
        await app.wait_for_engine()
        await pilot.press("alt+t")
        await until(lambda: isinstance(app.screen, ToolsDialog), pilot)
        await pilot.pause()

    assert snap_compare(make_app(settings), terminal_size=size, run_before=shown)
