"""Events per second of `ResponsesClient.stream()` vs the official openai SDK on one long simulator stream.

Both consume the same answer (`--long N` text deltas, no speed limit) from the simulator over real
loopback HTTP and end up with typed, validated events. By default the simulator runs in its own
process (`python -m tui.sim`), so the figures measure the clients and not the server sharing
their GIL; `--in-process` uses `SimServer` on a thread instead.

    .venv/bin/python bench/sse_ingest.py [--long 20000] [--rounds 5] [--in-process]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager

import httpx
import openai
import pydantic

from tui.api.client import ResponsesClient
from tui.api.types import ResponseRequest

MODEL = "qwen3-max-2026-01-23"
PROMPT = "Write a long answer."
KEY = "sk-bench"


@contextmanager
def simulator(long_answer: int, in_process: bool) -> Iterator[str]:
    """A running simulator answering every request with `long_answer` deltas; yields its base URL."""
    if in_process:
        from tui.sim import SimServer

        with SimServer(long_answer=long_answer, speed=None) as sim:
            yield sim.base_url
        return
    proc = subprocess.Popen(
        [sys.executable, "-m", "tui.sim", "--port", "0", "--long", str(long_answer)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()
        if not url.startswith("http"):
            raise SystemExit(f"the simulator did not start (printed {url!r})")
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


async def ours(base_url: str) -> int:
    """Consume one stream with ResponsesClient; return the number of events."""
    count, last = 0, None
    async with ResponsesClient(base_url, KEY) as client:
        async for last in client.stream(ResponseRequest(model=MODEL, input=PROMPT)):  # noqa: B007 (kept: the last event)
            count += 1
    assert last is not None and last.type == "response.completed"
    return count


async def sdk(base_url: str) -> int:
    """Consume one stream with openai.AsyncOpenAI().responses.create(stream=True)."""
    count, last = 0, None
    client = openai.AsyncOpenAI(base_url=base_url, api_key=KEY, max_retries=0)
    try:
        stream = await client.responses.create(model=MODEL, input=PROMPT, stream=True)
        async for last in stream:  # noqa: B007 (kept: the last event)
            count += 1
    finally:
        await client.close()
    assert last is not None and last.type == "response.completed"
    return count


async def measure(consume: Callable[[str], Awaitable[int]], base_url: str, rounds: int) -> tuple[float, int]:
    """Median events/s over `rounds` full streams (after one warm-up), and the events per stream."""
    await consume(base_url)
    rates = []
    for _ in range(rounds):
        start = time.perf_counter()
        count = await consume(base_url)
        rates.append(count / (time.perf_counter() - start))
    return statistics.median(rates), count


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--long", type=int, default=20000, help="text deltas per answer (default 20000)")
    parser.add_argument("--rounds", type=int, default=5, help="timed streams per client (default 5)")
    parser.add_argument("--in-process", action="store_true", help="run the simulator on a thread of this process")
    args = parser.parse_args(argv)
    with simulator(args.long, args.in_process) as base_url:
        ours_rate, ours_events = asyncio.run(measure(ours, base_url, args.rounds))
        sdk_rate, sdk_events = asyncio.run(measure(sdk, base_url, args.rounds))
    where = "a thread of this process" if args.in_process else "its own process"
    print(f"stream: {ours_events} events ({args.long} text deltas); simulator in {where}; median of {args.rounds}")
    print(f"python {sys.version.split()[0]}, httpx {httpx.__version__}, pydantic {pydantic.VERSION}, openai {openai.__version__}")
    print(f"ResponsesClient.stream(): {ours_rate:12,.0f} events/s  ({1e6 / ours_rate:6.1f} us/event)")
    print(f"openai SDK stream:        {sdk_rate:12,.0f} events/s  ({1e6 / sdk_rate:6.1f} us/event)")
    if sdk_events != ours_events:
        print(f"warning: the SDK saw {sdk_events} events, ours {ours_events}")
    print(f"ratio ours/SDK:           {ours_rate / sdk_rate:12.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
