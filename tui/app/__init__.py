"""The full-screen Textual app. `run_app(settings)` is what `qwen-tui` calls; Textual is imported only then."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tui.config import Settings

__all__ = ["START_DEMO", "run_app"]

#: What `run_app` returns when the person chose the demo on the first-run screen (not an exit status).
START_DEMO = -1


def run_app(settings: Settings, open_conversation: int | None = None) -> int:
    """Run the app until the person quits; returns the exit status, or `START_DEMO`.

    `open_conversation` (from `qwen-tui -c`) is shown as soon as the history is loaded.

    With no key, the app opens on the first-run screen; choosing the demo there ends it with
    `START_DEMO`, and the CLI starts it again against the simulator.
    """
    from tui import collector
    from tui.app.app import QwenApp

    # Textual and the widgets are imported now; full collections still run (and every few seconds
    # while an answer streams).
    collector.start_after_imports()
    app = QwenApp(settings, open_conversation=open_conversation)
    result = app.run()
    if result == START_DEMO:
        return START_DEMO
    return app.return_code or 0
