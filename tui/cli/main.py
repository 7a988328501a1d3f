"""`main()`: parse, load settings, set up logging, run the command, and turn every failure into one line."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
from collections.abc import Sequence
from typing import Any

from tui import __version__, collector
from tui.api.endpoints import legacy_note
from tui.api.errors import ApiError
from tui.chat import EngineError
from tui.cli.ask import cmd_ask
from tui.cli.console import (
    EXIT_OK,
    EXIT_SIGINT,
    EXIT_USAGE,
    PROG,
    CliError,
    fail,
    say,
    set_output_mode,
    silence_stdout,
)
from tui.cli.history import cmd_delete, cmd_export, cmd_import, cmd_list, cmd_search, cmd_show, latest_conversation_id
from tui.cli.models import cmd_models
from tui.cli.parser import KEYED_COMMANDS, flags, parse_args
from tui.cli.simulator import cmd_sim, demo
from tui.cli.tools_command import cmd_tools
from tui.cli.usage import cmd_usage
from tui.config import FILE_KEYS, ConfigError, Settings, demo_db_path, load_settings
from tui.log import log_path, setup_logging
from tui.store import StoreError

log = logging.getLogger("tui.cli")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command; returns the exit status (0 ok, 1 failure, 2 bad usage, 130 interrupted)."""
    argv = sys.argv[1:] if argv is None else argv
    debug = "--debug" in argv
    try:
        args = parse_args(argv)
        settings = load_settings(flags(args), resolve_key=args.command in KEYED_COMMANDS)
    except (CliError, ConfigError) as exc:
        setup_logging(debug=debug)
        return fail(exc)
    secret = settings.api_key.get_secret_value() if settings.api_key else None
    log_file = setup_logging(debug=settings.debug, secrets=[secret] if secret else [])
    log.debug("qwen-tui %s: %s", __version__, " ".join(argv))
    try:
        return _dispatch(args, settings)
    except KeyboardInterrupt:
        say("interrupted")
        return EXIT_SIGINT
    except BrokenPipeError:  # `qwen-tui list | head`: the reader has what it wanted
        silence_stdout()
        return 128 + signal.SIGPIPE
    except (CliError, ConfigError) as exc:
        log.info("failed: %s", exc)
        return fail(exc)
    except (StoreError, ApiError, EngineError) as exc:
        log.warning("failed: %s", exc, exc_info=True)
        return fail(exc)
    except Exception as exc:  # the last line of defence: one line for a person, the rest to the log
        log.exception("unexpected error")
        where = f"details in {log_file}" if log_file else "run with --debug for details"
        return fail(CliError(f"unexpected {type(exc).__name__}: {exc} ({where})"))


def _dispatch(args: argparse.Namespace, settings: Settings) -> int:
    """Run the chosen command (the async ones under one event loop)."""
    if args.command is not None:
        collector.start_after_imports()  # the app does it once Textual is imported
    set_output_mode(getattr(args, "text_mode", None) or "auto")
    if args.command == "sim":
        return cmd_sim(args)
    if settings.demo and settings.source("db_path") == "default":
        settings = settings.updated("demo", db_path=demo_db_path())
    note = legacy_note(settings.region, settings.base_url)
    if note and args.command in ("ask", "config", None):
        say(f"note: {note}")
    if args.command == "config":
        return _cmd_config(settings)
    if args.command is None:
        return _cmd_app(args, settings)
    handlers = {
        "ask": cmd_ask,
        "list": cmd_list,
        "show": cmd_show,
        "export": cmd_export,
        "import": cmd_import,
        "search": cmd_search,
        "delete": cmd_delete,
        "models": cmd_models,
        "usage": cmd_usage,
        "tools": cmd_tools,
    }
    return asyncio.run(handlers[args.command](args, settings))


def _cmd_app(args: argparse.Namespace, settings: Settings) -> int:
    """Open the full-screen app (Textual is imported only here); with no key it opens on its first-run screen.

    With `-c` it opens on the most recently updated conversation.
    """
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        raise CliError(
            f"the full-screen app needs a terminal; from scripts use '{PROG} ask' and friends (see '{PROG} --help')",
            EXIT_USAGE,
        )
    from tui.app import START_DEMO, run_app

    reopen = asyncio.run(latest_conversation_id(settings)) if args.resume else None
    if args.resume and reopen is None:
        say("no conversation to reopen yet; starting a new one")
    with demo(settings, args.demo_speed) as effective:
        # Only with -c, so the app entry point needs the keyword only for that.
        status = run_app(effective, open_conversation=reopen) if reopen is not None else run_app(effective)
    if status == START_DEMO:  # chosen on the first-run screen: the same app again, against the simulator
        return _cmd_app(args, settings.updated("demo", demo=True))
    return status


def _cmd_config(settings: Settings) -> int:
    """Print the effective settings, where each came from, and the files in use; the key masked."""
    rows: list[tuple[str, str, str]] = [("api_key", settings.masked_key, settings.source("api_key"))]
    for name in FILE_KEYS:
        if name in ("key_file", "key_command") and getattr(settings, name) is None:
            continue
        rows.append((name, _show_value(getattr(settings, name)), settings.source(name)))
    rows.append(("endpoint", settings.endpoint, "from base_url" if settings.base_url else "from region"))
    exists = "" if settings.config_path.exists() else " (not found)"
    rows.append(("config_file", f"{settings.config_path}{exists}", settings.source("config_path")))
    rows.append(("log_file", str(log_path()), "default"))
    width = max(len(name) for name, _, _ in rows)
    for name, value, source in rows:
        print(f"{name:<{width}}  {value}  ({source})")
    if settings.key_problem:
        say(f"warning: {settings.key_problem}")
    return EXIT_OK


def _show_value(value: Any) -> str:
    """A setting's value as `config` prints it."""
    if value is None:
        return "(not set)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ", ".join(value) if value else "(none)"
    return str(value)
