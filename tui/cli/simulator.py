"""The built-in simulator from the command line: `qwen-tui sim` in the foreground, `--demo` in-process."""

from __future__ import annotations

import argparse
import contextlib
import logging
import signal
import threading
from collections.abc import Iterator

from pydantic import SecretStr

from tui.cli.console import EXIT_OK, CliError
from tui.config import DEMO_KEY, Settings

log = logging.getLogger("tui.cli")


def cmd_sim(args: argparse.Namespace) -> int:
    """Run the simulator until Ctrl+C or SIGTERM; its base URL is the first line on stdout."""
    from tui.sim import SimServer

    stop = threading.Event()
    server = SimServer(port=args.port, speed=args.speed, long_answer=args.long)
    try:
        server.start()
    except (OSError, RuntimeError) as exc:
        raise CliError(f"cannot start the simulator on 127.0.0.1:{args.port}: {exc}; try another --port") from None
    try:
        print(server.base_url, flush=True)
        with _signals_set(stop):
            stop.wait()
    finally:
        server.stop()
    return EXIT_OK


@contextlib.contextmanager
def _signals_set(event: threading.Event) -> Iterator[None]:
    """While inside, SIGINT and SIGTERM set `event` instead of killing the process."""
    previous = {sig: signal.signal(sig, lambda *_: event.set()) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


@contextlib.contextmanager
def demo(settings: Settings) -> Iterator[Settings]:
    """With --demo: a simulator on a free loopback port, and settings pointing at it with a dummy key."""
    if not settings.demo:
        yield settings
        return
    from tui.sim import SimServer

    with SimServer(port=0) as server:
        log.info("demo simulator at %s", server.base_url)
        yield settings.updated("demo", base_url=server.base_url, api_key=SecretStr(DEMO_KEY))
