"""Helpers for engine tests: draining a turn's updates, the engine factory's type."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from tui.chat.engine import ChatEngine
from tui.chat.turn import Turn
from tui.chat.updates import TurnFinished, Update

#: `await make_engine(sim, **engine_settings)` (the fixture in conftest.py).
MakeEngine = Callable[..., Awaitable[ChatEngine]]


async def collect(turn: Turn) -> list[Update]:
    """Every update of a turn, in order (the last is its TurnFinished)."""
    updates = [update async for update in turn]
    assert isinstance(updates[-1], TurnFinished)
    assert sum(isinstance(update, TurnFinished) for update in updates) == 1
    return updates


async def ask(engine: ChatEngine, conversation_id: int, text: str) -> list[Update]:
    return await collect(await engine.send(conversation_id, text))
