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
def demo(settings: Settings) -> Iterator[Settings]:
    """With --demo: a simulator on a free loopback port, and settings pointing at it with a dummy key."""
    if not settings.demo:
        yield settings
        return
    from tui.sim import SimServer

    with SimServer(port=0) as server:
        log.info("demo simulator at %s", server.base_url)
        yield demo_settings(settings, server.base_url)
