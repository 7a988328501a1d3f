"""The web sources of an answer as a numbered list under it: full URLs, each an OSC 8 hyperlink where the
terminal shows them (plain text elsewhere), never cut; long ones wrap."""

from __future__ import annotations

import os
from collections.abc import Mapping

from textual.content import Content
from textual.style import Style
from textual.widgets import Static

from tui.text_safety import one_line

#: Terminals that print an OSC 8 sequence instead of ignoring it (the Linux console, dumb terminals).
_NO_HYPERLINKS = ("linux", "dumb")


def terminal_hyperlinks(environ: Mapping[str, str] = os.environ) -> bool:
    """Whether to send links as OSC 8 (terminals that lack them ignore the sequence; these few do not)."""
    return environ.get("TERM", "") not in _NO_HYPERLINKS


def sources_content(urls: list[str], *, hyperlinks: bool) -> Content:
    """`Sources` then `[1] https://…` lines; the URL text is whole, and its link target when `hyperlinks`."""
    lines = [Content.styled("Sources", "bold $text-muted")]
    for number, url in enumerate(urls, start=1):
        shown = one_line(url).replace(" ", "%20")
        link = Style(link=shown) if hyperlinks else Style()
        lines.append(Content.assemble((f"[{number}] ", "$text-muted"), (shown, link)))
    return Content("\n").join(lines)


class SourceList(Static):
    """A numbered list of an answer's source URLs; hidden when it has none."""

    DEFAULT_CSS = """
    SourceList {
        height: auto;
        color: $text-secondary;
        /* One line per source, folded at the edge rather than broken after its number. */
        text-wrap: nowrap;
        text-overflow: fold;
    }
    """

    def __init__(self, urls: list[str], *, hyperlinks: bool | None = None, classes: str | None = None) -> None:
        super().__init__("", classes=classes, markup=False)
        self.hyperlinks = terminal_hyperlinks() if hyperlinks is None else hyperlinks
        self.show_sources(urls)

    def show_sources(self, urls: list[str]) -> None:
        self.urls = list(urls)
        self.update(sources_content(self.urls, hyperlinks=self.hyperlinks))
        self.display = bool(self.urls)
