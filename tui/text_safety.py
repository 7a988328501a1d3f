"""Keep model output, titles and tool data inert: no control character may reach the terminal.

Imports nothing of ours, so every layer (store exports, CLI, app) can share it.
"""

from __future__ import annotations

import re

#: C0 controls except tab and newline, DEL, and the C1 range (0x80-0x9f, which includes CSI and OSC).
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
#: Bidirectional embeddings, overrides and isolates (U+202A-202E, U+2066-2069): invisible, they reorder
#: what a person sees, so text can read differently from what it is ("Trojan source").
_BIDI = re.compile("[\u202a-\u202e\u2066-\u2069]")
#: What a log line must not carry raw: the controls above, and the bidi controls.
_LOG_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def strip_controls(text: str) -> str:
    """Return `text` without C0/C1 control characters (tab and newline are kept).

    An escape sequence such as ``ESC [2J`` loses its ESC and shows as harmless text.
    """
    if text.isprintable():
        return text
    return _CONTROLS.sub("", text)


def visible_bidi(text: str) -> str:
    """`text` with each bidi override/isolate control shown as a visible `<U+202E>` mark."""
    return _BIDI.sub(lambda match: f"<U+{ord(match.group()):04X}>", text)


def terminal_safe(text: str) -> str:
    """Text for a terminal (CLI on a TTY, the app): controls removed, bidi controls shown as marks."""
    if text.isprintable():  # the common case; bidi controls are not printable, so they never take it
        return text
    return visible_bidi(_CONTROLS.sub("", text))


def escaped(text: str) -> str:
    """Text for a log line: every control (but newline and tab) and bidi control written as an escape
    (`\\x1b`, `\\u202e`), so `cat` or `tail -f` of the log shows it instead of obeying it."""
    return _LOG_UNSAFE.sub(lambda match: ascii(match.group())[1:-1], text)


def one_line(text: str, limit: int | None = None) -> str:
    """Safe text squeezed onto one line (titles, queries, list rows), cut to `limit` characters."""
    flat = " ".join(strip_controls(text).split())
    if limit is not None and len(flat) > limit:
        return flat[: max(limit - 1, 0)] + "…"
    return flat
