"""One message in the transcript: a user's text, or an assistant answer streamed as Markdown."""

from __future__ import annotations

import asyncio
import re
from functools import cache

from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from textual.containers import Vertical
from textual.content import Content
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import Collapsible, Markdown, Static

from tui.api.errors import advice_for
from tui.app.segments import open_marker, safe_cut, split_segments
from tui.app.widgets.answer_blocks import MATCH_STYLE, AnswerMarkdown
from tui.app.widgets.image_chips import ImageChips
from tui.app.widgets.source_list import SourceList
from tui.chat.sources import message_sources
from tui.chat.updates import ReasoningDelta, TextDelta, Update
from tui.store.models import Message
from tui.text_safety import strip_controls

#: Every append repaints the whole visible answer (and once the transcript scrolls, the whole pane,
#: usually twice: Textual lays newly mounted blocks out in a second pass), so appends are spaced to
#: repaint about this many cells a second: 15 Hz while the answer is a few lines, ~1.3 Hz once it
#: fills an 80x24 pane. Keeps a slow SSH link calm (bench/render.py measures bytes per delta).
REPAINT_CELLS_PER_SECOND = 2000
FLUSH_INTERVAL_LIMITS = (1 / 15, 1.0)
#: Newest segments of an answer kept mounted; older ones are mounted on request (Home).
MOUNTED_SEGMENTS = 2

_STATUS_LABEL = {
    "pending": "waiting…",
    "streaming": "streaming…",
    "cancelled": "cancelled",
    "incomplete": "incomplete",
    "failed": "failed",
}


@cache
def answer_parser() -> MarkdownIt:
    """Textual's "gfm-like" Markdown, except that a code fence naming no language is plain text.

    For such a fence Textual asks pygments to guess the language on every repaint of the block, and
    the first guess imports every lexer pygments has (~0.12 s of CPU; ~2 ms a guess after that). A
    streamed fence is repainted at each flush, and briefly has no language whenever a flush ends
    just after its opening backticks.
    """

    def plain_fences(state: StateCore) -> None:
        for token in state.tokens:
            if token.type == "fence" and not token.info.strip():
                token.info = "text"

    parser = MarkdownIt("gfm-like")
    parser.core.ruler.push("plain_fences", plain_fences)
    return parser


def answer_markdown(text: str) -> Markdown:
    """A Markdown widget for (a segment of) an answer."""
    return AnswerMarkdown(text, classes="answer", parser_factory=answer_parser)


def reasoning_text(message: Message) -> str:
    """The reasoning summary stored with an assistant message, if any."""
    parts = [str(item.data.get("summary") or "") for item in message.items if item.type == "reasoning"]
    return "\n\n".join(part for part in parts if part)


def status_hint(status: str, error: str | None) -> str:
    """The line under an unfinished answer: what happened and what to do."""
    if status == "cancelled":
        return "Stopped — the partial answer is kept. ctrl+r asks again."
    if status in ("incomplete", "failed"):
        reason = strip_controls(error or "the answer did not finish")
        advice = advice_for(reason)  # quota, billing, content, unknown model: what to do instead of retrying
        label = "Failed" if status == "failed" else "Incomplete"
        if advice:
            return f"{label}: {reason.rstrip('.')}. {advice[0].upper()}{advice[1:]}."
        return f"{label}: {reason}. Press ctrl+r to retry."
    return ""


class MessageView(Vertical):
    """A transcript entry. Assistant answers start from an empty `Markdown` that each flush appends to."""

    DEFAULT_CSS = """
    MessageView {
        layout: stream;
        height: auto;
        margin: 0 0 1 0;
    }
    MessageView.-user {
        background: $boost;
    }
    /* Selected: a bar in the primary colour, the text untouched, so it never reads as an error and
       stays legible in 16 colours (a tinted background turned red, olive or grey there). */
    MessageView {
        border-left: blank;
    }
    MessageView.-selected {
        border-left: thick $primary;
    }
    MessageView .meta {
        height: 1;
    }
    MessageView Markdown {
        margin: 0;
        padding: 0;
        background: transparent;
    }
    MessageView .hint {
        color: $text-warning;
    }
    MessageView Collapsible {
        margin: 0;
        padding: 0;
        border: none;
        background: transparent;
    }
    MessageView .reasoning-text {
        color: $text-muted;
    }
    MessageView Collapsible Contents {
        padding: 0 0 0 2;
    }
    MessageView .earlier-parts {
        color: $text-muted;
        text-style: italic;
    }
    """

    def __init__(self, message: Message, *, branch_label: str = "", live: bool = False) -> None:
        classes = f"message -{message.role}"
        super().__init__(classes=classes)
        self.message = message
        #: An answer about to stream: it starts empty and `begin_stream` feeds it.
        self.live = live
        self.branch_label = branch_label
        #: The segment that streamed text is appended to (None once the stream ended).
        self._live: Markdown | None = None
        self._pending: list[str] = []
        #: Streamed text held back while it opens an inline marker (`**Start`) not closed yet.
        self._held = ""
        self._flush_timer: Timer | None = None
        #: One flush at a time: the end of a stream must not write while a timed flush is mid-way.
        self._flush_lock = asyncio.Lock()
        self._reasoning: list[str] = []
        self._reasoning_dirty = False
        #: The answer's text cut into segments; only the last `MOUNTED_SEGMENTS` are mounted.
        self.segments: list[str] = [""]
        #: How many leading segments are not mounted.
        self.hidden_segments = 0

    # ------------------------------------------------------------------ compose
    def compose(self):
        message = self.message
        yield Static(self._header(), classes="meta", markup=False)
        if message.role != "assistant":
            yield Static(Content(strip_controls(message.content)), classes="user-text", markup=False)
            if message.images:
                yield ImageChips(message.images, classes="images")
            return
        thinking = reasoning_text(message)
        if thinking:
            self._reasoning = [thinking]
            yield self._reasoning_box(thinking)
        # Finished answers render at once (their newest segments); live ones start empty and are streamed.
        self.segments = [""] if self.live else split_segments(strip_controls(message.content))
        self.hidden_segments = max(len(self.segments) - MOUNTED_SEGMENTS, 0)
        earlier = Static("", classes="earlier-parts", markup=False)
        self._describe_hidden(earlier)
        yield earlier
        for segment in self.segments[self.hidden_segments :]:
            yield answer_markdown(segment)
        sources = [] if self.live else message_sources(message)
        if self.live or sources:  # a live answer gets its sources when it ends; new segments mount above them
            yield SourceList(sources, classes="sources")
        hint = Static(status_hint(message.status, message.error), classes="hint", markup=False)
        hint.display = bool(hint.content)
        yield hint

    def _reasoning_box(self, text: str, title: str = "Reasoning") -> Collapsible:
        return Collapsible(
            Static(Content(text), classes="reasoning-text", markup=False),
            title=title,
            collapsed=True,
            classes="reasoning",
        )

    def _header(self) -> Content:
        message = self.message
        if message.role == "user":
            parts: list[str | tuple[str, str]] = [("You", "bold $text-primary")]
        elif message.role == "system":
            parts = [("System", "bold $text-muted")]
        else:
            parts = [("Qwen", "bold $text-accent")]
            if message.model:
                parts.append((f"  {strip_controls(message.model)}", "$text-muted"))
            label = _STATUS_LABEL.get(message.status)
            if label:
                style = "$text-warning" if message.status != "streaming" else "$text-secondary"
                parts.append((f"  [{label}]", style))
        if self.branch_label:
            parts.append((f"  {self.branch_label}", "$text-muted"))
        return Content.assemble(*parts)

    async def mark_terms(self, query: str) -> Widget | None:
        """Highlight the words of a search in this message (opened from a search hit): in a question's
        text, or in an answer's rendered Markdown (mounting its earlier parts if a match is there).
        Returns the widget showing the first match, to scroll to."""
        words = [re.escape(word) for word in re.findall(r"\w+", query)]
        if not words or not self.is_mounted:
            return None
        pattern = re.compile("|".join(words), re.IGNORECASE)
        if self.message.role != "assistant":
            text = Content(strip_controls(self.message.content))
            question = self.query_one(".user-text", Static)
            question.update(text.highlight_regex(pattern, style=MATCH_STYLE))
            return question
        if any(pattern.search(segment) for segment in self.segments[: self.hidden_segments]):
            await self.show_hidden_segments()
        first: Widget | None = None
        for markdown in self.query(AnswerMarkdown):
            found = await markdown.mark(pattern)
            first = first or found
        return first

    def set_branch_label(self, label: str) -> None:
        if label == self.branch_label:
            return
        self.branch_label = label
        if self.is_mounted:
            self.query_one(".meta", Static).update(self._header())

    # --------------------------------------------------------------- streaming
    def _describe_hidden(self, placeholder: Static) -> None:
        count = self.hidden_segments
        placeholder.display = count > 0
        if count:
            parts = "part" if count == 1 else "parts"
            placeholder.update(f"▲ {count} earlier {parts} of this answer — press Home in the transcript to show")

    async def show_hidden_segments(self) -> bool:
        """Mount the segments kept out of the DOM; False if there were none."""
        if not self.hidden_segments:
            return False
        placeholder = self.query_one(".earlier-parts", Static)
        widgets = [answer_markdown(segment) for segment in self.segments[: self.hidden_segments]]
        self.hidden_segments = 0
        await self.mount_all(widgets, after=placeholder)
        self._describe_hidden(placeholder)
        return True

    async def begin_stream(self) -> None:
        """Make the empty answer the live segment."""
        self._live = self.query(".answer").last(Markdown)

    def show_update(self, update: Update) -> None:
        """While this answer streams: take its text and reasoning (subscribed to the turn's updates)."""
        match update:
            case TextDelta(text=text):
                self.add_text(text)
            case ReasoningDelta(text=text):
                self.add_reasoning(text)

    def add_text(self, text: str) -> None:
        """Queue a delta; flushed to Markdown on the repaint budget (`_flush_interval`)."""
        text = strip_controls(text)
        if not text:
            return
        self._pending.append(text)
        self._schedule_flush()

    def add_reasoning(self, text: str) -> None:
        """Queue a piece of the reasoning summary (shown in a collapsed box)."""
        text = strip_controls(text)
        if not text:
            return
        self._reasoning.append(text)
        self._reasoning_dirty = True
        self._schedule_flush()

    def _schedule_flush(self) -> None:
        if self._flush_timer is None:
            self._flush_timer = self.set_timer(self._flush_interval(), self._flush)

    def _flush_interval(self) -> float:
        """Seconds until the next append: the area it will repaint over the cells-per-second budget."""
        low, high = FLUSH_INTERVAL_LIMITS
        pane = self.parent
        if not isinstance(pane, Widget):
            return low
        repainted = pane.size.width * min(pane.size.height, self.outer_size.height)
        return min(max(repainted / REPAINT_CELLS_PER_SECOND, low), high)

    async def _flush(self, *, final: bool = False) -> None:
        self._flush_timer = None
        # One flush, one frame: sealing a segment and mounting the next would otherwise be painted
        # twice (the whole pane each time once it scrolls).
        async with self._flush_lock:
            with self.app.batch_update():
                await self._flush_pending(final)

    async def _flush_pending(self, final: bool) -> None:
        if self._reasoning_dirty:
            self._reasoning_dirty = False
            await self._show_reasoning()
        if (self._pending or self._held) and self._live is not None:
            text = self._held + "".join(self._pending)
            self._pending.clear()
            self._held = ""
            if not final:
                # An opened `**` is shown with its closing one, never as raw stars.
                shown = self.segments[-1]
                held = open_marker(shown + text)
                if held is not None and held >= len(shown):
                    text, self._held = text[: held - len(shown)], text[held - len(shown) :]
            if not text:
                return
            # Per flush, not per delta: appending to a str attribute copies the whole answer each time.
            self.message.content += text
            await self._write(text)

    async def _write(self, text: str) -> None:
        """Append `text` to the live segment; past a safe boundary, seal it and go on in new segments.

        Appended here, inside the flush's `batch_update`, not through a `MarkdownStream`: its own task
        appended after the flush had ended, and stopping it before that task had run raised
        `CancelledError` (the whole answer already queued, or a garbage collection in between).
        """
        assert self._live is not None
        current = self.segments[-1]
        combined = current + text
        cut = safe_cut(combined, start=len(current))
        if cut is None:
            self.segments[-1] = combined
            await self._live.append(text)
            return
        self.segments[-1] = combined[:cut]
        sealed = self._live
        new = split_segments(combined[cut:])
        self.segments += new
        if len(new) < MOUNTED_SEGMENTS:
            # The sealed segment's tail; when a burst brings enough new segments it is unmounted below instead.
            await sealed.append(combined[len(current) : cut])
        # Only the newest segments get widgets; finished ones render whole, the last one streams on.
        # The live one starts empty and its text is appended: a Markdown built from text resumes
        # parsing at that text's last line, so a segment ending inside a code fence went on as
        # indented code, and the fence's closing line then opened a fence over the rest.
        first_mounted = max(len(self.segments) - MOUNTED_SEGMENTS, 0)
        widgets = [
            answer_markdown(segment)
            for index, segment in enumerate(new[:-1], start=len(self.segments) - len(new))
            if index >= first_mounted
        ]
        live = answer_markdown("")
        await self.mount_all([*widgets, live], before=self.query_one(SourceList))
        if new[-1]:
            await live.append(new[-1])
        self._live = live
        await self._trim_segments()

    async def _trim_segments(self) -> None:
        """Unmount the oldest segments beyond `MOUNTED_SEGMENTS` (shown again with Home); not while
        the person reads further up (W5: removing what is above the view would move it)."""
        if getattr(self.parent, "holding", False):
            return
        mounted = list(self.query(".answer"))
        excess = mounted[: max(len(mounted) - MOUNTED_SEGMENTS, 0)]
        if excess:
            self.hidden_segments = len(self.segments) - MOUNTED_SEGMENTS
            await self.remove_children(excess)
            self._describe_hidden(self.query_one(".earlier-parts", Static))

    async def _show_reasoning(self) -> None:
        text = "".join(self._reasoning)
        boxes = self.query(".reasoning-text")
        if boxes:
            boxes.first(Static).update(Content(text))
        else:
            await self.mount(self._reasoning_box(text, "Thinking…"), before=self.query_one(".earlier-parts"))

    async def end_stream(self, final: Message) -> None:
        """Flush everything, stop the stream and show the final status (partial text is kept)."""
        if self._flush_timer is not None:
            self._flush_timer.stop()
            self._flush_timer = None
        await self._flush(final=True)
        self._live = None
        shown = self.message.content  # what was streamed, controls already stripped
        self.message = final
        stored = strip_controls(final.content)
        if stored and not stored.startswith(shown):
            # The stored text is the truth (e.g. after a replay fallback); show it whole.
            await self._render_finished(stored)
        self.query_one(".meta", Static).update(self._header())
        self.query_one(SourceList).show_sources(message_sources(final))
        for box in self.query(Collapsible):
            box.title = "Reasoning"
        hint = self.query_one(".hint", Static)
        hint.update(status_hint(final.status, final.error))
        hint.display = bool(hint.content)

    async def _render_finished(self, text: str) -> None:
        await self.remove_children(".answer")
        self.segments = split_segments(text)
        self.hidden_segments = max(len(self.segments) - MOUNTED_SEGMENTS, 0)
        widgets = [answer_markdown(segment) for segment in self.segments[self.hidden_segments :]]
        await self.mount_all(widgets, before=self.query_one(SourceList))
        self._describe_hidden(self.query_one(".earlier-parts", Static))

    def code_blocks(self) -> list[str]:
        """Fenced code blocks of this answer, in order."""
        blocks: list[str] = []
        lines: list[str] | None = None
        fence = ""
        for line in self.message.content.splitlines():
            stripped = line.strip()
            if lines is None and stripped.startswith(("```", "~~~")):
                fence = stripped[:3]
                lines = []
            elif lines is not None and stripped.startswith(fence) and stripped.strip(fence[0]) == "":
                blocks.append("\n".join(lines))
                lines = None
            elif lines is not None:
                lines.append(line)
        return blocks
