"""The chat engine: turns a person's message into a request and a stream into a stored turn (no Textual)."""

from __future__ import annotations

from tui.chat.chain import ChainState
from tui.chat.engine import ChatEngine, EngineSettings, title_from
from tui.chat.errors import EngineError
from tui.chat.factory import engine_settings, open_engine
from tui.chat.turn import Turn

__all__ = ["ChainState", "ChatEngine", "EngineError", "EngineSettings", "Turn", "engine_settings", "open_engine", "title_from"]
