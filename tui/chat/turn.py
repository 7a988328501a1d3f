"""`Turn`: one assistant answer streaming in its own task, its updates queued for one consumer.

Running as a task means `cancel()` can always stop it and the consumer still gets exactly one
final `TurnFinished`, with whatever text had arrived kept in the store.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncGenerator, AsyncIterator, Callable
from contextlib import aclosing
from dataclasses import dataclass, field
from typing import Any, Literal

from tui.api.chat_completions import stream_chat
from tui.api.client import ResponsesClient
from tui.api.errors import ApiError, PreviousResponseNotFound
from tui.catalog import ModelInfo
from tui.chat.chain import ImageUrls, TurnOptions, build_request, expiry
from tui.chat.chat_request import chat_body
from tui.chat.functions import FunctionLoop
from tui.chat.meter import meter_for
from tui.chat.rounds import RoundsFold
from tui.chat.updates import (
    ChainFallback,
    ContextUpdated,
    ResponseCreated,
    Retrying,
    TextDelta,
    ToolCall,
    TurnFinished,
    TurnStarted,
    Update,
)
from tui.store import Store, TurnWriter
from tui.store.models import ChainMode, Message, MessageStatus, OutputItem

log = logging.getLogger("tui.chat")

#: Events after which the writer gets the turn's output items (its next timed flush writes them, so a
#: crash keeps started tools); not per delta, since building the items joins their streamed text.
_ITEM_EVENTS = frozenset({"response.output_item.added", "response.output_item.done"})
#: Responses one turn may chain through local function calls before the client stops asking.
MAX_FUNCTION_ROUNDS = 8


@dataclass(frozen=True, slots=True)
class TurnPlan:
    """What a turn answers and how: the branch up to the user message, the mode and its options."""

    conversation_id: int
    path: list[Message]
    assistant_message_id: int
    mode: ChainMode
    previous_response_id: str | None
    options: TurnOptions
    #: Remove the turn if it fails before anything of the answer arrives (see `TurnFinished.discarded`):
    #: the conversation's head before the turn, and whether this turn added the question.
    discard_if_unsent: bool = False
    head_before: int | None = None
    question_is_new: bool = False
    #: Which endpoint answers: "responses", or "chat" (compatible-mode Chat Completions, always a replay).
    api: Literal["responses", "chat"] = "responses"
    #: The model's table entry (window for the context meter, thinking for the chat body).
    model_info: ModelInfo | None = None
    #: Message id -> its images' URLs (data URLs for stored files), for every message of `path` that has some.
    images: ImageUrls = field(default_factory=dict)


class Turn:
    """An answer being streamed. `async for update in turn` ends with one `TurnFinished`; `cancel()` stops it."""

    def __init__(
        self,
        plan: TurnPlan,
        *,
        store: Store,
        client: ResponsesClient,
        clock: Callable[[], float],
        flush_interval: float = 0.25,
        functions: FunctionLoop | None = None,
    ) -> None:
        self.conversation_id = plan.conversation_id
        self.user_message_id = plan.path[-1].id
        self.assistant_message_id = plan.assistant_message_id
        #: The way the request finally went (a chained turn becomes "replay" after a fallback).
        self.mode: ChainMode = plan.mode
        self.finished: TurnFinished | None = None
        self._plan = plan
        self._store = store
        self._client = client
        self._clock = clock
        self._flush_interval = flush_interval
        self._queue: asyncio.Queue[Update] = asyncio.Queue()
        self._ended = asyncio.Event()
        self._fold = RoundsFold()
        self._functions = functions
        self._cancelled = False
        self._finalizing = False
        self._task = asyncio.get_running_loop().create_task(self._run(), name=f"turn-{self.assistant_message_id}")
        self._task.add_done_callback(self._on_task_done)

    # --- consumer side -----------------------------------------------------------------------

    def __aiter__(self) -> AsyncIterator[Update]:
        return self._updates()

    async def _updates(self) -> AsyncIterator[Update]:
        while True:
            update = await self._queue.get()
            yield update
            if isinstance(update, TurnFinished):
                return

    async def wait(self) -> TurnFinished:
        """Drain the updates (for callers that only want the outcome) and return the final one."""
        async for update in self:
            if isinstance(update, TurnFinished):
                return update
        raise AssertionError("a turn always ends with TurnFinished")

    @property
    def text(self) -> str:
        """The answer text received so far."""
        return self._fold.text

    @property
    def done(self) -> bool:
        return self.finished is not None

    async def ended(self) -> None:
        """Wait until the turn is stored in its final state, without consuming its updates."""
        await self._ended.wait()

    def cancel(self) -> None:
        """Stop the answer; the text so far is kept and the turn ends as `cancelled`."""
        if self._cancelled or self._finalizing or self._task.done():
            return
        self._cancelled = True
        self._task.cancel()

    # --- the task ----------------------------------------------------------------------------

    def _push(self, update: Update) -> None:
        self._queue.put_nowait(update)

    def _on_retry(self, attempt: int, delay: float, error: ApiError) -> None:
        self._push(Retrying(attempt, delay, str(error), resume_at=self._clock() + delay))

    async def _run(self) -> None:
        plan = self._plan
        self._push(TurnStarted(plan.conversation_id, self.user_message_id, self.assistant_message_id, plan.mode, plan.api))
        writer = self._store.turn_writer(self.assistant_message_id, flush_interval=self._flush_interval)
        status: MessageStatus
        error: str | None = None
        try:
            status, error = await self._stream(writer)
        except asyncio.CancelledError:
            # A cancel that lands after the terminal event does not undo a finished answer.
            status, error = (self._fold.terminal, self._fold.error) if self._fold.terminal else ("cancelled", None)
        except ApiError as exc:
            status, error = ("incomplete" if self._fold.started else "failed"), str(exc)
        except Exception as exc:  # a bug or a store failure: keep what we have, say one line
            log.exception("turn %s failed unexpectedly", self.assistant_message_id)
            status = "incomplete" if self._fold.started else "failed"
            error = f"unexpected error: {' '.join(str(exc).split()) or type(exc).__name__}"
        self._finalizing = True
        unsent = status == "failed" and self._plan.discard_if_unsent and not (self._fold.text or self._fold.items())
        if unsent and await self._discard(error):
            return
        await self._finish(writer, status, error)

    async def _discard(self, error: str | None) -> bool:
        """Remove a turn that failed before its answer started, and say so with the unsent question."""
        plan = self._plan
        question = plan.path[-1]
        try:
            removed = await self._store.discard_unanswered(
                plan.conversation_id,
                self.assistant_message_id,
                question.id if plan.question_is_new else None,
                plan.head_before,
            )
        except Exception:
            log.warning("could not remove the unanswered turn %s", self.assistant_message_id, exc_info=True)
            return False  # then it is stored as failed, as any failed turn
        self._emit_finished(
            TurnFinished(
                "failed",
                error,
                _unsaved(self, "", "failed", error),
                discarded=True,
                unsent_text=question.content if plan.question_is_new else None,
                conversation_removed=removed,
            )
        )
        return True

    async def _stream(self, writer: TurnWriter) -> tuple[MessageStatus, str | None]:
        """Send the request (falling back once from chain to replay) and fold its events into the store."""
        plan = self._plan
        mode, previous = plan.mode, plan.previous_response_id
        answered: list[OutputItem] = []  # function calls whose outputs the next request carries
        while True:
            events: AsyncGenerator[Any, None]
            if plan.api == "chat" and plan.model_info is not None:
                events = stream_chat(self._client, chat_body(plan.options, plan.path, plan.model_info, plan.images), on_retry=self._on_retry)
            else:
                request = build_request(
                    plan.options,
                    plan.path,
                    mode=mode,
                    previous_response_id=previous,
                    images=plan.images,
                    turn_items=self._fold.items(),
                    answered=answered,
                )
                events = self._client.stream(request, on_retry=self._on_retry)
            try:
                await self._consume(events, writer, previous)
            except PreviousResponseNotFound as exc:
                if mode != "chain" or self._fold.current.started:
                    raise
                log.info("chain id %s is gone (%s); replaying the transcript", previous, exc)
                mode, previous = "replay", None
                self.mode = mode
                await self._store.set_message_mode(self.assistant_message_id, mode)
                self._push(ChainFallback(str(exc)))
                continue
            calls = self._function_calls()
            if not calls:
                break
            if len(self._fold.rounds) >= MAX_FUNCTION_ROUNDS:
                return "incomplete", f"stopped after {MAX_FUNCTION_ROUNDS} rounds of function calls"
            assert self._functions is not None
            # The outputs go on the chain (previous = the response that called); without store, a replay.
            previous = self._fold.response_id if plan.options.store else None
            mode = "chain" if previous else "replay"
            self._fold.next_round()  # from here the turn is unfinished: a cancel ends it as cancelled
            await self._functions.run(calls, self._push)
            writer.set_items(self._fold.items())
            answered = [OutputItem(call.item_id, call.type, call.status, call.details()) for call in calls]
        if self._fold.terminal is None:
            return "incomplete", self._fold.error or "the answer stream ended before the answer was complete"
        return self._fold.terminal, self._fold.error

    def _function_calls(self) -> list[ToolCall]:
        """The local function calls the finished response asked for (none without a function loop)."""
        if self._functions is None or self._fold.terminal != "complete":
            return []
        return [call for call in self._fold.current.tool_calls if call.type == "function_call" and call.call_id]

    async def _consume(self, stream: AsyncGenerator[Any, None], writer: TurnWriter, previous: str | None) -> None:
        fold = self._fold
        async with aclosing(stream) as events:
            async for event in events:
                updates = fold.apply(event)
                if event.type == "response.created" and fold.response_id:
                    # The expiry is computed once, here, by the chain policy; the store only records it.
                    created = self._clock()
                    chainable = self._plan.options.store and self._plan.api != "chat"
                    expires_at = expiry(created) if chainable else None
                    await writer.set_response(fold.response_id, previous, created, expires_at)
                    self._push(ResponseCreated(fold.response_id, expires_at))
                for update in updates:
                    if isinstance(update, TextDelta):
                        writer.append(update.text)
                    self._push(update)
                if event.type in _ITEM_EVENTS:
                    writer.set_items(fold.items())
                if fold.terminal is not None:
                    return

    async def _finish(self, writer: TurnWriter, status: MessageStatus, error: str | None) -> None:
        """Store the final status, items and usage (one transaction), then emit the one `TurnFinished`."""
        fold = self._fold
        try:
            items = fold.items()
            if items:
                writer.set_items(items)
            await writer.finish(status, error=error, usage=fold.usage)
            message = await self._store.get_message(self.assistant_message_id)
        except Exception as exc:
            log.exception("could not store the end of turn %s", self.assistant_message_id)
            status, error = "failed", f"could not save the answer: {' '.join(str(exc).split())}"
            message = await self._stored_message()  # what the file kept (reads work on a full disk)
            if message is not None and message.status not in ("pending", "streaming"):
                status = message.status
        if message is None:
            message = _unsaved(self, fold.text, status, error)
        info = self._plan.model_info
        meter = meter_for(fold.usage, self._plan.options.model, info.context_window) if info else None
        if meter is not None and self.finished is None:
            self._push(ContextUpdated(self.conversation_id, meter))
        self._emit_finished(TurnFinished(status, error, message))

    async def _stored_message(self) -> Message | None:
        try:
            return await self._store.get_message(self.assistant_message_id)
        except Exception:
            log.warning("could not read back turn %s", self.assistant_message_id, exc_info=True)
            return None

    def _emit_finished(self, finished: TurnFinished) -> None:
        if self.finished is None:
            self.finished = finished
            self._push(finished)
            self._ended.set()

    def _on_task_done(self, task: asyncio.Task[None]) -> None:
        """A task cancelled before it ever ran never reached `_finish`; finish it now."""
        if self.finished is None and task.cancelled():
            self._finalizing = True
            asyncio.get_running_loop().create_task(self._finish_unstarted())

    async def _finish_unstarted(self) -> None:
        writer = self._store.turn_writer(self.assistant_message_id, flush_interval=self._flush_interval)
        await self._finish(writer, "cancelled", None)


def _unsaved(turn: Turn, text: str, status: MessageStatus, error: str | None) -> Message:
    """The assistant message as it stands when the store could not be read back."""
    return Message(
        id=turn.assistant_message_id,
        conversation_id=turn.conversation_id,
        parent_id=turn.user_message_id,
        role="assistant",
        content=text,
        created_at=0.0,
        status=status,
        error=error,
        mode=turn.mode,
    )
