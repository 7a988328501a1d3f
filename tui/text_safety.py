"""Keep model output, titles and tool data inert: no control character may reach the terminal.

Imports nothing of ours, so every layer (store exports, CLI, app) can share it.
"""

from __future__ import annotations

import re

#: C0 controls except tab and newline, DEL, and the C1 range (0x80-0x9f, which includes CSI and OSC).
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def strip_controls(text: str) -> str:
    """Return `text` without C0/C1 control characters (tab and newline are kept).

    An escape sequence such as ``ESC [2J`` loses its ESC and shows as harmless text.
    """
    if text.isprintable():
        return text
    return _CONTROLS.sub("", text)


def one_line(text: str, limit: int | None = None) -> str:
    """Safe text squeezed onto one line (titles, queries, list rows), cut to `limit` characters."""
    flat = " ".join(strip_controls(text).split())
    if limit is not None and len(flat) > limit:
        return flat[: max(limit - 1, 0)] + "…"
    return flat
