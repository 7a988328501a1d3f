"""`qwen-tui ask`: one message out, the answer streamed to stdout, tool activity and reasoning to stderr."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import signal
import sys
from typing import Any, TextIO

from tui.chat import ChatEngine, EngineError, Turn, open_engine
from tui.chat.cost import Cost
from tui.chat.images import Attachment, attach
from tui.chat.sources import message_sources, numbered_sources
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
from tui.cli.agent_flags import apply_agent_flags, consent_for, note_agent_details
from tui.cli.console import (
    EXIT_FAILURE,
    EXIT_OK,
    EXIT_SIGINT,
    EXIT_SIGTERM,
    EXIT_USAGE,
    PROG,
    CliError,
    hint_for,
    inert_on,
    out,
    say,
    silence_stdout,
)
from tui.cli.history import find_conversation
from tui.cli.simulator import demo
from tui.config import Settings
from tui.store.export import usage_parts
from tui.text_safety import terminal_safe

log = logging.getLogger("tui.cli")


class TurnPrinter:
    """Shows a running turn: answer text to stdout, reasoning and tool activity to stderr.

    Tool calls arrive as repeated updates of one mutable record; each detail is printed once,
    when it first becomes known, so stderr reads as a log of what the model did.
    """

    def __init__(self, *, stream_text: bool, stdout: TextIO, stderr: TextIO) -> None:
        self.stream_text = stream_text
        self.stdout = stdout
        self.stderr = stderr
        self.text: list[str] = []
        self.finished: TurnFinished | None = None
        self.broken_pipe = False
        self._printed: dict[str, set[str]] = {}
        self._reasoning_item: str | None = None
        self._err_mid_line = False
        # Model output shown on a terminal is made inert (see `for_terminal`); asked once, not per delta.
        self._out_is_terminal = inert_on(stdout)
        self._err_is_terminal = inert_on(stderr)

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
            # One line per wait: a rate limit may be retried for about a minute (Ctrl+C gives up).
            log.info("retrying (attempt %s) in %.1f s: %s", update.attempt, update.delay, update.reason)
            summary = update.reason.split(": ", 1)[0]
            self._note(f"{summary}; retrying in {update.delay:.1f} s (attempt {update.attempt}; Ctrl+C gives up)")
        elif isinstance(update, ChainFallback):
            log.info("chain fallback: %s", update.reason)
            self._note("the server no longer has this conversation's context; resending it in full")
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
        if call.name and call.status != "in_progress":  # arguments are complete once the call left in_progress
            server = f"{call.server}: " if call.server else ""
            once("name", f"[{name}] {server}{call.name}({call.arguments or ''})")
        note_agent_details(call, once)
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
        self.stderr.write(terminal_safe(text) if self._err_is_terminal else text)
        self.stderr.flush()

    def _write_out(self, text: str) -> None:
        """Write answer text; a closed stdout (`| head`) ends the output quietly instead of failing."""
        if self.broken_pipe:
            return
        try:
            self.stdout.write(terminal_safe(text) if self._out_is_terminal else text)
            self.stdout.flush()
        except BrokenPipeError:
            self.broken_pipe = True


def _indent(text: str) -> str:
    """Code or logs indented under their `[tool]` line."""
    return "\n".join("    " + line for line in text.rstrip("\n").splitlines())


def _read_prompt(args: argparse.Namespace) -> str:
    """The prompt from the arguments, or stdin for '-' / no argument with piped input."""
    words = list(args.prompt)
    if words in ([], ["-"]):
        if not words and args.images and sys.stdin.isatty():
            return ""  # images alone are a message
        if not words and sys.stdin.isatty():
            raise CliError(f"no prompt: give one, e.g. {PROG} ask \"hello\", or pipe it on stdin", EXIT_USAGE)
        text = sys.stdin.buffer.read().decode("utf-8", errors="replace")
    else:
        text = " ".join(words)
    if not text.strip() and not args.images:
        raise CliError("the prompt is empty; nothing to send", EXIT_USAGE)
    return text


async def cmd_ask(args: argparse.Namespace, settings: Settings) -> int:
    """Send one message (new conversation, or `-c` to continue one) and show the answer as it streams."""
    prompt = _read_prompt(args)
    # Read and checked before anything is stored or sent: a bad image costs nothing.
    images: list[Attachment] = [await attach(source) for source in args.images or ()]
    with demo(settings, args.demo_speed) as effective:
        async with open_engine(effective) as engine:
            if images:
                # Before a conversation is created, so a refused image leaves nothing behind.
                engine.check_vision(effective.model if args.model is not None else await _model_of(engine, args, effective))
            conversation_id = await _target_conversation(engine, args, effective)
            await apply_agent_flags(engine, conversation_id, args)
            engine.consent = consent_for(args)
            engine.use_saved_approvals = False  # in ask, only --allow-tool / --yes let a call run
            turn = await engine.send(conversation_id, prompt, images=images, discard_if_unsent=True)  # a failed ask leaves no junk
            printer = TurnPrinter(stream_text=not (args.no_stream or args.json), stdout=sys.stdout, stderr=sys.stderr)
            stopped_by = await _drive(turn, printer)
            cost = engine.turn_cost(printer.finished.message) if printer.finished else None
    return _finish_ask(args, printer, stopped_by, cost)


async def _model_of(engine: ChatEngine, args: argparse.Namespace, settings: Settings) -> str:
    """The model the answer will use: the continued conversation's own, else the settings' (before anything is created)."""
    if args.continue_ is None:
        return settings.model
    conversation = await (engine.latest_conversation() if args.continue_ == "latest" else _maybe(engine, int(args.continue_)))
    return conversation.model if conversation is not None else settings.model


async def _maybe(engine: ChatEngine, conversation_id: int) -> Any:
    try:
        return await engine.conversation(conversation_id)
    except EngineError:
        return None


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


def _finish_ask(args: argparse.Namespace, printer: TurnPrinter, stopped_by: int | None, cost: Cost | None = None) -> int:
    """Print the end of the answer (or the JSON object), its sources and usage on stderr, and the outcome;
    return the exit status. stdout carries the answer only."""
    finished = printer.finished
    if finished is None:  # the engine promises a TurnFinished; never end silently if it did not come
        raise CliError("the answer ended without a result; see the log file")
    message = finished.message
    text = "".join(printer.text) or message.content
    if stopped_by == signal.SIGPIPE:
        silence_stdout()
        return 128 + signal.SIGPIPE
    if args.json:
        out(json.dumps(_turn_json(finished, text, cost), ensure_ascii=False) + "\n")
    elif text and not printer.stream_text:
        out(text if text.endswith("\n") else text + "\n")
    elif text and not text.endswith("\n"):
        out("\n")
    sources = message_sources(message)
    if sources and sys.stderr.isatty():  # pipes already got each source as a `[web_search] source:` line
        print("Sources:\n" + "\n".join(numbered_sources(sources, hyperlinks=True)), file=sys.stderr, flush=True)
    if (args.usage or sys.stderr.isatty()) and message.usage is not None:
        say(_usage_line(message, cost))
    where = f"conversation {message.conversation_id} ('{PROG} show {message.conversation_id}')"
    log.info("answer %s in conversation %s: %s (%s)", message.id, message.conversation_id, finished.status, message.mode)
    if finished.status == "complete":
        return EXIT_OK
    if finished.status == "cancelled":
        kept = "the partial answer is kept" if text else "nothing had arrived yet; your message is kept"
        say(f"stopped; {kept} in {where}")
        return EXIT_SIGTERM if stopped_by == signal.SIGTERM else EXIT_SIGINT
    reason = " ".join((finished.error or f"the answer is {finished.status}").split())
    log.warning("answer %s ended %s: %s", message.id, finished.status, reason)
    hint = hint_for(reason)
    if text:
        hint = f"the partial answer is kept in {where}"
    say(f"error: {reason}" + (f"; {hint}" if hint else ""))
    return EXIT_FAILURE


async def _target_conversation(engine: ChatEngine, args: argparse.Namespace, settings: Settings) -> int:
    """A new conversation (with this run's tools/thinking/effort), or the one `-c` names, updated with new flags
    (--tools, --thinking, --effort, --model)."""
    chosen = {"tools": settings.tools, "thinking": settings.thinking, "effort": settings.effort}
    options = {name: value for name, value in chosen.items() if value is not None}
    if settings.private:
        options["private"] = True
    if args.continue_ is None:
        conversation = await engine.new_conversation(system_prompt=settings.system_prompt, options=options)
        return conversation.id
    if args.system is not None:
        raise CliError("--system applies to a new conversation only; drop -c to start one", EXIT_USAGE)
    if args.continue_ == "latest":
        latest = await engine.latest_conversation()
        if latest is None:
            say("no conversation to continue yet; starting a new one")
            conversation = await engine.new_conversation(system_prompt=settings.system_prompt, options=options)
            return conversation.id
        conversation_id = latest.id
    else:
        conversation_id = int(args.continue_)
        await find_conversation(engine, conversation_id)
    given = {"tools": args.tools, "thinking": args.thinking, "effort": args.effort, "private": args.private}
    changes = {name: value for name, value in given.items() if value is not None}
    if changes:
        await engine.set_options(conversation_id, **changes)
    if args.model is not None:  # an explicit --model moves the conversation to it; else it keeps its own
        await engine.set_model(conversation_id, settings.model)
    return conversation_id


def _usage_line(message: Any, cost: Cost | None) -> str:
    """`tokens 120 in · 48 out · 12 reasoning · ≈ $0.0001 (estimate)`."""
    parts = usage_parts(message.usage)
    parts[0] = "tokens " + parts[0]
    if cost is not None:
        parts.append(cost.label)
    return " · ".join(parts)


def _turn_json(finished: TurnFinished, text: str, cost: Cost | None = None) -> dict[str, Any]:
    """The `--json` result: ids, status, text, usage, estimated cost and sources of the answer."""
    message = finished.message
    usage = message.usage
    return {
        "api": message.api or "responses",
        "cost": cost.as_json() if cost is not None and usage is not None else None,
        "sources": message_sources(message),
        "id": message.id,
        "conversation_id": message.conversation_id,
        "response_id": message.response_id,
        "model": message.model,
        "mode": message.mode,
        "status": finished.status,
        "error": finished.error,
        "text": text,
        "items": [{"type": item.type, "status": item.status, **item.data} for item in message.items],
        "usage": None if usage is None else {
            "input_tokens": usage.input_tokens,
            "output_tokens": usage.output_tokens,
            "total_tokens": usage.total_tokens,
            "cached_tokens": usage.cached_tokens,
            "reasoning_tokens": usage.reasoning_tokens,
            "x_tools": usage.x_tools,
        },
    }
