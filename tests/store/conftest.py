"""Fixtures for store tests: a real SQLite file in tmp_path and a controllable clock."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from store_support import FakeClock, OpenStore

from tui.store import Store


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "chats.db"


@pytest.fixture
async def open_store() -> AsyncIterator[OpenStore]:
    """`await open_store(path, **options)`: `Store.open`, closed after the test even if it fails."""
    opened: list[Store] = []

    async def open_(path: Path, **options: Any) -> Store:
        store = await Store.open(path, **options)
        opened.append(store)
        return store

    yield open_
    for store in opened:
        await store.close()


@pytest.fixture
async def store(db_path: Path, clock: FakeClock, open_store: OpenStore) -> Store:
    return await open_store(db_path, clock=clock)
