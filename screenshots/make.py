"""Make the README pictures from the real app in demo mode (the built-in simulator), SVG and PNG.

    .venv/bin/python screenshots/make.py

Each picture is the app's own `export_screenshot()` after driving it with the keyboard through
`run_test`; PNGs are converted with `rsvg-convert` (Debian: librsvg2-bin) when it is installed.
"""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from pydantic import SecretStr  # noqa: E402

from tui.app.app import QwenApp  # noqa: E402
from tui.app.widgets.conversation_list import ConversationList  # noqa: E402
from tui.app.widgets.message_pane import MessagePane  # noqa: E402
from tui.config import Settings  # noqa: E402
from tui.sim import SimServer  # noqa: E402

SIZES = ((120, 40), (80, 24))
QUESTIONS = (
    "Tell me about the giant panda",
    "Explain SQLite full text search",
)
TOOL_QUESTION = "Search the web for Textual streaming and count the words"


async def until(condition: Callable[[], bool], pilot, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise RuntimeError("the app did not get there in time")
        await pilot.pause(0.05)


async def send(pilot, text: str) -> None:
    app = pilot.app
    count = len(app.query_one(MessagePane).views)
    await pilot.press(*text, "enter")
    await until(lambda: len(app.query_one(MessagePane).views) >= count + 2 and not app.chat.streaming, pilot)


def save(app: QwenApp, name: str) -> Path:
    """Write `name`.svg (and .png); rsvg needs xml:space="preserve" to keep leading spaces."""
    svg = HERE / f"{name}.svg"
    svg.write_text(app.export_screenshot(title="qwen-tui --demo"), encoding="utf-8")
    if shutil.which("rsvg-convert"):
        text = svg.read_text(encoding="utf-8").replace("<svg ", '<svg xml:space="preserve" ', 1)
        with tempfile.NamedTemporaryFile("w", suffix=".svg", delete=False, encoding="utf-8") as fixed:
            fixed.write(text)
        subprocess.run(["rsvg-convert", fixed.name, "-o", str(svg.with_suffix(".png"))], check=True)
        Path(fixed.name).unlink()
    print(f"wrote {svg.relative_to(HERE.parent)}")
    return svg


async def shoot(settings: Settings, size: tuple[int, int], scenes: Callable[[object], Awaitable[None]]) -> None:
    app = QwenApp(settings)
    async with app.run_test(size=size) as pilot:
        await app.wait_for_engine()
        await scenes(pilot)


async def main() -> None:
    with tempfile.TemporaryDirectory(prefix="qwen-tui-shots-") as tmp, SimServer(port=0) as sim:
        settings = Settings(
            api_key=SecretStr("sk-demo-not-a-real-key"),
            base_url=sim.base_url,
            demo=True,
            db_path=Path(tmp) / "demo.db",
            config_path=Path(tmp) / "config.toml",
            tools=["web_search", "code_interpreter"],
            thinking=True,
        )

        async def fill(pilot) -> None:
            for question in QUESTIONS:
                await pilot.press("ctrl+n")
                await send(pilot, question)
            await pilot.press("ctrl+n")
            await send(pilot, TOOL_QUESTION)

        await shoot(settings, SIZES[0], fill)

        for width, height in SIZES:
            narrow = width < 100

            async def scenes(pilot, narrow: bool = narrow, tag: str = f"{width}x{height}") -> None:
                app = pilot.app
                conversations = app.query_one(ConversationList)
                await until(lambda: len(conversations.options) == 3, pilot)
                await app.chat.open_conversation(next(iter(conversations.conversations)))  # the newest
                await pilot.pause()  # opened and laid out, so the keys below act on the shown answer
                for key in ("alt+r", *(("ctrl+t",) if narrow else ())):
                    await pilot.press(key)
                    await pilot.pause(0.1)
                await pilot.pause(0.2)
                save(app, f"chat-{tag}")
                await pilot.press("escape", "ctrl+f", *"panda")
                await until(lambda: conversations.query_text == "panda", pilot)
                await app.workers.wait_for_complete()
                await pilot.pause(0.2)
                save(app, f"search-{tag}")
                await pilot.press("escape", "f1")
                await pilot.pause(0.2)
                save(app, f"help-{tag}")
                await pilot.press("escape", "f2")
                await pilot.pause(0.2)
                save(app, f"settings-{tag}")
                await pilot.press("escape")

            await shoot(settings, (width, height), scenes)

        # A stream in progress, and the first-run screen (no key, no --demo).
        slow = SimServer(port=0, speed=25, long_answer=400).start()
        try:
            streaming = settings.model_copy(update={"base_url": slow.base_url, "tools": [], "thinking": False})

            async def mid_stream(pilot) -> None:
                app = pilot.app
                await pilot.press("ctrl+n", *"Write a long answer about streaming", "enter")
                await until(lambda: len(app.query_one(MessagePane).views) == 2, pilot)
                await pilot.pause(3.0)
                save(app, "streaming-120x40")
                app.chat.turn.cancel()
                await until(lambda: not app.chat.streaming, pilot)

            await shoot(streaming, (120, 40), mid_stream)
        finally:
            slow.stop()

        first_run = QwenApp(Settings(db_path=Path(tmp) / "none.db", config_path=Path(tmp) / "c.toml"))
        async with first_run.run_test(size=(80, 24)) as pilot:
            await pilot.pause(0.2)
            save(first_run, "first-run-80x24")


if __name__ == "__main__":
    asyncio.run(main())
