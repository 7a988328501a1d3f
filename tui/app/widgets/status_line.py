"""One line at the bottom: model, endpoint, chain state, tokens, and a spinner while streaming."""

from __future__ import annotations

import time
from typing import Callable

from textual.content import Content
from textual.timer import Timer
from textual.widgets import Static

from tui.app.formatting import format_elapsed, format_remaining, format_tokens
from tui.app.text_safety import one_line

SPINNER = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"
#: Refresh rate of the spinner and elapsed time; low so a slow link is not flooded.
TICK_HZ = 4


class StatusLine(Static):
    """Holds plain fields; re-renders on change, and ticks only while a turn streams."""

    def __init__(
        self, *, model: str, endpoint: str, clock: Callable[[], float] = time.time, id: str | None = None
    ) -> None:
        super().__init__("", id=id, markup=False)
        self.clock = clock
        self.model = model
        self.endpoint = endpoint
        self._chain: tuple[str, float | None] = ("new", None)
        self.turn_tokens: int | None = None
        self.conversation_tokens: int | None = None
        self.note: str = ""
        self._started: float | None = None
        self._frame = 0
        self._ticker: Timer | None = None

    @property
    def streaming(self) -> bool:
        return self._started is not None

    def on_mount(self) -> None:
        self.refresh_line()

    def set_fields(self, **fields: object) -> None:
        """Update any of model, endpoint, turn_tokens, conversation_tokens, note and redraw once."""
        for name, value in fields.items():
            setattr(self, name, value)
        self.refresh_line()

    def set_chain(self, mode: str, expires_at: float | None) -> None:
        """Show how the next turn reaches the model: chained on the server or replayed locally."""
        self._chain = (mode, expires_at)
        self.refresh_line()

    def chain_text(self, compact: bool = False) -> str:
        mode, expires_at = self._chain
        if mode == "chain" and expires_at is not None:
            left = format_remaining(expires_at - self.clock())
            return f"ctx {left}" if compact else f"server context, expires in {left}"
        if mode == "replay":
            return "replay" if compact else "replaying locally"
        return "new" if compact else "new conversation"

    def start(self) -> None:
        """Begin a turn: show the spinner and elapsed time, ticking at `TICK_HZ`."""
        self._started = self.clock()
        self.note = ""
        if self._ticker is None:
            self._ticker = self.set_interval(1 / TICK_HZ, self._tick)
        self.refresh_line()

    def stop(self) -> None:
        """End of a turn: stop the timer so nothing runs while idle."""
        self._started = None
        if self._ticker is not None:
            self._ticker.stop()
            self._ticker = None
        self.refresh_line()

    def _tick(self) -> None:
        self._frame = (self._frame + 1) % len(SPINNER)
        self.refresh_line()

    def on_resize(self) -> None:
        self.refresh_line()

    def refresh_line(self) -> None:
        """Redraw; below the full line's width, fall back to short labels (80-column SSH sessions)."""
        line = self._line(compact=False)
        if self.size.width and line.cell_length > self.size.width - 2:
            line = self._line(compact=True)
        self.update(line, layout=False)

    def _line(self, *, compact: bool) -> Content:
        parts: list[tuple[str, str]] = [
            (one_line(self.model, 40), "$text-primary"),
            (one_line(self.endpoint, 24 if compact else 40), ""),
            (self.chain_text(compact), "$text-secondary"),
        ]
        if self.turn_tokens is not None:
            if compact:
                tokens = format_tokens(self.turn_tokens)
                if self.conversation_tokens is not None:
                    tokens += f"/{format_tokens(self.conversation_tokens)}"
                parts.append((f"{tokens} tok", ""))
            else:
                tokens = f"last {format_tokens(self.turn_tokens)} tok"
                if self.conversation_tokens is not None:
                    tokens += f" · chat {format_tokens(self.conversation_tokens)}"
                parts.append((tokens, ""))
        if self.note:
            parts.append((one_line(self.note, 60), "$text-warning"))
        pieces: list[Content | tuple[str, str] | str] = []
        if self._started is not None:
            elapsed = format_elapsed(self.clock() - self._started)
            pieces.append((f"{SPINNER[self._frame]} {elapsed} ", "$text-accent"))
        separator = " · " if compact else " │ "
        for index, (text, style) in enumerate(parts):
            if index:
                pieces.append((separator, "$text-muted"))
            pieces.append((text, style) if style else text)
        return Content.assemble(*pieces)
