"""SQLite storage of conversations, message trees, turns and the response chain (aiosqlite only)."""

from __future__ import annotations

from tui.store.errors import AlreadyImported, StoreError
from tui.store.models import (
    Conversation,
    Message,
    OutputItem,
    SearchHit,
    Usage,
)
from tui.store.recovery import INTERRUPTED
from tui.store.store import Store
from tui.store.writer import TurnWriter

__all__ = [
    "INTERRUPTED",
    "AlreadyImported",
    "Conversation",
    "Message",
    "OutputItem",
    "SearchHit",
    "Store",
    "StoreError",
    "TurnWriter",
    "Usage",
]
