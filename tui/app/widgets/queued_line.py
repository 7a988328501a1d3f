"""`QueuedLine`: the one line above the composer that shows a message waiting for the streaming answer to end."""

from __future__ import annotations

from textual.widgets import Static

from tui.text_safety import one_line


class QueuedLine(Static):
    """Shows the queued message (one line, cut); hidden while nothing waits."""

    DEFAULT_CSS = """
    QueuedLine {
        height: 1;
        padding: 0 1;
        color: $text-muted;
        background: $boost;
        display: none;
        &.-queued { display: block; }
    }
    """

    def __init__(self, id: str | None = None) -> None:
        super().__init__("", id=id, markup=False)

    def show_queued(self, text: str | None) -> None:
        """Show `text` as waiting to be sent (None hides the line)."""
        self.set_class(text is not None, "-queued")
        if text is not None:
            # The key first: on a narrow terminal the line is cut at its end.
            self.update(f"Queued, sent when the answer ends (Escape takes it back): {one_line(text, 200)}")
