"""The command line: options every command accepts, and one subparser per command."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from typing import Any, NoReturn

from tui import __version__
from tui.cli.console import EXIT_USAGE, PROG, CliError
from tui.config import EFFORTS, KNOWN_TOOLS


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one line (no usage block) and exit with status 2."""

    def error(self, message: str) -> NoReturn:
        raise CliError(f"{message} (see '{self.prog} --help')", EXIT_USAGE)


def _add_common(parser: argparse.ArgumentParser, *, top: bool) -> None:
    """Options every command accepts, before or after the subcommand.

    On subparsers their default is SUPPRESS so a value given before the subcommand survives.
    """
    default: Any = None if top else argparse.SUPPRESS
    group = parser.add_argument_group("common options")
    group.add_argument("--base-url", metavar="URL", default=default, help="custom Responses API base URL")
    group.add_argument(
        "--region", metavar="NAME", default=default,
        help="singapore (default), beijing, virginia, hongkong; *-legacy (deprecated)",
    )
    group.add_argument("--model", metavar="NAME", default=default, help="model name (default qwen3-max-2026-01-23)")
    group.add_argument("--db", metavar="PATH", default=default, help="the SQLite file with your conversations")
    group.add_argument(
        "--demo", action="store_true", default=False if top else argparse.SUPPRESS,
        help="use the built-in simulator (no key, no network)",
    )
    group.add_argument(
        "--demo-speed", metavar="SPEED", default=default,
        help="how fast --demo answers stream: a factor (2x, 0.5x), words per second (80), or max (at once)",
    )
    group.add_argument(
        "--debug", action="store_true", default=False if top else argparse.SUPPRESS,
        help="print tracebacks and debug logs to stderr",
    )


def _add_output(parser: argparse.ArgumentParser) -> None:
    """`--raw` / `--safe`: how model text reaches stdout (by default inert on a terminal, verbatim in a pipe)."""
    group = parser.add_mutually_exclusive_group()
    group.add_argument(
        "--raw", dest="text_mode", action="store_const", const="raw", default=None,
        help="write model text verbatim even on a terminal (escape sequences in it take effect)",
    )
    group.add_argument(
        "--safe", dest="text_mode", action="store_const", const="safe",
        help="make model text inert even in a pipe (control characters removed, bidi controls marked)",
    )


def _positive(kind: type[int] | type[float]) -> Callable[[str], int | float]:
    """An argparse type: a number of `kind` greater than zero."""

    def parse(text: str) -> int | float:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
        if value <= 0:
            raise argparse.ArgumentTypeError(f"must be greater than 0, not {text}")
        return value

    return parse


def build_parser() -> argparse.ArgumentParser:
    """The whole command line: global options plus one subparser per command."""
    parser = _Parser(
        prog=PROG,
        description="A terminal chat client for Qwen over the DashScope Responses API. "
        "With no command, opens the full-screen app.",
    )
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    parser.add_argument(
        "-c", "--continue", dest="resume", action="store_true",
        help="open the app on the most recently updated conversation",
    )
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
    ask.add_argument(
        "--thinking", action=argparse.BooleanOptionalAction, default=None,
        help="let the model think first (reasoning goes to stderr); --no-thinking turns it off",
    )
    ask.add_argument(
        "--effort", choices=EFFORTS, default=None,
        help="reasoning effort, where the model takes it ('qwen-tui models'); none turns thinking off",
    )
    ask.add_argument(
        "--private", action=argparse.BooleanOptionalAction, default=None,
        help="keep nothing on the server (store: false; every turn resends the conversation)",
    )
    ask.add_argument(
        "--tool", action="append", dest="tools", metavar="NAME", default=None,
        help=f"enable a built-in tool (repeatable): {', '.join(KNOWN_TOOLS)}",
    )
    ask.add_argument(
        "--mcp", action="append", dest="mcp", metavar="LABEL", default=None,
        help="let the model use an MCP server from the config (repeatable)",
    )
    ask.add_argument(
        "--allow-tool", action="append", dest="allow_tools", metavar="NAME", default=None,
        help="offer a local tool (read_file, list_dir, shell or one from the config) and let its calls run (repeatable)",
    )
    ask.add_argument(
        "--yes", action="store_true", help="let every call to the conversation's local tools run (otherwise denied)"
    )
    ask.add_argument("--system", metavar="TEXT", default=None, help="system prompt for a new conversation")
    ask.add_argument("--json", action="store_true", help="print one JSON object with the result")
    _add_output(ask)
    ask.add_argument(
        "--image", action="append", dest="images", metavar="PATH|URL", default=None,
        help="attach an image file or http(s) URL (repeatable); needs a vision model",
    )
    ask.add_argument(
        "--usage", action="store_true",
        help="print tokens and the estimated cost on stderr after the answer (the default on a terminal)",
    )

    models = command("models", "list the models: window, output limit, vision, thinking, price, endpoints")
    models.add_argument("--json", action="store_true", help="print the table as JSON")
    models.add_argument("--offline", action="store_true", help="do not ask the service for its model list")
    models.add_argument("--timeout", type=_positive(float), default=3.0, help="seconds to wait for the service's list")

    usage = command("usage", "tokens and estimated cost of your stored answers")
    usage.add_argument("--since", metavar="DATE", default=None, help="only answers from this day on (YYYY-MM-DD)")
    usage.add_argument("--by", choices=("model", "day"), default=None, help="one line per model or per day")
    usage.add_argument("--json", action="store_true", help="print JSON")

    listing = command("list", "list conversations, newest first, one per line starting with its id")
    listing.add_argument("-n", "--limit", type=int, default=50, help="how many (default 50)")
    _add_output(listing)

    show = command("show", "print a conversation")
    show.add_argument("id", type=int, metavar="ID")
    _add_output(show)

    export = command("export", "export a conversation as Markdown or JSON")
    export.add_argument("id", type=int, metavar="ID")
    export.add_argument("--format", choices=("md", "json"), default="md", help="md (default) or json")
    export.add_argument("-o", "--output", metavar="FILE", default=None, help="write to FILE instead of stdout")
    export.add_argument("-f", "--force", action="store_true", help="overwrite FILE if it exists (else: ask, or refuse)")
    _add_output(export)

    importing = command("import", "import a conversation exported as JSON")
    importing.add_argument("file", metavar="FILE", help="the JSON file ('-' for stdin)")

    search = command("search", "full-text search over every message")
    search.add_argument("query", nargs="+", metavar="QUERY")
    search.add_argument("-n", "--limit", type=int, default=50, help="how many hits (default 50)")
    _add_output(search)

    delete = command("delete", "delete a conversation, here and (best effort) its responses stored on the server")
    delete.add_argument("id", type=int, metavar="ID")
    delete.add_argument("--local-only", action="store_true", help="do not ask the server to delete its copies")

    command("config", "show the effective settings and where each came from (key masked)")

    tools = command("tools", "list the MCP servers and local tools of the config, or the tools one MCP server offers")
    tools.add_argument("label", nargs="?", default=None, metavar="LABEL", help="an MCP server's label")

    sim = command("sim", "run the built-in Responses API simulator in the foreground")
    sim.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (default: a free one)")
    sim.add_argument(
        "--speed", type=_positive(float), default=None, help="text deltas per second (default: as fast as possible)"
    )
    sim.add_argument("--long", type=_positive(int), default=None, metavar="N", help="answer with long Markdown of N deltas")
    sim.add_argument(
        "--style", choices=("live", "openai"), default="live",
        help="answer like the live DashScope service (default) or like OpenAI's Responses API",
    )
    return parser


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    """Parse and normalise: `ask -c "question"` means continue-latest with that question."""
    args = build_parser().parse_args(list(argv))
    _check_demo_speed(args)
    if args.resume and args.command is not None:
        raise CliError(
            f"-c before a command reopens the last conversation in the app; to continue it from the command line "
            f"use '{PROG} ask -c'", EXIT_USAGE,
        )
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
    if args.command == "ask":
        for name in ("mcp", "allow_tools"):
            values = getattr(args, name)
            if values:
                setattr(args, name, list(dict.fromkeys(v.strip() for value in values for v in value.split(",") if v.strip())))
    return args


def _check_demo_speed(args: argparse.Namespace) -> None:
    """A bad `--demo-speed`, or one without `--demo`, is a usage error before anything starts."""
    if args.demo_speed is None:
        return
    if not args.demo:
        raise CliError("--demo-speed applies to --demo only (the real service sets its own pace)", EXIT_USAGE)
    from tui.sim.pace import parse_demo_speed  # only now: importing tui.sim loads uvicorn

    try:
        parse_demo_speed(args.demo_speed)
    except ValueError as exc:
        raise CliError(f"argument --demo-speed: {exc}", EXIT_USAGE) from None


#: Commands that need the API key (None = the app); the others never run a key_command.
KEYED_COMMANDS = (None, "ask", "config", "models", "delete")


def flags(args: argparse.Namespace) -> dict[str, Any]:
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
        flags.update(
            tools=args.tools, thinking=args.thinking, effort=args.effort, system_prompt=args.system, private=args.private
        )
    return flags
