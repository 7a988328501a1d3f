"""`qwen-tui sim` / `python -m tui.sim`: run the simulator standalone on a fixed port."""

from __future__ import annotations

import argparse
import sys

from tui.sim.server import serve_forever
from tui.sim.style import DEFAULT_STYLE, STYLES


def _positive_float(text: str) -> float:
    value = float(text)
    if value <= 0:
        raise argparse.ArgumentTypeError("must be greater than 0")
    return value


def _positive_int(text: str) -> int:
    value = int(text)
    if value <= 0:
        raise argparse.ArgumentTypeError("must be greater than 0")
    return value


def build_parser(prog: str = "qwen-tui sim") -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=prog, description="Run the local DashScope-like Responses API simulator.")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8000, help="port to listen on; 0 picks a free one (default 8000)")
    parser.add_argument("--speed", type=_positive_float, default=None, help="text deltas per second (default: as fast as possible)")
    parser.add_argument("--long", type=_positive_int, default=None, metavar="N", help="answer every request with N deltas of Markdown")
    parser.add_argument("--api-key", default=None, help="accept only this Bearer key (default: any non-empty key)")
    parser.add_argument(
        "--style", choices=STYLES, default=DEFAULT_STYLE,
        help="answer like the live DashScope service (default) or like OpenAI's Responses API",
    )
    return parser


def run_sim(argv: list[str] | None = None, *, prog: str = "qwen-tui sim") -> int:
    """Parse arguments, print the base URL and serve until interrupted; returns the exit status."""
    args = build_parser(prog).parse_args(argv)
    try:
        serve_forever(args.host, args.port, speed=args.speed, long_answer=args.long, api_key=args.api_key, style=args.style)
    except OSError as exc:
        print(f"{prog}: cannot listen on {args.host}:{args.port}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        pass
    return 0
