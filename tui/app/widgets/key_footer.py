"""A `Footer` that rebuilds its keys only when the keys it shows change, not on every focus move."""

from __future__ import annotations

from typing import Any

from textual.screen import Screen
from textual.widgets import Footer


class KeyFooter(Footer):
    """`Footer` skipping the rebuild (dozens of widgets restyled) when the shown keys are unchanged."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._shown: tuple[object, ...] | None = None

    def _keys(self, screen: Screen[Any]) -> tuple[object, ...]:
        """What the footer would show: each shown binding (and the palette key) with its display and state."""
        palette = self.app.COMMAND_PALETTE_BINDING
        return tuple(
            (key, self.app.get_key_display(binding), binding.description, binding.action, binding.group, enabled, tooltip)
            for key, (_node, binding, enabled, tooltip) in screen.active_bindings.items()
            if binding.show or key == palette
        )

    def bindings_changed(self, screen: Screen[Any]) -> None:
        # The parent rebuilds only while the app has focus and for its own screen; remember what it
        # showed then, so a later call for the same keys is a no-op.
        if not (screen.app.app_focus and self.is_attached and screen is self.screen):
            super().bindings_changed(screen)
            return
        keys = self._keys(screen)
        if keys == self._shown:
            return
        self._shown = keys
        super().bindings_changed(screen)
