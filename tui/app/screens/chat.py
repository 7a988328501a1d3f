"""`ChatScreen`: the chat layout, its keys and actions; turns stream through `TurnFeed` onto its widgets."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Literal

from textual import events, getters, on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.signal import Signal
from textual.widget import Widget
from textual.widgets import Collapsible, Input, Static

from tui.api.errors import advice_for
from tui.app.engine_host import EngineReady
from tui.app.formatting import endpoint_label
from tui.app.keys import Command, live_key
from tui.app.reporting import Problem, reporting
from tui.app.turn_feed import TurnFeed, TurnKind
from tui.app.widgets.composer import IMAGE_COMMAND, Composer, image_lines
from tui.app.widgets.conversation_list import ConversationList, Sidebar
from tui.app.widgets.image_chips import ImageChips
from tui.app.widgets.key_footer import KeyFooter
from tui.app.widgets.message_pane import MessagePane
from tui.app.widgets.message_view import MessageView
from tui.app.widgets.queued_line import QueuedLine
from tui.app.widgets.status_line import StatusLine
from tui.app.widgets.tool_panel import ToolPanel
from tui.chat.updates import ToolCallUpdated, TurnFinished, Update
from tui.store.models import Conversation, Message
from tui.text_safety import one_line

if TYPE_CHECKING:
    from tui.app.app import QwenApp
    from tui.app.screens.tools_dialog import ToolsChoice
    from tui.chat.engine import ChatEngine
    from tui.chat.functions import Decision, FunctionRequest
    from tui.chat.images import Attachment
    from tui.chat.turn import Turn

log = logging.getLogger("tui.app")

TOO_SMALL_TEXT = "The terminal is too small for qwen-tui.\nMake it at least 60×16, or press ctrl+q to quit."
STREAMING_NOTE = "An answer is streaming — press Escape to stop it first."


def _qwen_app() -> type[QwenApp]:
    from tui.app.app import QwenApp

    return QwenApp


class ChatScreen(Screen[None]):
    """The conversation list, the transcript with its composer, the tool panel and the status line."""

    CSS_PATH = "chat.tcss"
    AUTO_FOCUS = "Composer"
    HORIZONTAL_BREAKPOINTS = [(0, "-tiny"), (60, "-narrow"), (100, "-medium"), (120, "-wide")]
    VERTICAL_BREAKPOINTS = [(0, "-short"), (16, "-tall")]
    BINDING_GROUP_TITLE = "Chat"
    BINDINGS = [
        Command(
            "escape", "stop", "Stop", id="chat.stop", title="Stop answer",
            tooltip="Stop the streaming answer (kept), leave edit mode, or back to the composer",
        ),
        Command(
            "ctrl+n", "new_conversation", "New", priority=True, id="chat.new", title="New chat",
            tooltip="Start a new conversation",
        ),
        Command(
            "ctrl+f", "search", "Search", priority=True, id="chat.search", title="Search chats",
            tooltip="Search all conversations (full text)",
        ),
        Command(
            "f4", "focus_list", "Chats list", show=False, priority=True, id="chat.list",
            title="Go to chat list", tooltip="Move to the conversation list",
        ),
        Command(
            "ctrl+g", "focus_composer", "Composer", show=False, priority=True, id="chat.composer",
            title="Go to composer", tooltip="Move to the composer",
        ),
        Command(
            "ctrl+r", "regenerate", "Regenerate", show=False, priority=True, id="chat.regenerate",
            title="Regenerate answer", tooltip="Ask again for the selected or last answer (new branch)",
        ),
        Command(
            "ctrl+o", "edit_message", "Edit & fork", show=False, priority=True, id="chat.edit",
            title="Edit message and fork", tooltip="Edit the selected or last question; Enter forks a branch",
        ),
        Command(
            "alt+up", "select_message(-1)", "Previous message", show=False, priority=True, id="chat.select-up",
            title="Select previous message", tooltip="Select the previous message",
        ),
        Command(
            "alt+down", "select_message(1)", "Next message", show=False, priority=True, id="chat.select-down",
            title="Select next message", tooltip="Select the next message",
        ),
        Command(
            "alt+left", "branch(-1)", "Previous branch", show=False, priority=True, id="chat.branch-prev",
            title="Previous branch", tooltip="Previous alternative of the selected or newest forked message",
        ),
        Command(
            "alt+right", "branch(1)", "Next branch", show=False, priority=True, id="chat.branch-next",
            title="Next branch", tooltip="Next alternative of the selected or newest forked message",
        ),
        Command(
            "alt+c", "copy_answer", "Copy answer", show=False, priority=True, id="chat.copy",
            title="Copy last answer", tooltip="Copy the selected or last answer (OSC 52)",
        ),
        Command(
            "alt+k", "copy_code", "Copy code", show=False, priority=True, id="chat.copy-code",
            title="Copy code block", tooltip="Copy a code block of that answer; again for the one before",
        ),
        Command(
            "alt+r", "toggle_reasoning", "Reasoning", show=False, priority=True, id="chat.reasoning",
            title="Toggle reasoning", tooltip="Show or hide the reasoning of that answer",
        ),
        Command(
            "f3,ctrl+b", "toggle_sidebar", "Chats", priority=True, id="chat.sidebar",
            title="Toggle chat list", tooltip="Show or hide the conversation list",
        ),
        Command(
            "ctrl+t", "toggle_tools", "Tools", priority=True, id="chat.tools",
            title="Toggle tool panel", tooltip="Show or hide the tool-activity panel",
        ),
        Command("f1,ctrl+underscore", "app.help", "Help", id="app.help", title="Help", tooltip="This help"),
        Command(
            "f2", "app.settings", "Settings", id="app.settings", title="Settings",
            tooltip="Model, region, tools, thinking, system prompt, theme",
        ),
        Command(
            "alt+p", "toggle_private", "Private", show=False, priority=True, id="chat.private",
            title="Toggle private chat", tooltip="Keep this chat off the server (store: false, always replayed) or not",
        ),
        Binding("tab", "app.focus_next", "Next pane", show=False, id="chat.next-pane"),
        Binding("shift+tab", "app.focus_previous", "Previous pane", show=False, id="chat.previous-pane"),
        # Reading and navigation (issue 16): keys that reach the app in tmux, GNOME Terminal and macOS Terminal.
        Command(
            "f5", "focus_transcript", "Transcript", show=False, priority=True, id="chat.transcript",
            title="Go to transcript", tooltip="Move to the transcript (its keys: p/n, ←/→, c, k, r, s, v, w)",
        ),
        Command(
            "pageup", "page_transcript(-1)", "Page up", show=False, priority=True, id="chat.page-up",
            title="Scroll transcript up", tooltip="Scroll the transcript up a page (from the composer)",
        ),
        Command(
            "pagedown", "page_transcript(1)", "Page down", show=False, priority=True, id="chat.page-down",
            title="Scroll transcript down", tooltip="Scroll the transcript down a page (from the composer)",
        ),
        Command(
            "f9", "cycle_sidebar", "List width", show=False, priority=True, id="chat.list-width",
            title="Chat list width", tooltip="Cycle the chat list: wide, narrow, hidden",
        ),
        Command(
            "f8", "toggle_wrap", "Wrap code", show=False, priority=True, id="chat.wrap",
            title="Wrap code lines", tooltip="Wrap long code lines, or cut them at the edge",
        ),
        Command(
            "ctrl+l", "app.redraw", "Redraw", show=False, priority=True, id="app.redraw",
            title="Redraw screen", tooltip="Repaint the whole screen (after garbage from elsewhere)",
        ),
        Command(
            "alt+t,f7", "agent_tools", "Tools…", show=False, priority=True, id="chat.agent-tools",
            title="Tools for this chat", tooltip="MCP servers and local tools this conversation offers the model",
        ),
        # f6 and f7 are priority keys: Textual's TextArea (the composer) binds them to select line / all.
        Command(
            "f6", "pick_model", "Model", show=False, priority=True, id="chat.model", title="Choose model",
            tooltip="Pick a model (window, output, vision, thinking, price); the open chat moves to it",
        ),
        Command(
            "alt+i,f12", "attach_image", "Image", show=False, id="chat.image", title="Attach image",
            tooltip="Attach an image file or URL to the next message (also: /image PATH, or paste a path)",
        ),
        Command(
            "alt+s", "summarise", "Summarise", show=False, id="chat.summarise", title="Summarise into a new branch",
            tooltip="Ask for a summary of this chat and go on from it in a new branch (the old one stays)",
        ),
    ]

    app = getters.app(_qwen_app)
    composer = getters.query_one(Composer)
    pane = getters.query_one(MessagePane)
    status = getters.query_one(StatusLine)
    tools = getters.query_one(ToolPanel)
    conversations = getters.query_one(ConversationList)

    def __init__(self) -> None:
        super().__init__()
        #: Every update of the streaming turn; the status line, tool panel and live answer subscribe.
        self.turn_updates: Signal[Update] = Signal(self, "turn-updates")
        self.conversation_id: int | None = None
        self.turn: Turn | None = None
        self._code_index = 0
        self._busy = False
        self._init_lost_and_found()
        #: Conversations already warned that their context is nearly full (once each per session).
        self._meter_warned: set[int] = set()
        #: The images of the last send, given back to the composer if it fails before any answer.
        self._sent_images: list[Attachment] = []
        #: The question an edit forked from, while that edit's answer has not started (W8: a failed
        #: edit goes back into the composer as an edit of the same question).
        self._edited_from: int | None = None

    # ------------------------------------------------------------------ layout
    def compose(self) -> ComposeResult:
        # Textual sets the breakpoint classes on the first resize, after styling and laying the
        # screen out once without them: a second full restyle and layout at launch (~25 ms of CPU).
        width, height = self.app.size
        self.add_class(
            *self._get_breakpoint_classes(width, self.HORIZONTAL_BREAKPOINTS),
            *self._get_breakpoint_classes(height, self.VERTICAL_BREAKPOINTS),
        )
        settings = self.app.settings
        with Horizontal(id="main"):
            yield Sidebar(id="sidebar")
            with Vertical(id="centre"):
                yield MessagePane(id="messages")
                yield ImageChips(id="attachments", hint="(backspace removes)")
                yield Composer(id="composer", cursor_blink=False)
            yield ToolPanel(id="tools")
        yield StatusLine(
            id="status",
            model=settings.model,
            endpoint=endpoint_label(settings.region, settings.base_url, settings.demo),
            clock=self.app.clock,
        )
        yield Static(TOO_SMALL_TEXT, id="too-small", markup=False)
        yield KeyFooter(id="footer")

    def on_mount(self) -> None:
        for widget in (self.status, self.tools):
            self.turn_updates.subscribe(widget, widget.show_update, immediate=True)
        self.turn_updates.subscribe(self, self._follow_tool_activity, immediate=True)
        self._mount_lost_and_found()

    async def on_unmount(self) -> None:
        await self.save_draft_quietly()

    def on_screen_suspend(self) -> None:
        self.refresh_bindings()  # the footer, still visible under a dialog, keeps only the app's keys

    def on_screen_resume(self) -> None:
        self.refresh_bindings()

    @property
    def engine(self) -> ChatEngine | None:
        return self.app.engine

    @property
    def streaming(self) -> bool:
        """A turn is being started or is streaming (only one at a time)."""
        return self._busy

    def _require_engine(self) -> ChatEngine | None:
        if self.engine is None:
            self.notify("Still starting — try again in a moment.", severity="warning")
        return self.engine

    @on(Problem)
    def _show_problem(self, event: Problem) -> None:
        """A failure as one line: a notification and the status line note."""
        event.stop()
        self.notify(event.text, severity="error", timeout=8)
        self.status.set_fields(note=event.text)

    @on(EngineReady)
    async def _engine_ready(self, event: EngineReady) -> None:
        conversations = self.conversations
        conversations.engine = event.engine
        if self.conversation_id is None and self.app.open_at_start is not None:
            self.conversation_id, self.app.open_at_start = self.app.open_at_start, None
        with reporting(self, "Could not load the conversations"):
            await conversations.reload(keep=self.conversation_id)
            if self.conversation_id is not None:
                await self.open_conversation(self.conversation_id)

    async def stop_turn(self, timeout: float = 2.0) -> None:
        """Stop a streaming answer and wait (up to `timeout` seconds) until it is stored as cancelled."""
        turn = self.turn
        if turn is not None:
            turn.cancel()
            try:
                await asyncio.wait_for(turn.ended(), timeout)
            except TimeoutError:
                log.warning("the cancelled turn did not end within %s s", timeout)

    # ------------------------------------------------------------- conversations
    async def open_conversation(self, conversation_id: int, message_id: int | None = None) -> None:
        """Show a conversation's current branch (mounting only the newest messages) and its state."""
        engine = self.engine
        if engine is None:
            return
        messages = await engine.transcript(conversation_id)
        await self._leave_draft_for(conversation_id)  # an edit belongs to the conversation it started in
        self.conversation_id = conversation_id
        self.conversations.highlight_conversation(conversation_id)
        self._code_index = 0
        labels = await self._branch_labels(messages)
        found = await self.pane.show(messages, labels, around=message_id)
        if found is not None and self.conversations.query_text:
            await self._mark_hit(found, self.conversations.query_text)
        last_answer = next((m for m in reversed(messages) if m.role == "assistant"), None)
        self.tools.show_items(last_answer.items if last_answer else [], last_answer.usage if last_answer else None)
        self._show_tool_activity(last_answer)
        await self.refresh_status(last_answer)

    async def _mark_hit(self, found: MessageView, query: str) -> None:
        """W2: highlight the search's words in the message opened from a hit. A question shows from its top
        (the pane's scroll); in an answer, which can run for screens, its first match comes to the middle."""
        match = await found.mark_terms(query)
        if match is not None and found.message.role == "assistant":
            self.pane.call_after_refresh(self.pane.scroll_to_widget, match, animate=False, center=True)

    async def _branch_labels(self, messages: list[Message]) -> dict[int, str]:
        """ "branch 2/3" for messages that have alternatives (edits or regenerations)."""
        assert self.engine is not None
        if not messages:
            return {}
        positions = await self.engine.branch_positions(messages[0].conversation_id)
        labels: dict[int, str] = {}
        for message in messages:
            if message.id in positions:
                place, count = positions[message.id]
                labels[message.id] = f"branch {place}/{count} (alt+←/→)"
        return labels

    async def refresh_status(self, last_answer: Message | None) -> None:
        """Chain state and token counts of the open conversation."""
        status, model = self.status, self.app.settings.model
        if self.engine is None or self.conversation_id is None:
            status.private = False
            status.set_fields(model=model, turn_tokens=None, conversation_tokens=None)
            status.set_chain("new", None)
            await self._show_meter_and_cost(None, model)
            return
        conversation = await self.engine.conversation(self.conversation_id)
        state = await self.engine.chain_state(conversation)
        usage = await self.engine.conversation_usage(self.conversation_id)
        turn_tokens = last_answer.usage.total_tokens if last_answer and last_answer.usage else None
        conversation_tokens = usage.total_tokens if turn_tokens is not None else None
        # The model the next turn uses: the conversation keeps the one it has.
        status.set_fields(
            model=conversation.model or model, turn_tokens=turn_tokens, conversation_tokens=conversation_tokens
        )
        status.private = self.engine.is_private(conversation)
        status.set_chain(state.mode, state.expires_at)
        await self._show_meter_and_cost(last_answer, conversation.model or model)

    @on(ConversationList.Opened)
    async def _opened(self, event: ConversationList.Opened) -> None:
        if self.streaming:
            await self.stop_to_switch()
        with reporting(self, "Could not open the conversation"):
            await self.open_conversation(event.conversation_id, event.message_id)
        self.remove_class("-sidebar-open")
        self.composer.focus()

    # ------------------------------------------------------------------ sending
    @on(Composer.Submitted)
    def _submitted(self, event: Composer.Submitted) -> None:
        composer = event.composer
        if self.streaming:
            self._queue(event.text)
            return
        if composer.editing_message_id is not None:
            self.start_turn("edit", event.text, composer.editing_message_id)
        else:
            self.start_turn("send", event.text)

    def start_turn(self, kind: TurnKind, text: str | None = None, message_id: int | None = None) -> None:
        """Send, edit-and-fork or regenerate; the answer streams in the "stream" worker."""
        self._busy = True
        self._stream_turn(kind, text, message_id)

    @work(group="stream", exclusive=True, exit_on_error=False)
    async def _stream_turn(self, kind: TurnKind, text: str | None, message_id: int | None) -> None:
        try:
            with reporting(self, "The answer could not be shown"):
                await self._run_turn(kind, text, message_id)
        finally:
            self._busy = False
            self._send_queued()

    async def _run_turn(self, kind: TurnKind, text: str | None, message_id: int | None) -> None:
        """Start the turn, stream it through a `TurnFeed`, then refresh what the finished turn changed."""
        engine = await self.app.wait_for_engine()
        composer = self.composer
        if engine is None:
            if text is not None and kind != "regenerate":
                composer.restore(text)
            self.post_message(Problem("Not sent: the chat engine is not running (see the message above)."))
            return
        self._edited_from = None
        try:
            created = self.conversation_id is None
            if created:
                self.conversation_id = (await engine.new_conversation()).id
            assert self.conversation_id is not None
            await self._catch_up(sending=True)
            if kind == "send":
                assert text is not None
                images, self._sent_images = composer.images, composer.images
                turn = await engine.send(self.conversation_id, text, images=images, discard_if_unsent=True)
                if images:
                    composer.set_images([])  # sent with this message; a send that fails gives them back
            elif kind == "edit":
                assert text is not None and message_id is not None
                turn = await engine.edit(self.conversation_id, message_id, text, discard_if_unsent=True)
                self._edited_from = message_id
            elif kind == "summarise":
                turn = await engine.summarise(self.conversation_id)
            else:
                assert message_id is not None
                turn = await engine.regenerate(self.conversation_id, message_id, discard_if_unsent=True)
        except Exception as exc:  # nothing was sent; the text goes back into the composer
            log.exception("could not start a turn")
            if text is not None and kind != "regenerate":
                composer.restore(text)
            self.post_message(Problem(f"Not sent: {exc}"))
            return
        self.turn = turn
        status = self.status
        with self.app.batch_update():  # one layout and one frame for all of it
            if created:  # list it now, titled from the first message
                await self.conversations.reload(keep=self.conversation_id)
            if kind != "regenerate":
                composer.stop_editing()
            self.tools.clear()
            self._show_tool_activity(None)
            status.start()
        feed = TurnFeed(
            turn, kind=kind, text=text, message_id=message_id, engine=engine, pane=self.pane,
            updates=self.turn_updates, model=status.model, clock=self.app.clock,
        )
        try:
            finished = await feed.stream()
        finally:
            self.turn = None
            status.stop()
        if finished is None:
            return
        if finished.discarded:
            await self._discarded(finished)
            return
        with self.app.batch_update():  # the final answer, status, tools, list and labels: one frame
            await feed.finish(finished)
            with reporting(self, "Could not refresh the conversation list"):
                await self._after_turn(finished.message)

    async def _after_turn(self, answer: Message) -> None:
        """Refresh what a finished turn changed: list order and title, branch labels, chain and tokens."""
        if self.engine is None or self.conversation_id is None:
            return
        await self.conversations.reload(keep=self.conversation_id)
        labels = await self._branch_labels([v.message for v in self.pane.views])
        for view in self.pane.views:
            view.set_branch_label(labels.get(view.message.id, ""))
        await self.refresh_status(answer)

    # ------------------------------------------------------------------ actions
    def action_stop(self) -> None:
        """Escape: stop a streaming answer (keeping it), else leave edit mode, else back to the composer."""
        if self._take_back_queued():
            return
        if self.turn is not None:
            self.turn.cancel()
            return
        composer = self.composer
        if composer.editing_message_id is not None:
            composer.cancel_editing()
            return
        self.pane.set_selected(None)
        self.remove_class("-sidebar-open", "-tools-open")
        composer.focus()

    async def action_new_conversation(self) -> None:
        if self.streaming:
            await self.stop_to_switch()
        await self._leave_draft_for(None)
        self.conversation_id = None
        await self.pane.show([])
        self.tools.clear()
        self._show_tool_activity(None)
        await self.refresh_status(None)
        self.composer.focus()

    def action_search(self) -> None:
        self._show_sidebar()
        self.query_one("#search", Input).focus()

    def action_focus_list(self) -> None:
        self._show_sidebar()
        self.conversations.focus()

    def action_focus_composer(self) -> None:
        self.composer.focus()

    def _show_sidebar(self) -> None:
        self.remove_class("-sidebar-closed")
        if self.has_class("-narrow"):
            self.remove_class("-tools-open")
            self.add_class("-sidebar-open")

    def action_toggle_sidebar(self) -> None:
        self._toggle_panel("sidebar", "tools")

    def action_toggle_tools(self) -> None:
        self._toggle_panel("tools", "sidebar")

    def _toggle_panel(self, panel: str, other: str) -> None:
        """Show or hide a side panel. Narrow: one side panel at a time; hidden by default are opened."""
        if self.has_class("-narrow"):
            self.remove_class(f"-{other}-open")
            self.toggle_class(f"-{panel}-open")
        elif self.has_class("-wide") and panel == "tools":
            self._toggle_wide_tools()
        elif self.has_class("-medium") and panel == "tools":
            self.toggle_class("-tools-open")
        else:
            self.toggle_class(f"-{panel}-closed")

    def action_select_message(self, delta: int) -> None:
        if self.pane.select(delta) is None:
            self.notify("No messages yet.")

    def action_regenerate(self) -> None:
        if self.streaming or self._require_engine() is None:
            return
        view = self.pane.target("assistant")
        if view is None:
            self.notify("There is no answer to regenerate yet.")
            return
        self.start_turn("regenerate", None, view.message.id)

    def action_edit_message(self) -> None:
        """Put the selected (or last) question in the composer; Enter then forks a new branch."""
        if self.streaming:
            return
        view = self.pane.target("user")
        if view is None:
            self.notify("There is no message of yours to edit yet.")
            return
        self.composer.start_editing(view.message.id, view.message.content)
        self.composer.focus()

    async def action_branch(self, step: int) -> None:
        """Switch the selected (or newest forked) message to its previous/next alternative."""
        engine, pane = self.engine, self.pane
        if self.streaming or engine is None or self.conversation_id is None:
            return
        candidates = [pane.selected] if pane.selected else list(reversed(pane.views))
        with reporting(self, "Could not switch branches"):
            for view in candidates:
                if view is None:
                    continue
                siblings = await engine.siblings(view.message.id)
                if len(siblings) > 1:
                    index = next(i for i, s in enumerate(siblings) if s.id == view.message.id)
                    target = siblings[(index + step) % len(siblings)]
                    await engine.switch_branch(self.conversation_id, target.id)
                    await self.open_conversation(self.conversation_id, target.id)
                    return
        self.notify("No other branches here. ctrl+o edits a question, ctrl+r regenerates an answer.")

    def action_copy_answer(self) -> None:
        view = self.pane.target("assistant")
        if view is None or not view.message.content:
            self.notify("No answer to copy yet.")
            return
        self.app.copy_to_clipboard(view.message.content)
        self.notify(f"Copied the answer ({len(view.message.content)} characters).", title="Copied")

    def action_copy_code(self) -> None:
        """Copy the last code block; pressing again copies the one before it."""
        view = self.pane.target("assistant")
        blocks = view.code_blocks() if view is not None else []
        if not blocks:
            self.notify("No code block in this answer.")
            return
        index = len(blocks) - 1 - (self._code_index % len(blocks))
        self._code_index += 1
        self.app.copy_to_clipboard(blocks[index])
        self.notify(f"Copied code block {index + 1} of {len(blocks)}.", title="Copied")

    def action_toggle_reasoning(self) -> None:
        view = self.pane.target("assistant")
        box = view.query(Collapsible).first() if view is not None and view.query(Collapsible) else None
        if box is None:
            self.notify("This answer has no reasoning.")
            return
        # Opening it scrolls it into view (Collapsible does); stop following the end so that sticks.
        self.pane.release_anchor()
        box.collapsed = not box.collapsed

    def _list_or_current(self) -> int | None:
        conversations = self.conversations
        if conversations.has_focus and conversations.highlighted_conversation_id is not None:
            return conversations.highlighted_conversation_id
        return self.conversation_id

    def action_rename_conversation(self) -> None:
        from tui.app.screens import TextPrompt

        conversation_id = self._list_or_current()
        if conversation_id is None or self._require_engine() is None:
            return

        async def rename(title: str | None) -> None:
            if title and self.engine is not None:
                with reporting(self, "Could not rename"):
                    updated = await self.engine.rename(conversation_id, title)
                    self.conversations.update_conversation(updated)
                    if self.conversations.query_text:  # search results show titles too: search again
                        await self.conversations.reload()

        def ask(known: Conversation | None) -> None:
            self.app.push_screen(TextPrompt("New title", known.title if known else ""), rename)

        self._with_conversation(conversation_id, ask)

    async def action_pin_conversation(self) -> None:
        conversation_id = self._list_or_current()
        engine = self._require_engine()
        if conversation_id is None or engine is None:
            return
        with reporting(self, "Could not pin"):
            current = await engine.conversation(conversation_id)
            await engine.set_pinned(conversation_id, not current.pinned)
            await self.conversations.reload(keep=conversation_id)
            self.notify("Pinned." if not current.pinned else "Unpinned.")

    def action_delete_conversation(self) -> None:
        from tui.app.screens import Confirm

        conversation_id = self._list_or_current()
        if conversation_id is None or self._require_engine() is None:
            return
        if self.streaming and conversation_id == self.conversation_id:
            self.notify(STREAMING_NOTE, severity="warning")
            return

        def ask(known: Conversation | None) -> None:
            title = one_line(known.title, 40) if known else "this conversation"

            def delete(yes: bool | None) -> None:
                if yes and self.engine is not None:
                    self._delete_everywhere(conversation_id, title)

            self.app.push_screen(Confirm(f"Delete “{title}” and all its messages?"), delete)

        self._with_conversation(conversation_id, ask)

    def _with_conversation(self, conversation_id: int, then: Callable[[Conversation | None], None]) -> None:
        """Call `then` with the conversation a list or search row names: at once when the list has paged it
        in, else once read from the store (W10: a search hit can be beyond the loaded pages)."""
        known = self.conversations.conversations.get(conversation_id)
        if known is not None or self.engine is None:
            then(known)
        else:
            self._read_conversation(conversation_id, then)

    @work(group="read-conversation", exit_on_error=False)
    async def _read_conversation(self, conversation_id: int, then: Callable[[Conversation | None], None]) -> None:
        conversation = None
        if self.engine is not None:
            with reporting(self, "Could not read the conversation"):
                conversation = await self.engine.conversation(conversation_id)
        then(conversation)

    @work(group="delete", exit_on_error=False)
    async def _delete_everywhere(self, conversation_id: int, title: str) -> None:
        """Delete here, then its stored responses on the server (best effort: up to 5 s if it is unreachable),
        off the UI path; one notice says what happened on the server."""
        assert self.engine is not None
        with reporting(self, "Could not delete"):
            cleanup = await self.engine.delete(conversation_id)
            if conversation_id == self.conversation_id:
                await self.action_new_conversation()
            await self.conversations.reload()
            self.notify(f"Deleted “{title}”; {cleanup.summary()}.")

    async def settings_changed(self, model_moved: bool) -> None:
        """The person saved settings: show the new model and endpoint; the open chat moves to the new model."""
        settings = self.app.settings
        self.status.set_fields(
            model=settings.model, endpoint=endpoint_label(settings.region, settings.base_url, settings.demo)
        )
        if model_moved and self.engine is not None and self.conversation_id is not None:
            with reporting(self, "Could not move the conversation to the new model"):
                await self.engine.set_model(self.conversation_id, settings.model)  # the next turn uses it

    async def action_toggle_private(self) -> None:
        """Make the open chat private (nothing kept on the server, every turn replayed) or not."""
        if self.streaming:
            self.notify(STREAMING_NOTE, severity="warning")
            return
        engine = self._require_engine()
        if engine is None:
            return
        if self.conversation_id is None:
            key = self._key_for("chat.private")
            self.notify(f"Send the first message, then {key} makes this chat private (F2 sets it for new chats).")
            return
        with reporting(self, "Could not change privacy"):
            conversation = await engine.conversation(self.conversation_id)
            private = not engine.is_private(conversation)
            await engine.set_private(self.conversation_id, private)
            last = next((v.message for v in reversed(self.pane.views) if v.message.role == "assistant"), None)
            await self.refresh_status(last)
            self.notify("Private: nothing of this chat is kept on the server." if private else "No longer private.")

    # ------------------------------------------------- reading (issue 16)
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """No chat key acts while the terminal is too small (only quitting and help do). PageUp/PageDown
        scroll the transcript only from the composer; elsewhere the focused widget has them."""
        if self._tiny:
            return False
        if action == "page_transcript":
            return isinstance(self.focused, Composer)
        return True

    async def stop_to_switch(self) -> None:
        """New chat or another chat while an answer streams: stop it (kept, as cancelled) and say so."""
        await self.stop_turn()
        for _ in range(200):  # the turn's worker stores and shows the stopped answer, then lets go
            if not self._busy:
                break
            await asyncio.sleep(0.01)
        self.notify("The answer was stopped; its partial text is kept (ctrl+r in that chat asks again).")

    def _toggle_wide_tools(self) -> None:
        """120+ columns: hide the tool panel if it shows (with activity or asked for), else show it."""
        if self.tools.display:
            self.remove_class("-tools-open")
            self.add_class("-tools-closed")
        else:
            self.remove_class("-tools-closed")
            self.add_class("-tools-open")

    def _follow_tool_activity(self, update: Update) -> None:
        """The tool panel shows at 120+ columns once the streaming answer calls a tool."""
        if isinstance(update, ToolCallUpdated):
            self.add_class("-tools-active")

    def _show_tool_activity(self, answer: Message | None) -> None:
        """The tool panel shows at 120+ columns while the shown answer has tool calls."""
        active = answer is not None and any(item.type not in ("reasoning", "message") for item in answer.items)
        self.set_class(active, "-tools-active")

    def action_focus_transcript(self) -> None:
        self.pane.focus()

    def action_page_transcript(self, step: int) -> None:
        pane = self.pane
        if step < 0:
            pane.action_page_up()
        else:
            pane.action_page_down()

    def action_cycle_sidebar(self) -> None:
        """Wide list, narrow list, no list (then wide again): the answer column gets the room."""
        if self.has_class("-sidebar-closed") or (self.has_class("-narrow") and not self.has_class("-sidebar-open")):
            self.remove_class("-sidebar-closed", "-sidebar-slim")
            self._show_sidebar()
        elif not self.has_class("-sidebar-slim"):
            self.add_class("-sidebar-slim")
        else:
            self.remove_class("-sidebar-slim", "-sidebar-open")
            self.add_class("-sidebar-closed")

    def action_toggle_wrap(self) -> None:
        self.toggle_class("-cut-code")
        self.notify("Code lines are cut at the edge." if self.has_class("-cut-code") else "Long code lines wrap.")

    # ------------------------------------------------ export and import (issue 16)
    def action_export_conversation(self, fmt: str) -> None:
        """Ask where, then write the open conversation as Markdown ("md") or JSON ("json")."""
        from tui.app.screens import TextPrompt
        from tui.app.transfer import default_path, export_conversation

        conversation_id = self._list_or_current()
        if conversation_id is None:
            self.notify("Open a conversation to export first.")
            return
        kind: Literal["md", "json"] = "json" if fmt == "json" else "md"

        async def write(path: str | None) -> None:
            if path and self.engine is not None:
                with reporting(self, "Not exported"):
                    self.notify(await export_conversation(self.engine, conversation_id, kind, path.strip()))

        title = f"Export as {'JSON' if kind == 'json' else 'Markdown'} to"
        self.app.push_screen(TextPrompt(title, default_path(conversation_id, kind)), write)

    def action_import_conversation(self) -> None:
        """Ask for a JSON export's path, import it as a new conversation and open it."""
        from tui.app.screens import TextPrompt
        from tui.app.transfer import import_conversation

        async def read(path: str | None) -> None:
            if path and self.engine is not None:
                with reporting(self, "Not imported"):
                    conversation_id, note = await import_conversation(self.engine, path.strip())
                    await self.conversations.reload(keep=conversation_id)
                    await self._opened(ConversationList.Opened(conversation_id))
                    self.notify(note)

        self.app.push_screen(TextPrompt("Import a qwen-tui JSON export from", ""), read)

    def commands(self) -> list[Command]:
        """Every palette command of this screen, the conversation list's included (all run on the screen)."""
        return [b for b in (*self.BINDINGS, *ConversationList.BINDINGS) if isinstance(b, Command)]

    # ------------------------------------------------------------- agent tools
    @on(events.Mount)
    def _ask_before_local_tools(self) -> None:
        """A local function runs only once the person allows it in the consent dialog (unset, all are denied)."""
        self.app.engine_host.ask_with(self._ask_consent)

    async def _ask_consent(self, request: FunctionRequest) -> Decision:
        from tui.app.screens.consent import ask_consent

        return await ask_consent(self.app, request)

    async def action_agent_tools(self) -> None:
        """The Tools dialog for the open conversation (a new one is made on saving if none is open)."""
        from tui.app.screens.tools_dialog import ToolOption, ToolsDialog
        from tui.chat.functions import function_specs

        engine = self._require_engine()
        if engine is None:
            return
        agent = engine.settings.agent
        title, mcp, functions, always = "New chat", [], list(agent.local_tools), []
        with reporting(self, "Could not read the conversation's tools"):
            if self.conversation_id is not None:
                conversation = await engine.conversation(self.conversation_id)
                title, mcp = conversation.title, engine.mcp_enabled(conversation)
                functions = engine.functions_enabled(conversation)
                always = [str(name) for name in conversation.options.get("allowed_functions") or []]
        servers = [ToolOption(s.label, f"{s.protocol} · {s.url}", s.label in mcp) for s in agent.mcp]
        specs = function_specs(agent.functions)
        locals_ = [
            ToolOption(name, ("always allowed · " if name in always else "") + spec.description, name in functions)
            for name, spec in specs.items()
        ]
        root = agent.root or "the folder qwen-tui was started in"
        dialog = ToolsDialog(title, servers, locals_, root, engine.mcp_tools, always=always)
        self.app.push_screen(dialog, self._save_agent_tools)

    async def _save_agent_tools(self, choice: ToolsChoice | None) -> None:
        engine = self.engine
        if choice is None or engine is None:
            return
        with reporting(self, "Could not change the tools"):
            if self.conversation_id is None:
                self.conversation_id = (await engine.new_conversation()).id
                await self.conversations.reload(keep=self.conversation_id)
            await engine.set_mcp(self.conversation_id, choice.mcp)
            await engine.set_functions(self.conversation_id, choice.functions)
            if choice.forget_always:
                await engine.set_options(self.conversation_id, allowed_functions=None)
            chosen = [*choice.mcp, *choice.functions]
            self.notify(f"This chat offers: {', '.join(chosen)}." if chosen else "This chat offers no extra tools.")

    # ------------------------------------------- nothing lost (issue 13, app side)
    # Drafts kept per conversation, a queue for Enter while an answer streams, the "too small"
    # notice holding input, failed sends given back, and other processes' writes noticed.

    def _init_lost_and_found(self) -> None:
        #: A message sent while an answer streamed: it goes when that answer ends (Escape takes it back).
        self._queued: str | None = None
        #: The conversation the composer's text is the draft of (`_UNLOADED` until one was loaded).
        self._draft_key: int | None | object = _UNLOADED
        self._saved_draft: tuple[int | None | object, str] = (_UNLOADED, "")
        self._data_version: int | None = None
        #: Where the focus was when the terminal became too small (it goes back there after).
        self._focus_before_tiny: Widget | None = None
        self._tiny = False

    def _mount_lost_and_found(self) -> None:
        #: Kept: quitting reads the draft after the screen's widgets are gone from the DOM.
        self._composer = self.composer
        self.query_one("#centre").mount(QueuedLine(id="queued"), before=self._composer)
        # One cheap timer (a PRAGMA and a string comparison a second) for both.
        self.set_interval(WATCH_SECONDS, self._watch, name="drafts and other processes")

    # -- the queue (D3, W9)
    def _queue(self, text: str) -> None:
        """Enter while an answer streams: hold `text` until it ends (a second one joins it on a new line)."""
        self._queued = text if self._queued is None else f"{self._queued}\n{text}"
        self.query_one(QueuedLine).show_queued(self._queued)

    def _take_back_queued(self) -> bool:
        """Escape: the queued message goes back into the composer, ahead of anything typed since."""
        if self._queued is None:
            return False
        text, self._queued = self._queued, None
        self.query_one(QueuedLine).show_queued(None)
        self.composer.restore(text)
        self.composer.focus()
        return True

    def _send_queued(self) -> None:
        """The answer ended: send the queued message (back into the composer if the answer did not complete)."""
        text, self._queued = self._queued, None
        if text is None or not self.is_attached:
            return
        self.query_one(QueuedLine).show_queued(None)
        last = self.pane.messages[-1] if self.pane.messages else None
        if last is not None and last.status != "complete":
            self.composer.restore(text)
            self.notify("The answer did not complete, so the queued message is back in the composer.")
            return
        self.start_turn("send", text)

    # -- failed before any answer (W8)
    async def _discarded(self, finished: TurnFinished) -> None:
        """Nothing of the answer came: the store dropped the turn; show that and give the question back."""
        if finished.conversation_removed:
            self.conversation_id = None
            self._draft_key = None
            await self.pane.show([])
        elif self.conversation_id is not None:
            await self.open_conversation(self.conversation_id)
        # A message queued meanwhile comes back too, after the failed one (it was written later).
        self._take_back_queued()
        edited_from, self._edited_from = self._edited_from, None
        if finished.unsent_text and edited_from is not None:
            self.composer.start_editing(edited_from, finished.unsent_text)  # the draft is put aside again
        elif finished.unsent_text:
            self.composer.restore(finished.unsent_text)
        if self._sent_images and not self.composer.images:
            self.composer.set_images(self._sent_images)
        self._sent_images = []
        with reporting(self, "Could not refresh the conversation list"):
            await self.conversations.reload(keep=self.conversation_id)
        error = finished.error or "the request failed"
        advice = advice_for(error)  # quota, billing, content, unknown model: what to do instead of retrying
        # The advice first: the line is cut at 200 characters, and the error's details (code, request id) can be long.
        self.post_message(Problem(f"Not sent: {advice[:1].upper()}{advice[1:]}. {error}" if advice else f"Not sent: {error}"))

    # -- drafts (D3)
    def _draft_text(self) -> str:
        """What must survive a quit: the queued message, and the draft (the one put aside while editing)."""
        composer = self._composer
        draft = composer.set_aside if composer.editing_message_id is not None else composer.text
        return "\n".join(part for part in (self._queued, draft) if part)

    async def _leave_draft_for(self, conversation_id: int | None) -> None:
        """Switching conversations: keep the draft of the one left, show the draft of `conversation_id`."""
        composer = self.composer
        composer.cancel_editing()
        engine = self.engine
        if engine is None or (conversation_id == self._draft_key and self._draft_key is not _UNLOADED):
            return
        with reporting(self, "Could not keep the draft"):
            if self._draft_key is not _UNLOADED:
                await self.save_draft()
            draft = await engine.draft(conversation_id)
            if self._draft_key is not _UNLOADED or not composer.text:
                composer.load_text(draft)
                composer.move_cursor(composer.document.end)
            self._draft_key = conversation_id
            self._saved_draft = (conversation_id, draft)

    async def save_draft(self) -> None:
        """Store the composer's draft for its conversation (at once; also on a timer and when quitting)."""
        engine, key = self.engine, self._draft_key
        if engine is None or key is _UNLOADED or engine.store.read_only:
            return
        assert key is None or isinstance(key, int)
        text = self._draft_text()
        if self._saved_draft != (key, text):
            await engine.save_draft(key, text)
            self._saved_draft = (key, text)

    async def save_draft_quietly(self) -> None:
        """Quitting: store the draft as it is now (a failure is logged; the last timer's copy stays)."""
        try:
            await self.save_draft()
        except Exception:
            log.exception("could not keep the draft")

    async def _keep_draft(self) -> None:
        """Every few seconds: load the first draft once the engine is up, then store the draft as it changes."""
        if self.engine is None:
            return
        with reporting(self, "Could not keep the draft"):
            if self._draft_key is _UNLOADED:
                if self.conversation_id is None and not self._busy:
                    await self._leave_draft_for(None)
                return
            if self._draft_key != self.conversation_id and not self._busy:
                # Sending from a new conversation created it: its draft was sent, the new slot is empty.
                if self._draft_key is None:
                    await self.engine.save_draft(None, "")
                self._draft_key = self.conversation_id
            await self.save_draft()

    # -- other processes (W11)
    async def _watch(self) -> None:
        await self._keep_draft()
        with reporting(self, "Could not refresh from the database"):
            await self._catch_up()

    async def _catch_up(self, *, sending: bool = False) -> None:
        """Show what another process wrote (new turns, chats) since we last looked; cheap when nothing did.

        Also run just before sending (`sending`), so a turn is never sent on a stale view.
        """
        engine = self.engine
        if engine is None or (self._busy and not sending):
            return
        version = await engine.data_version()
        if version == self._data_version:
            return
        first, self._data_version = self._data_version is None, version
        if first:
            return
        await self.conversations.reload(keep=self.conversation_id)
        conversation_id = self.conversation_id
        if conversation_id is None or self.composer.editing_message_id is not None:
            return
        try:
            stored = await engine.transcript(conversation_id)
        except Exception:  # deleted elsewhere: start afresh instead of sending into nothing
            self.conversation_id, self._draft_key = None, None
            await self.pane.show([])
            self.notify("This conversation was deleted in another qwen-tui.", severity="warning")
            return
        shown = [(m.id, m.status, len(m.content)) for m in self.pane.messages]
        if shown != [(m.id, m.status, len(m.content)) for m in stored]:
            await self.open_conversation(conversation_id)

    # -- the "too small" notice (D2, W7)
    @on(events.Resize)
    def _hold_input_while_tiny(self, event: events.Resize) -> None:
        """While the notice shows nothing has focus, so keys go nowhere; the focus comes back after."""
        tiny = event.size.width < MIN_WIDTH or event.size.height < MIN_HEIGHT
        if tiny and not self._tiny:
            self._tiny = True
            self._focus_before_tiny = self.focused
            self.set_focus(None)
        elif not tiny and self._tiny:
            self._tiny = False
            widget, self._focus_before_tiny = self._focus_before_tiny or self.composer, None
            self.call_after_refresh(widget.focus)



    # ------------------------------------------------------------ models, images, context and cost
    def _key_for(self, binding_id: str) -> str:
        """The key (as remapped in `[keys]`) that runs the binding `binding_id` of this screen."""
        binding = next(b for b in self.BINDINGS if isinstance(b, Binding) and b.id == binding_id)
        return self.app.get_key_display(live_key(binding, self.app.settings.keys))

    async def _show_meter_and_cost(self, last_answer: Message | None, model: str) -> None:
        """The context meter, the estimated cost (last turn and whole chat) and the endpoint of `model`'s turns;
        the first time a chat passes 80% of its window, say what that means and what to do."""
        engine, conversation_id, status = self.engine, self.conversation_id, self.status
        if engine is None:
            return
        api = engine.api_for(model)
        if conversation_id is None:
            status.set_fields(api=api, meter=None, turn_cost=None, conversation_cost=None)
            return
        meter = await engine.context_meter(conversation_id)
        priced = last_answer is not None and last_answer.usage is not None
        turn_cost = engine.turn_cost(last_answer) if last_answer is not None and priced else None
        total = await engine.conversation_cost(conversation_id) if priced else None
        status.set_fields(api=api, meter=meter, turn_cost=turn_cost, conversation_cost=total)
        if meter is not None and meter.warn and conversation_id not in self._meter_warned:
            self._meter_warned.add(conversation_id)
            self.notify(
                f"This chat fills {meter.share:.0%} of {meter.model}'s window; above 80% the service drops the "
                f"oldest turns without saying so. {self._key_for('chat.summarise')} summarises it into a new branch.",
                severity="warning", timeout=10,
            )

    def action_pick_model(self) -> None:
        from tui.app.screens.model_picker import picker_for

        self.app.push_screen(picker_for(self.app, self.status.model), self._model_chosen)

    async def _model_chosen(self, name: str | None) -> None:
        """Move the open chat (and new ones, this session) to `name`, as `--model` does; F2 saves a default."""
        if not name or name == self.status.model:
            return
        self.app.settings = self.app.settings.model_copy(update={"model": name})
        engine = self.engine
        if engine is not None:
            engine.settings = replace(engine.settings, model=name)
        await self.settings_changed(model_moved=True)
        last_answer = next((m for m in reversed(self.pane.messages) if m.role == "assistant"), None)
        with reporting(self, "Could not show the new model's state"):
            await self.refresh_status(last_answer)
        where = "This chat and new ones use" if self.conversation_id is not None else "New chats use"
        self.notify(f"{where} {name} ({self._key_for('app.settings')} saves it as the default).", title="Model")

    def action_attach_image(self) -> None:
        from tui.app.screens.image_prompt import ImagePrompt

        def attach(source: str | None) -> None:
            sources, _ = image_lines(f"{IMAGE_COMMAND} {source}") if source else ([], None)
            if sources:
                self.post_message(Composer.AttachRequested(self.composer, sources))

        self.app.push_screen(ImagePrompt(), attach)

    @on(Composer.AttachRequested)
    def _attach_requested(self, event: Composer.AttachRequested) -> None:
        self._attach_images(event.sources, event.text, event.original)

    @work(group="attach", exit_on_error=False)
    async def _attach_images(self, sources: list[str], text: str | None, original: str | None) -> None:
        """Read and check the images in worker threads (`attach`), then show them as chips; a model that
        cannot see images is named before any file is read. Then send `text`, if it came with them."""
        from tui.chat.errors import EngineError
        from tui.chat.images import attach

        composer = self.composer
        engine = await self.app.wait_for_engine()
        try:
            if engine is None:
                raise EngineError("the chat engine is not running (see the message above)")
            engine.check_vision(self.status.model)
            attachments = [await attach(source) for source in sources]
        except EngineError as exc:
            if original is not None:
                composer.restore(original)
            self.post_message(Problem(f"Not attached: {exc}"))
            return
        composer.set_images([*composer.images, *attachments])
        if text is not None:
            composer.post_message(Composer.Submitted(composer, text))

    @on(Composer.ImagesChanged)
    def _images_changed(self, event: Composer.ImagesChanged) -> None:
        self.query_one("#attachments", ImageChips).show_images(image.ref for image in event.composer.images)

    def action_summarise(self) -> None:
        """Ask the model for a summary of this chat; it seeds a new branch (alt+←/→ goes back to the old one)."""
        if self.streaming or self._require_engine() is None:
            return
        if self.conversation_id is None or not self.pane.messages:
            self.notify("There is nothing to summarise yet.")
            return
        self.start_turn("summarise")


#: Sentinel: no draft loaded into the composer yet.
_UNLOADED = object()
#: Below this size the chat is replaced by the "too small" notice (the -tiny/-short breakpoints).
MIN_WIDTH, MIN_HEIGHT = 60, 16
#: How often the draft is stored and the database checked for other processes' writes.
WATCH_SECONDS = 1.0
