"""The chat engine: turns a person's message into a request and a stream into a stored turn (no Textual)."""

from __future__ import annotations

import sys

# httpx's optional command line (`httpx._main`, pulling in click and rich/pygments) is imported by
# `httpx/__init__` whenever click is installed; nothing here uses it, and skipping it saves ~35 ms
# of every launch. httpx then defines its stub `main` instead. (Before the first `import httpx`.)
sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]

from tui.chat.chain import ChainState
from tui.chat.engine import ChatEngine, EngineSettings, title_from
from tui.chat.errors import EngineError
from tui.chat.factory import engine_settings, open_engine
from tui.chat.turn import Turn

__all__ = ["ChainState", "ChatEngine", "EngineError", "EngineSettings", "Turn", "engine_settings", "open_engine", "title_from"]
