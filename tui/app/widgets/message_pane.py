"""The scrolling transcript: only the last `window` messages are mounted; older ones load on demand."""

from __future__ import annotations

from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Static

from tui.app.segments import SEGMENT_CHARS
from tui.app.widgets.message_view import MOUNTED_SEGMENTS, MessageView
from tui.store.models import Message

#: Most messages mounted when a conversation opens, and that each "load earlier" adds.
WINDOW = 40
#: ...and about this much text (what their widgets would show): a few screens of the newest messages.
#: Every mounted Markdown block is a widget that each later layout walks: a conversation of 20 long
#: answers mounted 40 deep took 2.6 s of CPU and 146 MB to open, and 3x the CPU to stream the next
#: answer (bench/open_long.py).
WINDOW_CHARS = 4000

EMPTY_TEXT = (
    "Start a conversation: type below and press Enter.\n"
    "ctrl+n new chat · ctrl+f search · f1 help · ctrl+p commands"
)


def window_start(messages: list[Message], end: int) -> int:
    """Index of the first message to mount so that `messages[start:end]` is one window: at most
    `WINDOW` messages and about `WINDOW_CHARS` of shown text, but always the newest two (a question
    and its answer), however long."""
    shown = 0
    start = end
    while start > 0 and end - start < WINDOW:
        size = len(messages[start - 1].content)
        if messages[start - 1].role == "assistant":
            # A long answer mounts only its newest segments (MessageView), each a little over SEGMENT_CHARS.
            size = min(size, (MOUNTED_SEGMENTS + 1) * SEGMENT_CHARS)
        if end - start >= 2 and shown + size > WINDOW_CHARS:
            break
        shown += size
        start -= 1
    return start


def window_end(messages: list[Message], start: int) -> int:
    """Index one past the last message to mount so that `messages[start:end]` is one window (as
    `window_start`, forwards): where a search hit or a branch opens in a long conversation."""
    shown = 0
    end = start
    while end < len(messages) and end - start < WINDOW:
        size = len(messages[end].content)
        if messages[end].role == "assistant":
            size = min(size, (MOUNTED_SEGMENTS + 1) * SEGMENT_CHARS)
        if end - start >= 2 and shown + size > WINDOW_CHARS:
            break
        shown += size
        end += 1
    return end


class MessagePane(VerticalScroll):
    """Transcript container (stream layout); keeps the full message list but mounts a window of it."""

    DEFAULT_CSS = """
    MessagePane {
        layout: stream;
        height: 1fr;
        margin: 0 1 0 0;
        scrollbar-size-vertical: 1;
        scrollbar-gutter: stable;
        /* the focused pane shows: a bar in the accent colour where a blank column was */
        border-left: blank;
        &:focus { border-left: vkey $accent; }
    }
    MessagePane .empty {
        color: $text-muted;
        padding: 1 2;
    }
    MessagePane .load-earlier, MessagePane .load-later {
        color: $text-muted;
        text-align: center;
    }
    """
    BINDING_GROUP_TITLE = "Transcript"
    BINDINGS = [
        Binding(
            "home", "load_earlier", "Load earlier", show=False, id="transcript.load-earlier",
            tooltip="Mount older messages of a long conversation",
        ),
        Binding(
            "end", "jump_latest", "Latest", show=False, id="transcript.latest",
            tooltip="Jump to the newest message and follow the stream",
        ),
        # Plain keys for what alt+… does elsewhere: alt never reaches the app in macOS Terminal
        # without Option-as-Meta (f5 or Tab comes here).
        Binding("p", "screen.select_message(-1)", "Previous message", show=False, id="transcript.select-up"),
        Binding("n", "screen.select_message(1)", "Next message", show=False, id="transcript.select-down"),
        Binding("left", "screen.branch(-1)", "Previous branch", show=False, id="transcript.branch-prev"),
        Binding("right", "screen.branch(1)", "Next branch", show=False, id="transcript.branch-next"),
        Binding("c", "screen.copy_answer", "Copy answer", show=False, id="transcript.copy"),
        Binding("k", "screen.copy_code", "Copy code", show=False, id="transcript.copy-code"),
        Binding("r", "screen.toggle_reasoning", "Reasoning", show=False, id="transcript.reasoning"),
        Binding("w", "screen.toggle_wrap", "Wrap code", show=False, id="transcript.wrap"),
        Binding(
            "s", "screen.summarise", "Summarise", show=False, id="transcript.summarise",
            tooltip="Summarise this chat into a new branch (the old one stays)",
        ),
        Binding(
            "v", "screen.toggle_private", "Private", show=False, id="transcript.private",
            tooltip="Make this chat private (nothing kept on the server), or not",
        ),
    ]

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, can_focus=True)
        self.messages: list[Message] = []
        self.branch_labels: dict[int, str] = {}
        #: Index into `messages` of the first mounted one, and one past the last (less than
        #: len(messages) only while a search hit's earlier window is shown).
        self.first_mounted = 0
        self.last_mounted = 0
        self.selected: MessageView | None = None
        #: The person moved the view (scrolled, selected, opened a reasoning box) since the transcript
        #: was shown or last followed its end: layouts that settle later must not pull it back.
        self._held = False
        #: After mounting earlier messages in place: the message that was at the top and its row on screen.
        self._kept_place: tuple[MessageView, int] | None = None
        self._keeping = False

    def compose(self):
        yield Static("", classes="load-earlier", markup=False)
        yield Static(EMPTY_TEXT, classes="empty", markup=False)
        yield Static("", classes="load-later", markup=False)

    def on_mount(self) -> None:
        # After each layout (the mounted messages' heights are only known then): see `_keep_place`.
        self.screen.screen_layout_refresh_signal.subscribe(self, lambda _screen: self._keep_place(), immediate=True)

    # ---------------------------------------------------------------- contents
    @property
    def views(self) -> list[MessageView]:
        return list(self.query_children(MessageView))

    async def show(
        self, messages: list[Message], branch_labels: dict[int, str] | None = None, *, around: int | None = None
    ) -> MessageView | None:
        """Replace the transcript; mount only the newest window of messages and scroll to the end.

        With `around` (a message id, e.g. a search hit), mount the window that ends just after that
        message instead, select it and scroll it into view (W2); its view is returned.
        """
        self.messages = list(messages)
        self.branch_labels = dict(branch_labels or {})
        self.selected = None
        index = next((i for i, m in enumerate(self.messages) if m.id == around), None) if around else None
        self.last_mounted = len(self.messages)
        self.first_mounted = window_start(self.messages, self.last_mounted)
        if index is not None and index < self.first_mounted:  # not in the newest window: the one from it on
            self.last_mounted = window_end(self.messages, index)
            self.first_mounted = min(window_start(self.messages, self.last_mounted), index)
        with self.app.batch_update():
            await self.remove_children(MessageView)
            views = [self._view(m) for m in self.messages[self.first_mounted : self.last_mounted]]
            if views:
                await self.mount_all(views, before=self.query_one(".load-later"))
            self._update_chrome()
        self.anchor(False)
        self.scroll_to(y=0, animate=False, immediate=True, release_anchor=False)
        self._held = False
        target = next((view for view in views if view.message.id == around), None) if around else None
        if target is not None:
            self.set_selected(target)
            self.call_after_refresh(self.scroll_to_widget, target, animate=False, top=True)
        else:
            self.call_after_refresh(self.follow_end)
        return target

    async def show_latest(self) -> None:
        """Back to the newest window after a search hit mounted an earlier one (End, a new message)."""
        if self.last_mounted < len(self.messages):
            await self.show(self.messages, self.branch_labels)

    @property
    def holding(self) -> bool:
        """The person moved the view away from the end; it stays there until End (or a new message)."""
        return self._held

    def release_anchor(self) -> None:
        self._held = True
        super().release_anchor()

    def anchor(self, anchor: bool = True) -> None:
        if anchor:
            self._held = False
        super().anchor(anchor)

    def _view(self, message: Message) -> MessageView:
        return MessageView(message, branch_label=self.branch_labels.get(message.id, ""))

    def _update_chrome(self) -> None:
        later = self.query_one(".load-later", Static)
        hidden_after = len(self.messages) - self.last_mounted
        later.display = hidden_after > 0
        if hidden_after:
            later.update(f"↓ {hidden_after} later messages — press End here to show the latest")
        earlier = self.query_one(".load-earlier", Static)
        earlier.display = self.first_mounted > 0
        if self.first_mounted:
            earlier.update(f"↑ {self.first_mounted} earlier messages — press Home here (or scroll up) to load")
        self.query_one(".empty", Static).display = not self.messages

    async def action_load_earlier(self) -> None:
        """Show the hidden parts of the newest long answer, else mount the window of messages before."""
        for view in reversed(self.views):
            if await view.show_hidden_segments():
                return
        if not self.first_mounted:
            return
        start = window_start(self.messages, self.first_mounted)
        older = [self._view(m) for m in self.messages[start : self.first_mounted]]
        self.first_mounted = start
        first = self.views[0] if self.views else None
        if first is not None:
            await self.mount_all(older, before=first)
        else:
            await self.mount_all(older, after=self.query_one(".load-earlier"))
        self._update_chrome()

    def watch_scroll_y(self, old: float, new: float) -> None:
        super().watch_scroll_y(old, new)
        if not self._keeping:
            self._kept_place = None  # moved by the person (or a new message): nothing to keep any more
        if new <= 0 < old and (self.first_mounted or any(view.hidden_segments for view in self.views)):
            self.run_worker(self._load_earlier_in_place(), group="load-earlier", exclusive=True)

    async def _load_earlier_in_place(self) -> None:
        """Scrolled to the top: mount what came before it, above, and keep showing what was on screen
        (Home, by contrast, shows the top of what it mounted)."""
        views = self.views
        if views:
            self._kept_place = (views[0], views[0].virtual_region.y - round(self.scroll_y))
        await self.action_load_earlier()

    def _keep_place(self) -> None:
        """Keep the message that was at the top on its row, at each layout until the view is moved otherwise:
        the mounted messages take more than one layout to reach their height, and the place restored once,
        after the first refresh, showed the oldest lines for a few frames (and was off when they settled late)."""
        if self._kept_place is None:
            return
        view, offset = self._kept_place
        if not view.is_attached:
            self._kept_place = None
            return
        y = view.virtual_region.y - offset
        if y == round(self.scroll_y):
            return
        self._keeping = True
        try:
            self.scroll_to(y=y, animate=False, immediate=True)
        finally:
            self._keeping = False

    async def action_jump_latest(self) -> None:
        """End: the newest messages, following the stream; the selection goes (actions act on the last)."""
        await self.show_latest()
        self.set_selected(None)
        self.anchor()

    def watch_virtual_size(self) -> None:
        self._keep_place()
        self.follow_end()

    def follow_end(self) -> None:
        """Keep to the end once the transcript overflows; a short one stays top-aligned.

        (Textual anchors by setting a negative scroll offset when content is shorter than the view.)
        """
        overflowing = self.virtual_size.height > self.scrollable_content_region.height
        if overflowing and not self.is_anchored and not self._held:
            self.anchor()
        elif not overflowing and self.is_anchored:
            self.anchor(False)
            # Not `scroll_to(immediate=True, release_anchor=False)`: Textual 8.2.8 drops that flag on its
            # way to `_scroll_to` and releases the anchor, which held the view at the top for the rest of
            # a stream once trimmed segments let a tall pane's content fit (bench/render.py at 120x40).
            self._scroll_to(y=0, animate=False, release_anchor=False)

    async def append(self, message: Message, *, live: bool = False) -> MessageView:
        """Add a message at the end (a sent question, or a `live` answer about to stream) and follow it."""
        await self.show_latest()
        self.set_selected(None)  # W1: a new message ends any selection; actions act on the last message
        self.messages.append(message)
        self.last_mounted = len(self.messages)
        view = MessageView(message, branch_label=self.branch_labels.get(message.id, ""), live=live)
        await self.mount(view, before=self.query_one(".load-later"))
        await self._trim_to_window()
        self._update_chrome()
        self._held = False  # a new message: follow it
        self.scroll_end(animate=False)
        return view

    async def _trim_to_window(self) -> None:
        """Unmount what a long session has left above the window of the newest messages (Home and
        scrolling up bring it back), so the answers of a long sitting do not slow every frame."""
        start = window_start(self.messages, len(self.messages))
        if start <= self.first_mounted:
            return
        older = {message.id for message in self.messages[self.first_mounted : start]}
        stale = [view for view in self.views if view.message.id in older]
        if self.selected in stale:
            self.selected = None
        self.first_mounted = start
        await self.remove_children(stale)

    def replace_message(self, message: Message) -> None:
        """Swap in the stored record of a message (a finished answer) for the one shown so far."""
        self.messages = [message if m.id == message.id else m for m in self.messages]

    async def truncate_after(self, message_id: int | None) -> None:
        """Drop every message after `message_id` (or all of them): the start of a fork or regeneration."""
        keep = 0
        for index, message in enumerate(self.messages):
            if message.id == message_id:
                keep = index + 1
        dropped = [view for view in self.views if view.message.id not in {m.id for m in self.messages[:keep]}]
        self.messages = self.messages[:keep]
        self.first_mounted = min(self.first_mounted, len(self.messages))
        self.last_mounted = min(self.last_mounted, len(self.messages))
        if self.selected in dropped:
            self.selected = None
        for view in dropped:
            await view.remove()
        self._update_chrome()

    # --------------------------------------------------------------- selection
    def select(self, delta: int) -> MessageView | None:
        """Move the message selection by `delta` (negative = older), loading nothing new."""
        views = self.views
        if not views:
            return None
        if self.selected in views:
            index = views.index(self.selected) + delta
        else:
            index = len(views) - 1 if delta < 0 else 0
        index = max(0, min(index, len(views) - 1))
        self.set_selected(views[index])
        return self.selected

    def set_selected(self, view: MessageView | None) -> None:
        if self.selected is not None:
            self.selected.remove_class("-selected")
        self.selected = view
        if view is not None:
            view.add_class("-selected")
            self.release_anchor()
            self.scroll_to_widget(view, animate=False)

    def last(self, role: str) -> MessageView | None:
        """The newest mounted message of `role`."""
        for view in reversed(self.views):
            if view.message.role == role:
                return view
        return None

    def target(self, role: str) -> MessageView | None:
        """The selected message if it has `role`, otherwise the newest one of that role."""
        if self.selected is not None and self.selected.message.role == role:
            return self.selected
        return self.last(role)
