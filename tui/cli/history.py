"""The commands over saved conversations: list, show, export, import, search (nothing is sent), delete."""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import logging
import sys
from collections.abc import AsyncIterator
from pathlib import Path

from tui.chat import ChatEngine, EngineError, open_engine
from tui.cli.console import EXIT_FAILURE, EXIT_OK, PROG, CliError, inert_on, out, say
from tui.config import Settings
from tui.store import AlreadyImported, Conversation, Message
from tui.store.export import describe_image, describe_item
from tui.store.search import snippet_parts
from tui.text_safety import one_line, visible_bidi

log = logging.getLogger("tui.cli")


@contextlib.asynccontextmanager
async def _reader(settings: Settings, *, writes: bool = False) -> AsyncIterator[ChatEngine]:
    """The engine for commands that only read, or import (`writes`); no key needed, nothing is sent.

    A reading command opens a database it cannot write (read-only file or mount, full disk) read-only.
    """
    async with open_engine(settings, require_key=False, read_only_fallback=not writes) as engine:
        yield engine


async def find_conversation(engine: ChatEngine, conversation_id: int) -> Conversation:
    """The conversation with this id, or a CliError telling the person how to find ids."""
    try:
        return await engine.conversation(conversation_id)
    except EngineError:
        raise CliError(f"there is no conversation {conversation_id}; '{PROG} list' shows their ids") from None


async def latest_conversation_id(settings: Settings) -> int | None:
    """The id `qwen-tui -c` reopens: the most recently updated conversation that is not archived."""
    async with _reader(settings) as engine:
        latest = await engine.latest_conversation()
    return latest.id if latest else None


async def cmd_list(args: argparse.Namespace, settings: Settings) -> int:
    """One line per conversation, newest first: id, last update, title (and `*` when pinned)."""
    async with _reader(settings) as engine:
        conversations = await engine.list_conversations(limit=max(args.limit, 0))
    conversations.sort(key=lambda conversation: (conversation.updated_at, conversation.id), reverse=True)
    for conversation in conversations:
        pin = " *" if conversation.pinned else ""
        out(f"{conversation.id}  {_when(conversation.updated_at)}  {one_line(conversation.title, 80)}{pin}\n")
    return EXIT_OK


async def cmd_show(args: argparse.Namespace, settings: Settings) -> int:
    """The conversation's current branch: each message under a header with its role and status."""
    async with _reader(settings) as engine:
        conversation = await find_conversation(engine, args.id)
        messages = await engine.transcript(conversation.id)
        usage = await engine.conversation_usage(conversation.id)
    out(f"#{conversation.id} {conversation.title}\n")
    cached = f" ({usage.cached_tokens} cached)" if usage.cached_tokens else ""
    out(f"model {conversation.model} · {conversation.endpoint} · {len(messages)} messages · "
         f"tokens {usage.input_tokens} in{cached} / {usage.output_tokens} out\n")
    if conversation.system_prompt:
        out(f"system: {conversation.system_prompt}\n")
    for message in messages:
        out("\n" + _message_header(message) + "\n")
        for image in message.images:
            out(f"  · Image: {describe_image(image)}\n")
        for item in message.items:
            out(f"  · {describe_item(item)}\n")
        if message.content:
            out(message.content if message.content.endswith("\n") else message.content + "\n")
    return EXIT_OK


def _message_header(message: Message) -> str:
    """`── #1 user ──` / `── #2 assistant (qwen3-max, chain) [incomplete: why] ──`."""
    details = ", ".join(part for part in (message.model, message.mode) if part)
    label = message.role + (f" ({details})" if details else "")
    if message.status != "complete":
        label += f" [{message.status}" + (f": {message.error}" if message.error else "") + "]"
    return f"── #{message.id} {label} ──"


async def cmd_export(args: argparse.Namespace, settings: Settings) -> int:
    """Markdown or JSON (with a Responses-API-ready input array) to stdout or a file."""
    if args.output is not None and not args.force:
        _may_overwrite(Path(args.output).expanduser(), args.output)
    async with _reader(settings) as engine:
        conversation = await find_conversation(engine, args.id)
        if args.format == "json":
            text = json.dumps(await engine.export_json(conversation.id), ensure_ascii=False, indent=2) + "\n"
        elif args.output is not None:
            links = await _write_images(engine, conversation.id, Path(args.output).expanduser())
            text = await engine.export_markdown(conversation.id, links)
        else:
            text = await engine.export_markdown(conversation.id)
    if args.output is None:
        out(text)
        return EXIT_OK
    try:
        Path(args.output).expanduser().write_text(text, encoding="utf-8")
    except OSError as exc:
        raise CliError(f"cannot write {args.output}: {exc.strerror}") from None
    say(f"exported conversation {conversation.id} to {args.output}")
    return EXIT_OK


def _may_overwrite(target: Path, shown: str) -> None:
    """Refuse to replace an existing file without --force; on a terminal, ask first instead."""
    if not target.exists():
        return
    if sys.stdin.isatty() and sys.stderr.isatty():
        sys.stderr.write(f"{PROG}: {one_line(shown)} already exists; overwrite it? [y/N] ")
        sys.stderr.flush()
        if sys.stdin.readline().strip().lower() in ("y", "yes"):
            return
        raise CliError(f"not exported: {shown} is left as it was")
    raise CliError(f"{shown} already exists; add --force to overwrite it")
_EXTENSIONS = {"image/png": ".png", "image/jpeg": ".jpg", "image/webp": ".webp", "image/bmp": ".bmp",
               "image/tiff": ".tiff", "image/heic": ".heic"}


async def _write_images(engine: ChatEngine, conversation_id: int, output: Path) -> dict[str, str]:
    """Write the branch's stored images beside the Markdown file (`NAME-<sha12>.png`); sha256 -> relative link."""
    links: dict[str, str] = {}
    for message in await engine.transcript(conversation_id):
        for image in message.images:
            if not image.sha256 or image.sha256 in links:
                continue
            data = await engine.image_data(image.sha256)
            if data is None:
                continue
            name = f"{output.stem}-{image.sha256[:12]}{_EXTENSIONS.get(image.mime or '', '.img')}"
            try:
                (output.parent / name).write_bytes(data)
            except OSError as exc:
                raise CliError(f"cannot write {output.parent / name}: {exc.strerror}") from None
            links[image.sha256] = name
    return links


async def cmd_import(args: argparse.Namespace, settings: Settings) -> int:
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
    async with _reader(settings, writes=True) as engine:
        try:
            conversation = await engine.import_json(data)
        except AlreadyImported as exc:  # importing a file twice is a no-op that says so, not a failure
            conversation = await engine.conversation(exc.conversation_id)
            say(f"{args.file} was already imported as conversation {conversation.id}; nothing was added")
        except (KeyError, TypeError, ValueError) as exc:
            log.info("import failed", exc_info=True)
            raise CliError(f"{args.file} is not a qwen-tui JSON export ({type(exc).__name__}: {exc})") from None
    out(f"{conversation.id}  {one_line(conversation.title, 80)}\n")
    return EXIT_OK


async def cmd_delete(args: argparse.Namespace, settings: Settings) -> int:
    """Delete a conversation here, then (best effort, with a key) its responses stored on the server.

    The local delete never waits on the server; what happened there is one line on stderr.
    """
    # A demo simulator lives only as long as its command: there is no server copy to delete.
    remote = not args.local_only and settings.api_key is not None and not settings.demo
    async with open_engine(settings, require_key=False) as engine:
        conversation = await find_conversation(engine, args.id)
        cleanup = await engine.delete(conversation.id, remote=remote)
    say(f"deleted conversation {conversation.id} ({one_line(conversation.title, 60)})")
    if remote:
        say(cleanup.summary())
    elif not args.local_only and not settings.demo:
        say("no API key, so its responses stay on the server until they expire (7 days)")
    return EXIT_OK


async def cmd_search(args: argparse.Namespace, settings: Settings) -> int:
    """Full-text hits: conversations whose title matches, then every matching message, newest first;
    each line starts with the conversation id."""
    query = " ".join(args.query)
    async with _reader(settings) as engine:
        hits = await engine.search(query, limit=max(args.limit, 0), titles=True)
    marks = _BOLD if sys.stdout.isatty() else _BRACKETS
    for hit in hits:
        # Written directly rather than through `out`: every piece is already one line without control
        # characters (bidi controls are marked by `shown`), and on a terminal the bold escapes must reach it.
        if hit.kind == "title":
            sys.stdout.write(f"{hit.conversation_id}  title  {shown(_marked(hit.snippet, marks))}\n")
        else:
            sys.stdout.write(f"{hit.conversation_id}  #{hit.message_id}  {hit.role}  {shown(one_line(hit.title, 40))}: "
                             f"{shown(_marked(hit.snippet, marks))}\n")
    sys.stdout.flush()
    if not hits:
        say(f"no conversations or messages match {query!r}")
        return EXIT_FAILURE
    return EXIT_OK


#: How `search` shows a match: bold on a terminal; between brackets in a pipe, which stays plain text.
_BOLD = ("\x1b[1m", "\x1b[22m")
_BRACKETS = ("[", "]")


def _marked(snippet: str, marks: tuple[str, str]) -> str:
    """A search snippet as one safe line (cut at 80 characters), each match between `marks`."""
    opening, closing = marks
    parts = snippet_parts(one_line(snippet, 80))
    return "".join(f"{opening}{text}{closing}" if is_match else text for text, is_match in parts)


def shown(line: str) -> str:
    """A line of search output with bidi controls marked, where model text is made inert."""
    return visible_bidi(line) if inert_on(sys.stdout) else line


def _when(timestamp: float) -> str:
    """A timestamp as local `YYYY-MM-DD HH:MM`."""
    return dt.datetime.fromtimestamp(timestamp).strftime("%Y-%m-%d %H:%M")
