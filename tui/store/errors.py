"""The one error type the store raises, and the translation of raw SQLite failures into it.

Callers show `str(StoreError)` to a person as is, so it is always one clear line;
the SQLite details go to the log.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager

log = logging.getLogger("tui.store")


class StoreError(Exception):
    """A storage failure, worded for a person (one line, what happened and what to do).

    `unwritable` says the file could not be written (read-only, disk full, no permission) while it
    may still be readable: commands that only read then open it read-only instead.
    """

    def __init__(self, message: str, *, unwritable: bool = False) -> None:
        super().__init__(message)
        self.unwritable = unwritable


class AlreadyImported(StoreError):
    """The document was imported before, as the conversation `conversation_id`; nothing was added."""

    def __init__(self, conversation_id: int) -> None:
        super().__init__(f"this file was already imported as conversation {conversation_id}; nothing was added")
        self.conversation_id = conversation_id


def explain(exc: sqlite3.Error, path: str) -> str:
    """One line for a person describing what went wrong with the database at `path`."""
    text = str(exc).lower()
    if "locked" in text or "busy" in text:
        return f"the database {path} is busy (another program holds a lock); close it and try again"
    if "not a database" in text or "malformed" in text or "corrupt" in text:
        return f"the database {path} is damaged or is not a qwen-tui database; move it away or choose another path"
    if "readonly" in text or "read-only" in text:
        return f"the database {path} is read-only; check its permissions or choose another path"
    if "unable to open" in text or "disk i/o" in text:
        return f"cannot open the database {path}; check that the path and its folder are writable"
    if "full" in text:
        return f"cannot write the database {path}: the disk is full"
    return f"database error in {path}: {exc}"


@contextmanager
def translated(path: str) -> Iterator[None]:
    """Turn any `sqlite3.Error` raised inside the block into a `StoreError` (details logged)."""
    try:
        yield
    except sqlite3.Error as exc:
        log.warning("sqlite error on %s", path, exc_info=True)
        raise StoreError(explain(exc, path), unwritable=cannot_write(exc)) from exc


def cannot_write(exc: sqlite3.Error) -> bool:
    """Whether `exc` says the file cannot be written (it may still be read)."""
    text = str(exc).lower()
    return any(word in text for word in ("readonly", "read-only", "full", "unable to open", "disk i/o"))
