"""The transcript's window in a long sitting: old turns leave the screen's widgets, and come back in order
(Home, or scrolling to the top, which keeps what was on screen where it was)."""

from __future__ import annotations

from pathlib import Path

import pytest
from app_helpers import make_app, make_settings, until
from textual.screen import Screen

import tui.app.widgets.message_pane
from tui.app.widgets.message_pane import MessagePane
from tui.chat import open_engine

#: A small window (in messages) so that a quick test sits through many windows' worth of turns.
SMALL_WINDOW = 6


@pytest.fixture
def small_window(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tui.app.widgets.message_pane, "WINDOW", SMALL_WINDOW)
    monkeypatch.setattr(tui.app.widgets.message_pane, "WINDOW_CHARS", 100_000)


async def ask_turns(app, pilot, count: int) -> MessagePane:
    """Send `count` questions one after another through the composer, each answered before the next."""
    pane = app.query_one(MessagePane)
    app.chat.composer.focus()
    for _ in range(count):
        before = len(pane.messages)
        app.chat.composer.load_text(f"Question {before // 2}")
        await pilot.press("enter")
        await until(lambda before=before: len(pane.messages) == before + 2 and not app.chat.streaming, pilot)
    return pane


async def test_old_turns_of_a_long_sitting_are_unmounted_and_come_back_in_order(
    sim, tmp_path: Path, small_window: None
) -> None:
    settings = make_settings(tmp_path, sim)
    app = make_app(settings)
    async with app.run_test(size=(80, 24)) as pilot:
        await app.wait_for_engine()
        pane = await ask_turns(app, pilot, 12)
        assert len(pane.messages) == 24
        assert len(pane.views) <= SMALL_WINDOW and pane.first_mounted >= 24 - SMALL_WINDOW
        assert [view.message for view in pane.views] == pane.messages[pane.first_mounted :]
        assert f"{pane.first_mounted} earlier messages" in str(pane.query_one(".load-earlier").content)
        pane.focus()
        for _ in range(24):
            if not pane.first_mounted:
                break
            await pilot.press("home")
            await pilot.pause()
        shown = [view.message.content for view in pane.views]
        async with open_engine(settings) as engine:
            stored = [m.content for m in await engine.transcript(app.chat.conversation_id)]
        assert shown == stored and shown[0] == "Question 0" and shown[-2] == "Question 11"
        assert not pane.query_one(".load-earlier").display
        # The next turn takes the window back to the newest messages.
        await ask_turns(app, pilot, 1)
        assert len(pane.views) <= SMALL_WINDOW and pane.views[-2].message.content == "Question 12"


async def test_scrolling_to_the_top_keeps_what_was_on_screen_in_place_at_every_layout(
    sim, tmp_path: Path, small_window: None
) -> None:
    """The earlier messages take more than one layout to reach their height: the message that was at the
    top stays on its row through each of them (it was put back once, after the first, and the frames
    between showed the oldest lines)."""
    app = make_app(make_settings(tmp_path, sim))
    async with app.run_test(size=(80, 24)) as pilot:
        await app.wait_for_engine()
        pane = await ask_turns(app, pilot, 10)
        await pilot.pause()
        first, mounted = pane.views[0], len(pane.views)
        pane.scroll_to(y=3, animate=False, immediate=True)
        await pilot.pause()
        row = first.virtual_region.y - 0  # its row once scrolled to the very top
        rows: list[int] = []

        def laid_out(screen: Screen) -> None:
            if len(pane.views) > mounted and first.virtual_region.y > row:
                rows.append(round(first.virtual_region.y - pane.scroll_y))

        app.screen.screen_layout_refresh_signal.subscribe(pane, laid_out, immediate=True)
        pane.scroll_home(animate=False, immediate=True)  # as a wheel or PageUp would, to the very top
        await until(lambda: len(pane.views) > mounted, pilot)
        for _ in range(4):
            await pilot.pause()
        assert pane.views[0] is not first, "earlier messages were mounted above"
        assert rows and set(rows) == {row}, rows
        # Scrolling on from there is the person's: nothing pulls the view back.
        pane.scroll_to(y=pane.scroll_y + 5, animate=False, immediate=True)
        await pilot.pause()
        held = pane.scroll_y
        await ask_turns(app, pilot, 0)
        pane.refresh(layout=True)
        await pilot.pause()
        assert pane.scroll_y == held
