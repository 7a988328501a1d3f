"""`TurnFeed`: streams one started turn onto the chat screen: mounts its views, then publishes each update.

Each widget subscribed to the screen's `turn_updates` signal picks the updates it cares about
(`match`), so no function here knows which widget shows what.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Literal

from textual.signal import Signal

from tui.app.widgets.message_pane import MessagePane
from tui.app.widgets.message_view import MessageView
from tui.chat.updates import TurnFinished, TurnStarted, Update
from tui.store.models import Message

if TYPE_CHECKING:
    from tui.chat.engine import ChatEngine
    from tui.chat.turn import Turn

TurnKind = Literal["send", "edit", "regenerate", "summarise"]

#: A full garbage collection when a turn ends, unless there was one this recently (`collect_if_due`).
FULL_COLLECTION_SECONDS = 5.0
#: While an answer streams, a full collection this often (see `TurnFeed.stream`). Each takes 20-40 ms
#: once a stream has made its ~50k objects; every 10 s rather than 5 s halves that share of a slow
#: stream's CPU (bench/stream_profile.py), for ~2 MB more at the peak of a 20 s answer (72 -> 74 MB
#: at 80x24 in bench/render.py).
STREAMING_COLLECTION_SECONDS = 10.0
#: `time.monotonic()` of the last full collection made here.
_collected_at = 0.0


def _collect_garbage() -> None:
    """`gc.collect` for a Textual timer (which cannot inspect a built-in function's signature)."""
    global _collected_at
    gc.collect()
    _collected_at = time.monotonic()


def collect_if_due() -> None:
    """A full collection unless one ran in the last `FULL_COLLECTION_SECONDS`.

    Each turn leaves the widgets it unmounted (the transcript's window moves on) as cyclic garbage
    that only a full collection frees, and with the thresholds of `tui.collector` full collections
    come every few hundred turns: 200 turns grew the app by ~50 MB of it (bench/soak_probe.py). Run once
    the turn's last frame is drawn, while the person reads; a fast run of turns collects at most
    this often.
    """
    if time.monotonic() - _collected_at >= FULL_COLLECTION_SECONDS:
        _collect_garbage()


class TurnFeed:
    """One turn of the chat screen, from its first update to the stored answer shown in place."""

    def __init__(
        self,
        turn: Turn,
        *,
        kind: TurnKind,
        text: str | None,
        message_id: int | None,
        engine: ChatEngine,
        pane: MessagePane,
        updates: Signal[Update],
        model: str,
        clock: Callable[[], float],
    ) -> None:
        self.turn = turn
        self.kind = kind
        self.text = text
        self.message_id = message_id
        self.engine = engine
        self.pane = pane
        self.updates = updates
        #: The model of this turn (the status line's, see `ChatScreen.refresh_status`).
        self.model = model
        self.clock = clock
        self.view: MessageView | None = None

    async def stream(self) -> TurnFinished | None:
        """Show the turn until it ends; returns its `TurnFinished` (None if the stream broke off)."""
        finished: TurnFinished | None = None
        # Repaints leave reference cycles that the raised GC thresholds (tui.collector) leave to a full
        # collection, which rarely comes: a 60 s answer grew the app from 58 to 119 MB without this.
        collector = self.pane.set_interval(STREAMING_COLLECTION_SECONDS, _collect_garbage, name="gc while streaming")
        try:
            async for update in self.turn:
                if isinstance(update, TurnStarted):
                    with self.pane.app.batch_update():
                        self.view = await self._start_views(update)
                    self.updates.subscribe(self.view, self.view.show_update, immediate=True)
                    self.updates.publish(update)  # the status line shows the endpoint answering
                elif isinstance(update, TurnFinished):
                    finished = update
                else:
                    self.updates.publish(update)
        finally:
            collector.stop()
            if finished is None:
                self.turn.cancel()
        return finished

    async def finish(self, finished: TurnFinished) -> None:
        """Show the stored answer in place of the streamed one, and tell the subscribers the turn ended."""
        if self.view is not None:
            self.updates.unsubscribe(self.view)
            await self.view.end_stream(finished.message)
            self.pane.replace_message(finished.message)
        self.updates.publish(finished)
        self.pane.call_after_refresh(collect_if_due)

    async def _start_views(self, started: TurnStarted) -> MessageView:
        """Mount the question (for send/edit) and an empty answer that the stream will fill."""
        pane, kind = self.pane, self.kind
        now = self.clock()
        if kind == "edit":
            edited = next((v.message for v in pane.views if v.message.id == self.message_id), None)
            await pane.truncate_after(edited.parent_id if edited else None)
        elif kind == "regenerate":
            await pane.truncate_after(started.user_message_id)
        elif kind == "summarise":  # a new root: the summary request, then its answer
            await pane.truncate_after(None)
        if kind != "regenerate":
            question = await self.engine.get_message(started.user_message_id)
            if question is None:  # not expected: the engine committed it before the turn started
                question = Message(
                    id=started.user_message_id,
                    conversation_id=started.conversation_id,
                    parent_id=pane.messages[-1].id if pane.messages else None,
                    role="user",
                    content=self.text or "",
                    created_at=now,
                )
            await pane.append(question)
        answer = Message(
            id=started.assistant_message_id,
            conversation_id=started.conversation_id,
            parent_id=started.user_message_id,
            role="assistant",
            content="",
            created_at=now,
            status="streaming",
            model=self.model,
            mode=started.mode,
        )
        view = await pane.append(answer, live=True)
        await view.begin_stream()
        return view
