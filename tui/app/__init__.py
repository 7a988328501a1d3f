"""The full-screen Textual app. `run_app(settings)` is what `qwen-tui` calls; Textual is imported only then."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tui.config import Settings

__all__ = ["run_app"]


def run_app(settings: Settings) -> int:
    """Run the app until the person quits; returns the exit status."""
    from tui.app.app import QwenApp

    app = QwenApp(settings)
    app.run()
    return app.return_code or 0
