"""Schema 2 (images, message_images, messages.api) over a database written by the previous version."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from tui.catalog import load_catalog
from tui.chat.cost import turn_cost
from tui.store import Store
from tui.store.schema import MIGRATIONS, SCHEMA_VERSION, statements


def _old_database(path: Path) -> None:
    """A file exactly as schema 1 left it, with one priced answer in it."""
    raw = sqlite3.connect(path)
    for statement in statements(MIGRATIONS[0]):
        raw.execute(statement)
    raw.execute("PRAGMA user_version = 1")
    raw.execute("INSERT INTO conversations (id, title, created_at, updated_at, model, endpoint) "
                "VALUES (1, 'Old chat', 1, 1, 'qwen3-max', 'https://example')")
    raw.execute("INSERT INTO messages (id, conversation_id, role, content, created_at) VALUES (1, 1, 'user', 'hi', 1)")
    raw.execute("INSERT INTO messages (id, conversation_id, parent_id, role, content, created_at, model, mode, "
                "input_tokens, output_tokens, cached_tokens, reasoning_tokens, x_tools) "
                "VALUES (2, 1, 1, 'assistant', 'hello', 2, 'qwen3-max', 'replay', 10000, 1000, 0, 0, '{\"web_search\": 1}')")
    raw.execute("UPDATE conversations SET head_message_id = 2")
    raw.commit()
    raw.close()


async def test_an_old_database_migrates_and_its_stored_usage_is_priced(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    _old_database(path)
    store = await Store.open(path)
    try:
        branch = await store.head_branch(1)
        assert [(m.content, m.images, m.api) for m in branch] == [("hi", [], None), ("hello", [], None)]
        rows = await store.usage_rows()
        assert len(rows) == 1
        _, model, usage = rows[0]
        cost = turn_cost(usage, model, load_catalog(), "USD")
        assert cost.amount == pytest.approx((10_000 * 1.2 + 1_000 * 6.0) / 1e6 + 0.01)
    finally:
        await store.close()
    raw = sqlite3.connect(path)
    assert raw.execute("PRAGMA user_version").fetchone() == (SCHEMA_VERSION,)
    raw.close()
