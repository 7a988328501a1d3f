"""Write only what changes on the terminal: what Textual resends costs a slow link most.

Textual repaints every dirty region in full, and sets every segment's whole style then resets it.
While an answer streams, each append is laid out twice (new Markdown blocks get a second pass for
their virtual size), so the transcript pane went out twice per flush, the second time unchanged.
Here a partial update leaves out each chop (a widget's part of a row) whose cells already show
its text, and colours are set only where they change. bench/render.py at 100 deltas/s: 80x24
~119 -> ~32 bytes per delta, 120x40 ~167 -> ~41.

It relies on Textual internals, checked against 8.2.8: `App._display`, `App._resume_signal`,
`ChopsUpdate.chops`/`spans`/`chop_ends` (its `render_segments` is mirrored chop by chop), and the
SGR parameters `Strip.render_ansi` writes.
"""

from __future__ import annotations

from typing import Any, TypeVar, cast

from rich.color import ColorSystem
from rich.console import Console, RenderableType
from rich.control import Control
from textual._compositor import ChopsUpdate, CompositorUpdate
from textual.app import App
from textual.geometry import Size
from textual.screen import Screen
from textual.strip import Strip

ReturnType = TypeVar("ReturnType")


class SentSpans:
    """What the terminal shows, as the text last written to each chop of each row.

    An entry is kept only while no later write has touched its cells, so writing the same text to
    the same cells again would change nothing on screen.
    """

    def __init__(self) -> None:
        #: Row -> (first cell, cell after the last) of a chop -> its text as Textual renders it.
        self._rows: dict[int, dict[tuple[int, int], str]] = {}
        self.size: Size | None = None

    def clear(self) -> None:
        self._rows.clear()

    def render(self, update: ChopsUpdate, console: Console) -> str:
        """`update` as terminal data: only the chops (a widget's part of a span) whose cells change.

        Colours are written only where they change: Textual resets after every segment and sets the
        full style again, which was over half of what a stream sent.
        """
        pen = _Pen(console._color_system or ColorSystem.TRUECOLOR)
        move_to = Control.move_to
        out: list[str] = []
        for y, x1, x2 in update.spans:
            for end, (x, strip) in zip(update.chop_ends[y], update.chops[y].items(), strict=False):
                if strip is None or x > x2 or end <= x1:
                    continue
                if not (x2 > x >= x1 and end <= x2):
                    # As Textual does: a chop reaching past the span is cut at its end (not its start).
                    end = min(end, x2)
                    strip = strip.crop(0, end - x)
                if not strip.cell_length or not self._changes(y, x, end, strip.render(console)):
                    continue
                out.append(move_to(x, y).segment.text)
                pen.write(strip, out)
        pen.reset(out)
        # Textual puts a newline between rows; every chop starts with an absolute move, so none is needed.
        return "".join(out)

    def _changes(self, y: int, x: int, end: int, text: str) -> bool:
        """Record that cells x..end of row y show `text`; False if they already did."""
        row = self._rows.setdefault(y, {})
        if row.get((x, end)) == text:
            return False
        for key in [key for key in row if key[0] < end and x < key[1]]:
            del row[key]
        row[(x, end)] = text
        return True


#: SGR attributes that show on a blank cell (underline, reverse, strike, double underline, overline).
_SHOWN_ON_BLANKS = frozenset({"4", "7", "9", "21", "53"})


class _Pen:
    """The terminal's current colours and attributes, so a change sends only what differs."""

    def __init__(self, color_system: ColorSystem) -> None:
        self.color_system = color_system
        self.attributes: frozenset[str] = frozenset()
        self.fg = ""
        self.bg = ""
        self._parsed: dict[str, tuple[frozenset[str], str, str]] = {}

    def _parse(self, ansi: str) -> tuple[frozenset[str], str, str]:
        """SGR parameters as Textual writes them (attributes, then colours) -> (attributes, fg, bg)."""
        parsed = self._parsed.get(ansi)
        if parsed is None:
            attributes: list[str] = []
            colours = {"3": "", "4": ""}
            codes = ansi.split(";") if ansi else []
            index = 0
            while index < len(codes):
                code = codes[index]
                if code in ("38", "48"):
                    width = 3 if codes[index + 1] == "5" else 5
                    colours[code[0]] = ";".join(codes[index : index + width])
                    index += width
                    continue
                if len(code) == 2 and code[0] in "349":  # 30-39, 40-49, bright 90-97
                    colours["4" if code[0] == "4" else "3"] = code
                elif len(code) == 3 and code.startswith("10"):  # bright backgrounds 100-107
                    colours["4"] = code
                else:
                    attributes.append(code)
                index += 1
            parsed = self._parsed[ansi] = (frozenset(attributes), colours["3"], colours["4"])
        return parsed

    def write(self, strip: Strip, out: list[str]) -> None:
        """Append `strip` to `out`: the same cells as `Strip.render`, colours set only where they
        change (a blank keeps the foreground in force when nothing of it would show)."""
        for text, style, _ in strip:
            if style is not None and style._link:
                self.reset(out)
                out.append(Strip.render_style(style, text, self.color_system))  # ends with a reset
                continue
            if style is None:
                attributes, fg, bg = frozenset[str](), "", ""
            else:
                ansi = style._ansi
                if ansi is None:
                    ansi = Strip.render_ansi(style, self.color_system)
                attributes, fg, bg = self._parse(ansi)
            blank = not text.strip(" ")
            if blank and bg == self.bg and not (attributes | self.attributes) & _SHOWN_ON_BLANKS:
                out.append(text)
                continue
            codes: list[str] = []
            if self.attributes - attributes:
                codes.append("0")
                self.attributes, self.fg, self.bg = frozenset(), "", ""
            codes += sorted(attributes - self.attributes)
            if fg != self.fg:
                codes.append(fg or "39")
            if bg != self.bg:
                codes.append(bg or "49")
            if codes:
                out.append(f"\x1b[{';'.join(codes)}m")
            self.attributes, self.fg, self.bg = attributes, fg, bg
            out.append(text)

    def reset(self, out: list[str]) -> None:
        if self.attributes or self.fg or self.bg:
            out.append("\x1b[0m")
            self.attributes, self.fg, self.bg = frozenset(), "", ""


class _SkippingUpdate(CompositorUpdate):
    """A partial update that leaves out chops the terminal already shows, decided when it is written."""

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
    """An App that writes only the chops of a partial update whose cells change, and colours only
    where they change.

    Full updates (resize, a new screen, a redraw) and anything else still go out whole and make it
    forget what was sent, as does a resume after suspend.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._sent_spans = SentSpans()

    def _display(self, screen: Screen, renderable: RenderableType | None) -> None:
        sent = self._sent_spans
        if sent.size != self.size:
            sent.clear()
            sent.size = self.size
        if isinstance(renderable, ChopsUpdate) and not self.is_inline:
            # Textual writes any `CompositorUpdate` through its `render_segments`.
            renderable = cast("RenderableType", _SkippingUpdate(renderable, sent))
        elif renderable is not None:
            sent.clear()
        super()._display(screen, renderable)

    def _resume_signal(self) -> None:
        self._sent_spans.clear()
        super()._resume_signal()
