"""One-line failures: `reporting(node, what)` logs the details and posts a `Problem` for the screen to show."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from textual.message import Message
from textual.message_pump import MessagePump

from tui.text_safety import one_line

log = logging.getLogger("tui.app")


@dataclass
class Problem(Message):
    """Something failed; `text` is one line for the person (the details are in the log)."""

    text: str

    def __post_init__(self) -> None:
        super().__post_init__()
        self.text = one_line(self.text, 200)


@contextmanager
def reporting(node: MessagePump, what: str) -> Iterator[None]:
    """Turn any failure inside into a `Problem` posted from `node` (details to the log), never a crash."""
    try:
        yield
    except Exception as exc:
        log.exception("%s failed", what)
        node.post_message(Problem(f"{what}: {exc}"))
