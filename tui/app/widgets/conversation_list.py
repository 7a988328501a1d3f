"""The left sidebar: a search box over the FTS index and a paged list of saved conversations."""

from __future__ import annotations

import asyncio
import re
import time
from dataclasses import dataclass
from typing import Protocol

from textual import events, on, work
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.message import Message
from textual.widgets import Input, OptionList
from textual.widgets.option_list import Option, OptionDoesNotExist

from tui.app.formatting import format_age
from tui.app.keys import Command
from tui.app.reporting import reporting
from tui.app.widgets.steady_input import SteadyInput
from tui.store.models import Conversation, SearchHit
from tui.store.search import snippet_parts
from tui.text_safety import one_line

#: Conversations fetched per page; the next page loads when the cursor nears the end.
PAGE_SIZE = 100
#: How close to the end of the loaded rows the cursor may come before the next page loads.
PAGE_MARGIN = 20
#: Pause after a keystroke in the search box before querying, so typing stays smooth.
SEARCH_DEBOUNCE = 0.15
#: Markdown syntax that only clutters a one-line snippet: heading marks, emphasis, code ticks.
_MARKUP = re.compile(r"(?:(?<=\s)|^)#{1,6}\s+|\*\*|__|`")


class ConversationSource(Protocol):
    """What the list needs of the engine: pages of conversations, and full-text search."""

    async def list_conversations(self, *, limit: int, offset: int) -> list[Conversation]: ...

    async def search(self, query: str, *, limit: int, titles: bool = False) -> list[SearchHit]: ...


def conversation_row(conversation: Conversation, now: float | None = None) -> Content:
    """A list row: a pin marker and the title, then (dim) how long ago it changed and its model."""
    title = one_line(conversation.title or "Untitled", 120)
    marker = ("● ", "$text-accent") if conversation.pinned else "  "
    if now is None:
        return Content.assemble(marker, title)
    detail = f"\n  {format_age(conversation.updated_at, now)} · {one_line(conversation.model, 40)}"
    return Content.assemble(marker, title, (detail, "$text-muted"))


def hit_row(hit: SearchHit) -> Content:
    """A search result: the conversation title, then the snippet with matched terms highlighted (a
    title hit: the title with its match highlighted, and "(title)" where a snippet would be)."""
    if hit.kind == "title":
        title = [
            (text, "bold $text-accent") if is_match else (text, "bold")
            for text, is_match in snippet_parts(one_line(hit.snippet, 120))
        ]
        return Content.assemble(*title, ("\n  (title)", "$text-muted"))
    snippet = _MARKUP.sub("", one_line(hit.snippet, 200))
    who = "You: " if hit.role == "user" else ""
    parts: list[str | tuple[str, str]] = [(one_line(hit.title or "Untitled", 120), "bold"), "\n  ", who]
    parts += [(text, "bold $text-accent") if is_match else text for text, is_match in snippet_parts(snippet)]
    return Content.assemble(*parts)


class ConversationList(OptionList):
    """Line-API list of conversations, filled a page at a time from the engine."""

    DEFAULT_CSS = """
    ConversationList {
        height: 1fr;
        background: transparent;
        text-wrap: nowrap;
        text-overflow: ellipsis;
    }
    """

    BINDING_GROUP_TITLE = "Conversations"
    BINDINGS = [
        Command(
            "r", "screen.rename_conversation", "Rename", id="list.rename", title="Rename chat",
            tooltip="Rename the highlighted conversation",
        ),
        Command(
            "p", "screen.pin_conversation", "Pin", id="list.pin", title="Pin or unpin chat",
            tooltip="Pin or unpin it (pinned stay on top)",
        ),
        Command(
            "delete,d", "screen.delete_conversation", "Delete", id="list.delete", title="Delete chat",
            tooltip="Delete it (asks first)",
        ),
    ]

    @dataclass
    class Opened(Message):
        """The person chose a conversation (optionally a message found by search)."""

        conversation_id: int
        message_id: int | None = None

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, compact=True)
        #: Set by the chat screen once the engine is open.
        self.engine: ConversationSource | None = None
        self.conversations: dict[int, Conversation] = {}
        self.query_text = ""
        self._loaded = 0
        self._exhausted = False
        #: Reloads and page loads take turns, so offsets and rows never interleave.
        self._lock = asyncio.Lock()

    async def reload(self, *, keep: int | None = None) -> None:
        """Re-read the first page (or re-run the search) and swap the rows in one go; highlight `keep`."""
        if self.engine is None:
            return
        async with self._lock:
            if self.query_text:
                await self._show_search(self.engine)
                return
            page = await self.engine.list_conversations(limit=PAGE_SIZE, offset=0)
            self.conversations = {conversation.id: conversation for conversation in page}
            self._loaded = len(page)
            self._exhausted = len(page) < PAGE_SIZE
            now = self._now()
            self.set_options(Option(conversation_row(c, now), id=f"c{c.id}") for c in page)
            if keep is not None:
                self.highlight_conversation(keep)

    def _now(self) -> float:
        clock = getattr(self.app, "clock", None)
        return float(clock()) if callable(clock) else time.time()

    async def _show_search(self, engine: ConversationSource) -> None:
        """Every hit, titles included (W10): a title hit opens its conversation, a message hit its message."""
        hits = await engine.search(self.query_text, limit=200, titles=True)
        self._exhausted = True
        if hits:
            self.set_options(
                Option(hit_row(hit), id=f"h{hit.conversation_id}:{hit.message_id or ''}:{index}")
                for index, hit in enumerate(hits)
            )
            self.highlighted = 0
        else:
            nothing = Content(f"No matches for “{one_line(self.query_text, 40)}”")
            self.set_options([Option(nothing, disabled=True)])

    @on(OptionList.OptionHighlighted)
    def _maybe_next_page(self, event: OptionList.OptionHighlighted) -> None:
        if not self._exhausted and not self.query_text and event.option_index >= self.option_count - PAGE_MARGIN:
            self._next_page()

    @work(group="conversation-page", exclusive=True, exit_on_error=False)
    async def _next_page(self) -> None:
        """Append the next page (only in the plain list, and never alongside a reload)."""
        with reporting(self, "Could not load more conversations"):
            async with self._lock:
                if self.engine is None or self._exhausted or self.query_text:
                    return
                page = await self.engine.list_conversations(limit=PAGE_SIZE, offset=self._loaded)
                self._loaded += len(page)
                self._exhausted = len(page) < PAGE_SIZE
                fresh = [c for c in page if c.id not in self.conversations]
                self.conversations.update((c.id, c) for c in fresh)
                now = self._now()
                self.add_options(Option(conversation_row(c, now), id=f"c{c.id}") for c in fresh)

    @on(OptionList.OptionSelected)
    def _opened(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        option_id = event.option.id or ""
        if option_id.startswith("c"):
            self.post_message(self.Opened(int(option_id[1:])))
        elif option_id.startswith("h"):
            conversation, message, _index = option_id[1:].split(":")
            self.post_message(self.Opened(int(conversation), int(message) if message else None))

    @property
    def highlighted_conversation_id(self) -> int | None:
        option = self.highlighted_option
        if option is None or not option.id:
            return None
        return int(option.id[1:].split(":")[0])

    def _on_focus(self, event: events.Focus) -> None:
        """The list always shows its highlighted row: focusing it with none highlights the first."""
        super()._on_focus(event)
        if self.highlighted is None and self.option_count:
            self.highlighted = 0

    def highlight_conversation(self, conversation_id: int) -> None:
        """Move the cursor to a conversation's row if it is loaded."""
        try:
            self.highlighted = self.get_option_index(f"c{conversation_id}")
        except OptionDoesNotExist:
            pass

    def update_conversation(self, conversation: Conversation) -> None:
        """Refresh one row in place (after a rename)."""
        self.conversations[conversation.id] = conversation
        option_id = f"c{conversation.id}"
        try:
            self.replace_option_prompt(option_id, conversation_row(conversation))
        except OptionDoesNotExist:
            pass  # not loaded yet, or search results are showing


class Sidebar(Vertical):
    """Search box above the list; typing filters through full-text search."""

    DEFAULT_CSS = """
    #search {
        margin: 0 0 1 0;
    }
    """

    BINDINGS = [
        Binding(
            "down", "into_results", "Results", show=False, id="search.results",
            tooltip="From the search box down into the list",
        ),
    ]

    def action_into_results(self) -> None:
        conversations = self.query_one(ConversationList)
        conversations.focus()
        if conversations.option_count and conversations.highlighted is None:
            conversations.highlighted = 0

    def compose(self):
        yield SteadyInput(placeholder="Search chats (ctrl+f)", id="search", compact=True)
        yield ConversationList(id="conversations")

    @on(Input.Changed, "#search")
    def _search_changed(self, event: Input.Changed) -> None:
        self._search(event.value)

    @work(group="search", exclusive=True, exit_on_error=False)
    async def _search(self, value: str) -> None:
        await asyncio.sleep(SEARCH_DEBOUNCE)
        conversations = self.query_one(ConversationList)
        conversations.query_text = value.strip()
        with reporting(self, "Search failed"):
            await conversations.reload()

    @on(Input.Submitted, "#search")
    def _search_submitted(self) -> None:
        self.query_one(ConversationList).focus()
