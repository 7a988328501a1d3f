"""`TurnWriter`: persists one streaming assistant turn without a write per delta or per item event.

Text and the output items so far are buffered and flushed together by a timer at most
`flush_interval` after the first unflushed change, so a SIGKILL loses at most that much;
`finish` writes the rest with the final status in one transaction.
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
        #: The newest output items given, what the file holds, and whether the two differ.
        self._items: list[OutputItem] = []
        self._written_items: list[OutputItem] = []
        self._items_dirty = False
        self._timer: asyncio.Task[None] | None = None
        self._timer_sleeping = False
        self._finished = False
        #: Characters of answer text given to `append` (to say how much of it a failed save kept).
        self._received = 0

    async def set_response(
        self, response_id: str, previous_response_id: str | None, created_at: float, expires_at: float | None = None
    ) -> None:
        """Record the server's response id, its creation and expiry times; the turn becomes `streaming`."""
        await self._store.record_response(self.message_id, response_id, previous_response_id, created_at, expires_at)

    def append(self, text: str) -> None:
        """Buffer streamed text; a timer writes it within `flush_interval`."""
        self._check_open("append")
        if not text:
            return
        self._buffer.append(text)
        self._received += len(text)
        self._schedule()

    def set_items(self, items: list[OutputItem]) -> None:
        """Keep the turn's output items so far (reasoning, tool calls, in order); the next flush writes them.

        Nothing is written here, so calling this on every item event costs no transaction.
        """
        self._check_open("set_items")
        self._items = list(items)
        self._items_dirty = self._items != self._written_items
        if self._items_dirty:
            self._schedule()

    @property
    def _pending(self) -> bool:
        return bool(self._buffer) or self._items_dirty

    def _check_open(self, name: str) -> None:
        if self._finished:
            raise RuntimeError(f"{name}() after finish()")

    def _schedule(self) -> None:
        if self._timer is None or self._timer.done():
            self._timer_sleeping = True
            self._timer = asyncio.get_running_loop().create_task(self._flush_later())

    async def _flush_later(self) -> None:
        """Flush every `flush_interval` while something is buffered (what arrives during a flush included)."""
        while True:
            self._timer_sleeping = True
            try:
                await asyncio.sleep(self._interval)
            finally:
                self._timer_sleeping = False
            try:
                await self.flush()
            except (StoreError, ValueError):  # ValueError: the store was closed under a live writer
                # Kept buffered; the next change or finish() retries. Details are in the log.
                log.warning("could not flush the streamed answer of message %s", self.message_id, exc_info=True)
                return
            if self._finished or not self._pending:
                return

    async def _write(self, status: MessageStatus | None, error: str | None, usage: Usage | None) -> None:
        """Write buffered text and changed items (with the final status, if given) in one transaction.

        On failure the text goes back to the front of the buffer, and the items stay to be written.
        """
        text = "".join(self._buffer)
        self._buffer.clear()
        items = self._items if self._items_dirty else None
        self._items_dirty = False
        try:
            if status is None:
                await self._store.append_text(self.message_id, text, items=items)
            else:
                await self._store.finish_turn(self.message_id, status, error=error, usage=usage, text=text, items=items)
        except BaseException:
            if text:
                self._buffer.insert(0, text)
            self._items_dirty = self._items != self._written_items
            raise
        if items is not None:
            self._written_items = items
            self._items_dirty = self._items != items  # newer items may have come during the write

    async def flush(self) -> None:
        """Write buffered text and items now (on failure they stay buffered)."""
        if self._pending:
            await self._write(None, None, None)

    async def finish(self, status: MessageStatus, *, error: str | None = None, usage: Usage | None = None) -> None:
        """Write the remaining text and items with the final status and usage, in one transaction."""
        self._finished = True
        timer, self._timer = self._timer, None
        if timer is not None and not timer.done():
            if self._timer_sleeping:
                timer.cancel()
            # A flush already under way runs to its end (a failed one puts its text back).
            await asyncio.gather(timer, return_exceptions=True)
        try:
            await self._write(status, error, usage)
        except StoreError as exc:
            self._finished = False
            raise await self._gave_up(exc) from exc
        except BaseException:
            self._finished = False
            raise

    async def _gave_up(self, exc: StoreError) -> StoreError:
        """Mark the turn unsaved (so it is not left streaming) and say exactly how much of it was kept."""
        try:
            _, kept = await self._store.mark_unsaved(self.message_id)
        except StoreError:
            log.warning("could not read back message %s", self.message_id, exc_info=True)
            return exc
        line = f"{exc}; {kept:,} of {self._received:,} characters of the answer were saved"
        return StoreError(line, unwritable=exc.unwritable)
