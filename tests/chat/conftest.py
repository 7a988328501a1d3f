"""Engine fixtures: a real simulator on loopback, a real SQLite file in tmp_path, the engine between them."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from chat_support import MakeEngine

from tui.api.client import ResponsesClient
from tui.chat.engine import ChatEngine, EngineSettings
from tui.sim import SimServer
from tui.store import Store

MODEL = "qwen3-max-2026-01-23"


@pytest.fixture
async def make_engine(tmp_path: Path) -> AsyncIterator[MakeEngine]:
    """`await make_engine(sim, clock=..., legacy=..., **settings)`: an engine on `sim` (clock: the simulator's)."""
    opened: list[tuple[Store, ResponsesClient]] = []

    async def make(
        sim: SimServer,
        *,
        db: str = "chat.db",
        clock: Callable[[], float] | None = None,
        legacy: bool = False,
        **settings: Any,
    ) -> ChatEngine:
        clock = clock or sim.clock.now
        base_url = sim.legacy_base_url if legacy else sim.base_url
        store = await Store.open(tmp_path / db, clock=clock)
        client = ResponsesClient(base_url, "sk-test-key", backoff=0.01, max_backoff=0.05)
        opened.append((store, client))
        engine_settings = EngineSettings(**{"model": MODEL, "endpoint": base_url, **settings})
        return ChatEngine(store, client, settings=engine_settings, clock=clock, flush_interval=0.02)

    yield make
    for store, client in opened:
        await client.aclose()
        await store.close()


@pytest.fixture
async def engine(sim: SimServer, make_engine: MakeEngine) -> ChatEngine:
    return await make_engine(sim)
