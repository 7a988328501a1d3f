"""`QwenApp`: the chat screen wired to the engine; streaming happens in one exclusive async worker."""

from __future__ import annotations

import asyncio
import gc
import logging
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractAsyncContextManager, AsyncExitStack, contextmanager
from typing import TYPE_CHECKING, Any, Literal

from textual import on, work
from textual.app import App
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Input, Static

from tui.app.formatting import endpoint_label
from tui.app.sent_spans import SpanSkippingApp
from tui.app.widgets.composer import Composer
from tui.app.widgets.conversation_list import ConversationList, Sidebar
from tui.app.widgets.key_footer import KeyFooter
from tui.app.widgets.message_pane import WINDOW, MessagePane
from tui.app.widgets.message_view import MessageView
from tui.app.widgets.status_line import StatusLine
from tui.app.widgets.tool_panel import ToolPanel
from tui.chat.updates import (
    ChainFallback,
    ReasoningDelta,
    ResponseCreated,
    Retrying,
    TextDelta,
    ToolCallUpdated,
    TurnFinished,
    TurnStarted,
    UsageUpdated,
)
from tui.store.models import Message
from tui.text_safety import one_line

if TYPE_CHECKING:
    from tui.chat.engine import ChatEngine
    from tui.chat.turn import Turn
    from tui.config import Settings

log = logging.getLogger("tui.app")

EngineFactory = Callable[["Settings"], AbstractAsyncContextManager["ChatEngine"]]
TurnKind = Literal["send", "edit", "regenerate"]

#: While an answer streams, a full garbage collection this often (~20 ms each; see `_run_turn`).
FULL_COLLECTION_SECONDS = 5.0
#: Exit result asking `run_app` to restart the app against the built-in simulator.
START_DEMO = -1

TOO_SMALL_TEXT = "The terminal is too small for qwen-tui.\nMake it at least 60×16, or press ctrl+q to quit."


def _qwen_commands() -> type:
    """The palette provider, imported when the palette first opens (keeps launch light)."""
    from tui.app.commands import QwenCommands

    return QwenCommands


def _collect_garbage() -> None:
    """`gc.collect` for a Textual timer (which cannot inspect a built-in function's signature)."""
    gc.collect()


class QwenApp(SpanSkippingApp[int]):
    """The full-screen chat client; build it with an engine factory and clock for tests."""

    CSS_PATH = "qwen.tcss"
    TITLE = "qwen-tui"
    ESCAPE_TO_MINIMIZE = False
    COMMANDS = App.COMMANDS | {lambda: _qwen_commands()}
    HORIZONTAL_BREAKPOINTS = [(0, "-tiny"), (60, "-narrow"), (100, "-medium"), (120, "-wide")]
    VERTICAL_BREAKPOINTS = [(0, "-short"), (16, "-tall")]
    BINDING_GROUP_TITLE = "Chat"
    BINDINGS = [
        Binding(
            "escape", "stop", "Stop", id="app.stop",
            tooltip="Stop the streaming answer (kept), leave edit mode, or back to the composer",
        ),
        Binding(
            "ctrl+n", "new_conversation", "New", priority=True, id="app.new",
            tooltip="Start a new conversation",
        ),
        Binding(
            "ctrl+f", "search", "Search", priority=True, id="app.search",
            tooltip="Search all conversations (full text)",
        ),
        Binding(
            "ctrl+l", "focus_list", "Chats list", show=False, priority=True, id="app.list",
            tooltip="Move to the conversation list",
        ),
        Binding(
            "ctrl+g", "focus_composer", "Composer", show=False, priority=True, id="app.composer",
            tooltip="Move to the composer",
        ),
        Binding(
            "ctrl+r", "regenerate", "Regenerate", show=False, priority=True, id="app.regenerate",
            tooltip="Ask again for the selected or last answer (new branch)",
        ),
        Binding(
            "ctrl+o", "edit_message", "Edit & fork", show=False, priority=True, id="app.edit",
            tooltip="Edit the selected or last question; Enter forks a branch",
        ),
        Binding(
            "alt+up", "select_message(-1)", "Previous message", show=False, priority=True, id="app.select-up",
            tooltip="Select the previous message",
        ),
        Binding(
            "alt+down", "select_message(1)", "Next message", show=False, priority=True, id="app.select-down",
            tooltip="Select the next message",
        ),
        Binding(
            "alt+left", "branch(-1)", "Previous branch", show=False, priority=True, id="app.branch-prev",
            tooltip="Previous alternative of the selected or newest forked message",
        ),
        Binding(
            "alt+right", "branch(1)", "Next branch", show=False, priority=True, id="app.branch-next",
            tooltip="Next alternative of the selected or newest forked message",
        ),
        Binding(
            "alt+c", "copy_answer", "Copy answer", show=False, priority=True, id="app.copy",
            tooltip="Copy the selected or last answer (OSC 52)",
        ),
        Binding(
            "alt+k", "copy_code", "Copy code", show=False, priority=True, id="app.copy-code",
            tooltip="Copy a code block of that answer; again for the one before",
        ),
        Binding(
            "alt+r", "toggle_reasoning", "Reasoning", show=False, priority=True, id="app.reasoning",
            tooltip="Show or hide the reasoning of that answer",
        ),
        Binding(
            "ctrl+b", "toggle_sidebar", "Chats", priority=True, id="app.sidebar",
            tooltip="Show or hide the conversation list",
        ),
        Binding(
            "ctrl+t", "toggle_tools", "Tools", priority=True, id="app.tools",
            tooltip="Show or hide the tool-activity panel",
        ),
        Binding("f1", "help", "Help", tooltip="This help", id="app.help"),
        Binding(
            "f2", "settings", "Settings", id="app.settings",
            tooltip="Model, region, tools, thinking, system prompt, theme",
        ),
    ]
    #: Actions that only make sense on the chat screen (blocked, and hidden from the footer, elsewhere).
    CHAT_ACTIONS = frozenset(
        binding.action.split("(")[0] for binding in BINDINGS if binding.action not in ("help",)
    ) | {"rename_conversation", "pin_conversation", "delete_conversation"}

    def __init__(
        self,
        settings: Settings,
        *,
        engine_factory: EngineFactory | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__()
        self.settings = settings
        self.engine_factory = engine_factory or self._default_engine_factory
        self.clock = clock
        self.engine: ChatEngine | None = None
        self.conversation_id: int | None = None
        self.turn: Turn | None = None
        self._exit_stack: AsyncExitStack | None = None
        #: Set once opening the engine finished (whether or not it worked), so early sends can wait.
        self._engine_settled = asyncio.Event()
        self._code_index = 0
        self._busy = False
        if settings.theme and settings.theme in self.available_themes:
            self.theme = settings.theme

    def _default_engine_factory(self, settings: Settings) -> AbstractAsyncContextManager[ChatEngine]:
        """`tui.chat.open_engine` on the app's clock, imported only when an engine is really opened."""
        from tui.chat.factory import open_engine

        return open_engine(settings, clock=self.clock)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Chat actions work only on the chat screen, not under a dialog or the first-run screen."""
        if action in self.CHAT_ACTIONS and len(self.screen_stack) > 1:
            return False
        return True

    # ------------------------------------------------------------------ layout
    @property
    def needs_first_run(self) -> bool:
        return self.settings.api_key is None and not self.settings.demo

    def compose(self):
        # Textual sets the breakpoint classes on the first resize, after styling and laying the
        # screen out once without them: a second full restyle and layout at launch (~25 ms of CPU).
        screen, (width, height) = self.screen, self.size
        screen.add_class(
            *screen._get_breakpoint_classes(width, self.HORIZONTAL_BREAKPOINTS),
            *screen._get_breakpoint_classes(height, self.VERTICAL_BREAKPOINTS),
        )
        with Horizontal(id="main"):
            yield Sidebar(id="sidebar")
            with Vertical(id="centre"):
                yield MessagePane(id="messages")
                yield Composer(id="composer", cursor_blink=False)
            yield ToolPanel(id="tools")
        yield StatusLine(
            id="status",
            model=self.settings.model,
            endpoint=endpoint_label(self.settings.region, self.settings.base_url, self.settings.demo),
            clock=self.clock,
        )
        yield Static(TOO_SMALL_TEXT, id="too-small", markup=False)
        yield KeyFooter(id="footer")

    def on_mount(self) -> None:
        self.query_one(Composer).focus()
        if self.needs_first_run:
            from tui.app.screens.first_run import FirstRunScreen

            self.push_screen(FirstRunScreen(self.settings.key_problem))
        else:
            self._open_engine()

    async def on_unmount(self) -> None:
        """Quitting mid-answer stops it (stored as cancelled) before the store closes."""
        turn = self.turn
        if turn is not None:
            turn.cancel()
            for _ in range(100):
                if turn.done:
                    break
                await asyncio.sleep(0.02)
        await self._close_engine()

    # ------------------------------------------------------------------ engine
    @work(group="engine", exclusive=True, exit_on_error=False)
    async def _open_engine(self) -> None:
        """Open store and client after the first frame, so launch is not held up by I/O."""
        self._engine_settled.clear()
        await self._close_engine()
        stack = AsyncExitStack()
        try:
            self.engine = await stack.enter_async_context(self.engine_factory(self.settings))
        except Exception as exc:  # one line for the person; the details go to the log
            log.exception("could not open the engine")
            await stack.aclose()
            self._problem(f"Cannot start: {exc}")
            return
        finally:
            self._engine_settled.set()
        self._exit_stack = stack
        conversations = self.query_one(ConversationList)
        conversations.engine = self.engine
        with self.reporting("Could not load the conversations"):
            await conversations.reload(keep=self.conversation_id)
            if self.conversation_id is not None:
                await self.open_conversation(self.conversation_id)

    async def _close_engine(self) -> None:
        stack, self._exit_stack, self.engine = self._exit_stack, None, None
        if stack is not None:
            await stack.aclose()

    def _require_engine(self) -> ChatEngine | None:
        if self.engine is None:
            self.notify("Still starting — try again in a moment.", severity="warning")
        return self.engine

    async def wait_for_engine(self) -> ChatEngine | None:
        """The engine once opening it has settled (None if it could not be opened)."""
        await self._engine_settled.wait()
        return self.engine

    @contextmanager
    def reporting(self, what: str) -> Iterator[None]:
        """Turn any failure inside into one line for the person (details to the log), never a crash."""
        try:
            yield
        except Exception as exc:
            log.exception("%s failed", what)
            self._problem(f"{what}: {exc}")

    def _problem(self, text: str) -> None:
        """Show a failure as one line: a notification and the status line note."""
        line = one_line(text, 200)
        self.notify(line, severity="error", timeout=8)
        self.query_one(StatusLine).set_fields(note=line)

    # ------------------------------------------------------------- conversations
    @property
    def pane(self) -> MessagePane:
        return self.query_one(MessagePane)

    @property
    def streaming(self) -> bool:
        """A turn is being started or is streaming (only one at a time)."""
        return self._busy

    async def open_conversation(self, conversation_id: int, message_id: int | None = None) -> None:
        """Show a conversation's current branch (mounting only the newest messages) and its state."""
        engine = self.engine
        if engine is None:
            return
        messages = await engine.transcript(conversation_id)
        self.conversation_id = conversation_id
        self.query_one(Composer).stop_editing()  # an edit belongs to the conversation it started in
        self.query_one(ConversationList).highlight_conversation(conversation_id)
        self._code_index = 0
        labels = await self._branch_labels(messages[-WINDOW:])
        await self.pane.show(messages, labels)
        if message_id is not None:
            for view in self.pane.views:
                if view.message.id == message_id:
                    self.pane.set_selected(view)
        last_answer = next((m for m in reversed(messages) if m.role == "assistant"), None)
        tools = self.query_one(ToolPanel)
        tools.show_items(last_answer.items if last_answer else [], last_answer.usage if last_answer else None)
        await self._refresh_status(last_answer)

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

    async def _refresh_status(self, last_answer: Message | None) -> None:
        """Chain state and token counts of the open conversation."""
        status = self.query_one(StatusLine)
        if self.engine is None or self.conversation_id is None:
            status.set_fields(model=self.settings.model, turn_tokens=None, conversation_tokens=None)
            status.set_chain("new", None)
            return
        conversation = await self.engine.conversation(self.conversation_id)
        state = await self.engine.chain_state(conversation)
        usage = await self.engine.conversation_usage(self.conversation_id)
        turn_tokens = last_answer.usage.total_tokens if last_answer and last_answer.usage else None
        conversation_tokens = usage.total_tokens if turn_tokens is not None else None
        # The model the next turn uses: the conversation keeps the one it has.
        model = conversation.model or self.settings.model
        status.set_fields(model=model, turn_tokens=turn_tokens, conversation_tokens=conversation_tokens)
        status.set_chain(state.mode, state.expires_at)

    @on(ConversationList.Opened)
    async def _opened(self, event: ConversationList.Opened) -> None:
        if self.streaming:
            self.notify("An answer is streaming — press Escape to stop it first.", severity="warning")
            return
        with self.reporting("Could not open the conversation"):
            await self.open_conversation(event.conversation_id, event.message_id)
        self.screen.remove_class("-sidebar-open")
        self.query_one(Composer).focus()

    # ------------------------------------------------------------------ sending
    @on(Composer.Submitted)
    def _submitted(self, event: Composer.Submitted) -> None:
        composer = event.composer
        if self.streaming:
            composer.restore(event.text)
            self.notify("An answer is still streaming — press Escape to stop it.", severity="warning")
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
            with self.reporting("The answer could not be shown"):
                await self._run_turn(kind, text, message_id)
        finally:
            self._busy = False

    async def _run_turn(self, kind: TurnKind, text: str | None, message_id: int | None) -> None:
        """Start the turn, then feed its updates to the widgets until `TurnFinished`."""
        engine = await self.wait_for_engine()
        composer = self.query_one(Composer)
        if engine is None:
            if text is not None and kind != "regenerate":
                composer.restore(text)
            self._problem("Not sent: the chat engine is not running (see the message above).")
            return
        status = self.query_one(StatusLine)
        try:
            created = self.conversation_id is None
            if created:
                conversation = await engine.new_conversation()
                self.conversation_id = conversation.id
            if kind == "send":
                assert text is not None
                turn = await engine.send(self.conversation_id, text)
            elif kind == "edit":
                assert text is not None and message_id is not None
                turn = await engine.edit(self.conversation_id, message_id, text)
            else:
                assert message_id is not None
                turn = await engine.regenerate(self.conversation_id, message_id)
        except Exception as exc:  # nothing was sent; the text goes back into the composer
            log.exception("could not start a turn")
            if text is not None and kind != "regenerate":
                composer.restore(text)
            self._problem(f"Not sent: {exc}")
            return
        self.turn = turn
        with self.batch_update():  # one layout and one frame for all of it
            if created:  # list it now, titled from the first message
                await self.query_one(ConversationList).reload(keep=self.conversation_id)
            if kind != "regenerate":
                composer.stop_editing()
            self.query_one(ToolPanel).clear()
            status.start()
        view: MessageView | None = None
        finished: TurnFinished | None = None
        fallback_note = ""
        # Repaints leave reference cycles that the raised GC thresholds (tui.collector) leave to a full
        # collection, which rarely comes: a 60 s answer grew the app from 58 to 119 MB without this.
        collector = self.set_interval(FULL_COLLECTION_SECONDS, _collect_garbage, name="gc while streaming")
        try:
            async for update in turn:
                if isinstance(update, TextDelta):
                    if view is not None:
                        view.add_text(update.text)
                elif isinstance(update, ReasoningDelta):
                    if view is not None:
                        view.add_reasoning(update.text)
                elif isinstance(update, ToolCallUpdated):
                    self.query_one(ToolPanel).update_call(update.call)
                elif isinstance(update, TurnStarted):
                    with self.batch_update():
                        view = await self._start_views(kind, update, text, message_id)
                elif isinstance(update, UsageUpdated):
                    self.query_one(ToolPanel).show_usage(update.usage)
                    status.set_fields(turn_tokens=update.usage.total_tokens)
                elif isinstance(update, ResponseCreated):
                    status.set_chain("chain", update.expires_at)
                elif isinstance(update, Retrying):
                    status.set_fields(note=f"retrying in {update.delay:.0f}s: {update.reason}")
                elif isinstance(update, ChainFallback):
                    fallback_note = "the server had forgotten this chat; it was replayed locally"
                    status.set_fields(note=fallback_note)
                    status.set_chain("replay", None)
                elif isinstance(update, TurnFinished):
                    finished = update
        finally:
            collector.stop()
            if finished is None:
                turn.cancel()
            self.turn = None
            status.stop()
        with self.batch_update():  # the final answer, status, tools, list and labels: one frame
            if view is not None:
                await view.end_stream(finished.message)
                self.pane.replace_message(finished.message)
            if finished.status == "complete":
                status.set_fields(note=fallback_note)  # drops e.g. a "retrying" note from before the first byte
            else:
                status.set_fields(note=f"{finished.status}: {finished.error}" if finished.error else finished.status)
            self.query_one(ToolPanel).show_items(finished.message.items, finished.message.usage)
            with self.reporting("Could not refresh the conversation list"):
                await self._after_turn(finished.message)

    async def _start_views(
        self, kind: TurnKind, started: TurnStarted, text: str | None, message_id: int | None
    ) -> MessageView:
        """Mount the question (for send/edit) and an empty answer that the stream will fill."""
        pane = self.pane
        now = self.clock()
        if kind == "edit":
            edited = next((v.message for v in pane.views if v.message.id == message_id), None)
            await pane.truncate_after(edited.parent_id if edited else None)
        elif kind == "regenerate":
            await pane.truncate_after(started.user_message_id)
        if kind != "regenerate":
            question = await self.engine.get_message(started.user_message_id) if self.engine else None
            if question is None:  # not expected: the engine committed it before the turn started
                question = Message(
                    id=started.user_message_id,
                    conversation_id=started.conversation_id,
                    parent_id=pane.messages[-1].id if pane.messages else None,
                    role="user",
                    content=text or "",
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
            model=self.query_one(StatusLine).model,  # the model of this turn (see _refresh_status)
            mode=started.mode,
        )
        view = await pane.append(answer, live=True)
        await view.begin_stream()
        return view

    async def _after_turn(self, answer: Message) -> None:
        """Refresh what a finished turn changed: list order and title, branch labels, chain and tokens."""
        if self.engine is None or self.conversation_id is None:
            return
        await self.query_one(ConversationList).reload(keep=self.conversation_id)
        labels = await self._branch_labels([v.message for v in self.pane.views])
        for view in self.pane.views:
            view.set_branch_label(labels.get(view.message.id, ""))
        await self._refresh_status(answer)

    # ------------------------------------------------------------------ actions
    def action_stop(self) -> None:
        """Escape: stop a streaming answer (keeping it), else leave edit mode, else back to the composer."""
        if self.turn is not None:
            self.turn.cancel()
            return
        composer = self.query_one(Composer)
        if composer.editing_message_id is not None:
            composer.stop_editing()
            composer.clear()
            return
        self.pane.set_selected(None)
        self.screen.remove_class("-sidebar-open", "-tools-open")
        composer.focus()

    async def action_new_conversation(self) -> None:
        if self.streaming:
            self.notify("An answer is streaming — press Escape to stop it first.", severity="warning")
            return
        self.conversation_id = None
        self.query_one(Composer).stop_editing()
        await self.pane.show([])
        self.query_one(ToolPanel).clear()
        await self._refresh_status(None)
        self.query_one(Composer).focus()

    def action_search(self) -> None:
        self._show_sidebar()
        self.query_one("#search", Input).focus()

    def action_focus_list(self) -> None:
        self._show_sidebar()
        self.query_one(ConversationList).focus()

    def action_focus_composer(self) -> None:
        self.query_one(Composer).focus()

    def _show_sidebar(self) -> None:
        self.screen.remove_class("-sidebar-closed")
        if self.screen.has_class("-narrow"):
            self.screen.remove_class("-tools-open")
            self.screen.add_class("-sidebar-open")

    def action_toggle_sidebar(self) -> None:
        self._toggle_panel("sidebar", "tools")

    def action_toggle_tools(self) -> None:
        self._toggle_panel("tools", "sidebar")

    def _toggle_panel(self, panel: str, other: str) -> None:
        """Show or hide a side panel. Narrow: one side panel at a time; hidden by default are opened."""
        screen = self.screen
        if screen.has_class("-narrow"):
            screen.remove_class(f"-{other}-open")
            screen.toggle_class(f"-{panel}-open")
        elif screen.has_class("-medium") and panel == "tools":
            screen.toggle_class("-tools-open")
        else:
            screen.toggle_class(f"-{panel}-closed")

    def action_select_message(self, delta: int) -> None:
        view = self.pane.select(delta)
        if view is None:
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
        composer = self.query_one(Composer)
        composer.start_editing(view.message.id, view.message.content)
        composer.focus()

    async def action_branch(self, step: int) -> None:
        """Switch the selected (or newest forked) message to its previous/next alternative."""
        engine = self.engine
        if self.streaming or engine is None or self.conversation_id is None:
            return
        candidates = [self.pane.selected] if self.pane.selected else list(reversed(self.pane.views))
        with self.reporting("Could not switch branches"):
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
        self.copy_to_clipboard(view.message.content)
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
        self.copy_to_clipboard(blocks[index])
        self.notify(f"Copied code block {index + 1} of {len(blocks)}.", title="Copied")

    def action_toggle_reasoning(self) -> None:
        from textual.widgets import Collapsible

        view = self.pane.target("assistant")
        boxes = view.query(Collapsible) if view is not None else []
        if not boxes:
            self.notify("This answer has no reasoning.")
            return
        box = boxes.first()
        # Opening it scrolls it into view (Collapsible does); stop following the end so that sticks.
        self.pane.release_anchor()
        box.collapsed = not box.collapsed

    def _list_or_current(self) -> int | None:
        conversations = self.query_one(ConversationList)
        if conversations.has_focus and conversations.highlighted_conversation_id is not None:
            return conversations.highlighted_conversation_id
        return self.conversation_id

    def action_rename_conversation(self) -> None:
        from tui.app.screens.dialogs import TextPrompt

        conversation_id = self._list_or_current()
        if conversation_id is None or self._require_engine() is None:
            return
        known = self.query_one(ConversationList).conversations.get(conversation_id)

        async def rename(title: str | None) -> None:
            if title and self.engine is not None:
                with self.reporting("Could not rename"):
                    updated = await self.engine.rename(conversation_id, title)
                    self.query_one(ConversationList).update_conversation(updated)

        self.push_screen(TextPrompt("New title", known.title if known else ""), rename)

    async def action_pin_conversation(self) -> None:
        conversation_id = self._list_or_current()
        engine = self._require_engine()
        if conversation_id is None or engine is None:
            return
        with self.reporting("Could not pin"):
            current = await engine.conversation(conversation_id)
            await engine.set_pinned(conversation_id, not current.pinned)
            await self.query_one(ConversationList).reload(keep=conversation_id)
            self.notify("Pinned." if not current.pinned else "Unpinned.")

    def action_delete_conversation(self) -> None:
        from tui.app.screens.dialogs import Confirm

        conversation_id = self._list_or_current()
        if conversation_id is None or self._require_engine() is None:
            return
        if self.streaming and conversation_id == self.conversation_id:
            self.notify("An answer is streaming — press Escape to stop it first.", severity="warning")
            return
        known = self.query_one(ConversationList).conversations.get(conversation_id)
        title = one_line(known.title, 40) if known else "this conversation"

        async def delete(yes: bool | None) -> None:
            if yes and self.engine is not None:
                with self.reporting("Could not delete"):
                    await self.engine.delete(conversation_id)
                    if conversation_id == self.conversation_id:
                        await self.action_new_conversation()
                    await self.query_one(ConversationList).reload()
                    self.notify(f"Deleted “{title}”.")

        self.push_screen(Confirm(f"Delete “{title}” and all its messages?"), delete)

    def action_help(self) -> None:
        from tui.app.screens.help import HelpScreen

        if isinstance(self.screen, HelpScreen):
            return
        self.push_screen(HelpScreen(self.binding_groups()))

    def binding_groups(self) -> list[tuple[str, list[Binding]]]:
        """Every binding the person can use, grouped for the help screen."""
        from tui.app.screens.first_run import FirstRunScreen

        everywhere = [
            Binding("ctrl+p", "", "Command palette (every action by name)"),
            Binding("tab", "", "Next pane"),
            Binding("shift+tab", "", "Previous pane"),
            Binding("ctrl+q", "", "Quit"),
        ]
        return [
            ("Chat", [b for b in self.BINDINGS if isinstance(b, Binding)]),
            ("Composer", list(Composer.BINDINGS)),
            ("Transcript (when focused)", list(MessagePane.BINDINGS)),
            ("Chats list (when focused)", list(ConversationList.BINDINGS)),
            ("First run", list(FirstRunScreen.BINDINGS)),
            ("Everywhere", everywhere),
        ]

    def action_settings(self) -> None:
        from tui.api.endpoints import REGIONS
        from tui.app.screens.settings import SettingsChoice, SettingsScreen

        settings = self.settings
        current = SettingsChoice(
            model=settings.model,
            region=settings.region,
            base_url=None if settings.demo else settings.base_url,
            tools=list(settings.tools),
            thinking=settings.thinking,
            system_prompt=settings.system_prompt,
            theme=self.theme,
        )
        self.push_screen(SettingsScreen(current, list(REGIONS)), self._apply_settings)

    async def _apply_settings(self, choice: Any) -> None:
        """Save the chosen settings to the config file and apply them (reopening the engine if the endpoint moved)."""
        if choice is None:
            return
        from tui.config import save_settings

        old = self.settings
        changes: dict[str, Any] = {
            "model": choice.model,
            "region": choice.region,
            "tools": choice.tools,
            "thinking": choice.thinking,
            "system_prompt": choice.system_prompt,
        }
        if choice.theme != self.theme:  # only a real change lands in the config file
            changes["theme"] = choice.theme
        if not old.demo:
            changes["base_url"] = choice.base_url
        try:
            new = old.model_copy(update=changes)
            type(old).model_validate(new.model_dump())
            path = save_settings(new)
        except Exception as exc:
            log.exception("could not save settings")
            self._problem(f"Settings not saved: {exc}")
            return
        self.settings = new
        self.theme = choice.theme
        status = self.query_one(StatusLine)
        status.set_fields(model=new.model, endpoint=endpoint_label(new.region, new.base_url, new.demo))
        if new.model != old.model and self.engine is not None and self.conversation_id is not None:
            with self.reporting("Could not move the conversation to the new model"):
                await self.engine.set_model(self.conversation_id, new.model)  # the next turn uses it
        if (new.region, new.base_url) != (old.region, old.base_url) and not self.streaming:
            self._open_engine()
        elif self.engine is not None:
            from tui.chat.factory import engine_settings

            self.engine.settings = engine_settings(new)
        self.notify(f"Saved to {path}.", title="Settings")

    def action_start_demo(self) -> None:
        """From the first-run screen: leave, asking `run_app` to come back in demo mode."""
        self.exit(START_DEMO)
