"""`TurnWriter`: persists one streaming assistant turn without a write per delta.

Text is buffered and flushed by a timer at most `flush_interval` after the first
unflushed delta, so a SIGKILL loses at most that much; `finish` flushes the rest.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from tui.store.errors import StoreError
from tui.store.models import MessageStatus, OutputItem, Usage

if TYPE_CHECKING:
    from tui.store.store import Store

log = logging.getLogger("tui.store")


class TurnWriter:
    """Buffered writes for the assistant message `message_id`; get one from `Store.turn_writer`."""

    def __init__(self, store: Store, message_id: int, *, flush_interval: float = 0.25) -> None:
        self.message_id = message_id
        self._store = store
        self._interval = flush_interval
        self._buffer: list[str] = []
        self._timer: asyncio.Task[None] | None = None
        self._timer_sleeping = False
        self._finished = False

    async def set_response(
        self, response_id: str, previous_response_id: str | None, created_at: float | None
    ) -> None:
        """Record the server's response id (expiry = created_at + 7 days); the turn becomes `streaming`."""
        await self._store.record_response(self.message_id, response_id, previous_response_id, created_at)

    def append(self, text: str) -> None:
        """Buffer streamed text; a timer writes it within `flush_interval`."""
        if self._finished:
            raise RuntimeError("append() after finish()")
        if not text:
            return
        self._buffer.append(text)
        if self._timer is None or self._timer.done():
            self._timer_sleeping = True
            self._timer = asyncio.get_running_loop().create_task(self._flush_later())

    async def _flush_later(self) -> None:
        try:
            await asyncio.sleep(self._interval)
        finally:
            self._timer_sleeping = False
        try:
            await self.flush()
        except (StoreError, ValueError):  # ValueError: the store was closed under a live writer
            # Kept in the buffer; the next timer or finish() retries. Details are in the log.
            log.warning("could not flush streamed text of message %s", self.message_id, exc_info=True)

    async def flush(self) -> None:
        """Write buffered text now (on failure the text stays buffered)."""
        if not self._buffer:
            return
        text = "".join(self._buffer)
        self._buffer.clear()
        try:
            await self._store.append_text(self.message_id, text)
        except BaseException:
            self._buffer.insert(0, text)
            raise

    async def set_items(self, items: list[OutputItem]) -> None:
        """Store the turn's output items (reasoning, tool calls), replacing earlier ones, in order."""
        await self._store.replace_items(self.message_id, list(items))

    async def finish(self, status: MessageStatus, *, error: str | None = None, usage: Usage | None = None) -> None:
        """Write the remaining text and the final status and usage in one transaction."""
        self._finished = True
        timer, self._timer = self._timer, None
        if timer is not None and not timer.done():
            if self._timer_sleeping:
                timer.cancel()
            # A flush already under way runs to its end (a failed one puts its text back).
            await asyncio.gather(timer, return_exceptions=True)
        text = "".join(self._buffer)
        self._buffer.clear()
        try:
            await self._store.finish_turn(self.message_id, status, error=error, usage=usage, text=text)
        except BaseException:
            self._buffer.insert(0, text)
            self._finished = False
            raise
