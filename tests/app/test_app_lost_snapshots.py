"""Snapshots at 80x24 and 120x40 of what issue 13 added to the chat screen: a queued message's line
above the composer, and a hostile paste shown inert in the composer."""

from __future__ import annotations

from pathlib import Path

import pytest
from app_helpers import make_app, make_settings
from textual import events

SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((120, 40), id="120x40")]


@pytest.mark.parametrize("size", SIZES)
def test_queued_message_and_inert_paste(snap_compare, sim, tmp_path: Path, size) -> None:
    """The queue line (as while an answer streams) over a composer holding a paste with ESC, BEL and ctrl+b."""

    async def ready(pilot) -> None:
        app = pilot.app
        await app.wait_for_engine()
        app.chat._queue("What about the second part of my question?")
        app.post_message(events.Paste("ls output: \x1b[31mred\x1b[0m\x07 and \x02bold\r\nsecond line"))
        await pilot.pause()

    app = make_app(make_settings(tmp_path, sim))
    assert snap_compare(app, terminal_size=size, run_before=ready)
