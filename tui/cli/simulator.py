"""The built-in simulator from the command line: `qwen-tui sim` in the foreground, `--demo` in-process."""

from __future__ import annotations

import argparse
import contextlib
import logging
from collections.abc import Iterator

from tui.cli.console import EXIT_OK, CliError
from tui.config import Settings, demo_settings

log = logging.getLogger("tui.cli")


def cmd_sim(args: argparse.Namespace) -> int:
    """Run the simulator until Ctrl+C or SIGTERM; its base URL is the first line on stdout."""
    from tui.sim import serve_forever

    try:
        serve_forever("127.0.0.1", args.port, speed=args.speed, long_answer=args.long, style=args.style)
    except OSError as exc:
        raise CliError(
            f"cannot start the simulator on 127.0.0.1:{args.port}: {exc.strerror or exc}; try another --port"
        ) from None
    except KeyboardInterrupt:
        pass
    return EXIT_OK


@contextlib.contextmanager
def demo(settings: Settings, speed: str | None = None) -> Iterator[Settings]:
    """With --demo: a simulator on a free loopback port, and settings pointing at it with a dummy key.

    It streams at a human pace so the spinner, Esc and the status line can be seen; `speed` is
    `--demo-speed` (a factor, words per second, or "max" for at once).
    """
    if not settings.demo:
        yield settings
        return
    from tui.sim import SimServer
    from tui.sim.pace import DEMO_PACE, parse_demo_speed

    pace = DEMO_PACE if speed is None else parse_demo_speed(speed)
    with SimServer(port=0, pace=pace) as server:
        log.info("demo simulator at %s (%s)", server.base_url, pace or "as fast as possible")
        yield demo_settings(settings, server.base_url)
