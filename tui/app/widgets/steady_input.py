"""A one-line `Input` whose cursor does not blink: no timer ticking while idle, calmer over SSH."""

from __future__ import annotations

from typing import Any

from textual.widgets import Input


class SteadyInput(Input):
    """`Input` with `cursor_blink` off from the start."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.cursor_blink = False
