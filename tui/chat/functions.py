"""Local function tools: the registry the model may call, the runner, and the consent they wait on.

Nothing runs without a "yes": every call goes through a `Consent` callback (the app's dialog, or
`ask`'s --allow-tool / --yes policy) unless the person already said "always" for this conversation.
A call runs with a time cap and an output cap, and its output is made inert (no control bytes), so
neither the model nor the terminal ever sees an escape sequence from a tool. A denial or a failure
is the call's output: the model reads it and the conversation goes on.
"""

from __future__ import annotations

import asyncio
import json
import os
import shlex
import signal
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol

from tui.chat.agent_tools import function_declaration
from tui.chat.updates import ToolCall, ToolCallUpdated, Update
from tui.text_safety import strip_controls
from tui.tool_config import BUILTIN_FUNCTIONS, FunctionTool

#: Seconds a function may run, and characters of output the model gets back (the rest is cut).
DEFAULT_TIMEOUT = 30.0
OUTPUT_LIMIT = 16_000
#: Entries `list_dir` returns at most.
LIST_LIMIT = 500

Decision = Literal["once", "always", "deny"]
#: Local statuses of a function call after the model asked for it.
AWAITING, RUNNING, DENIED = "awaiting_consent", "running", "denied"


@dataclass(frozen=True, slots=True)
class FunctionRequest:
    """What the person is asked to allow: the exact call (name and the model's JSON arguments)."""

    conversation_id: int
    item_id: str
    call_id: str
    name: str
    arguments: str
    description: str


class Consent(Protocol):
    """Asked once per call that is not already allowed; returns "once", "always" or "deny"."""

    def __call__(self, request: FunctionRequest) -> Awaitable[Decision]: ...


def allow_named(names: Sequence[str], *, everything: bool = False) -> Consent:
    """A consent that allows the named functions (or all, with `everything`) and denies the rest (`ask`)."""
    allowed = frozenset(names)

    async def decide(request: FunctionRequest) -> Decision:
        return "once" if everything or request.name in allowed else "deny"

    return decide


@dataclass(frozen=True, slots=True)
class Outcome:
    output: str
    failed: bool = False


@dataclass(frozen=True, slots=True)
class FunctionSpec:
    """One callable function: what the model is told, and how it runs."""

    name: str
    description: str
    parameters: dict[str, Any]
    #: Config-defined: the command that gets the arguments as JSON on stdin.
    command: str | None = None
    timeout: float = DEFAULT_TIMEOUT

    def declaration(self) -> dict[str, Any]:
        return function_declaration(self.name, self.description, self.parameters)


_PATH_ARG = {"type": "object", "properties": {"path": {"type": "string", "description": "a path relative to the root"}}}
BUILTIN_SPECS = {
    "read_file": FunctionSpec(
        "read_file", "Read a text file under the allowed folder.", {**_PATH_ARG, "required": ["path"]}
    ),
    "list_dir": FunctionSpec("list_dir", "List a folder under the allowed folder (default: the folder itself).", _PATH_ARG),
    "shell": FunctionSpec(
        "shell",
        "Run a shell command in the allowed folder and return what it prints.",
        {"type": "object", "properties": {"command": {"type": "string"}}, "required": ["command"]},
    ),
}
assert tuple(BUILTIN_SPECS) == BUILTIN_FUNCTIONS


def function_specs(defined: Sequence[FunctionTool]) -> dict[str, FunctionSpec]:
    """The built-in functions and the ones the config defines, by name."""
    specs = dict(BUILTIN_SPECS)
    for tool in defined:
        specs[tool.name] = FunctionSpec(
            tool.name, tool.description, tool.parameters, tool.command, tool.timeout or DEFAULT_TIMEOUT
        )
    return specs


def inert(text: str, limit: int = OUTPUT_LIMIT) -> str:
    """Tool output as the model and the screen get it: no control characters, at most `limit` characters."""
    text = strip_controls(text)
    if len(text) > limit:
        return text[:limit] + f"\n[output cut at {limit} characters]"
    return text


class FunctionRunner:
    """Runs functions under `root`: the built-ins in-process, commands as subprocesses with caps."""

    def __init__(self, root: Path, *, output_limit: int = OUTPUT_LIMIT, hidden_env: Sequence[str] = ()) -> None:
        self.root = root.resolve()
        self.output_limit = output_limit
        #: Environment variables a tool's process does not get (the API key, MCP header secrets).
        self.hidden_env = frozenset(hidden_env)

    async def run(self, spec: FunctionSpec, arguments: str) -> Outcome:
        """Run one call; bad arguments, a path outside the root, a timeout or a crash are failed outcomes."""
        try:
            args = json.loads(arguments or "{}")
        except ValueError:
            return Outcome(f"error: the arguments are not valid JSON: {arguments[:200]!r}", failed=True)
        if not isinstance(args, dict):
            return Outcome("error: the arguments must be a JSON object", failed=True)
        try:
            if spec.name == "read_file" and spec.command is None:
                return self._read_file(str(args.get("path") or ""))
            if spec.name == "list_dir" and spec.command is None:
                return self._list_dir(str(args.get("path") or "."))
            if spec.name == "shell" and spec.command is None:
                command = str(args.get("command") or "")
                if not command.strip():
                    return Outcome("error: no command given", failed=True)
                return await self._process(["/bin/sh", "-c", command], None, spec.timeout)
            assert spec.command is not None
            return await self._process(shlex.split(spec.command), json.dumps(args).encode(), spec.timeout)
        except OSError as exc:
            return Outcome(f"error: {exc.strerror or exc}", failed=True)

    def _inside(self, relative: str) -> Path:
        path = (self.root / relative).resolve()
        if not path.is_relative_to(self.root):
            raise PermissionError(f"{relative!r} is outside the allowed folder")
        return path

    def _read_file(self, relative: str) -> Outcome:
        if not relative:
            return Outcome("error: no path given", failed=True)
        try:
            path = self._inside(relative)
        except PermissionError as exc:
            return Outcome(f"error: {exc}", failed=True)
        with path.open("rb") as handle:
            data = handle.read(self.output_limit * 4 + 1)
        return Outcome(inert(data.decode("utf-8", errors="replace"), self.output_limit))

    def _list_dir(self, relative: str) -> Outcome:
        try:
            path = self._inside(relative)
        except PermissionError as exc:
            return Outcome(f"error: {exc}", failed=True)
        entries = sorted(path.iterdir(), key=lambda entry: entry.name)
        lines = [entry.name + ("/" if entry.is_dir() else "") for entry in entries[:LIST_LIMIT]]
        if len(entries) > LIST_LIMIT:
            lines.append(f"[{len(entries) - LIST_LIMIT} more entries not listed]")
        return Outcome(inert("\n".join(lines) or "(empty folder)", self.output_limit))

    async def _process(self, argv: list[str], stdin: bytes | None, timeout: float) -> Outcome:
        """Run `argv` in its own process group; stdout and stderr merged, capped; killed on timeout or cancel."""
        spawn = asyncio.ensure_future(
            asyncio.create_subprocess_exec(
                *argv,
                cwd=self.root,
                env={name: value for name, value in os.environ.items() if name not in self.hidden_env},
                stdin=asyncio.subprocess.PIPE if stdin is not None else asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.STDOUT,
                start_new_session=True,
            )
        )
        try:
            process = await asyncio.shield(spawn)
        except asyncio.CancelledError:  # cancelled while starting: let it start, then stop its whole group
            _kill(await spawn)
            raise
        try:
            async with asyncio.timeout(timeout):
                if stdin is not None and process.stdin is not None:
                    process.stdin.write(stdin)
                    await process.stdin.drain()
                    process.stdin.close()
                output, flooded = await self._read_capped(process)
                code = await process.wait()
        except TimeoutError:
            _kill(process)
            await process.wait()
            return Outcome(f"error: stopped after {timeout:g} s (time limit)", failed=True)
        finally:
            if process.returncode is None:  # cancelled: never leave it running
                _kill(process)
        text = inert(output.decode("utf-8", errors="replace"), self.output_limit)
        if flooded:  # stopped by us for printing too much: what it printed is the (cut) result
            return Outcome(text)
        if code != 0:
            return Outcome(f"{text}\n[exit status {code}]".lstrip("\n"), failed=True)
        return Outcome(text)

    async def _read_capped(self, process: asyncio.subprocess.Process) -> tuple[bytes, bool]:
        """Read output up to 4x the character cap; past it, stop the process (a flood is cut, not
        buffered). Returns the output and whether it was stopped for that."""
        assert process.stdout is not None
        limit = self.output_limit * 4
        chunks: list[bytes] = []
        size = 0
        while chunk := await process.stdout.read(65536):
            chunks.append(chunk)
            size += len(chunk)
            if size > limit:
                _kill(process)
                while await process.stdout.read(65536):  # drain to EOF, or a paused pipe keeps wait() waiting
                    pass
                return b"".join(chunks)[: limit + 1], True
        return b"".join(chunks), False


def _kill(process: asyncio.subprocess.Process) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


@dataclass(slots=True)
class FunctionLoop:
    """One conversation's function calls for a turn: which functions exist, who decides, who runs them."""

    conversation_id: int
    specs: dict[str, FunctionSpec]
    runner: FunctionRunner
    consent: Consent | None
    #: Functions the person allowed "always" in this conversation.
    approved: set[str] = field(default_factory=set)
    #: Called with a name when the person says "always" (the engine stores it with the conversation).
    remember: Callable[[str], Awaitable[None]] | None = None

    def declarations(self) -> list[dict[str, Any]]:
        return [spec.declaration() for spec in self.specs.values()]

    async def run(self, calls: Sequence[ToolCall], push: Callable[[Update], None]) -> None:
        """Ask consent for each call in order, then run the allowed ones together; fills each call's
        status, decision and output (denials and failures included) and pushes every change."""
        allowed: list[tuple[ToolCall, FunctionSpec]] = []
        try:
            for call in calls:
                spec = self.specs.get(call.name or "")
                if spec is None:
                    _settle(call, "failed", f"error: no function named {call.name!r} is available", push)
                    continue
                if await self._decide(call, spec, push):
                    allowed.append((call, spec))
            await asyncio.gather(*(self._run_one(call, spec, push) for call, spec in allowed))
        except asyncio.CancelledError:
            for call in calls:
                if call.status in (AWAITING, RUNNING):
                    call.status = "cancelled"
                    push(ToolCallUpdated(call.snapshot()))
            raise

    async def _decide(self, call: ToolCall, spec: FunctionSpec, push: Callable[[Update], None]) -> bool:
        if spec.name in self.approved:
            call.decision = "auto"
            return True
        decision: Decision = "deny"
        if self.consent is not None:
            call.status = AWAITING
            push(ToolCallUpdated(call.snapshot()))
            request = FunctionRequest(
                self.conversation_id, call.item_id, call.call_id or "", spec.name, call.arguments or "{}", spec.description
            )
            decision = await self.consent(request)
        call.decision = decision
        if decision == "always":
            self.approved.add(spec.name)
            if self.remember is not None:
                await self.remember(spec.name)
        if decision == "deny":
            _settle(call, DENIED, f"The person did not allow this call to {spec.name}; it did not run.", push)
            return False
        return True

    async def _run_one(self, call: ToolCall, spec: FunctionSpec, push: Callable[[Update], None]) -> None:
        call.status = RUNNING
        push(ToolCallUpdated(call.snapshot()))
        outcome = await self.runner.run(spec, call.arguments or "{}")
        _settle(call, "failed" if outcome.failed else "completed", outcome.output, push)


def _settle(call: ToolCall, status: str, output: str, push: Callable[[Update], None]) -> None:
    call.status = status
    call.output = output
    if status == "failed":
        call.error = output.splitlines()[0][:200] if output else "failed"
    push(ToolCallUpdated(call.snapshot()))
