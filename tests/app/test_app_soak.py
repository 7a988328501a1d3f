"""A long sitting does not keep what it has unmounted (bench/soak.py measures the whole of it)."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator
from pathlib import Path

import pytest
from app_helpers import make_app, make_settings, until
from textual._styles_cache import StylesCache
from textual.color import Color

import tui.app.turn_feed
from tui import collector
from tui.app.widgets.message_view import MessageView


@pytest.fixture
def app_collector() -> Iterator[None]:
    """The collector as the `qwen-tui` command runs it (`tui.collector`): full collections are rare."""
    thresholds = gc.get_threshold()
    gc.collect()
    gc.set_threshold(*collector.THRESHOLDS)
    yield
    gc.set_threshold(*thresholds)


def test_textual_styles_caches_are_not_kept_alive_by_a_colour_cache(tmp_path: Path) -> None:
    """Textual's `StylesCache.get_inner_outer` cache held the last 1,024 widgets' render caches (every
    line each had drawn) long after the widgets were gone; the app installs a cache on the colours
    alone (tui.app.textual_fixes)."""
    make_app(make_settings(tmp_path, None))  # the app installs its Textual work-arounds
    cache = StylesCache()
    inner, outer = cache.get_inner_outer(Color(10, 20, 30), Color(200, 0, 0, 0.5))
    assert (inner.background, outer.background) == (Color(10, 20, 30) + Color(200, 0, 0, 0.5), Color(10, 20, 30))
    gone = weakref.ref(cache)
    del cache
    gc.collect()
    assert gone() is None


async def test_answers_that_left_the_window_are_freed_when_a_turn_ends(
    sim, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, app_collector: None
) -> None:
    """Each turn unmounts the oldest messages of the window; the widgets are cyclic garbage that only a
    full collection frees, which the app's collector thresholds leave for hundreds of turns."""
    monkeypatch.setattr(tui.app.turn_feed, "FULL_COLLECTION_SECONDS", 0.0)
    app = make_app(make_settings(tmp_path, sim))
    async with app.run_test(size=(80, 24)) as pilot:
        await app.wait_for_engine()
        pane = app.chat.pane
        composer = app.chat.composer
        turns = 0
        while pane.first_mounted < 6:  # a few turns past the first one that trims the window
            turns += 1
            assert turns <= 40, "the window never moved"
            composer.load_text(f"Question {turns}")
            await pilot.press("enter")
            await until(lambda n=turns: len(pane.messages) == 2 * n and not app.chat.streaming, pilot)
        await pilot.pause()
        await pilot.pause()
        alive = [o for o in gc.get_objects() if isinstance(o, MessageView)]
        assert len(pane.views) == len(pane.messages) - pane.first_mounted
        # At most the exchange unmounted last: Textual's child list holds it until the next layout.
        assert len([view for view in alive if not view.is_attached]) <= 2
