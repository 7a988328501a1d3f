"""`EngineHost`: opens, holds and closes the chat engine for the app; early sends wait for it."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager, AsyncExitStack
from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual.message import Message

if TYPE_CHECKING:
    from tui.chat.engine import ChatEngine
    from tui.chat.functions import Consent
    from tui.config import Settings

EngineFactory = Callable[["Settings"], AbstractAsyncContextManager["ChatEngine"]]


@dataclass
class EngineReady(Message):
    """The engine is open (again, after the endpoint moved); the chat screen loads what it shows."""

    engine: ChatEngine


class EngineHost:
    """Holds at most one open engine; `open` replaces it, `close` ends it, `wait` waits until opening settled."""

    def __init__(self, factory: EngineFactory) -> None:
        self.factory = factory
        self.engine: ChatEngine | None = None
        self._stack: AsyncExitStack | None = None
        #: Set once opening the engine finished (whether or not it worked), so early sends can wait.
        self._settled = asyncio.Event()
        #: Asked before a local function runs, on every engine this host opens (see `ask_with`).
        self.consent: Consent | None = None

    async def open(self, settings: Settings) -> ChatEngine:
        """Close any engine and open one for `settings`; raises what opening raised."""
        self._settled.clear()
        try:
            await self.close()
            stack = AsyncExitStack()
            try:
                self.engine = await stack.enter_async_context(self.factory(settings))
                self.engine.consent = self.consent
            except BaseException:
                await stack.aclose()
                raise
            self._stack = stack
            return self.engine
        finally:
            self._settled.set()

    def ask_with(self, consent: Consent) -> None:
        """Ask `consent` before any local function runs, on the open engine and on every one opened later
        (without it the engine denies every call)."""
        self.consent = consent
        if self.engine is not None:
            self.engine.consent = consent

    async def close(self) -> None:
        stack, self._stack, self.engine = self._stack, None, None
        if stack is not None:
            await stack.aclose()

    async def wait(self) -> ChatEngine | None:
        """The engine once opening it has settled (None if it could not be opened)."""
        await self._settled.wait()
        return self.engine
