"""The footer: the keys of the focused widget and of the app, on one line of text."""

from __future__ import annotations

from typing import Any

from textual.binding import Binding
from textual.content import Content
from textual.screen import Screen
from textual.style import Style
from textual.widgets import Static


class KeyFooter(Static):
    """Textual's compact `Footer` drawn as one widget, redrawn only when the shown keys change.

    Textual's footer is a container with a widget per key, rebuilt (mounted, styled, laid out twice)
    whenever focus moves to a widget with other keys; at launch that was ~25 ms of CPU. The keys
    look the same here, one per action; the command palette's key sits at the right end. A key is
    clicked like a key press. The focused widget's keys come first; whole keys that do not fit are
    left out at the end (F1 lists them all).
    """

    ALLOW_SELECT = False
    DEFAULT_CSS = """
    KeyFooter {
        dock: bottom;
        height: 1;
        color: $footer-foreground;
        background: $footer-background;
        text-wrap: nowrap;
        & > .key-footer--key { color: $footer-key-foreground; background: $footer-key-background; text-style: bold; }
        & > .key-footer--description {
            color: $footer-description-foreground;
            background: $footer-description-background;
        }
        & > .key-footer--disabled { text-style: dim; }
        & > .key-footer--edge { color: $foreground 20%; }
    }
    """
    COMPONENT_CLASSES = {"key-footer--key", "key-footer--description", "key-footer--disabled", "key-footer--edge"}

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, markup=False)
        self.auto_links = False  # keys are clickable, but not drawn as links
        #: (key, display, description, enabled) of each key shown; the palette's key, at the right end, apart.
        self.keys: tuple[tuple[str, str, str, bool], ...] = ()
        self.palette_key: tuple[str, str, str, bool] | None = None
        #: Quit sits at the right end too, so it is shown at 80 columns as well.
        self.quit_key: tuple[str, str, str, bool] | None = None

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self.bindings_changed)

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def bindings_changed(self, screen: Screen[Any]) -> None:
        if screen is not self.screen:
            return
        palette = self.app.COMMAND_PALETTE_BINDING if self.app.ENABLE_COMMAND_PALETTE else None
        keys: dict[str, tuple[str, str, str, bool]] = {}  # by action: like Textual's, one key per action
        palette_key = quit_key = None
        # Under a dialog only the app's own keys still work (the screen's wait for it to close).
        app_ids = {b.id for b in self.app.BINDINGS if isinstance(b, Binding)} if not screen.is_active else None
        for key, (_node, binding, enabled, _tooltip) in screen.active_bindings.items():
            if app_ids is not None and binding.id not in app_ids:
                continue
            shown = (binding.key, self.app.get_key_display(binding), binding.description, enabled)
            if key == palette:
                palette_key = shown
            elif binding.id == "app.quit":
                quit_key = shown
            elif binding.show:
                keys.setdefault(binding.action, shown)
        if (tuple(keys.values()), palette_key, quit_key) != (self.keys, self.palette_key, self.quit_key):
            self.keys, self.palette_key, self.quit_key = tuple(keys.values()), palette_key, quit_key
            self.refresh()

    def _key(self, key: str, display: str, description: str, enabled: bool) -> Content:
        """One key: its display in the key style, then its description; clicking it presses it."""
        parts: list[tuple[str, str]] = [(display, ".key-footer--key")]
        if description:
            parts.append((f" {description}", ".key-footer--description"))
        content = Content.assemble(*parts)
        if not enabled:
            content = content.stylize(".key-footer--disabled")
        return content.stylize(Style.from_meta({"@click": f"press({key!r})"}))

    def render(self) -> Content:
        right = Content("")
        ends = [self._key(*shown) for shown in (self.quit_key, self.palette_key) if shown is not None]
        if ends:
            right = Content.assemble(("▏", ".key-footer--edge"), Content(" ").join(ends), " ")
        room = self.size.width - right.cell_length
        line = Content("")
        for shown in self.keys:  # whole keys only, as many as fit
            key = self._key(*shown)
            if line.cell_length + bool(line) + key.cell_length > room:
                break
            line = line + " " + key if line else key
        return line + " " * max(room - line.cell_length, 0) + right

    def action_press(self, key: str) -> None:
        shown = [*self.keys, *(end for end in (self.quit_key, self.palette_key) if end)]
        if any(k == key and not enabled for k, _, _, enabled in shown):
            self.app.bell()
        else:
            self.app.simulate_key(key)
