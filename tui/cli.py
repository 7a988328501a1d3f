"""The `qwen-tui` command: the full-screen app, `--demo`, and headless subcommands.

Headless commands never import Textual. Every failure ends with one line on stderr
(`qwen-tui: error: ...` and what to do) and a non-zero exit; tracebacks go to the log
file, and to stderr only with --debug.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import json
import logging
import signal
import sys
import threading
from collections.abc import AsyncIterator, Iterator, Sequence
from pathlib import Path
from typing import Any, NoReturn, TextIO

from pydantic import SecretStr

from tui import __version__
from tui.api.errors import (
    ApiError,
    AuthError,
    NetworkError,
    RateLimitError,
    ServerError,
    StreamDropped,
)
from tui.config import FILE_KEYS, KEY_ENV, KNOWN_TOOLS, ConfigError, Settings, demo_db_path, load_settings
from tui.log import setup_logging
from tui.store.errors import StoreError

log = logging.getLogger("tui.cli")

PROG = "qwen-tui"
EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2
EXIT_SIGINT = 130
EXIT_SIGTERM = 143
DEMO_KEY = "sk-demo-not-a-real-key"


class CliError(Exception):
    """A failure to report as one line; `code` is the exit status."""

    def __init__(self, message: str, code: int = EXIT_FAILURE) -> None:
        super().__init__(message)
        self.code = code


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one line (no usage block) and exit with status 2."""

    def error(self, message: str) -> NoReturn:
        raise CliError(f"{message} (see '{self.prog} --help')", EXIT_USAGE)


# ---------------------------------------------------------------------------------------------
# Argument parsing


def _add_common(parser: argparse.ArgumentParser, *, top: bool) -> None:
    """Options every command accepts, before or after the subcommand.

    On subparsers their default is SUPPRESS so a value given before the subcommand survives.
    """
    default: Any = None if top else argparse.SUPPRESS
    group = parser.add_argument_group("common options")
    group.add_argument("--base-url", metavar="URL", default=default, help="custom Responses API base URL")
    group.add_argument("--region", metavar="NAME", default=default, help="singapore (default), beijing, *-legacy")
    group.add_argument("--model", metavar="NAME", default=default, help="model name (default qwen3-max-2026-01-23)")
    group.add_argument("--db", metavar="PATH", default=default, help="the SQLite file with your conversations")
    group.add_argument(
        "--demo", action="store_true", default=False if top else argparse.SUPPRESS,
        help="use the built-in simulator (no key, no network)",
    )
    group.add_argument(
        "--debug", action="store_true", default=False if top else argparse.SUPPRESS,
        help="print tracebacks and debug logs to stderr",
    )


def build_parser() -> argparse.ArgumentParser:
    """The whole command line: global options plus one subparser per command."""
    parser = _Parser(
        prog=PROG,
        description="A terminal chat client for Qwen over the DashScope Responses API. "
        "With no command, opens the full-screen app.",
    )
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    _add_common(parser, top=True)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    def command(name: str, help_text: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help_text, description=help_text)
        _add_common(sub, top=False)
        return sub

    ask = command("ask", "ask one question; the answer streams to stdout, tool activity to stderr")
    ask.add_argument("prompt", nargs="*", metavar="PROMPT", help="the question ('-' or nothing: read stdin)")
    ask.add_argument(
        "-c", "--continue", dest="continue_", nargs="?", const="latest", default=None, metavar="CONV_ID",
        help="continue the most recent conversation, or the one with this id",
    )
    ask.add_argument("--no-stream", action="store_true", help="print the answer only once it is complete")
    ask.add_argument("--thinking", action="store_true", default=None, help="let the model think first")
    ask.add_argument("--effort", choices=("low", "medium", "high"), default=None, help="reasoning effort")
    ask.add_argument(
        "--tool", action="append", dest="tools", metavar="NAME", default=None,
        help=f"enable a built-in tool (repeatable): {', '.join(KNOWN_TOOLS)}",
    )
    ask.add_argument("--system", metavar="TEXT", default=None, help="system prompt for a new conversation")
    ask.add_argument("--json", action="store_true", help="print one JSON object with the result")

    listing = command("list", "list conversations, newest first, one per line starting with its id")
    listing.add_argument("-n", "--limit", type=int, default=50, help="how many (default 50)")

    show = command("show", "print a conversation")
    show.add_argument("id", type=int, metavar="ID")

    export = command("export", "export a conversation as Markdown or JSON")
    export.add_argument("id", type=int, metavar="ID")
    export.add_argument("--format", choices=("md", "json"), default="md", help="md (default) or json")
    export.add_argument("-o", "--output", metavar="FILE", default=None, help="write to FILE instead of stdout")

    importing = command("import", "import a conversation exported as JSON")
    importing.add_argument("file", metavar="FILE", help="the JSON file ('-' for stdin)")

    search = command("search", "full-text search over every message")
    search.add_argument("query", nargs="+", metavar="QUERY")
    search.add_argument("-n", "--limit", type=int, default=50, help="how many hits (default 50)")

    command("config", "show the effective settings and where each came from (key masked)")

    sim = command("sim", "run the built-in Responses API simulator in the foreground")
    sim.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (default: a free one)")
    sim.add_argument("--speed", type=float, default=None, help="text deltas per second (default: as fast as possible)")
    sim.add_argument("--long", type=int, default=None, metavar="N", help="answer with long Markdown of N deltas")
    return parser


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    """Parse and normalise: `ask -c "question"` means continue-latest with that question."""
    args = build_parser().parse_args(list(argv))
    if args.command == "ask" and args.continue_ not in (None, "latest") and not args.continue_.isdigit():
        args.prompt = [args.continue_, *args.prompt]
        args.continue_ = "latest"
    if args.command == "ask" and args.tools:
        names = [name.strip() for value in args.tools for name in value.split(",") if name.strip()]
        unknown = [name for name in names if name not in KNOWN_TOOLS]
        if unknown:
            raise CliError(
                f"argument --tool: unknown tool {unknown[0]!r}; choose from: {', '.join(KNOWN_TOOLS)}", EXIT_USAGE
            )
        args.tools = names
    return args


def _flags(args: argparse.Namespace) -> dict[str, Any]:
    """The settings the command line sets (None = not given)."""
    flags: dict[str, Any] = {
        "base_url": args.base_url,
        "region": args.region,
        "model": args.model,
        "db_path": args.db,
        "demo": args.demo or None,
        "debug": args.debug or None,
    }
    if args.command == "ask":
        flags.update(tools=args.tools, thinking=args.thinking, effort=args.effort, system_prompt=args.system)
    return flags


# ---------------------------------------------------------------------------------------------
# Entry point and error reporting


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command; returns the exit status (0 ok, 1 failure, 2 bad usage, 130 interrupted)."""
    argv = sys.argv[1:] if argv is None else argv
    debug = "--debug" in argv
    try:
        args = parse_args(argv)
        settings = load_settings(_flags(args))
    except (CliError, ConfigError) as exc:
        setup_logging(debug=debug)
        return _fail(exc)
    secret = settings.api_key.get_secret_value() if settings.api_key else None
    log_file = setup_logging(debug=settings.debug, secrets=[secret] if secret else [])
    log.debug("qwen-tui %s: %s", __version__, " ".join(argv))
    try:
        return _dispatch(args, settings)
    except KeyboardInterrupt:
        _say("interrupted")
        return EXIT_SIGINT
    except (CliError, ConfigError, StoreError, ApiError) as exc:
        log.info("failed: %s", exc, exc_info=settings.debug)
        return _fail(exc)
    except Exception as exc:  # the last line of defence: one line for a person, the rest to the log
        log.exception("unexpected error")
        where = f"details in {log_file}" if log_file else "run with --debug for details"
        return _fail(CliError(f"unexpected {type(exc).__name__}: {exc} ({where})"))


def _fail(exc: Exception) -> int:
    """Print the one error line for `exc` and return its exit status."""
    code = exc.code if isinstance(exc, CliError) else EXIT_FAILURE
    _say(f"error: {explain(exc)}")
    return code


def explain(exc: BaseException) -> str:
    """One line for a person: what happened and what to do about it."""
    text = " ".join(str(exc).split())
    if isinstance(exc, AuthError):
        return f"{text}; check {KEY_ENV} (or run with --demo)"
    if isinstance(exc, RateLimitError):
        return f"{text}; wait a moment and try again"
    if isinstance(exc, StreamDropped):
        return f"{text}; the partial answer is saved, run the command again to retry"
    if isinstance(exc, NetworkError):
        return f"{text}; check your connection, --region or --base-url"
    if isinstance(exc, ServerError):
        return f"{text}; try again in a moment"
    return text


def _say(line: str) -> None:
    """One `qwen-tui: ...` line on stderr."""
    print(f"{PROG}: {line}", file=sys.stderr, flush=True)


def _dispatch(args: argparse.Namespace, settings: Settings) -> int:
    if args.command == "sim":
        return _cmd_sim(args)
    if args.command == "config":
        return _cmd_config(settings)
    if settings.demo and settings.source("db_path") == "default":
        settings = _with(settings, "demo", db_path=demo_db_path())
    if args.command is None:
        return _cmd_app(settings)
    handlers = {
        "ask": _cmd_ask,
        "list": _cmd_list,
        "show": _cmd_show,
        "export": _cmd_export,
        "import": _cmd_import,
        "search": _cmd_search,
    }
    return asyncio.run(handlers[args.command](args, settings))


def _with(settings: Settings, source: str, **changes: Any) -> Settings:
    """A copy of `settings` with `changes`, each recorded as coming from `source`."""
    sources = dict(settings.sources)
    sources.update(dict.fromkeys(changes, source))
    return settings.model_copy(update={**changes, "sources": sources})


# ---------------------------------------------------------------------------------------------
# The simulator: `sim`, and `--demo`


def _cmd_sim(args: argparse.Namespace) -> int:
    """Run the simulator until Ctrl+C or SIGTERM; its base URL is the first line on stdout."""
    from tui.sim import SimServer

    stop = threading.Event()
    with SimServer(port=args.port, speed=args.speed, long_answer=args.long) as server:
        print(server.base_url, flush=True)
        with _signals_set(stop):
            stop.wait()
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
def _demo(settings: Settings) -> Iterator[Settings]:
    """With --demo: a simulator on a free loopback port, and settings pointing at it with a dummy key."""
    if not settings.demo:
        yield settings
        return
    from tui.sim import SimServer

    with SimServer(port=0) as server:
        log.info("demo simulator at %s", server.base_url)
        yield _with(settings, "demo", base_url=server.base_url, api_key=SecretStr(DEMO_KEY))


def _require_key(settings: Settings) -> None:
    if settings.api_key is None:
        problem = f" ({settings.key_problem})" if settings.key_problem else ""
        raise CliError(
            f"no API key{problem}: set {KEY_ENV} (or key_file / key_command in {settings.config_path}), "
            f"or try it without a key: {PROG} --demo"
        )


def _cmd_app(settings: Settings) -> int:
    """Open the full-screen app (Textual is imported only here)."""
    with _demo(settings) as effective:
        _require_key(effective)
        from tui.app import run_app

        result = run_app(effective)
    return result if isinstance(result, int) else EXIT_OK


# ---------------------------------------------------------------------------------------------
# config


def _cmd_config(settings: Settings) -> int:
    """Print the effective settings, where each came from, and the files in use; the key masked."""
    from tui.log import log_path

    rows: list[tuple[str, str, str]] = [("api_key", settings.masked_key, settings.source("api_key"))]
    for name in FILE_KEYS:
        if name in ("key_file", "key_command") and getattr(settings, name) is None:
            continue
        rows.append((name, _show_value(getattr(settings, name)), settings.source(name)))
    try:
        endpoint = settings.endpoint
    except ValueError as exc:
        endpoint = f"(invalid: {exc})"
    rows.append(("endpoint", endpoint, "from base_url" if settings.base_url else "from region"))
    exists = "" if settings.config_path.exists() else " (not found)"
    rows.append(("config_file", f"{settings.config_path}{exists}", settings.source("config_path")))
    rows.append(("log_file", str(log_path()), "default"))
    width = max(len(name) for name, _, _ in rows)
    for name, value, source in rows:
        print(f"{name:<{width}}  {value}  ({source})")
    if settings.key_problem:
        _say(f"warning: {settings.key_problem}")
    return EXIT_OK


def _show_value(value: Any) -> str:
    if value is None:
        return "(not set)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ", ".join(value) if value else "(none)"
    return str(value)
