"""The full-screen Textual app. `run_app(settings)` is what `qwen-tui` calls; Textual is imported only then."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tui.config import Settings

__all__ = ["run_app"]


def run_app(settings: Settings) -> int:
    """Run the app until the person quits; returns the exit status.

    With no key, the app opens on the first-run screen; choosing the demo there restarts it
    against a simulator on a free loopback port, with the demo database.
    """
    from tui import collector
    from tui.app.app import START_DEMO, QwenApp

    # Textual and the widgets are imported now; full collections still run (and every few seconds
    # while an answer streams).
    collector.start_after_imports()
    app = QwenApp(settings)
    result = app.run()
    if result != START_DEMO:
        return app.return_code or 0

    from tui.config import demo_settings
    from tui.sim import SimServer

    with SimServer(port=0) as server:
        app = QwenApp(demo_settings(settings, server.base_url))
        app.run()
    return app.return_code or 0
