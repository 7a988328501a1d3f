"""Plain records the store hands out: conversations, messages (a tree), output items, usage.

These are the contract between `store/` and `chat/`; they carry no SQL and no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Role = Literal["user", "assistant", "system"]
MessageStatus = Literal["pending", "streaming", "complete", "incomplete", "cancelled", "failed"]
ChainMode = Literal["chain", "replay"]


@dataclass(slots=True)
class Usage:
    """Token usage of one assistant turn (or a sum of turns)."""

    input_tokens: int = 0
    output_tokens: int = 0
    cached_tokens: int = 0
    reasoning_tokens: int = 0
    #: DashScope `usage.x_tools`, flattened to tool name -> call count.
    x_tools: dict[str, int] = field(default_factory=dict)

    @property
    def total_tokens(self) -> int:
        return self.input_tokens + self.output_tokens

    def __add__(self, other: Usage) -> Usage:
        tools = dict(self.x_tools)
        for name, count in other.x_tools.items():
            tools[name] = tools.get(name, 0) + count
        return Usage(
            self.input_tokens + other.input_tokens,
            self.output_tokens + other.output_tokens,
            self.cached_tokens + other.cached_tokens,
            self.reasoning_tokens + other.reasoning_tokens,
            tools,
        )


@dataclass(slots=True)
class OutputItem:
    """One output item of an assistant turn, in server order.

    `type` is the wire item type (`reasoning`, `web_search_call`, `web_extractor_call`,
    `code_interpreter_call`, `function_call`, ...). `data` holds its details as plain
    JSON: for reasoning `{"summary": "..."}`; for tools e.g. `{"query", "sources",
    "goal", "urls", "output", "code", "logs"}`.
    """

    item_id: str
    type: str
    status: str | None = None
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class ImageRef:
    """An image attached to a user message: a stored file (`sha256`, its bytes in the database) or a `url`.

    `mime`, `size` (bytes) and pixel `width`/`height` are known for stored files only.
    """

    name: str
    sha256: str | None = None
    url: str | None = None
    mime: str | None = None
    size: int | None = None
    width: int | None = None
    height: int | None = None


@dataclass(slots=True)
class Conversation:
    id: int
    title: str
    created_at: float
    updated_at: float
    model: str
    endpoint: str
    system_prompt: str | None = None
    pinned: bool = False
    archived: bool = False
    #: Per-conversation options: {"tools": [...], "thinking": bool, "effort": str | None}.
    options: dict[str, Any] = field(default_factory=dict)
    #: Leaf message of the branch the person is on (None for an empty conversation).
    head_message_id: int | None = None


@dataclass(slots=True)
class Message:
    id: int
    conversation_id: int
    parent_id: int | None
    role: Role
    content: str
    created_at: float
    status: MessageStatus = "complete"
    error: str | None = None
    # Assistant turns only:
    model: str | None = None
    response_id: str | None = None
    previous_response_id: str | None = None
    response_created_at: float | None = None
    expires_at: float | None = None
    #: Whether the request was sent with `store` on (only then can the id be chained).
    stored: bool = True
    #: How the turn reached the server: chained on `previous_response_id`, or replayed.
    mode: ChainMode | None = None
    usage: Usage | None = None
    items: list[OutputItem] = field(default_factory=list)
    #: Images attached to a user message, in order.
    images: list[ImageRef] = field(default_factory=list)
    #: Which endpoint answered an assistant turn: "responses" or "chat" (None: the Responses API).
    api: str | None = None


@dataclass(slots=True)
class SearchHit:
    """One match: in a message's text (`kind` "message"), or in a conversation's title (`kind` "title",
    with no message or role)."""

    conversation_id: int
    message_id: int | None
    title: str
    role: Role | None
    #: Text around the match (a title hit: the whole title); matched terms wrapped in
    #: `search.SNIPPET_OPEN` and `SNIPPET_CLOSE`.
    snippet: str
    #: When the message was written; for a title hit, when the conversation was last updated.
    created_at: float
    kind: Literal["message", "title"] = "message"
