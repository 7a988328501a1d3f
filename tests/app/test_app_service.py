"""Pilot tests of issue 11 in the app, against the live-style simulator on loopback: efforts, privacy and
session cache in F2, regions, the private toggle, delete on the server, the retry countdown, refusal advice
and the lost-chain fallback."""

from __future__ import annotations

import time
import tomllib
from pathlib import Path

import httpx
import pytest
from app_helpers import chat, fill, make_app, make_settings, until
from textual.widgets import Checkbox, Input, Label, Select

from tui.app.app import QwenApp
from tui.app.screens.dialogs import Confirm
from tui.app.screens.settings import SettingsScreen
from tui.app.widgets.message_pane import MessagePane
from tui.app.widgets.message_view import MessageView
from tui.app.widgets.status_line import FALLBACK_NOTE, StatusLine
from tui.chat import open_engine
from tui.chat.updates import ChainFallback, Update


def views(app: QwenApp) -> list[MessageView]:
    return app.query_one(MessagePane).views


async def stored_transcript(settings, conversation_id: int):
    async with open_engine(settings) as engine:
        return await engine.transcript(conversation_id)


def server_status(sim, response_id: str) -> int:
    """What the simulator answers to GET /responses/{id}: 200 while it keeps it, 404 once deleted."""
    return httpx.get(f"{sim.base_url}/responses/{response_id}", headers={"Authorization": "Bearer sk-test"}).status_code


async def send(pilot, text: str) -> None:
    """Type and send `text`, then wait until its answer has finished."""
    app = pilot.app
    await app.wait_for_engine()
    before = len(app.chat.pane.messages)
    await pilot.press(*text, "enter")
    await until(lambda: len(app.chat.pane.messages) == before + 2 and not app.chat.streaming, pilot)


async def open_settings(pilot) -> SettingsScreen:
    await pilot.app.wait_for_engine()
    await pilot.press("f2")
    await until(lambda: isinstance(pilot.app.screen, SettingsScreen), pilot)
    screen = pilot.app.screen
    assert isinstance(screen, SettingsScreen)
    return screen


def effort_options(screen: SettingsScreen) -> list[str]:
    select = screen.query_one("#effort", Select)
    return [str(value) for _, value in select._options if value is not Select.NULL]


async def test_f2_offers_the_models_own_efforts_and_refuses_one_it_does_not_take(sim, tmp_path: Path) -> None:
    app = make_app(make_settings(tmp_path, sim, model="qwen3.8-flash", effort="xhigh"))
    async with app.run_test(size=(100, 40)) as pilot:
        screen = await open_settings(pilot)
        assert effort_options(screen) == ["default", "none", "minimal", "low", "medium", "high", "xhigh", "max"]
        assert screen.query_one("#effort", Select).value == "xhigh"
        screen.query_one("#model", Input).value = "qwen3-max"
        await pilot.pause()
        # qwen3-max takes low/medium/high; the effort already chosen stays listed so saving can say why not.
        assert effort_options(screen) == ["default", "low", "medium", "high", "xhigh"]
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.screen is screen, "a refused choice keeps the dialog open"
        problem = screen.query_one("#settings-problem", Label)
        assert problem.display
        text = str(problem.content)
        assert "\n" not in text and "does not take effort 'xhigh'" in text and "low, medium, high" in text
        screen.query_one("#effort", Select).value = "high"
        screen.query_one("#thinking", Checkbox).value = True  # an effort goes with thinking on
        await pilot.press("ctrl+s")
        await until(lambda: not isinstance(app.screen, SettingsScreen), pilot)
        assert app.engine is not None and app.engine.settings.effort == "high"
        await send(pilot, "hello")
    saved = tomllib.loads((tmp_path / "config.toml").read_text())
    assert saved["model"] == "qwen3-max" and saved["effort"] == "high"
    assert sim.requests[-1]["model"] == "qwen3-max" and sim.requests[-1]["reasoning"]["effort"] == "high"


async def test_f2_private_default_makes_new_chats_private(sim, tmp_path: Path) -> None:
    app = make_app(make_settings(tmp_path, sim))
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_settings(pilot)
        assert screen.query_one("#private", Checkbox).value is False
        screen.query_one("#private", Checkbox).value = True
        await pilot.press("ctrl+s")
        await until(lambda: not isinstance(app.screen, SettingsScreen), pilot)
        await send(pilot, "My name is Ada")
        await send(pilot, "What is my name")
        status = app.query_one(StatusLine)
        assert status.chain_text() == "private, replayed locally"
    assert tomllib.loads((tmp_path / "config.toml").read_text())["private"] is True
    first, second = sim.requests[-2:]
    assert first["store"] is False and second["store"] is False
    assert "previous_response_id" not in second and len(second["input"]) >= 3, "replayed, never chained"


async def test_f2_switches_the_session_cache_off(sim, tmp_path: Path) -> None:
    app = make_app(make_settings(tmp_path, sim))
    long_text = "Please keep these notes. " + "Foxes jump over lazy dogs again. " * 150
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_settings(pilot)
        assert screen.query_one("#session-cache", Checkbox).value is True
        screen.query_one("#session-cache", Checkbox).value = False
        old_engine = app.engine
        await pilot.press("ctrl+s")
        await until(lambda: not isinstance(app.screen, SettingsScreen), pilot)
        await until(lambda: app.engine is not None and app.engine is not old_engine, pilot)
        engine = app.engine
        assert engine is not None
        conversation = await engine.new_conversation()
        for text in (long_text, "And now?"):
            turn = await engine.send(conversation.id, text)
            await turn.wait()
        answer = (await engine.transcript(conversation.id))[-1]
    assert tomllib.loads((tmp_path / "config.toml").read_text())["session_cache"] is False
    assert "previous_response_id" in sim.requests[-1], "chained, so the cache would have served it"
    assert answer.usage is not None and answer.usage.cached_tokens == 0


async def test_f2_lists_every_region_and_notes_a_legacy_preset(sim, tmp_path: Path) -> None:
    app = make_app(make_settings(tmp_path, sim))
    async with app.run_test(size=(100, 40)) as pilot:
        screen = await open_settings(pilot)
        region = screen.query_one("#region", Select)
        names = [str(value) for _, value in region._options]
        assert {"singapore", "beijing", "virginia", "hongkong", "singapore-legacy"} <= set(names)
        note = screen.query_one("#region-note", Label)
        assert not note.display
        region.value = "beijing-legacy"
        await pilot.pause()
        assert note.display and "no longer maintains" in str(note.content) and "--region beijing" in str(note.content)
        screen.query_one("#base-url", Input).value = "https://example.com/compatible-mode/v1"
        await pilot.pause()
        assert not note.display, "a custom base URL overrides the preset"
        screen.query_one("#base-url", Input).value = ""
        region.value = "virginia"
        await pilot.pause()
        assert not note.display


async def test_alt_p_makes_the_open_chat_private_and_the_status_line_says_so(sim_factory, tmp_path: Path) -> None:
    sim = sim_factory(speed=60, long_answer=200)
    app = make_app(make_settings(tmp_path, sim))
    async with app.run_test(size=(120, 30)) as pilot:
        await send(pilot, "My name is Ada")
        status = app.query_one(StatusLine)
        assert status.chain_text().startswith("server context")
        await pilot.press("alt+p")
        await until(lambda: status.chain_text() == "private, replayed locally", pilot)
        assert "private" in str(status.content)
        await pilot.press(*"What is my name", "enter")
        # While the private answer streams (ResponseCreated without an expiry) it never shows a server chain.
        await until(lambda: app.chat.streaming and len(views(app)) == 4 and views(app)[-1].message.content, pilot)
        assert status.chain_text() == "private, replayed locally"
        await until(lambda: not app.chat.streaming, pilot)
        assert status.chain_text() == "private, replayed locally"
        request = sim.requests[-1]
        assert request["store"] is False and "previous_response_id" not in request
        await pilot.press("alt+p")
        await until(lambda: "private" not in status.chain_text(), pilot)
        assert status.chain_text() == "replaying locally", "the last turn was not kept on the server"
        conversation_id = app.chat.conversation_id
    async with open_engine(app.settings) as engine:
        assert not engine.is_private(await engine.conversation(conversation_id))


async def test_a_private_turn_in_flight_shows_replay_not_a_server_chain(sim_factory, tmp_path: Path) -> None:
    """`ResponseCreated` with no expiry (store: false) must not flip the line to a server chain."""
    sim = sim_factory(speed=60, long_answer=200)
    app = make_app(make_settings(tmp_path, sim, private=True))
    async with app.run_test(size=(120, 30)) as pilot:
        await app.wait_for_engine()
        await pilot.press(*"Hello", "enter")
        status = app.query_one(StatusLine)
        await until(lambda: app.chat.streaming and len(views(app)) == 2 and views(app)[-1].message.content, pilot)
        assert status._chain[0] == "replay" and not status.chain_text().startswith("server context")


async def test_deleting_a_chat_deletes_its_server_copies_and_says_so(sim, tmp_path: Path) -> None:
    settings = make_settings(tmp_path, sim)
    conversation_id = await fill(settings, lambda engine: chat(engine, "One", "Two", title="Otters"))
    stored = [m.response_id for m in await stored_transcript(settings, conversation_id) if m.response_id]
    assert len(stored) == 2 and all(server_status(sim, i) == 200 for i in stored)
    app = make_app(settings)
    async with app.run_test(size=(120, 30)) as pilot:
        await app.wait_for_engine()
        await app.chat.open_conversation(conversation_id)
        app.chat.conversations.focus()
        await pilot.press("d")
        await until(lambda: isinstance(app.screen, Confirm), pilot)
        await pilot.press("y")
        await until(lambda: any("on the server" in n.message for n in app._notifications), pilot)
        notice = next(n.message for n in app._notifications if "on the server" in n.message)
        assert notice == "Deleted “Otters”; deleted 2 of 2 stored responses on the server."
        assert app.chat.conversation_id is None
    assert all(server_status(sim, i) == 404 for i in stored)


async def test_deleting_while_the_server_is_gone_still_deletes_here_and_says_what_failed(
    sim_factory, tmp_path: Path
) -> None:
    sim = sim_factory()
    settings = make_settings(tmp_path, sim)
    conversation_id = await fill(settings, lambda engine: chat(engine, "One", title="Otters"))
    app = make_app(settings)
    async with app.run_test(size=(120, 30)) as pilot:
        await app.wait_for_engine()
        await app.chat.open_conversation(conversation_id)
        sim.stop()
        app.chat.conversations.focus()
        await pilot.press("d")
        await until(lambda: isinstance(app.screen, Confirm), pilot)
        await pilot.press("y")
        await until(lambda: any("could not be deleted" in n.message for n in app._notifications), pilot)
        assert "the server drops them after 7 days" in next(
            n.message for n in app._notifications if "could not be deleted" in n.message
        )
    async with open_engine(settings) as engine:
        assert await engine.list_conversations() == []


async def test_a_rate_limit_wait_counts_down_and_escape_gives_up(sim, tmp_path: Path) -> None:
    app = QwenApp(make_settings(tmp_path, sim), clock=time.time)  # a real clock: the wait is real
    async with app.run_test(size=(120, 30)) as pilot:
        await app.wait_for_engine()
        sim.inject("rate_limit", retry_after=6)
        started = time.monotonic()
        await pilot.press(*"Hello", "enter")
        status = app.query_one(StatusLine)
        await until(lambda: status.note.startswith("retrying in"), pilot)
        first = status.note
        assert "(Esc gives up)" in first and "s (Esc" in first
        seconds = int(first.split()[2])
        assert 4 <= seconds <= 6
        await until(lambda: status.note.startswith(f"retrying in {seconds - 1} s"), pilot, timeout=3)
        assert "retrying in" in str(status.content)
        await pilot.press("escape")
        await until(lambda: not app.chat.streaming, pilot)
        assert time.monotonic() - started < 5, "Esc gave up the wait"
        assert views(app)[-1].message.status == "cancelled"
        assert "retrying" not in status.note
    assert len(sim.requests) <= 1, "nothing was sent again after Esc"


@pytest.mark.parametrize(
    ("code", "advice"),
    [
        ("Throttling.AllocationQuota", "Check your plan and free quota"),
        ("Arrearage", "Settle the bill"),
        ("DataInspectionFailed", "Rephrase the message"),
        ("ModelNotFound", "'qwen-tui models' lists the models"),
    ],
)
async def test_a_refusal_line_says_what_to_do(sim, tmp_path: Path, code: str, advice: str) -> None:
    """Refused before any answer: nothing is kept (the question goes back), and the one line says what to do."""
    app = make_app(make_settings(tmp_path, sim))
    async with app.run_test(size=(120, 30)) as pilot:
        await app.wait_for_engine()
        sim.inject("refuse", code=code)
        await pilot.press(*"Hello", "enter")
        # The whole line is in the notification (the status line keeps its first 60 characters).
        shown = lambda: [n.message for n in app._notifications if n.message.startswith("Not sent")]  # noqa: E731
        await until(lambda: bool(shown()), pilot)
        (line,) = shown()
        assert advice in line and "ctrl+r to retry" not in line, line
        assert app.chat.composer.text == "Hello" and not app.chat.pane.messages


async def test_a_lost_chain_on_the_live_service_is_replayed_and_said_once(sim, tmp_path: Path) -> None:
    assert sim.style == "live"  # a lost id arrives as HTTP 200 plus one response.failed event
    app = make_app(make_settings(tmp_path, sim))
    seen: list[Update] = []
    async with app.run_test(size=(160, 30)) as pilot:
        await send(pilot, "My name is Ada")
        app.chat.turn_updates.subscribe(app.chat, seen.append, immediate=True)
        sim.inject("forget")
        await send(pilot, "What is my name")
        status = app.query_one(StatusLine)
        assert [u for u in seen if isinstance(u, ChainFallback)] != []
        assert len([u for u in seen if isinstance(u, ChainFallback)]) == 1
        assert str(status.content).count(FALLBACK_NOTE) == 1
        assert status.chain_text().startswith("server context"), "the replayed turn starts a new chain"
        assert "Ada" in views(app)[-1].message.content
    chained, replayed = sim.requests[-2:]
    assert "previous_response_id" in chained and "previous_response_id" not in replayed


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
def test_settings_with_a_legacy_region_and_a_refused_effort(snap_compare, sim, tmp_path: Path, size) -> None:
    """The legacy-region note under the toggles and the refusal line above the buttons (scrolled into view)."""
    app = make_app(make_settings(tmp_path, sim, model="qwen3-max", effort="high", thinking=True))

    async def refused(pilot) -> None:
        screen = await open_settings(pilot)
        screen.query_one("#region", Select).value = "singapore-legacy"
        screen.query_one("#model", Input).value = "qwen-plus"
        await pilot.pause()
        await pilot.press("ctrl+s")
        await pilot.pause()
        screen.query_one("#settings-problem", Label).scroll_visible(animate=False)
        await pilot.pause()

    assert snap_compare(app, terminal_size=size, run_before=refused)
