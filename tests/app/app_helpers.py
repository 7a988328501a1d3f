"""App test helpers: a fixed clock, settings pointing at the real simulator, and a way to fill a
real SQLite store through the real engine before the app starts."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from pydantic import SecretStr
from rich.color import Color, ColorSystem
from rich.segment import Segment
from rich.style import Style as RichStyle
from textual.filter import LineFilter

from tui.app.app import QwenApp
from tui.chat import ChatEngine, open_engine
from tui.config import Settings
from tui.sim import SimServer

#: 2026-05-28 UTC; every stored timestamp and "expires in" label derives from it.
FIXED_NOW = 1_780_000_000.0


def fixed_clock() -> float:
    return FIXED_NOW


def make_settings(tmp_path: Path, sim: SimServer | None, **changes: Any) -> Settings:
    """Settings for a test: the simulator's URL and a dummy key (or none), a db and config in tmp_path."""
    values: dict[str, Any] = {
        "db_path": tmp_path / "chats.db",
        "config_path": tmp_path / "config.toml",
    }
    if sim is not None:
        # demo: the status line says "demo simulator" rather than the random loopback port.
        values.update(api_key=SecretStr("sk-test"), base_url=sim.base_url, demo=True)
    values.update(changes)
    return Settings(**values)


def make_app(settings: Settings) -> QwenApp:
    """The real app on the fixed clock, opening the real engine (store + client) itself."""
    return QwenApp(settings, clock=fixed_clock)


async def fill(settings: Settings, script: Callable[[ChatEngine], Awaitable[Any]]) -> Any:
    """Run `script(engine)` against the real engine on the test's db before the app opens it."""
    async with open_engine(settings, clock=fixed_clock) as engine:
        return await script(engine)


def populate(settings: Settings, script: Callable[[ChatEngine], Awaitable[Any]]) -> Any:
    """`fill` for sync tests (snapshots)."""
    return asyncio.run(fill(settings, script))


async def chat(engine: ChatEngine, *texts: str, title: str | None = None) -> int:
    """A new conversation answering each text in turn; returns its id."""
    conversation = await engine.new_conversation(title=title)
    for text in texts:
        turn = await engine.send(conversation.id, text)
        await turn.wait()
    return conversation.id


async def until(condition: Callable[[], bool], pilot: Any, timeout: float = 10.0) -> None:
    """Let the app run until `condition()` holds (fails the test after `timeout` seconds)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("the app did not reach the expected state in time")
        await pilot.pause(0.02)


async def stream_in(
    view: Any, pilot: Any, chunks: list[str], every: int, after_flush: Callable[[int], None] | None = None
) -> None:
    """Feed `chunks` to a streaming `MessageView`, flushing (as its timer would) after the first and
    then every `every`-th chunk and letting the app draw; `after_flush(index)` then checks the screen."""
    for index, chunk in enumerate(chunks):
        view.add_text(chunk)
        if index % every == 0:
            await view._flush()
            await pilot.pause()
            if after_flush is not None:
                after_flush(index)


def opened(conversation_id: int, *keys: str):
    """A `run_before` that waits for the engine, opens a conversation and presses `keys`."""

    async def run_before(pilot) -> None:
        app = pilot.app
        await app.wait_for_engine()
        await app.chat.open_conversation(conversation_id)
        await pilot.pause()
        for key in keys:  # one at a time: each may scroll or re-layout the transcript
            await pilot.press(key)
            await pilot.wait_for_scheduled_animations()
            await pilot.pause()

    return run_before


class SixteenColours(LineFilter):
    """What a 16-colour terminal gets (`TEXTUAL_COLOR_SYSTEM=standard`, TERM=linux): Rich's downgrade of
    every colour to the 16 ANSI ones, applied to the screen a snapshot records (which otherwise keeps
    full colour; Rich downgrades only as it writes to a real terminal)."""

    def apply(self, segments: list[Segment], background: Color) -> list[Segment]:
        return [Segment(text, _downgraded(style), control) for text, style, control in segments]


def _downgraded(style: RichStyle | None) -> RichStyle | None:
    if style is None:
        return None
    colour = style.color.downgrade(ColorSystem.STANDARD) if style.color is not None else None
    background = style.bgcolor.downgrade(ColorSystem.STANDARD) if style.bgcolor is not None else None
    return style + RichStyle.from_color(colour, background)


def in_sixteen_colours(app: QwenApp) -> QwenApp:
    """`app`, drawing as a 16-colour terminal shows it (before Textual maps ANSI colours to its theme), and
    knowing it draws in 16 colours as `TEXTUAL_COLOR_SYSTEM=standard` (or TERM=xterm, screen) tells it."""
    app._filters.insert(0, SixteenColours())
    app.console._color_system = ColorSystem.STANDARD
    return app
