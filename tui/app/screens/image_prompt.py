"""`ImagePrompt`: asks for the path (or http(s) URL) of an image to attach to the next message."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Label

from tui.app.screens.dialogs import TextPrompt
from tui.app.widgets.steady_input import SteadyInput


class ImagePrompt(TextPrompt):
    """One line: a file path (~ works; quotes are taken off) or a URL; Enter attaches, Escape cancels."""

    def __init__(self) -> None:
        super().__init__("Attach an image: file path or https URL")

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box"):
            yield Label(self.question, markup=False)
            yield SteadyInput(self.value, id="answer", compact=True, placeholder="~/Pictures/photo.png")
            yield Label(
                "Enter attaches · Escape cancels · JPEG, PNG, WEBP, BMP, TIFF or HEIC up to 7.5 MB",
                classes="dialog-hint", markup=False,
            )
