"""The app's terminal driver: Textual's `LinuxDriver` with pastes kept whole and a lost terminal noticed.

Two upstream behaviours of Textual 8.2.8 are worked around here:
- `XTermParser.parse` (textual/_xterm_parser.py) treats an ESC *inside* a bracketed paste as the
  start of an escape sequence: the bytes after it are read into that sequence instead of the paste
  buffer, and are reissued as key presses when the closing marker's ESC arrives. A pasted
  "one ESC[2J two NL three" thus typed "^[2Jtwo", pressed ctrl+j/Enter and pasted "one" last.
  `PasteSafeParser` shows each ESC between the paste markers as U+241B (␛) before the parser
  sees it, so the whole paste reaches the app as one `Paste` event, in order.
- `LinuxDriver.run_input_thread` ignores an empty read (end of file on a terminal that has gone)
  and selects again at once, forever: with SIGHUP ignored (nohup) the app spun at 125% CPU.
  `TerminalDriver` posts `TerminalLost` to the app instead, which exits.
"""

from __future__ import annotations

import os
import selectors
from codecs import getincrementaldecoder
from collections.abc import Iterable

from textual._parser import ParseError
from textual._xterm_parser import BRACKETED_PASTE_END, BRACKETED_PASTE_START, XTermParser
from textual.drivers.linux_driver import LinuxDriver
from textual.message import Message

#: What an ESC inside a paste becomes: SYMBOL FOR ESCAPE, visible and inert.
ESC_PICTURE = "\u241b"


class PasteSafeParser(XTermParser):
    """`XTermParser` fed with every ESC between the bracketed-paste markers replaced by ␛."""

    def __init__(self, debug: bool = False) -> None:
        super().__init__(debug)
        self._in_paste = False
        #: Outside a paste: the last few characters fed, to find a start marker split across reads.
        self._recent = ""
        #: Inside a paste: a held-back tail that may be the start of the end marker.
        self._held = ""

    def feed(self, data: str) -> Iterable[Message]:
        if not data:  # end of input
            return super().feed(data)
        safe = self.paste_safe(data)
        # All of it held back (a possible end marker): feeding "" would tell the parser the input ended.
        return super().feed(safe) if safe else ()

    def paste_safe(self, data: str) -> str:
        """`data` with the ESCs of pasted text made inert; the markers themselves pass unchanged."""
        out: list[str] = []
        text = data
        while text:
            if not self._in_paste:
                window = self._recent + text
                found = window.find(BRACKETED_PASTE_START)
                if found < 0:
                    out.append(text)
                    self._recent = window[-(len(BRACKETED_PASTE_START) - 1) :]
                    break
                cut = found + len(BRACKETED_PASTE_START) - len(self._recent)
                out.append(text[:cut])
                text, self._recent, self._in_paste = text[cut:], "", True
            else:
                text, self._held = self._held + text, ""
                found = text.find(BRACKETED_PASTE_END)
                if found < 0:
                    keep = _marker_prefix_at_end(text, BRACKETED_PASTE_END)
                    self._held = text[len(text) - keep :]
                    out.append(text[: len(text) - keep].replace("\x1b", ESC_PICTURE))
                    break
                out.append(text[:found].replace("\x1b", ESC_PICTURE) + BRACKETED_PASTE_END)
                text, self._in_paste = text[found + len(BRACKETED_PASTE_END) :], False
        return "".join(out)


def _marker_prefix_at_end(text: str, marker: str) -> int:
    """The length of the longest end of `text` that is a proper start of `marker` (0 if none)."""
    for size in range(min(len(marker) - 1, len(text)), 0, -1):
        if marker.startswith(text[-size:]):
            return size
    return 0


class TerminalLost(Message):
    """The terminal has gone (its reads give end of file or an error): nobody can see or type any more."""


class TerminalDriver(LinuxDriver):
    """`LinuxDriver` reading input through `PasteSafeParser`; end of input posts `TerminalLost`."""

    def run_input_thread(self) -> None:
        """Textual's loop (linux_driver.py), with our parser and with end of input reported, not spun on."""
        selector = selectors.SelectSelector()
        selector.register(self.fileno, selectors.EVENT_READ)
        parser = PasteSafeParser(self._debug)
        decode = getincrementaldecoder("utf-8")().decode
        lost = False
        try:
            while not self.exit_event.is_set() and not lost:
                for _key, mask in selector.select(0.1):
                    if not mask & selectors.EVENT_READ:
                        continue
                    try:
                        data = os.read(self.fileno, 1024 * 4)
                    except OSError:  # EIO: the pty's other side has closed
                        data = b""
                    if not data:
                        lost = True
                        break
                    for event in parser.feed(decode(data)):
                        self.process_message(event)
                for event in parser.tick():
                    self.process_message(event)
        finally:
            selector.close()
            try:
                for _event in parser.feed(""):
                    pass
            except (EOFError, ParseError):
                pass
        if lost:
            self.process_message(TerminalLost())  # posted to the app (thread-safe, as every input event)
