"""Cut long Markdown answers into segments at safe block boundaries.

Textual's Markdown makes a widget per block, so a very long answer costs a second or more to
mount. The message view mounts only the newest segments and the rest on request; cutting only at
a blank line outside a code fence keeps every segment valid Markdown on its own.
"""

from __future__ import annotations

import re

#: An answer segment grows to at least this many characters before it may be cut.
SEGMENT_CHARS = 800


def _inside_fence(text: str) -> bool:
    """Whether `text` ends inside a fenced code block (an odd number of fence lines)."""
    fences = 0
    for line in text.splitlines():
        stripped = line.lstrip(" ")
        if len(line) - len(stripped) <= 3 and stripped.startswith(("```", "~~~")):
            fences += 1
    return fences % 2 == 1


def safe_cut(text: str, start: int = 0, size: int = SEGMENT_CHARS) -> int | None:
    """The first index >= max(start, size) just after a blank line outside a fence, or None."""
    position = max(start, size) - 2
    while True:
        found = text.find("\n\n", max(position, 0))
        if found < 0:
            return None
        cut = found + 2
        if not _inside_fence(text[:cut]):
            return cut
        position = found + 1


def split_segments(text: str, size: int = SEGMENT_CHARS) -> list[str]:
    """`text` as consecutive segments of at least `size` characters (the last may be shorter)."""
    segments: list[str] = []
    while True:
        cut = safe_cut(text, size=size)
        if cut is None or cut >= len(text):
            segments.append(text)
            return segments
        segments.append(text[:cut])
        text = text[cut:]


#: Inline markers: code-span backtick runs, then emphasis and strikethrough delimiters.
_INLINE_MARKERS = re.compile(r"`+|\*\*|__|~~|\*|_")
#: A marker left open for longer than this is taken as literal (`2 * 3`, a lone `*`) and shown.
HELD_CHARS = 120


def open_marker(text: str) -> int | None:
    """Where an inline marker opened on `text`'s last line, and not closed yet, starts (or None).

    While an answer streams, the text from there is held back: Markdown shows an unclosed `**Start`
    as raw stars until the closing `**` arrives. A rough reading of CommonMark's rules: an opener
    is followed by a non-space (or by nothing yet), and `_` does not open inside a word; code spans
    and fences are literal.
    """
    line_start = text.rfind("\n") + 1
    line = text[line_start:]
    if len(line) - len(line.lstrip(" ")) >= 4 or _inside_fence(text[:line_start]):
        return None
    opened: dict[str, int] = {}
    code: str | None = None
    for match in _INLINE_MARKERS.finditer(line):
        mark, start, end = match.group(), match.start(), match.end()
        if code is not None:
            if mark == code:
                code = None
                del opened[mark]
            continue
        if mark in opened:
            del opened[mark]
        elif end == len(line) or not line[end].isspace():  # at the end: may open once more arrives
            if mark[0] == "_" and start and line[start - 1].isalnum():
                continue
            opened[mark] = start
            if mark[0] == "`":
                code = mark
    if not opened:
        return None
    start = line_start + min(opened.values())
    return start if len(text) - start <= HELD_CHARS else None
