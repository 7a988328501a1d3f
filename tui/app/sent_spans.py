"""Skip writing screen spans the terminal already shows (what Textual resends on a slow link).

Textual repaints every dirty region in full. While an answer streams, each append is laid out
twice (new Markdown blocks get a second pass for their virtual size), so the whole transcript pane
went out twice per flush, the second time unchanged: about half the bytes of a stream at 100
deltas/s (bench/render.py). This keeps, per screen row, the text last written to each span, and
drops a span whose text is the same as what its cells hold.

It relies on Textual internals, checked against 8.2.8: `App._display`, `App._resume_signal`,
and `ChopsUpdate.chops`/`spans`/`chop_ends` (its `render_segments` is mirrored span by span).
"""

from __future__ import annotations

from typing import TypeVar

from rich.console import Console
from rich.control import Control
from textual._compositor import ChopsUpdate, CompositorUpdate
from textual.app import App
from textual.geometry import Size
from textual.screen import Screen

ReturnType = TypeVar("ReturnType")


class SentSpans:
    """What the terminal shows, as the text last written to each span of each row.

    An entry is kept only while no later write has touched its cells, so writing the same text to
    the same span again would change nothing on screen.
    """

    def __init__(self) -> None:
        #: Row -> (x1, x2) of a span -> (text written, first cell written, cell after the last).
        self._rows: dict[int, dict[tuple[int, int], tuple[str, int, int]]] = {}
        self.size: Size | None = None

    def clear(self) -> None:
        self._rows.clear()

    def render(self, update: ChopsUpdate, console: Console) -> str:
        """`update` as terminal data, without the spans whose cells already show that text."""
        move_to = Control.move_to
        sequences: list[str] = []
        for y, x1, x2 in update.spans:
            parts: list[str] = []
            first, last = x2, x1
            for end, (x, strip) in zip(update.chop_ends[y], update.chops[y].items()):
                if strip is None or x > x2 or end <= x1:
                    continue
                if not (x2 > x >= x1 and end <= x2):
                    # As Textual does: a chop reaching past the span is cut at its end (not its start).
                    end = min(end, x2)
                    strip = strip.crop(0, end - x)
                parts.append(move_to(x, y).segment.text)
                parts.append(strip.render(console))
                first, last = min(first, x), max(last, end)
            text = "".join(parts)
            if text and self._changes(y, (x1, x2), text, first, last):
                sequences.append(text)
        # Textual puts a newline between rows; every span starts with an absolute move, so none is needed.
        return "".join(sequences)

    def _changes(
        self, y: int, span: tuple[int, int], text: str, first: int, last: int
    ) -> bool:
        """Record that `text` is written to cells first..last of row y; False if they already show it."""
        row = self._rows.setdefault(y, {})
        known = row.get(span)
        if known is not None and known[0] == text:
            return False
        for key in [
            key
            for key, (_, start, stop) in row.items()
            if start < last and first < stop
        ]:
            del row[key]
        row[span] = (text, first, last)
        return True


class _SkippingUpdate(CompositorUpdate):
    """A partial update that leaves out spans the terminal already shows when it is written."""

    def __init__(self, update: ChopsUpdate, sent: SentSpans) -> None:
        self.update = update
        self.sent = sent

    def render_segments(self, console: Console) -> str:
        try:
            return self.sent.render(self.update, console)
        except Exception:
            self.sent.clear()  # what was recorded may not reach the screen
            raise


class SpanSkippingApp(App[ReturnType]):
    """An App that writes only the spans of a partial update whose text changed.

    Full updates (resize, a new screen, a redraw) and anything else still go out whole and make it
    forget what was sent, as does a resume after suspend.
    """

    def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self._sent_spans = SentSpans()

    def forget_sent_spans(self) -> None:
        """Write every span of the next updates in full (e.g. after something else drew on the terminal)."""
        self._sent_spans.clear()

    def _display(self, screen: Screen, renderable: object) -> None:  # type: ignore[override]
        sent = self._sent_spans
        if sent.size != self.size:
            sent.clear()
            sent.size = self.size
        if isinstance(renderable, ChopsUpdate) and not self.is_inline:
            renderable = _SkippingUpdate(renderable, sent)
        elif renderable is not None:
            sent.clear()
        super()._display(screen, renderable)  # type: ignore[arg-type]

    def _resume_signal(self) -> None:
        self._sent_spans.clear()
        super()._resume_signal()
