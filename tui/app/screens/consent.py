"""The consent dialog: the exact local function call the model asks for; allow once, always, or deny.

`ask_consent` is the engine's `consent` callback in the app: it pushes the dialog and waits for the
answer. Everything shown comes from the model, so it is made inert first (`tui.text_safety`).
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

from textual import on
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.widgets import Button, Label, Static

from tui.app.screens.dialogs import Dialog
from tui.chat.functions import Decision, FunctionRequest
from tui.text_safety import escaped, one_line

#: Keys and buttons are ignored this long after the dialog opens, so a person still typing in the
#: composer when it pops up cannot answer it by accident (Escape, which denies, always works).
ARM_SECONDS = 0.4
BUTTONS: dict[str, Decision] = {"once": "once", "always": "always", "deny": "deny"}


def pretty_arguments(arguments: str) -> str:
    """The model's JSON arguments indented for reading, every control and bidi character written as an
    escape (`\\u001b`, `\\x9b`, `\\u202e`): the person sees exactly what the tool gets, and nothing acts."""
    try:
        parsed = json.loads(arguments or "{}")
    except ValueError:  # not JSON: shown as it came (the tool will refuse it)
        return escaped(arguments)
    return escaped(json.dumps(parsed, indent=2, ensure_ascii=False))


class ConsentDialog(Dialog[Decision]):
    """One call: its tool, description and arguments; y allows once, a always in this chat, n or Escape denies."""

    DEFAULT_CSS = """
    ConsentDialog > #consent-box {
        width: 76;
        border: round $warning;
        & #consent-tool { margin: 1 0 0 0; }
        & #consent-arguments {
            height: auto;
            max-height: 12;
            background: $boost;
            padding: 0 1;
        }
        & .dialog-hint { margin: 1 0 0 0; }
    }
    """

    BINDINGS = [
        Binding("y", "decide('once')", "Allow once", id="consent.once"),
        Binding("a", "decide('always')", "Always in this chat", id="consent.always"),
        Binding("n", "decide('deny')", "Deny", id="consent.deny"),
        Binding("escape", "deny", "Deny", id="consent.escape"),
    ]

    def __init__(self, request: FunctionRequest) -> None:
        super().__init__()
        self.request = request
        self._opened = time.monotonic()

    def compose(self) -> ComposeResult:
        request = self.request
        with Vertical(classes="dialog-box", id="consent-box"):
            yield Label("Allow this tool call?", classes="dialog-title")
            tool = Content.assemble(
                "The model wants to run ", (one_line(request.name, 60), "bold"), ":\n", one_line(request.description, 300)
            )
            yield Static(tool, id="consent-tool", markup=False)
            yield Label("Arguments", classes="dialog-hint")
            with VerticalScroll(id="consent-arguments", can_focus=False):
                yield Static(pretty_arguments(request.arguments), id="consent-json", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button("Allow once (y)", id="once", variant="primary", compact=True)
                yield Button("Always in this chat (a)", id="always", compact=True)
                yield Button("Deny (n, esc)", id="deny", variant="error", compact=True)
            yield Label("Nothing runs until you answer. It would run with your rights.", classes="dialog-hint")

    def on_mount(self) -> None:
        self._opened = time.monotonic()
        self.query_one("#deny", Button).focus()  # Enter typed for the composer must not allow anything

    def action_decide(self, decision: Decision) -> None:
        if time.monotonic() - self._opened < ARM_SECONDS:
            self.app.bell()  # a key meant for the composer: ignored
            return
        self.dismiss(decision)

    def action_deny(self) -> None:
        self.dismiss("deny")

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        event.stop()
        decision = BUTTONS.get(event.button.id or "")
        if decision is not None:
            self.action_decide(decision)


async def ask_consent(app: App[Any], request: FunctionRequest) -> Decision:
    """Show the dialog and wait for the person's answer. A turn cancelled meanwhile (Escape is the
    dialog's, so: quitting, or another stop) takes the dialog away; the call is then not run."""
    answer: asyncio.Future[Decision] = asyncio.get_running_loop().create_future()
    dialog = ConsentDialog(request)
    answered = False

    def settle(decision: Decision | None) -> None:
        nonlocal answered
        answered = True
        if not answer.done():  # a cancelled wait has cancelled the future too
            answer.set_result(decision or "deny")

    app.push_screen(dialog, settle)
    try:
        return await answer
    finally:
        if not answered and app.screen is dialog:
            dialog.dismiss("deny")
