"""One line at the bottom: model, endpoint, chain state, tokens, context meter, estimated cost, and a spinner
while streaming."""

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
from tui.chat.cost import Cost
from tui.chat.meter import ContextMeter
from tui.chat.updates import (
    ChainFallback,
    ContextUpdated,
    ResponseCreated,
    Retrying,
    TurnFinished,
    TurnStarted,
    Update,
    UsageUpdated,
)
from tui.text_safety import one_line

#: The note after a turn the server had forgotten the chain of (it was replayed).
FALLBACK_NOTE = "the server had forgotten this chat; it was replayed locally"
#: Shown beside the model when its turns go through the Chat Completions endpoint (not the Responses API).
API_LABEL = "chat completions"
#: The context meter at or above 80% of the window (the service truncates silently past that).
WARN_STYLE = "bold $text-error"
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
        #: The endpoint of the turn shown or next: "responses", or "chat" (Chat Completions).
        self.api = "responses"
        #: How full the model's window is after the last answer (None before any answer).
        self.meter: ContextMeter | None = None
        #: Estimated cost of the last answer and of the whole conversation (None: nothing to price yet).
        self.turn_cost: Cost | None = None
        self.conversation_cost: Cost | None = None
        self._started: float | None = None
        #: The note a completed turn leaves ("" unless it fell back to a replay).
        self._turn_note = ""
        self._frame = 0
        self._ticker: Timer | None = None
        #: Cells the spinner and elapsed time took when last shown.
        self._ticker_width = 0
        #: The open conversation goes with `store: false` (never chained): shown as "private".
        self.private = False
        #: While a rate-limited request waits: when it is sent again (on `clock`) and why.
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
        """Update any of model, endpoint, api, turn_tokens, conversation_tokens, meter, turn_cost,
        conversation_cost, note, and redraw once."""
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
        if self.private and mode != "new":
            return "private" if compact else "private, replayed locally"
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
                # No expiry: nothing is kept on the server (a private turn, Chat Completions); it replays.
                self._retry = None
                self.set_chain("chain" if expires_at is not None else "replay", expires_at)
            case Retrying(delay=delay, reason=reason, resume_at=resume_at):
                self._retry = (resume_at if resume_at is not None else self.clock() + delay, reason)
                self.set_fields(note=self._retry_note())
            case ChainFallback():
                self._turn_note = FALLBACK_NOTE
                self.note = FALLBACK_NOTE
                self.set_chain("replay", None)
            case UsageUpdated(usage=usage):
                self.set_fields(turn_tokens=usage.total_tokens)
            case TurnStarted(api=api):
                self.set_fields(api=api)
            case ContextUpdated(meter=meter):
                self.set_fields(meter=meter)
            case TurnFinished(status="complete"):
                self._retry = None
                self.set_fields(note=self._turn_note)  # drops e.g. a "retrying" note from before the first byte
            case TurnFinished(status=status, error=error):
                self._retry = None
                self.set_fields(note=f"{status}: {error}" if error else status)

    def start(self) -> None:
        """Begin a turn: show the spinner and elapsed time, ticking at `TICK_HZ`."""
        self._started = self.clock()
        self.note = ""
        self._turn_note = ""
        self._retry = None
        if self._ticker is None:
            self._ticker = self.set_interval(1 / TICK_HZ, self._tick)
        self.refresh_line()

    def stop(self) -> None:
        """End of a turn: stop the timer so nothing runs while idle."""
        self._started = None
        self._retry = None
        if self._ticker is not None:
            self._ticker.stop()
            self._ticker = None
        self.refresh_line()

    def _tick(self) -> None:
        self._frame = (self._frame + 1) % len(SPINNER)
        self._show_ticker()
        self._count_down()

    def _count_down(self) -> None:
        """Redraw the retry wait when its whole seconds change (once a second, not at every tick)."""
        if self._retry is not None:
            note = self._retry_note()
            if note != self.note:
                self.set_fields(note=note)

    def _retry_note(self) -> str:
        """ "retrying in 12 s (Esc gives up): <why>", counting down to the engine's resume time, then
        "retrying now"; the current note once another note replaced the retry."""
        if self._retry is None:
            return self.note
        resume_at, reason = self._retry
        left = math.ceil(resume_at - self.clock())
        return f"retrying in {left} s (Esc gives up): {reason}" if left > 0 else f"retrying now: {reason}"

    def on_resize(self) -> None:
        self.refresh_line()

    def refresh_line(self) -> None:
        """Redraw; below the full line's width, fall back to short labels, then leave out the endpoint, the
        tokens and the chain state in turn (80-column SSH sessions keep the model, meter and cost)."""
        ticker = self._show_ticker()
        fields = self._fields(compact=False)
        room = self.size.width - 2 - ticker
        if self.size.width and fields.cell_length > room:
            for drop in range(4):
                fields = self._fields(compact=True, drop=drop)
                if fields.cell_length <= room:
                    break
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

    def _fields(self, *, compact: bool, drop: int = 0) -> Content:
        """The fields as one line; `drop` leaves out that many of the least needed (endpoint, tokens, chain)."""
        parts: list[tuple[str, str]] = [(one_line(self.model, 40), "$text-primary")]
        if self.api == "chat":
            parts.append((API_LABEL, "$text-secondary"))
        if drop < 1:
            parts.append((one_line(self.endpoint, 24 if compact else 40), ""))
        if drop < 3:  # kept longer than the tokens (each answer shows its own): it says "private"
            parts.append((self.chain_text(compact), "$text-secondary"))
        if self.turn_tokens is not None and drop < 2:
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
        if self.meter is not None:
            meter = self.meter.text if compact else f"context {self.meter.text}"
            parts.append((meter + ("!" if self.meter.warn else ""), WARN_STYLE if self.meter.warn else ""))
        cost = self.cost_text(compact)
        if cost:
            parts.append((cost, ""))
        if self.note:
            parts.append((one_line(self.note, 60), "$text-warning"))
        pieces: list[Content | tuple[str, str] | str] = []
        separator = " · " if compact else " │ "
        for index, (text, style) in enumerate(parts):
            if index:
                pieces.append((separator, "$text-muted"))
            pieces.append((text, style) if style else text)
        return Content.assemble(*pieces)

    def cost_text(self, compact: bool = False) -> str:
        """The estimated cost of the last turn and of the whole chat, always labelled an estimate."""
        total = self.conversation_cost
        if total is None:
            return ""
        turn = self.turn_cost
        if compact:
            amounts = [cost.text.replace(" ", "") for cost in (turn, total) if cost is not None]
            return "/".join(amounts).replace("/≈", "/") + " est."
        turn_part = f"turn {turn.text} · " if turn is not None else ""
        return f"{turn_part}chat {total.label}"
