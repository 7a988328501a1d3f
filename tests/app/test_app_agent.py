"""Agent tools in the app against the real simulator and store: the consent dialog before a local
function runs (once, always, deny, Escape), Escape stopping a running function, the Tools dialog
(per-chat MCP servers and local functions, listing a server's tools), and the tool panel's cards."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from app_helpers import fill, make_app, make_settings, until
from textual.widgets import Checkbox, Static

from tui.app.screens import consent
from tui.app.screens.consent import ARM_SECONDS, ConsentDialog
from tui.app.screens.settings import SettingsScreen
from tui.app.screens.tools_dialog import ToolsDialog
from tui.app.widgets.tool_panel import ToolPanel, describe
from tui.chat.functions import FunctionRequest
from tui.chat.updates import ToolCall


def agent_settings(tmp_path: Path, sim: Any, **changes: Any):
    """Settings offering the shell and list_dir functions in `tmp_path/work`, plus `changes`."""
    work = tmp_path / "work"
    work.mkdir(exist_ok=True)
    return make_settings(tmp_path, sim, local_tools=["shell", "list_dir"], local_root=work, **changes)


def panel_text(app: Any) -> str:
    return "\n".join(str(card.content) for card in app.query_one(ToolPanel).query(".tool-card").results(Static))


async def consent_shown(app: Any, pilot: Any) -> ConsentDialog:
    """Wait for the consent dialog and until its keys are armed."""
    await until(lambda: isinstance(app.screen, ConsentDialog), pilot)
    await pilot.pause(ARM_SECONDS + 0.1)
    assert isinstance(app.screen, ConsentDialog)
    return app.screen


async def ask(pilot: Any, text: str) -> None:
    await pilot.app.wait_for_engine()
    await pilot.press(*text, "enter")


async def finished(app: Any, pilot: Any) -> None:
    await until(lambda: not app.chat.streaming, pilot)


async def test_a_call_runs_only_after_allow_once_and_a_denied_one_never(sim, tmp_path: Path) -> None:
    settings = agent_settings(tmp_path, sim)
    app = make_app(settings)
    async with app.run_test(size=(120, 40)) as pilot:
        await ask(pilot, "use shell to run `touch made && echo made-it` and list_dir")
        dialog = await consent_shown(app, pilot)
        shown = str(dialog.query_one("#consent-json", Static).content)
        assert '"command": "touch made && echo made-it"' in shown
        assert "Run a shell command" in str(dialog.query_one("#consent-tool", Static).content)
        assert not (tmp_path / "work" / "made").exists(), "nothing runs before the person answers"
        assert "awaiting consent" in panel_text(app) and "waiting for your answer" in panel_text(app)
        await pilot.press("y")
        dialog = await consent_shown(app, pilot)  # the second call is asked on its own
        assert '"path": "."' in str(dialog.query_one("#consent-json", Static).content)
        await pilot.press("escape")
        await finished(app, pilot)
        answer = app.chat.pane.messages[-1]
        assert answer.status == "complete"
        assert "The function returned: made-it" in answer.content
        assert "did not allow this call to list_dir" in answer.content
        text = panel_text(app)
        assert "allowed once" in text and "denied by you" in text
    assert (tmp_path / "work" / "made").exists()
    items = [item for item in answer.items if item.type == "function_call"]
    assert [(i.data["name"], i.data["decision"], i.status) for i in items] == [
        ("shell", "once", "completed"), ("list_dir", "deny", "denied"),
    ]


async def test_keys_pressed_as_the_dialog_opens_are_ignored(sim, tmp_path: Path, monkeypatch) -> None:
    """Someone typing "yes" into the composer when the dialog pops up must not allow the call."""
    monkeypatch.setattr(consent, "ARM_SECONDS", 60.0)  # the pilot is slower than a person: a long window
    app = make_app(agent_settings(tmp_path, sim))
    async with app.run_test(size=(100, 30)) as pilot:
        await ask(pilot, "use shell to run `touch made`")
        await until(lambda: isinstance(app.screen, ConsentDialog), pilot)
        await pilot.press("y", "a", "enter")
        assert isinstance(app.screen, ConsentDialog)
        monkeypatch.setattr(consent, "ARM_SECONDS", 0.0)
        await pilot.press("n")
        await finished(app, pilot)
    assert not (tmp_path / "work" / "made").exists()


async def test_always_is_kept_for_the_conversation_and_can_be_forgotten(sim, tmp_path: Path) -> None:
    settings = agent_settings(tmp_path, sim)
    app = make_app(settings)
    async with app.run_test(size=(120, 40)) as pilot:
        await ask(pilot, "use shell to run `echo first`")
        await consent_shown(app, pilot)
        await pilot.press("a")
        await finished(app, pilot)
        await ask(pilot, "use shell to run `echo second`")
        await finished(app, pilot)  # no dialog this time
        assert "The function returned: second" in app.chat.pane.messages[-1].content
        assert "allowed (always, this chat)" in panel_text(app)
        conversation_id = app.chat.conversation_id
        await pilot.press("alt+t")
        await until(lambda: isinstance(app.screen, ToolsDialog), pilot)
        forget = app.screen.query_one("#forget", Checkbox)
        assert "shell" in str(forget.label)
        forget.value = True
        await pilot.press("ctrl+s")
        await until(lambda: not isinstance(app.screen, ToolsDialog), pilot)
        await pilot.pause()
        await ask(pilot, "use shell to run `echo third`")
        await consent_shown(app, pilot)  # asked again
        await pilot.press("n")
        await finished(app, pilot)

    async def options(engine):
        return (await engine.conversation(conversation_id)).options

    assert "allowed_functions" not in await fill(settings, options)


async def test_escape_during_a_running_function_stops_the_turn_and_the_process(sim, tmp_path: Path) -> None:
    app = make_app(agent_settings(tmp_path, sim))
    async with app.run_test(size=(120, 40)) as pilot:
        await ask(pilot, "use shell to run `sleep 30 && touch late`")
        await consent_shown(app, pilot)
        await pilot.press("y")
        await until(lambda: "running" in panel_text(app), pilot)
        await pilot.press("escape")
        await until(lambda: not app.chat.streaming, pilot, timeout=5)
        answer = app.chat.pane.messages[-1]
        assert answer.status == "cancelled"
        assert "cancelled" in panel_text(app)
    assert not (tmp_path / "work" / "late").exists()


async def test_the_dialog_shows_hostile_arguments_as_inert_escapes(sim, tmp_path: Path) -> None:
    request = FunctionRequest(
        1, "item", "call", "shell\x1b[31m", '{"command": "printf \'\\u001b[2J\'; echo \u202eevil\x9b"}',
        "Run \x1b]52;c;ZXZpbA==\x07 things",
    )
    app = make_app(make_settings(tmp_path, sim))
    async with app.run_test(size=(80, 24)) as pilot:
        await app.wait_for_engine()
        app.push_screen(ConsentDialog(request))
        await pilot.pause()
        dialog = app.screen
        shown = str(dialog.query_one("#consent-json", Static).content)
        tool = str(dialog.query_one("#consent-tool", Static).content)
        assert "\\u001b[2J" in shown and "\\u202e" in shown and "\\x9b" in shown
        for text in (shown, tool):
            assert not any(ord(char) < 32 and char != "\n" or 0x7F <= ord(char) <= 0x9F for char in text)
            assert "\u202e" not in text
        assert "shell[31m" in tool and "]52;c;ZXZpbA==" in tool


async def test_the_tools_dialog_turns_servers_and_functions_on_per_chat_and_lists_tools(
    sim, tmp_path: Path, monkeypatch
) -> None:
    monkeypatch.setenv("MAPS_TOKEN", "t0ken")
    mcp_root = sim.base_url.split("/compatible-mode")[0]
    token = {"Authorization": {"env": "MAPS_TOKEN"}}
    settings = make_settings(
        tmp_path, sim, local_root=tmp_path,
        mcp=[{"label": "maps", "url": f"{mcp_root}/_mcp/sse", "headers": token}, {"label": "refusing", "url": f"{mcp_root}/_mcp/sse"}],
    )
    app = make_app(settings)
    async with app.run_test(size=(120, 40)) as pilot:
        await app.wait_for_engine()
        await pilot.press("f2")
        await until(lambda: isinstance(app.screen, SettingsScreen), pilot)
        await pilot.click("#agent-tools")
        await until(lambda: isinstance(app.screen, ToolsDialog), pilot)
        dialog = app.screen
        listing = dialog.query_one("#mcp-listing", Static)
        await pilot.click("#list-0")
        await until(lambda: "offers" in str(listing.content), pilot)
        assert "search" in str(listing.content)
        await pilot.click("#list-1")
        await until(lambda: "Could not list refusing's tools" in str(listing.content), pilot)
        assert "HTTP 401" in str(listing.content)
        dialog.query_one("#mcp-0", Checkbox).focus()
        await pilot.press("space")  # maps on
        dialog.query_one("#function-2", Checkbox).value = True  # shell
        await pilot.press("ctrl+s")
        await until(lambda: isinstance(app.screen, SettingsScreen), pilot)
        await pilot.press("escape")
        conversation_id = app.chat.conversation_id
        assert conversation_id is not None, "a chat was made to hold the choice"
        await ask(pilot, "find coffee")
        await finished(app, pilot)
        assert "maps › search" in panel_text(app)
    tools = sim.requests[-1]["tools"]
    assert [t.get("server_label") or t.get("name") for t in tools if t["type"] in ("mcp", "function")] == [
        "maps", "shell"
    ]


def test_cards_show_urls_and_sources_in_full_and_tool_output_inert() -> None:
    long_url = "https://example.com/" + "a-very-long-path-segment/" * 4 + "end.html"
    sources = [f"https://site{n}.example.org/page/{n}" for n in range(7)]
    web = describe(ToolCall("w", "web_search_call", "completed", query="pandas", sources=[long_url, *sources]))
    flat = "".join(line.strip() for line in web.plain.splitlines())
    assert long_url in flat and all(url in flat for url in sources), "every source, every character"
    assert max(len(line) for line in web.plain.splitlines()) <= 31
    images = describe(ToolCall(
        "i", "image_search_call", "completed", results=[{"title": "Red panda", "url": long_url}]
    ))
    assert "Red panda" in images.plain and long_url in "".join(line.strip() for line in images.plain.splitlines())
    assert any(span.style.link == long_url for span in images.spans if hasattr(span.style, "link"))
    function = describe(ToolCall(
        "f", "function_call", "completed", name="shell", arguments='{"command":"x"}',
        output="\x1b[2J\x1b]52;c;ZXZpbA==\x07" + "line\n" * 30, decision="once",
    ))
    assert "\x1b" not in function.plain and "\x07" not in function.plain and "[2J" in function.plain
    assert "more lines" in function.plain, "output is capped"
    mcp = describe(ToolCall("m", "mcp_call", "failed", server="maps", name="search", error="tool unavailable"))
    assert "maps › search" in mcp.plain and "tool unavailable" in mcp.plain
    files = describe(ToolCall(
        "s", "file_search_call", "completed", query="pandas",
        results=[{"filename": "handbook.md", "score": 0.87, "text": "Pandas are in chapter 2."}],
    ))
    assert "handbook.md (0.87)" in files.plain and "chapter 2" in files.plain


async def test_the_consent_keys_can_be_remapped_and_the_palette_opens_the_tools_dialog(sim, tmp_path: Path) -> None:
    app = make_app(agent_settings(tmp_path, sim, keys={"consent.once": "o"}))
    async with app.run_test(size=(120, 40)) as pilot:
        await ask(pilot, "use shell to run `echo remapped`")
        assert not app._notifications, "consent.once is a known binding id"
        await consent_shown(app, pilot)
        await pilot.press("o")
        await finished(app, pilot)
        assert "The function returned: remapped" in app.chat.pane.messages[-1].content
        await pilot.press("ctrl+p", *"tools for this chat", "enter")
        await until(lambda: isinstance(app.screen, ToolsDialog), pilot)


async def test_a_turn_stopped_while_the_dialog_waits_takes_the_dialog_away(sim, tmp_path: Path) -> None:
    """Quitting (or any stop) with the dialog open: nothing runs, the dialog goes, the answer is kept as cancelled."""
    settings = agent_settings(tmp_path, sim)
    app = make_app(settings)
    async with app.run_test(size=(100, 30)) as pilot:
        await ask(pilot, "use shell to run `touch made`")
        await consent_shown(app, pilot)
        conversation_id = app.chat.conversation_id
        await app.chat.stop_turn()
        await until(lambda: not isinstance(app.screen, ConsentDialog) and not app.chat.streaming, pilot)
        await pilot.press("ctrl+q")
    assert not (tmp_path / "work" / "made").exists()

    async def last_answer(engine):
        return (await engine.transcript(conversation_id))[-1]

    answer = await fill(settings, last_answer)
    assert answer.status == "cancelled"
    assert [item.status for item in answer.items if item.type == "function_call"] == ["cancelled"]


async def test_quitting_with_the_dialog_open_ends_cleanly(sim, tmp_path: Path) -> None:
    settings = agent_settings(tmp_path, sim)
    app = make_app(settings)
    async with app.run_test(size=(100, 30)) as pilot:
        await ask(pilot, "use shell to run `touch made`")
        await consent_shown(app, pilot)
        conversation_id = app.chat.conversation_id
        await pilot.press("ctrl+q")
    assert app.return_code == 0 and not (tmp_path / "work" / "made").exists()

    async def last_answer(engine):
        return (await engine.transcript(conversation_id))[-1]

    assert (await fill(settings, last_answer)).status == "cancelled"
