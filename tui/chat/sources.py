"""Sources under an answer: a numbered list of full URLs, as OSC 8 hyperlinks on a terminal, plain text elsewhere."""

from __future__ import annotations

from tui.store.models import Message
from tui.store.sources import answer_sources
from tui.text_safety import one_line

__all__ = ["answer_sources", "hyperlink", "message_sources", "numbered_sources"]


def message_sources(message: Message) -> list[str]:
    """The numbered sources of a stored answer (from its web_search / web_extractor items)."""
    return answer_sources(message.items)


def hyperlink(url: str, text: str | None = None) -> str:
    """`text` (default: the URL) as an OSC 8 hyperlink; control characters in either are removed first,
    so a hostile URL cannot end the sequence early."""
    safe = one_line(url).replace(" ", "%20")
    label = one_line(text if text is not None else url)
    return f"\x1b]8;;{safe}\x1b\\{label}\x1b]8;;\x1b\\"


def numbered_sources(urls: list[str], *, hyperlinks: bool) -> list[str]:
    """`[1] https://...` lines, each URL whole (never cut); linked when `hyperlinks` (a TTY that shows them)."""
    lines = []
    for number, url in enumerate(urls, start=1):
        shown = hyperlink(url) if hyperlinks else one_line(url)
        lines.append(f"[{number}] {shown}")
    return lines
