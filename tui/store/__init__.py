"""SQLite storage of conversations, message trees, turns and the response chain (aiosqlite only)."""

from __future__ import annotations

from tui.store.errors import AlreadyImported, StoreError
from tui.store.models import (
    RESPONSE_TTL_SECONDS,
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
    "RESPONSE_TTL_SECONDS",
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
