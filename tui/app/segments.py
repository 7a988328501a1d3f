"""Cut long Markdown answers into segments at safe block boundaries.

Textual's Markdown makes a widget per block, so a very long answer costs a second or more to
mount. The message view mounts only the newest segments and the rest on request; cutting only at
a blank line outside a code fence keeps every segment valid Markdown on its own.
"""

from __future__ import annotations

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
