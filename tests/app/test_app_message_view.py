"""A streamed answer in one MessageView: flushes, segment cuts and the end of the stream."""

from __future__ import annotations

import asyncio
from dataclasses import replace

from textual.app import App
from textual.widgets import Markdown

from tui.app.segments import SEGMENT_CHARS
from tui.app.widgets.message_view import MessageView
from tui.store.models import Message

PARAGRAPH = "A paragraph of streamed text that goes on for a while.\n\n"


def shown_text(view: MessageView) -> str:
    return "".join(md.source for md in view.query(Markdown))


class OneAnswer(App[None]):
    def __init__(self, message: Message) -> None:
        super().__init__()
        self.message = message

    def compose(self):
        yield MessageView(self.message, live=True)


async def test_the_end_of_a_stream_waits_for_a_flush_that_is_cutting_a_segment() -> None:
    """The last deltas arrive while a timed flush is sealing a segment: all of the text is shown.

    (The end of the stream used to write to the sealed segment's stopped stream and lose the tail.)
    """
    answer = Message(id=2, conversation_id=1, parent_id=1, role="assistant", content="", created_at=0.0,
                     status="streaming")
    app = OneAnswer(answer)
    async with app.run_test(size=(80, 24)) as pilot:
        view = app.query_one(MessageView)
        view.begin_stream()
        first = PARAGRAPH * (SEGMENT_CHARS // len(PARAGRAPH) + 2)  # past a safe cut: a new segment starts
        view.add_text(first)
        timed = asyncio.create_task(view._flush())  # the flush the timer would run
        await asyncio.sleep(0)  # ...now part-way through sealing the first segment
        view.add_text("The last words.")
        await view.end_stream(replace(answer, content=first + "The last words.", status="complete"))
        await timed
        await pilot.pause()
        assert shown_text(view) == first + "The last words."
        assert len(view.segments) == 2 and len(view.query(Markdown)) == 2
