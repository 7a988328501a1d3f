"""Small domain updates the engine emits while a turn runs; the CLI and the app consume them.

The contract between `chat/` and its two front ends (headless CLI, Textual app).
A turn always ends with exactly one `TurnFinished`, whatever happened.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from tui.chat.meter import ContextMeter
from tui.store.models import ChainMode, Message, MessageStatus, OutputItem, Usage


@dataclass(frozen=True, slots=True)
class TurnStarted:
    """The user's message is committed and the request is about to leave."""

    conversation_id: int
    user_message_id: int
    assistant_message_id: int
    mode: ChainMode
    #: The endpoint answering: "responses", or "chat" (Chat Completions; the status line says "chat completions").
    api: str = "responses"


@dataclass(frozen=True, slots=True)
class Retrying:
    """A retryable failure before the first byte; the engine waits `delay` seconds, until `resume_at`.

    A rate limit is retried for up to about a minute: a front end counts down to `resume_at` (on the
    engine's clock) and cancelling the turn gives up the wait.
    """

    attempt: int
    delay: float
    reason: str
    resume_at: float | None = None


@dataclass(frozen=True, slots=True)
class ChainFallback:
    """The server no longer knows the chained id; the turn is re-sent as a local replay (once per turn).

    Front ends say so once: the status line, and one stderr line in `ask`.
    """

    reason: str


@dataclass(frozen=True, slots=True)
class RemoteCleanup:
    """What deleting a conversation did to its responses stored on the server (best effort).

    Not a turn update: `ChatEngine.delete` returns it, for the front end to report in one line.
    """

    deleted: int = 0
    already_gone: int = 0
    failed: int = 0
    #: The first failure, as one line (None if none failed).
    error: str | None = None

    def summary(self) -> str:
        """One line for a person: what happened on the server."""
        total = self.deleted + self.already_gone + self.failed
        if total == 0:
            return "nothing was stored on the server"
        parts = [f"deleted {self.deleted} of {total} stored responses on the server"]
        if self.already_gone:
            parts.append(f"{self.already_gone} had already expired")
        if self.failed:
            parts.append(f"{self.failed} could not be deleted ({self.error}); the server drops them after 7 days")
        return "; ".join(parts)


@dataclass(frozen=True, slots=True)
class ResponseCreated:
    response_id: str
    expires_at: float | None


@dataclass(frozen=True, slots=True)
class TextDelta:
    text: str


@dataclass(frozen=True, slots=True)
class ReasoningDelta:
    """A piece of the reasoning summary ("thinking")."""

    item_id: str
    text: str


@dataclass(slots=True)
class ToolCall:
    """A built-in tool call as the tool panel shows it; status moves in_progress -> ... -> completed."""

    item_id: str
    #: Wire item type: web_search_call | web_extractor_call | code_interpreter_call | function_call | ...
    type: str
    status: str = "in_progress"
    query: str | None = None
    sources: list[str] = field(default_factory=list)
    goal: str | None = None
    urls: list[str] = field(default_factory=list)
    code: str | None = None
    logs: str | None = None
    output: str | None = None
    name: str | None = None
    arguments: str | None = None
    #: mcp_call / mcp_list_tools: the server's label; function_call: the id its output answers.
    server: str | None = None
    call_id: str | None = None
    #: Why an MCP call or a local function failed (shown instead of an output).
    error: str | None = None
    #: Listed results: image search `{title, url}`, file search `{filename, score, text}`, MCP tools `{name, description}`.
    results: list[dict[str, Any]] = field(default_factory=list)
    #: A local function's consent: "once", "always", "deny" (or "auto" when already allowed).
    decision: str | None = None

    def snapshot(self) -> ToolCall:
        """A copy whose lists are its own, so later changes to the live call never rewrite a sent update."""
        return replace(self, sources=list(self.sources), urls=list(self.urls), results=list(self.results))

    def details(self) -> dict[str, Any]:
        """What is stored with its output item (`OutputItem.data`): only the fields that are set."""
        return {key: value for key in _TOOL_DETAILS if (value := getattr(self, key))}

    @classmethod
    def from_item(cls, item: OutputItem) -> ToolCall:
        """The call rebuilt from its stored output item (a finished answer)."""
        details = {key: item.data[key] for key in _TOOL_DETAILS if item.data.get(key)}
        for key in ("sources", "urls", "results"):
            details[key] = list(details.get(key) or [])
        return cls(item.item_id, item.type, item.status or "completed", **details)


#: The fields of a `ToolCall` that describe what the tool did (stored as `OutputItem.data`).
_TOOL_DETAILS = (
    "query", "sources", "goal", "urls", "code", "logs", "output", "name", "arguments",
    "server", "call_id", "error", "results", "decision",
)


@dataclass(frozen=True, slots=True)
class ToolCallUpdated:
    call: ToolCall


@dataclass(frozen=True, slots=True)
class UsageUpdated:
    usage: Usage


@dataclass(frozen=True, slots=True)
class ContextUpdated:
    """After a turn that reported usage: how full the model's window now is (`meter.warn` at 80%)."""

    conversation_id: int
    meter: ContextMeter


@dataclass(frozen=True, slots=True)
class TurnFinished:
    """The last update of every turn. `message` is the stored assistant message as it now is.

    A turn started with `discard_if_unsent` that failed before anything of the answer arrived leaves
    nothing behind: `discarded` is set, its answer (and its question, if this turn added it) are gone
    from the store, `unsent_text` is that question to give back to the person (None for a
    regeneration), and `conversation_removed` says the conversation, empty before, was removed too.
    """

    status: MessageStatus
    error: str | None
    message: Message
    discarded: bool = False
    unsent_text: str | None = None
    conversation_removed: bool = False


Update = (
    TurnStarted
    | Retrying
    | ChainFallback
    | ResponseCreated
    | TextDelta
    | ReasoningDelta
    | ToolCallUpdated
    | UsageUpdated
    | ContextUpdated
    | TurnFinished
)
