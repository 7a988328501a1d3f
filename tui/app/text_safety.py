"""The app's name for `tui.text_safety` (one implementation, which the store and the CLI share)."""

from __future__ import annotations

from tui.text_safety import one_line, strip_controls

__all__ = ["one_line", "strip_controls"]
