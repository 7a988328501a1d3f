"""Image attach bench: the longest event-loop stall while a 5 MB image is attached, stored and sent.

Runs the engine as the app does (one asyncio loop) against `qwen-tui sim` in its own process (the
service is remote, so its JSON parsing must not share our GIL), with a ticker that sleeps 1 ms and
records how late it wakes. Phases: reading and checking the file (`attach`), storing it and building
the request (`send` until the turn starts), streaming the answer. For scale, the same loop's stall while
reading and base64-encoding the file directly on the loop (what a naive client would do) is printed
as a ratio. The issue's bar: no stall above 50 ms.

    .venv/bin/python bench/image_attach.py [--mb 5] [--runs 3]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import hashlib
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from tui.api.client import ResponsesClient
from tui.chat.engine import ChatEngine, EngineSettings
from tui.chat.images import attach
from tui.chat.updates import TurnFinished, TurnStarted
from tui.store import Store

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "chat"))
from image_files import png_bytes


class StallMeter:
    """A task that sleeps 1 ms at a time and keeps the worst lateness seen since the last `take()`."""

    def __init__(self) -> None:
        self.worst = 0.0
        self._task: asyncio.Task[None] | None = None

    async def _run(self) -> None:
        while True:
            start = time.perf_counter()
            await asyncio.sleep(0.001)
            self.worst = max(self.worst, time.perf_counter() - start - 0.001)

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run())

    def take(self) -> float:
        worst, self.worst = self.worst, 0.0
        return worst * 1000

    def stop(self) -> None:
        assert self._task is not None
        self._task.cancel()


def start_sim() -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen([sys.executable, "-m", "tui", "sim"], stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    return process, process.stdout.readline().strip()


async def one_run(image: Path, base_url: str, folder: Path) -> dict[str, float]:
    meter = StallMeter()
    store = await Store.open(folder / f"bench-{time.monotonic_ns()}.db")
    client = ResponsesClient(base_url, "sk-bench")
    engine = ChatEngine(store, client, settings=EngineSettings(model="qwen3.5-plus", endpoint=base_url))
    figures: dict[str, float] = {}
    try:
        conversation = await engine.new_conversation()
        meter.start()
        await asyncio.sleep(0.2)
        figures["idle"] = meter.take()
        # Baseline: a text-only turn in the same process (the first one also pays one-off model
        # builds and imports, which are not the image's doing).
        await (await engine.send(conversation.id, "warm up")).wait()
        meter.take()
        await (await engine.send(conversation.id, "Tell me about rust")).wait()
        figures["baseline: a text-only turn"] = meter.take()
        attachment = await attach(image)
        figures["attach (read, hash, check)"] = meter.take()
        turn = await engine.send(conversation.id, "What is in this picture?", images=[attachment])
        updates = aiter(turn)
        first = await anext(updates)
        assert isinstance(first, TurnStarted)
        figures["store and build request"] = meter.take()
        last = first
        async for update in updates:
            last = update
        assert isinstance(last, TurnFinished) and last.status == "complete", last
        assert "I received 1 image" in last.message.content
        figures["send and stream the answer"] = meter.take()
        started = time.perf_counter()
        data = image.read_bytes()  # the naive way, on the loop, for scale
        hashlib.sha256(data).hexdigest()
        base64.b64encode(data)
        figures["naive: read, hash, base64 on the loop"] = (time.perf_counter() - started) * 1000
    finally:
        meter.stop()
        await client.aclose()
        await store.close()
    return figures


def measure(one_run: Callable[[Path, str, Path], Awaitable[dict[str, float]]], description: str,
            image_name: str) -> list[dict[str, float]]:
    """Parse --mb/--runs, make the image, run `one_run` against a fresh simulator that many times, and
    print each phase's worst stall; returns every run's figures (shared by the app-level bench)."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--mb", type=float, default=5.0, help="image size in MB (default 5)")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    sim, base_url = start_sim()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            image = folder / image_name
            # Random padding would be more realistic for compression, but base64 and hashing cost the same.
            image.write_bytes(png_bytes(800, 600, padding=int(args.mb * 1_000_000)))
            print(f"image {image.stat().st_size / 1e6:.1f} MB, {args.runs} runs, worst stall per phase (ms):")
            results = [asyncio.run(one_run(image, base_url, folder)) for _ in range(args.runs)]
    finally:
        sim.terminate()
        sim.wait(5)
    for phase in results[0]:
        values = [run[phase] for run in results]
        print(f"  {phase:<40} max {max(values):7.1f}   runs: {', '.join(f'{v:.1f}' for v in values)}")
    return results


def main() -> None:
    results = measure(one_run, __doc__.splitlines()[0], "big.png")
    worst = max(max(v for k, v in run.items() if not k.startswith(("naive", "baseline"))) for run in results)
    baseline = max(run["baseline: a text-only turn"] for run in results)
    naive = max(run["naive: read, hash, base64 on the loop"] for run in results)
    print(f"longest event-loop stall while attaching and sending: {worst:.1f} ms (bar: 50 ms); "
          f"{worst / baseline:.1f}x a text-only turn's ({baseline:.1f} ms); "
          f"reading and encoding on the loop would block {naive:.1f} ms")


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    main()
