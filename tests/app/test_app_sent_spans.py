"""What the app writes to the terminal: spans the terminal already shows are not sent again,
and the screen the terminal ends up with is still exactly the app's."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import ClassVar

from app_helpers import stream_in
from rich.cells import cell_len
from textual.containers import Horizontal, VerticalScroll
from textual.drivers.headless_driver import HeadlessDriver
from textual.widgets import Static

from tui.app.sent_spans import SpanSkippingApp
from tui.app.widgets.message_view import MessageView
from tui.sim.answers import long_answer
from tui.store.models import Message

STREAMING = Message(
    id=2,
    conversation_id=1,
    parent_id=1,
    role="assistant",
    content="",
    created_at=0.0,
    status="streaming",
)
SIZE = (80, 24)


class CapturingDriver(HeadlessDriver):
    """A driver that keeps what the app writes, as a terminal would receive it."""

    written: ClassVar[list[str]] = []

    @property
    def is_headless(self) -> bool:
        return False

    def write(self, data: str) -> None:
        CapturingDriver.written.append(data)


class Terminal:
    """Just enough of a terminal for what Textual writes: absolute moves, SGR colours and
    attributes, text. A cell is its character and what of its style can be seen."""

    TOKEN = re.compile(
        r"\x1b\[(\d+);(\d+)H|\x1b\[([0-9;]*)m|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b\[[0-9;?]*[A-Za-z]|([^\x1b])"
    )
    #: Attributes that show on a blank cell: underline, reverse, strike, double underline, overline.
    ON_BLANKS = frozenset({"4", "7", "9", "21", "53"})

    def __init__(self, width: int, height: int) -> None:
        self.cells: list[list[tuple[str, object]]] = [
            [(" ", None)] * width for _ in range(height)
        ]
        self.x = self.y = 0
        self.attributes: set[str] = set()
        self.fg = self.bg = ""

    def sgr(self, parameters: str) -> None:
        codes = parameters.split(";")
        while codes:
            code = codes.pop(0)
            if code in ("", "0"):
                self.attributes, self.fg, self.bg = set(), "", ""
            elif code in ("38", "48"):
                count = 1 if codes[0] == "5" else 3
                colour = ";".join(codes[: count + 1])
                del codes[: count + 1]
                self.fg, self.bg = (
                    (colour, self.bg) if code == "38" else (self.fg, colour)
                )
            elif code in ("39", "49"):
                self.fg, self.bg = ("", self.bg) if code == "39" else (self.fg, "")
            elif re.fullmatch(r"3\d|9\d", code):
                self.fg = code
            elif re.fullmatch(r"4\d|10\d", code):
                self.bg = code
            else:
                self.attributes.add(code)

    def feed(self, data: str) -> None:
        for match in self.TOKEN.finditer(data):
            row, column, sgr, char = match.groups()
            if row:
                self.y, self.x = int(row) - 1, int(column) - 1
            elif sgr is not None:
                self.sgr(sgr)
            elif char and char not in "\r\n":
                seen = (
                    self.attributes if char != " " else self.attributes & self.ON_BLANKS
                )
                fg = self.fg if char != " " or seen else None
                self.cells[self.y][self.x] = (char, (fg, self.bg, frozenset(seen)))
                self.x += cell_len(char)

    def lines(self) -> list[str]:
        return ["".join(char for char, _ in row).rstrip() for row in self.cells]


class Streaming(SpanSkippingApp[None]):
    """An answer streaming into a scrolling pane, drawn by a driver that captures the output."""

    def __init__(self) -> None:
        super().__init__(driver_class=CapturingDriver)

    def compose(self):
        with VerticalScroll():
            yield MessageView(STREAMING, live=True)
        yield Static(
            "A composer below the pane"
        )  # so a repaint of the pane is not one of the whole screen

    def on_mount(self) -> None:
        self.query_one(VerticalScroll).anchor()


def shown_by_app(app: SpanSkippingApp) -> Terminal:
    """The app's screen as Textual draws it whole (its full update)."""
    terminal = Terminal(*SIZE)
    for y, strip in enumerate(app.screen._compositor.render_strips()):
        terminal.feed(f"\x1b[{y + 1};1H\x1b[0m" + strip.render(app.console))
    return terminal


async def test_the_terminal_matches_the_app_screen_after_every_flush_and_unchanged_lines_are_not_resent() -> None:
    CapturingDriver.written = []
    app = Streaming()
    terminal = Terminal(*SIZE)
    chunks = long_answer(400)

    def check(index: int) -> None:
        terminal.feed("".join(CapturingDriver.written))
        CapturingDriver.written.clear()
        assert terminal.cells == shown_by_app(app).cells, f"after delta {index}"

    async with app.run_test(size=SIZE, headless=False) as pilot:
        view = app.query_one(MessageView)
        await view.begin_stream()
        await stream_in(view, pilot, chunks, every=20, after_flush=check)
        await view.end_stream(
            replace(STREAMING, content="".join(chunks), status="complete")
        )
        await pilot.pause()
        terminal.feed("".join(CapturingDriver.written))
        assert terminal.cells == shown_by_app(app).cells
        assert any(
            "".join(chunks).split()[-1].strip("*`|") in line
            for line in terminal.lines()
        )

        # A repaint of the whole pane that changes nothing sends no text at all.
        CapturingDriver.written.clear()
        app.query_one(VerticalScroll).refresh()
        view.refresh()
        await pilot.pause()
        sent = "".join(CapturingDriver.written)
        assert not re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", sent), sent[:200]


async def test_a_full_update_sends_every_line_again() -> None:
    """A redraw of the whole screen (resize, a new screen) is sent in full: the terminal may have
    lost what was sent before."""
    CapturingDriver.written = []
    app = Streaming()
    async with app.run_test(size=SIZE, headless=False) as pilot:
        view = app.query_one(MessageView)
        await view.begin_stream()
        view.add_text("Some words on the first line.\n\nAnd a second paragraph.")
        await view._flush()
        await pilot.pause()
        CapturingDriver.written.clear()
        app.screen.refresh()
        await pilot.pause()
        sent = "".join(CapturingDriver.written)
        assert (
            "Some words on the first line." in sent
            and "And a second paragraph." in sent
        )


class TwoCells(SpanSkippingApp[None]):
    """A narrow cell beside another on one row, drawn by a driver that captures the output."""

    CSS = "Horizontal { height: 1; } #left { width: 10; } #right { width: 1fr; }"

    def __init__(self) -> None:
        super().__init__(driver_class=CapturingDriver)

    def compose(self):
        with Horizontal():
            yield Static("one", id="left")
            yield Static("beside", id="right")
        yield Static("below")


async def test_a_span_written_over_by_a_wider_one_is_sent_again() -> None:
    """The narrow cell shows "one", then a repaint of the whole row draws it as "two": when the cell
    goes back to "one", its old text is no longer on screen and must be sent."""
    CapturingDriver.written = []
    app = TwoCells()
    terminal = Terminal(*SIZE)
    async with app.run_test(size=SIZE, headless=False) as pilot:
        left = app.query_one("#left", Static)
        for change in (
            lambda: left.update("two"),
            lambda: left.update("one"),
            lambda: (left.update("two"), app.query_one(Horizontal).refresh()),
            lambda: left.update("one"),
        ):
            change()
            await pilot.pause()
            terminal.feed("".join(CapturingDriver.written))
            CapturingDriver.written.clear()
            assert terminal.cells == shown_by_app(app).cells
        assert terminal.lines()[0].startswith("one")
