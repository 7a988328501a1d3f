"""Modal dialogs: the shared `Dialog` look, and two small ones: ask for a line of text, or confirm."""

from __future__ import annotations

from textual import on
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen, ScreenResultType
from textual.widgets import Button, Input, Label

from tui.app.widgets.steady_input import SteadyInput


class Dialog(ModalScreen[ScreenResultType]):
    """A box centred over the dimmed chat; subclasses put their content in a `.dialog-box`."""

    DEFAULT_CSS = """
    Dialog {
        align: center middle;
        background: $background 60%;
    }
    .dialog-box {
        width: 72;
        max-width: 100%;
        height: auto;
        max-height: 90%;
        border: round $accent;
        padding: 0 1;
        background: $surface;
    }
    .dialog-hint {
        color: $text-muted;
    }
    .dialog-title { text-style: bold; color: $text; }
    .dialog-buttons {
        height: auto;
        margin: 1 0 0 0;
        & Button { margin: 0 2 0 0; }
    }
    """


class TextPrompt(Dialog[str | None]):
    """Ask for one line (e.g. a new title); Enter accepts, Escape cancels."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="prompt.cancel")]

    def __init__(self, question: str, value: str = "") -> None:
        super().__init__()
        self.question = question
        self.value = value

    def compose(self):
        with Vertical(classes="dialog-box"):
            yield Label(self.question, markup=False)
            yield SteadyInput(self.value, id="answer", compact=True)
            yield Label("Enter to save · Escape to cancel", classes="dialog-hint")

    @on(Input.Submitted)
    def _accept(self, event: Input.Submitted) -> None:
        self.dismiss(event.value.strip() or None)

    def action_cancel(self) -> None:
        self.dismiss(None)


class Confirm(Dialog[bool]):
    """A yes/no question; y or Enter on "Yes" confirms, n or Escape declines."""

    BINDINGS = [
        Binding("escape,n", "answer(False)", "No", id="confirm.no"),
        Binding("y", "answer(True)", "Yes", id="confirm.yes"),
    ]

    def __init__(self, question: str) -> None:
        super().__init__()
        self.question = question

    def compose(self):
        with Vertical(classes="dialog-box"):
            yield Label(self.question, markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button("Yes (y)", id="yes", variant="error", compact=True)
                yield Button("No (n)", id="no", compact=True)

    def on_mount(self) -> None:
        self.query_one("#no", Button).focus()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)
