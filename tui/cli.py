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
import os
import signal
import sys
import threading
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
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
from tui.chat import ChatEngine, EngineError, Turn, open_engine
from tui.chat.updates import (
    ChainFallback,
    ReasoningDelta,
    Retrying,
    TextDelta,
    ToolCall,
    ToolCallUpdated,
    TurnFinished,
    Update,
)
from tui.config import (
    DEMO_KEY,
    FILE_KEYS,
    KEY_ENV,
    KNOWN_TOOLS,
    ConfigError,
    Settings,
    demo_db_path,
    load_settings,
)
from tui.log import log_path, setup_logging
from tui.store import Conversation, Message, OutputItem, StoreError

log = logging.getLogger("tui.cli")

PROG = "qwen-tui"
EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2
EXIT_SIGINT = 130
EXIT_SIGTERM = 143


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
    sim.add_argument(
        "--speed", type=_positive(float), default=None, help="text deltas per second (default: as fast as possible)"
    )
    sim.add_argument("--long", type=_positive(int), default=None, metavar="N", help="answer with long Markdown of N deltas")
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


#: Commands that need the API key (None = the app); the others never run a key_command.
_KEYED_COMMANDS = (None, "ask", "config")


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
        settings = load_settings(_flags(args), resolve_key=args.command in _KEYED_COMMANDS)
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
    except BrokenPipeError:  # `qwen-tui list | head`: the reader has what it wanted
        _silence_stdout()
        return 128 + signal.SIGPIPE
    except (CliError, ConfigError) as exc:
        log.info("failed: %s", exc)
        return _fail(exc)
    except (StoreError, ApiError, EngineError) as exc:
        log.warning("failed: %s", exc, exc_info=True)
        return _fail(exc)
    except Exception as exc:  # the last line of defence: one line for a person, the rest to the log
        log.exception("unexpected error")
        where = f"details in {log_file}" if log_file else "run with --debug for details"
        return _fail(CliError(f"unexpected {type(exc).__name__}: {exc} ({where})"))


def _silence_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's final flush does not complain about a closed pipe."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)


def _fail(exc: Exception) -> int:
    """Print the one error line for `exc` and return its exit status."""
    code = exc.code if isinstance(exc, CliError) else EXIT_FAILURE
    _say(f"error: {explain(exc)}")
    return code


#: What to do about each kind of API failure (most specific first).
_API_HINTS: tuple[tuple[type[ApiError], str], ...] = (
    (AuthError, f"check {KEY_ENV} (or run with --demo)"),
    (RateLimitError, "wait a moment and try again"),
    (StreamDropped, "run the command again to retry"),
    (NetworkError, "check your connection, --region or --base-url"),
    (ServerError, "the service had a problem; try again in a moment"),
)


def explain(exc: BaseException) -> str:
    """One line for a person: what happened and what to do about it."""
    text = " ".join(str(exc).split())
    for kind, hint in _API_HINTS:
        if isinstance(exc, kind):
            return f"{text}; {hint}"
    return text


def _hint_for(error: str) -> str | None:
    """The hint for a turn's stored error text, recognised by the API error's summary it starts with."""
    for kind, hint in _API_HINTS:
        if error.startswith(kind.summary):
            return hint
    return None


def _say(line: str) -> None:
    """One `qwen-tui: ...` line on stderr."""
    print(f"{PROG}: {line}", file=sys.stderr, flush=True)


def _dispatch(args: argparse.Namespace, settings: Settings) -> int:
    if args.command == "sim":
        return _cmd_sim(args)
    if settings.demo and settings.source("db_path") == "default":
        settings = _with(settings, "demo", db_path=demo_db_path())
    if args.command == "config":
        return _cmd_config(settings)
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
    """Open the full-screen app (Textual is imported only here); with no key it opens on its first-run screen."""
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        raise CliError(
            f"the full-screen app needs a terminal; from scripts use '{PROG} ask' and friends (see '{PROG} --help')",
            EXIT_USAGE,
        )
    with _demo(settings) as effective:
        from tui.app import run_app

        return run_app(effective)


# ---------------------------------------------------------------------------------------------
# config


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


# ---------------------------------------------------------------------------------------------
# Read-only commands: list, show, export, import, search


@contextlib.asynccontextmanager
async def _reader(settings: Settings) -> AsyncIterator[ChatEngine]:
    """The engine for commands that only read or import (no key needed, nothing is sent)."""
    async with open_engine(settings, require_key=False) as engine:
        yield engine


async def _cmd_list(args: argparse.Namespace, settings: Settings) -> int:
    """One line per conversation, newest first: id, last update, title (and `*` when pinned)."""
    async with _reader(settings) as engine:
        conversations = await engine.list_conversations(limit=max(args.limit, 0))
    conversations.sort(key=lambda conversation: (conversation.updated_at, conversation.id), reverse=True)
    for conversation in conversations:
        pin = " *" if conversation.pinned else ""
        _out(f"{conversation.id}  {_when(conversation.updated_at)}  {_one_line(conversation.title)}{pin}\n")
    return EXIT_OK


async def _cmd_show(args: argparse.Namespace, settings: Settings) -> int:
    """The conversation's current branch: each message under a header with its role and status."""
    async with _reader(settings) as engine:
        conversation = await _conversation(engine, args.id)
        messages = await engine.transcript(conversation.id)
        usage = await engine.conversation_usage(conversation.id)
    _out(f"#{conversation.id} {conversation.title}\n")
    _out(f"model {conversation.model} · {conversation.endpoint} · {len(messages)} messages · "
         f"tokens {usage.input_tokens} in / {usage.output_tokens} out\n")
    if conversation.system_prompt:
        _out(f"system: {conversation.system_prompt}\n")
    for message in messages:
        _out("\n" + _message_header(message) + "\n")
        for item in message.items:
            _out(f"  · {_describe_item(item)}\n")
        if message.content:
            _out(message.content if message.content.endswith("\n") else message.content + "\n")
    return EXIT_OK


def _message_header(message: Message) -> str:
    """`── #1 user ──` / `── #2 assistant (qwen3-max, chain) [incomplete: why] ──`."""
    details = ", ".join(part for part in (message.model, message.mode) if part)
    label = message.role + (f" ({details})" if details else "")
    if message.status != "complete":
        label += f" [{message.status}" + (f": {message.error}" if message.error else "") + "]"
    return f"── #{message.id} {label} ──"


def _describe_item(item: OutputItem) -> str:
    """One line for a stored output item: `thinking: ...`, `web_search: query · 2 sources`, ..."""
    data = item.data
    if item.type == "reasoning":
        return f"thinking: {_one_line(str(data.get('summary') or ''), 100)}"
    details = [_one_line(str(data[key]), 80) for key in ("query", "goal", "name") if data.get(key)]
    for key, noun in (("sources", "source"), ("urls", "url")):
        if data.get(key):
            count = len(data[key])
            details.append(f"{count} {noun}{'' if count == 1 else 's'}")
    if data.get("code"):
        lines = len(str(data["code"]).splitlines())
        details.append(f"{lines} line{'' if lines == 1 else 's'} of code")
    if item.status and item.status != "completed":
        details.append(f"[{item.status}]")
    name = item.type.removesuffix("_call")
    return f"{name}: {' · '.join(details)}" if details else name


async def _cmd_export(args: argparse.Namespace, settings: Settings) -> int:
    """Markdown or JSON (with a Responses-API-ready input array) to stdout or a file."""
    async with _reader(settings) as engine:
        conversation = await _conversation(engine, args.id)
        if args.format == "json":
            text = json.dumps(await engine.export_json(conversation.id), ensure_ascii=False, indent=2) + "\n"
        else:
            text = await engine.export_markdown(conversation.id)
    if args.output is None:
        _out(text)
        return EXIT_OK
    try:
        Path(args.output).expanduser().write_text(text, encoding="utf-8")
    except OSError as exc:
        raise CliError(f"cannot write {args.output}: {exc.strerror}") from None
    _say(f"exported conversation {conversation.id} to {args.output}")
    return EXIT_OK


async def _cmd_import(args: argparse.Namespace, settings: Settings) -> int:
    """Import a JSON export as a new conversation; prints its new id and title."""
    try:
        text = sys.stdin.read() if args.file == "-" else Path(args.file).expanduser().read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CliError(f"cannot read {args.file}: {getattr(exc, 'strerror', None) or exc}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise CliError(f"{args.file} is not JSON ({exc}); export one with '{PROG} export ID --format json'") from None
    if not isinstance(data, dict):
        raise CliError(f"{args.file} is not a qwen-tui JSON export (expected an object)")
    async with _reader(settings) as engine:
        try:
            conversation = await engine.import_json(data)
        except (KeyError, TypeError, ValueError) as exc:
            log.info("import failed", exc_info=True)
            raise CliError(f"{args.file} is not a qwen-tui JSON export ({type(exc).__name__}: {exc})") from None
    _out(f"{conversation.id}  {_one_line(conversation.title)}\n")
    return EXIT_OK


async def _cmd_search(args: argparse.Namespace, settings: Settings) -> int:
    """Full-text hits, newest first: conversation id, message id, role, title and snippet."""
    query = " ".join(args.query)
    async with _reader(settings) as engine:
        hits = await engine.search(query, limit=max(args.limit, 0))
    for hit in hits:
        _out(f"{hit.conversation_id}  #{hit.message_id}  {hit.role}  {_one_line(hit.title, 40)}: "
             f"{_one_line(hit.snippet)}\n")
    if not hits:
        _say(f"no messages match {query!r}")
        return EXIT_FAILURE
    return EXIT_OK


async def _conversation(engine: ChatEngine, conversation_id: int) -> Conversation:
    try:
        return await engine.conversation(conversation_id)
    except EngineError:
        raise CliError(f"there is no conversation {conversation_id}; '{PROG} list' shows their ids") from None


def _when(timestamp: float) -> str:
    return dt.datetime.fromtimestamp(timestamp).strftime("%Y-%m-%d %H:%M")


def _one_line(text: str, limit: int = 80) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _out(text: str, stream: TextIO | None = None) -> None:
    """Write to stdout (or `stream`) and flush, so a reader sees it at once."""
    target = stream or sys.stdout
    target.write(text)
    target.flush()


# ---------------------------------------------------------------------------------------------
# ask


class TurnPrinter:
    """Shows a running turn: answer text to stdout, reasoning and tool activity to stderr.

    Tool calls arrive as repeated updates of one mutable record; each detail is printed once,
    when it first becomes known, so stderr reads as a log of what the model did.
    """

    def __init__(self, *, stream_text: bool, out: TextIO, err: TextIO) -> None:
        self.stream_text = stream_text
        self.out = out
        self.err = err
        self.text: list[str] = []
        self.finished: TurnFinished | None = None
        self.broken_pipe = False
        self._printed: dict[str, set[str]] = {}
        self._reasoning_item: str | None = None
        self._err_mid_line = False

    def handle(self, update: Update) -> None:
        """Show one update where it belongs (stdout for answer text, stderr for the rest)."""
        if isinstance(update, TextDelta):
            self.text.append(update.text)
            if self.stream_text:
                self._write_out(update.text)
        elif isinstance(update, ReasoningDelta):
            if self._reasoning_item != update.item_id:
                self._err_line_break()
                self._write_err("thinking: ")
                self._reasoning_item = update.item_id
            self._write_err(update.text)
            self._err_mid_line = not update.text.endswith("\n")
        elif isinstance(update, ToolCallUpdated):
            self._tool(update.call)
        elif isinstance(update, Retrying):
            self._note(f"{update.reason}; retrying in {update.delay:.1f} s (attempt {update.attempt})")
        elif isinstance(update, ChainFallback):
            self._note(f"the server no longer has this conversation ({update.reason}); resending it in full")
        elif isinstance(update, TurnFinished):
            self.finished = update
            self._err_line_break()

    def _tool(self, call: ToolCall) -> None:
        """Print what is new about a tool call: query, sources, goal, urls, code, logs, failure."""
        printed = self._printed.setdefault(call.item_id, set())
        lines: list[str] = []

        def once(key: str, line: str) -> None:
            if key not in printed:
                printed.add(key)
                lines.append(line)

        name = call.type.removesuffix("_call")
        once("start", f"[{name}] started")
        if call.query:
            once("query", f"[{name}] query: {call.query}")
        if call.goal:
            once("goal", f"[{name}] goal: {call.goal}")
        if call.name:
            once("name", f"[{name}] {call.name}({call.arguments or ''})")
        settled = call.status not in ("in_progress", "searching")
        if call.code and settled:
            once("code", f"[{name}] code:\n" + _indent(call.code))
        for key, urls in (("sources", call.sources), ("urls", call.urls)):
            for url in urls:
                once(f"{key}:{url}", f"[{name}] {'source' if key == 'sources' else 'url'}: {url}")
        if call.logs and call.status in ("completed", "failed", "incomplete"):
            once("logs", f"[{name}] logs:\n" + _indent(call.logs))
        if call.status in ("failed", "incomplete"):
            once("end", f"[{name}] {call.status}")
        if lines:
            self._err_line_break()
            self._reasoning_item = None
            self._write_err("\n".join(lines) + "\n")

    def _note(self, text: str) -> None:
        self._err_line_break()
        self._write_err(f"{PROG}: {text}\n")

    def _err_line_break(self) -> None:
        if self._err_mid_line:
            self._write_err("\n")
            self._err_mid_line = False

    def _write_err(self, text: str) -> None:
        self.err.write(text)
        self.err.flush()

    def _write_out(self, text: str) -> None:
        """Write answer text; a closed stdout (`| head`) ends the output quietly instead of failing."""
        if self.broken_pipe:
            return
        try:
            self.out.write(text)
            self.out.flush()
        except BrokenPipeError:
            self.broken_pipe = True


def _indent(text: str) -> str:
    return "\n".join("    " + line for line in text.rstrip("\n").splitlines())


def _read_prompt(args: argparse.Namespace) -> str:
    """The prompt from the arguments, or stdin for '-' / no argument with piped input."""
    words = list(args.prompt)
    if words in ([], ["-"]):
        if not words and sys.stdin.isatty():
            raise CliError(f"no prompt: give one, e.g. {PROG} ask \"hello\", or pipe it on stdin", EXIT_USAGE)
        text = sys.stdin.read()
    else:
        text = " ".join(words)
    if not text.strip():
        raise CliError("the prompt is empty; nothing to send", EXIT_USAGE)
    return text


async def _cmd_ask(args: argparse.Namespace, settings: Settings) -> int:
    """Send one message (new conversation, or `-c` to continue one) and show the answer as it streams."""
    prompt = _read_prompt(args)
    with _demo(settings) as effective:
        _require_key(effective)
        async with open_engine(effective) as engine:
            conversation_id = await _target_conversation(engine, args, effective)
            turn = await engine.send(conversation_id, prompt)
            printer = TurnPrinter(
                stream_text=not (args.no_stream or args.json), out=sys.stdout, err=sys.stderr
            )
            stopped_by = await _drive(turn, printer)
    return _finish_ask(args, printer, stopped_by)


async def _drive(turn: Turn, printer: TurnPrinter) -> int | None:
    """Feed the turn's updates to the printer; SIGINT/SIGTERM cancel it (the partial answer is kept).

    Returns the signal number that stopped the turn, if any.
    """
    loop = asyncio.get_running_loop()
    stopped_by: list[int] = []

    def stop(signum: int) -> None:
        stopped_by.append(signum)
        turn.cancel()

    watched = (signal.SIGINT, signal.SIGTERM)
    for signum in watched:
        loop.add_signal_handler(signum, stop, signum)
    try:
        async for update in turn:
            printer.handle(update)
            if printer.broken_pipe and not stopped_by:
                stopped_by.append(signal.SIGPIPE)
                turn.cancel()
    finally:
        for signum in watched:
            loop.remove_signal_handler(signum)
    return stopped_by[0] if stopped_by else None


def _finish_ask(args: argparse.Namespace, printer: TurnPrinter, stopped_by: int | None) -> int:
    """Print the end of the answer (or the JSON object) and the outcome; return the exit status."""
    finished = printer.finished
    if finished is None:  # the engine promises a TurnFinished; never end silently if it did not come
        raise CliError("the answer ended without a result; see the log file")
    message = finished.message
    text = "".join(printer.text) or message.content
    if stopped_by == signal.SIGPIPE:
        _silence_stdout()
        return 128 + signal.SIGPIPE
    if args.json:
        _out(json.dumps(_turn_json(finished, text), ensure_ascii=False) + "\n")
    elif text and not printer.stream_text:
        _out(text if text.endswith("\n") else text + "\n")
    elif text and not text.endswith("\n"):
        _out("\n")
    where = f"conversation {message.conversation_id} ('{PROG} show {message.conversation_id}')"
    log.info("answer %s in conversation %s: %s (%s)", message.id, message.conversation_id, finished.status, message.mode)
    if finished.status == "complete":
        return EXIT_OK
    if finished.status == "cancelled":
        kept = "the partial answer is kept" if text else "nothing had arrived yet; your message is kept"
        _say(f"stopped; {kept} in {where}")
        return EXIT_SIGTERM if stopped_by == signal.SIGTERM else EXIT_SIGINT
    reason = " ".join((finished.error or f"the answer is {finished.status}").split())
    log.warning("answer %s ended %s: %s", message.id, finished.status, reason)
    hint = _hint_for(reason)
    if text:
        hint = f"the partial answer is kept in {where}"
    _say(f"error: {reason}" + (f"; {hint}" if hint else ""))
    return EXIT_FAILURE


async def _target_conversation(engine: ChatEngine, args: argparse.Namespace, settings: Settings) -> int:
    """A new conversation (with this run's tools/thinking/effort), or the one `-c` names, updated with new flags."""
    chosen = {"tools": settings.tools, "thinking": settings.thinking, "effort": settings.effort}
    options = {name: value for name, value in chosen.items() if value is not None}
    if args.continue_ is None:
        conversation = await engine.new_conversation(system_prompt=settings.system_prompt, options=options)
        return conversation.id
    if args.system is not None:
        raise CliError("--system applies to a new conversation only; drop -c to start one", EXIT_USAGE)
    if args.continue_ == "latest":
        latest = await engine.latest_conversation()
        if latest is None:
            _say("no conversation to continue yet; starting a new one")
            conversation = await engine.new_conversation(system_prompt=settings.system_prompt, options=options)
            return conversation.id
        conversation_id = latest.id
    else:
        conversation_id = int(args.continue_)
        await _conversation(engine, conversation_id)
    given = {"tools": args.tools, "thinking": args.thinking, "effort": args.effort}
    changes = {name: value for name, value in given.items() if value is not None}
    if changes:
        await engine.set_options(conversation_id, **changes)
    return conversation_id


def _turn_json(finished: TurnFinished, text: str) -> dict[str, Any]:
    message = finished.message
    usage = message.usage
    return {
        "id": message.id,
        "conversation_id": message.conversation_id,
        "response_id": message.response_id,
        "model": message.model,
        "mode": message.mode,
        "status": finished.status,
        "error": finished.error,
        "text": text,
        "usage": None if usage is None else {
            "input_tokens": usage.input_tokens,
            "output_tokens": usage.output_tokens,
            "total_tokens": usage.total_tokens,
            "cached_tokens": usage.cached_tokens,
            "reasoning_tokens": usage.reasoning_tokens,
            "x_tools": usage.x_tools,
        },
    }
