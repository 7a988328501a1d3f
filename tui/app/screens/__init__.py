"""The app's screens, declared in one place and imported on first use (keeps launch light).

`ChatScreen` is the default screen; the others are pushed over it: first run, help, settings
and small dialogs.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tui.app.screens.chat import ChatScreen
    from tui.app.screens.dialogs import Confirm, TextPrompt
    from tui.app.screens.first_run import FirstRunScreen
    from tui.app.screens.help import HelpScreen
    from tui.app.screens.settings import SettingsChoice, SettingsScreen

#: Name -> module under `tui.app.screens` that defines it.
_MODULES = {
    "ChatScreen": "chat",
    "Confirm": "dialogs",
    "TextPrompt": "dialogs",
    "FirstRunScreen": "first_run",
    "HelpScreen": "help",
    "SettingsChoice": "settings",
    "SettingsScreen": "settings",
}

__all__ = sorted(_MODULES)


def __getattr__(name: str) -> Any:
    module = _MODULES.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f"{__name__}.{module}"), name)
