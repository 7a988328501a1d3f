"""A streamed answer in one MessageView: flushes, segment cuts and the end of the stream."""

from __future__ import annotations

import asyncio
import re
from dataclasses import replace

from app_helpers import stream_in
from textual.app import App
from textual.widgets import Markdown
from textual.widgets.markdown import MarkdownFence

from tui.app.segments import SEGMENT_CHARS
from tui.app.widgets.message_view import MessageView
from tui.sim.answers import long_answer
from tui.store.models import Message

PARAGRAPH = "A paragraph of streamed text that goes on for a while.\n\n"


def shown_text(view: MessageView) -> str:
    return "".join(md.source for md in view.query(Markdown))


#: An answer about to stream (the view starts empty and live).
STREAMING = Message(id=2, conversation_id=1, parent_id=1, role="assistant", content="", created_at=0.0, status="streaming")


class OneAnswer(App[None]):
    def __init__(self, message: Message) -> None:
        super().__init__()
        self.message = message

    def compose(self):
        yield MessageView(self.message, live=self.message.status == "streaming")


async def test_the_end_of_a_stream_waits_for_a_flush_that_is_cutting_a_segment() -> None:
    """The last deltas arrive while a timed flush is sealing a segment: all of the text is shown.

    (The end of the stream used to write to the sealed segment's stopped stream and lose the tail.)
    """
    answer = STREAMING
    app = OneAnswer(answer)
    async with app.run_test(size=(80, 24)) as pilot:
        view = app.query_one(MessageView)
        await view.begin_stream()
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


async def test_a_fence_without_a_language_is_plain_text_and_never_guessed(monkeypatch) -> None:
    """Textual would guess the language with pygments on every repaint of such a block (the first
    guess imports every lexer, ~0.12 s); the answer shows the code as plain text instead."""
    import textual.highlight

    guesses: list[str] = []
    real_guess = textual.highlight.guess_language
    monkeypatch.setattr(textual.highlight, "guess_language", lambda code, path=None: guesses.append(code) or real_guess(code, path))
    text = "Run this:\n\n```\nprint('hi')\n```\n\nand this:\n\n```python\nx = 1\n```\n"
    answer = Message(id=2, conversation_id=1, parent_id=1, role="assistant", content=text, created_at=0.0)
    app = OneAnswer(answer)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        view = app.query_one(MessageView)
        fences = list(view.query(MarkdownFence))
        assert [(fence.lexer, fence.code.strip()) for fence in fences] == [("text", "print('hi')"), ("python", "x = 1")]
        assert guesses == []


async def test_a_long_answer_that_arrives_all_at_once_is_shown_whole() -> None:
    """The whole answer is already queued when the view starts streaming (a fast local server), so
    the first flush is the end of the stream and cuts segments at once."""
    answer = STREAMING
    app = OneAnswer(answer)
    async with app.run_test(size=(80, 24)) as pilot:
        view = app.query_one(MessageView)
        text = PARAGRAPH * (3 * SEGMENT_CHARS // len(PARAGRAPH)) + "The end."
        await view.begin_stream()
        view.add_text(text)
        await view.end_stream(replace(answer, content=text, status="complete"))
        await pilot.pause()
        assert "".join(view.segments) == text
        assert shown_text(view).endswith("The end.") and len(view.query(Markdown)) == 2
        assert await view.show_hidden_segments()  # Home: the earlier parts, every word of them
        assert shown_text(view) == text


async def test_the_end_of_a_stream_right_after_a_segment_cut_finishes_the_answer() -> None:
    """A flush cuts a segment (so a new stream starts) and the end of the stream follows before the
    event loop turns (e.g. after a long garbage collection): the answer is still finished."""
    answer = STREAMING
    app = OneAnswer(answer)
    async with app.run_test(size=(80, 24)) as pilot:
        view = app.query_one(MessageView)
        await view.begin_stream()
        text = PARAGRAPH * (SEGMENT_CHARS // len(PARAGRAPH) + 2) + "The last words."
        view.add_text(text)
        await view._flush()  # the timed flush: seals the first segment and starts streaming the next
        await view.end_stream(replace(answer, content=text, status="complete"))  # nothing left to flush
        await pilot.pause()
        assert view.message.status == "complete" and "[streaming" not in str(view.query_one(".meta").content)
        assert shown_text(view) == text


async def test_a_segment_that_starts_inside_a_code_fence_streams_on_as_code() -> None:
    """A flush cuts a segment whose new part ends inside a fence (here every 10 deltas of the long
    answer). The rest must still stream into that fence, and its closing line must close it.

    (The new segment used to be built from its text, so Textual resumed parsing at its last line:
    the fence lost its first lines, and its closing line opened a fence over the rest of the answer.)
    """
    chunks = long_answer(170)  # ends after the section that follows a fence
    answer = STREAMING
    app = OneAnswer(answer)
    async with app.run_test(size=(80, 24)) as pilot:
        view = app.query_one(MessageView)
        await view.begin_stream()
        await stream_in(view, pilot, chunks, every=10)
        await view.end_stream(replace(answer, content="".join(chunks), status="complete"))
        await pilot.pause()
        shown = shown_text(view)
        expected = re.findall(r"^```python\n(.*?)\n```$", shown, re.M | re.S)
        assert expected  # the mounted segments hold a whole fence
        assert [fence.code for fence in view.query(MarkdownFence)] == expected


def screen_lines(app: App) -> list[str]:
    return [strip.text for strip in app.screen._compositor.render_strips()]


async def test_an_opened_bold_marker_is_not_shown_raw_before_it_closes() -> None:
    """`**Start` streams in pieces: the screen never shows raw stars; once closed, the words are bold.

    (Markdown shows an unclosed `**` as two stars, so each flush flashed them until the closing delta.)
    """
    app = OneAnswer(STREAMING)
    async with app.run_test(size=(80, 24)) as pilot:
        view = app.query_one(MessageView)
        await view.begin_stream()
        for delta in ("Plain words, then **", "Start", "ing soon", "*"):
            view.add_text(delta)
            await view._flush()
            await pilot.pause()
            shown = "\n".join(screen_lines(app))
            assert "Plain words, then" in shown
            assert "*" not in shown, delta
        view.add_text("* and the rest.")
        await view._flush()
        await pilot.pause()
        assert any("Plain words, then Starting soon and the rest." in line for line in screen_lines(app))
        bold = [
            segment.text
            for strip in app.screen._compositor.render_strips()
            for segment in strip
            if segment.style is not None and segment.style.bold
        ]
        assert "Starting soon" in "".join(bold)


async def test_a_marker_that_never_closes_is_shown_when_the_answer_ends() -> None:
    answer = STREAMING
    app = OneAnswer(answer)
    async with app.run_test(size=(80, 24)) as pilot:
        view = app.query_one(MessageView)
        await view.begin_stream()
        view.add_text("It ends with **unclosed")
        await view._flush()
        await pilot.pause()
        assert "unclosed" not in "\n".join(screen_lines(app))
        await view.end_stream(replace(answer, content="It ends with **unclosed", status="complete"))
        await pilot.pause()
        assert shown_text(view) == "It ends with **unclosed"
        assert any("It ends with **unclosed" in line for line in screen_lines(app))
