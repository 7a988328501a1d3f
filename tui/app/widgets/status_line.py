"""One line at the bottom: model, endpoint, chain state, tokens, and a spinner while streaming."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import cast

from textual.app import ComposeResult
from textual.content import Content
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import Static

from tui.app.formatting import format_elapsed, format_remaining, format_tokens
from tui.chat.updates import ChainFallback, ResponseCreated, Retrying, TurnFinished, Update, UsageUpdated
from tui.text_safety import one_line

#: The note after a turn the server had forgotten the chain of (it was replayed).
FALLBACK_NOTE = "the server had forgotten this chat; it was replayed locally"
SPINNER = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"
#: Refresh rate of the spinner and elapsed time; low so a slow link is not flooded.
TICK_HZ = 4


class StatusLine(Widget):
    """Holds plain fields; re-renders on change, and ticks only while a turn streams.

    The spinner and elapsed time are a widget of their own, so a tick repaints those few cells
    rather than the whole line (4 times a second, on what may be a slow link).
    """

    DEFAULT_CSS = """
    StatusLine {
        layout: horizontal;
        height: 1;
        padding: 0 1;
        background: $panel;
    }
    StatusLine > .ticker { width: auto; display: none; }
    StatusLine > .fields { width: 1fr; }
    """

    def __init__(
        self, *, model: str, endpoint: str, clock: Callable[[], float] = time.time, id: str | None = None
    ) -> None:
        super().__init__(id=id)
        self.clock = clock
        self.model = model
        self.endpoint = endpoint
        self._chain: tuple[str, float | None] = ("new", None)
        self.turn_tokens: int | None = None
        self.conversation_tokens: int | None = None
        self.note: str = ""
        self._started: float | None = None
        #: The note a completed turn leaves ("" unless it fell back to a replay).
        self._turn_note = ""
        self._frame = 0
        self._ticker: Timer | None = None
        #: Cells the spinner and elapsed time took when last shown.
        self._ticker_width = 0
        #: (when, reason) of a retry being waited for: its note counts down.
        self._retry: tuple[float, str] | None = None

    @property
    def streaming(self) -> bool:
        return self._started is not None

    @property
    def content(self) -> Content:
        """What the line shows: spinner and elapsed time (while streaming), then the fields."""
        ticker = self.query_one(".ticker", Static)
        # Both hold the `Content` this widget gave them.
        shown = [cast(Content, ticker.content)] if ticker.display else []
        return Content.assemble(*shown, cast(Content, self.query_one(".fields", Static).content))

    def compose(self) -> ComposeResult:
        yield Static("", classes="ticker", markup=False)
        yield Static("", classes="fields", markup=False)

    def on_mount(self) -> None:
        self.refresh_line()

    def set_fields(self, **fields: object) -> None:
        """Update any of model, endpoint, turn_tokens, conversation_tokens, note and redraw once."""
        if "note" in fields and self._retry is not None and fields["note"] != self._retry_note():
            self._retry = None  # another note: the retry is over
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

    def show_update(self, update: Update) -> None:
        """Follow a streaming turn: chain state, retries, tokens, and how it ended."""
        match update:
            case ResponseCreated(expires_at=expires_at):
                self.set_chain("chain", expires_at)
            case Retrying(delay=delay, reason=reason):
                self._retry = (self.clock() + delay, reason)
                self.set_fields(note=self._retry_note())
            case ChainFallback():
                self._turn_note = FALLBACK_NOTE
                self.note = FALLBACK_NOTE
                self.set_chain("replay", None)
            case UsageUpdated(usage=usage):
                self.set_fields(turn_tokens=usage.total_tokens)
            case TurnFinished(status="complete"):
                self.set_fields(note=self._turn_note)  # drops e.g. a "retrying" note from before the first byte
            case TurnFinished(status=status, error=error):
                self.set_fields(note=f"{status}: {error}" if error else status)

    def start(self) -> None:
        """Begin a turn: show the spinner and elapsed time, ticking at `TICK_HZ`."""
        self._started = self.clock()
        self.note = ""
        self._turn_note = ""
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
        if self._retry is not None:  # the countdown counts
            note = self._retry_note()
            if note != self.note:
                self.set_fields(note=note)
                return
        self._show_ticker()

    def _retry_note(self) -> str:
        """ "retrying in 4s: reason", counting down to "retrying now"; "" once another note replaced it."""
        if self._retry is None:
            return self.note
        deadline, reason = self._retry
        left = math.ceil(deadline - self.clock())
        return f"retrying in {left}s: {reason}" if left > 0 else f"retrying now: {reason}"

    def on_resize(self) -> None:
        self.refresh_line()

    def refresh_line(self) -> None:
        """Redraw; below the full line's width, fall back to short labels (80-column SSH sessions)."""
        ticker = self._show_ticker()
        fields = self._fields(compact=False)
        if self.size.width and ticker + fields.cell_length > self.size.width - 2:
            fields = self._fields(compact=True)
        self.query_one(".fields", Static).update(fields, layout=False)

    def _show_ticker(self) -> int:
        """Show (or hide) the spinner and elapsed time; returns the cells they take."""
        ticker = self.query_one(".ticker", Static)
        ticker.display = self._started is not None
        if self._started is None:
            return 0
        elapsed = format_elapsed(self.clock() - self._started)
        text = Content.styled(f"{SPINNER[self._frame]} {elapsed} ", "$text-accent")
        # A layout only when its width changes (9.9s -> 10.0s); otherwise just these cells repaint.
        ticker.update(text, layout=text.cell_length != self._ticker_width)
        self._ticker_width = text.cell_length
        return text.cell_length

    def _fields(self, *, compact: bool) -> Content:
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
        separator = " · " if compact else " │ "
        for index, (text, style) in enumerate(parts):
            if index:
                pieces.append((separator, "$text-muted"))
            pieces.append((text, style) if style else text)
        return Content.assemble(*pieces)
