"""Conversation export (Markdown transcript, JSON document) and validation of JSON imports.

Pure functions over records; the store does the reading and writing.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from typing import Any

from tui.store.errors import StoreError
from tui.store.input_items import function_items
from tui.store.models import Conversation, Message, OutputItem, Usage
from tui.store.options import clean_options
from tui.store.recovery import INTERRUPTED
from tui.text_safety import one_line

FORMAT = "qwen-tui/1"
_ROLES = {"user", "assistant", "system"}
_STATUSES = {"pending", "streaming", "complete", "incomplete", "cancelled", "failed"}
_SPEAKERS = {"user": "You", "assistant": "Qwen", "system": "System"}


# ---------------------------------------------------------------------- markdown


def _when(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def describe_item(item: OutputItem) -> str:
    """One line for a stored output item, as the Markdown export and `qwen-tui show` print it:
    `Reasoning: Compare runtimes.`, `Web search: rust vs go · 2 sources`, `Code interpreter: `import os` · 3 lines`."""
    data = item.data
    details = [one_line(str(data[key]), 160) for key in ("summary", "query", "goal") if data.get(key)]
    if data.get("name"):
        server = f"{one_line(str(data['server']), 40)}: " if data.get("server") else ""
        details.append(f"{server}{one_line(str(data['name']), 60)}({one_line(str(data.get('arguments') or ''), 80)})")
    if item.type in ("function_call", "mcp_call") and (data.get("output") or data.get("error")):
        details.append(f"→ {one_line(str(data.get('output') or data.get('error')), 120)}")
    if isinstance(results := data.get("results"), list) and results:
        details.append(_count(len(results), "result"))
    if code := str(data.get("code") or "").strip().splitlines():
        details += [f"`{one_line(code[0], 80)}`", _count(len(code), "line")]
    for key, noun in (("sources", "source"), ("urls", "page")):
        if isinstance(listed := data.get(key), list) and listed:
            details.append(_count(len(listed), noun))
    if item.status and item.status != "completed":
        details.append(item.status)
    name = item.type.removesuffix("_call").replace("_", " ").capitalize()
    return f"{name}: {' · '.join(details)}" if details else name


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def _usage_line(usage: Usage) -> str:
    parts = [f"{usage.input_tokens} in", f"{usage.output_tokens} out"]
    if usage.cached_tokens:
        parts.append(f"{usage.cached_tokens} cached")
    if usage.reasoning_tokens:
        parts.append(f"{usage.reasoning_tokens} reasoning")
    parts += [f"{name} ×{count}" for name, count in sorted(usage.x_tools.items())]
    return "Tokens: " + " · ".join(parts)


def to_markdown(conversation: Conversation, branch: list[Message]) -> str:
    """A readable transcript of `branch`: header (title, model, dates) then each message."""
    lines = [
        f"# {conversation.title}",
        "",
        f"- Model: {conversation.model}",
        f"- Created: {_when(conversation.created_at)}",
        f"- Updated: {_when(conversation.updated_at)}",
    ]
    if conversation.system_prompt:
        lines.append(f"- System prompt: {one_line(conversation.system_prompt, 500)}")
    for message in branch:
        speaker = _SPEAKERS[message.role]
        if message.role == "assistant" and message.model:
            speaker += f" ({message.model})"
        lines += ["", f"## {speaker}", ""]
        lines += [f"> {describe_item(item)}" for item in message.items]
        if message.items:
            lines.append("")
        if message.content:
            lines.append(message.content.rstrip())
        if message.status != "complete":
            reason = f": {message.error}" if message.error else ""
            lines += ["", f"*Status: {message.status}{reason}*"]
        if message.usage is not None:
            lines += ["", f"*{_usage_line(message.usage)}*"]
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------- json


def input_array(conversation: Conversation, branch: list[Message]) -> list[dict[str, Any]]:
    """The head branch as a Responses API `input` array (system prompt first, empty turns skipped,
    each function call followed by its output)."""
    items: list[dict[str, Any]] = []
    if conversation.system_prompt:
        items.append({"role": "system", "content": conversation.system_prompt})
    for message in branch:
        items += function_items(message.items)
        if message.content:
            items.append({"role": message.role, "content": message.content})
    return items


def _message_record(message: Message) -> dict[str, Any]:
    record = asdict(message)
    record.pop("conversation_id")
    return record


def head_path(messages: list[Message], head_id: int | None) -> list[Message]:
    """The branch from the root to `head_id`, walked within `messages` (empty without a head)."""
    by_id = {message.id: message for message in messages}
    path: list[Message] = []
    current = by_id.get(head_id) if head_id is not None else None
    while current is not None:
        path.append(current)
        current = by_id.get(current.parent_id) if current.parent_id is not None else None
    return path[::-1]


def to_document(conversation: Conversation, messages: list[Message]) -> dict[str, Any]:
    """The JSON export: format tag, conversation, the full message tree and the head branch `input`
    (taken from that same tree, so the two always agree)."""
    header = asdict(conversation)
    header.pop("id")
    return {
        "format": FORMAT,
        "conversation": header,
        "messages": [_message_record(m) for m in messages],
        "input": input_array(conversation, head_path(messages, conversation.head_message_id)),
    }


@dataclass(slots=True)
class Imported:
    """A validated import: the conversation (id 0) and its messages, parents before children."""

    conversation: Conversation
    messages: list[Message]


def _invalid(reason: str) -> StoreError:
    return StoreError(f"cannot import: {reason}")


def _number(value: Any, field: str, default: float | None = None) -> float | None:
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise _invalid(f"{field} must be a number")
    return float(value)


def _text(value: Any, field: str, default: str | None = None) -> str | None:
    if value is None:
        return default
    if not isinstance(value, str):
        raise _invalid(f"{field} must be text")
    return value


def _usage(value: Any) -> Usage | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise _invalid("usage must be an object")
    counts = {}
    for name in ("input_tokens", "output_tokens", "cached_tokens", "reasoning_tokens"):
        count = value.get(name, 0)
        if isinstance(count, bool) or not isinstance(count, int):
            raise _invalid(f"usage.{name} must be an integer")
        counts[name] = count
    tools = value.get("x_tools") or {}
    if not isinstance(tools, dict) or not all(isinstance(v, int) for v in tools.values()):
        raise _invalid("usage.x_tools must map tool names to counts")
    return Usage(**counts, x_tools={str(k): v for k, v in tools.items()})


def _items(value: Any) -> list[OutputItem]:
    if not isinstance(value, list):
        raise _invalid("items must be a list")
    items = []
    for raw in value:
        if not isinstance(raw, dict) or not isinstance(raw.get("type"), str):
            raise _invalid("every output item needs a type")
        data = raw.get("data") or {}
        if not isinstance(data, dict):
            raise _invalid("output item data must be an object")
        items.append(OutputItem(str(raw.get("item_id") or ""), raw["type"], _text(raw.get("status"), "status"), data))
    return items


def _message(raw: Any, now: float) -> Message:
    if not isinstance(raw, dict):
        raise _invalid("every message must be an object")
    message_id = raw.get("id")
    parent_id = raw.get("parent_id")
    if not isinstance(message_id, int) or not (parent_id is None or isinstance(parent_id, int)):
        raise _invalid("message ids must be integers")
    role = raw.get("role")
    if role not in _ROLES:
        raise _invalid(f"unknown role {role!r}")
    status = raw.get("status", "complete")
    if status not in _STATUSES:
        raise _invalid(f"unknown status {status!r}")
    error = _text(raw.get("error"), "error")
    if status in ("pending", "streaming"):
        # No process is writing an imported turn: it stays as it was saved, marked unfinished.
        status, error = "incomplete", error or INTERRUPTED
    mode = raw.get("mode")
    return Message(
        id=message_id,
        conversation_id=0,
        parent_id=parent_id,
        role=role,
        content=_text(raw.get("content"), "content", "") or "",
        created_at=_number(raw.get("created_at"), "created_at", now) or now,
        status=status,
        error=error,
        model=_text(raw.get("model"), "model"),
        response_id=_text(raw.get("response_id"), "response_id"),
        previous_response_id=_text(raw.get("previous_response_id"), "previous_response_id"),
        response_created_at=_number(raw.get("response_created_at"), "response_created_at"),
        expires_at=_number(raw.get("expires_at"), "expires_at"),
        stored=bool(raw.get("stored", True)),
        mode=mode if mode in ("chain", "replay") else None,
        usage=_usage(raw.get("usage")),
        items=_items(raw.get("items") or []),
    )


def _parents_first(messages: list[Message]) -> list[Message]:
    """Order messages so each parent precedes its children; reject dangling parents and cycles."""
    by_id = {m.id: m for m in messages}
    if len(by_id) != len(messages):
        raise _invalid("duplicate message ids")
    ordered: list[Message] = []
    placed: set[int] = set()
    for message in sorted(messages, key=lambda m: m.id):
        chain: list[Message] = []
        seen: set[int] = set()
        current: Message | None = message
        while current is not None and current.id not in placed:
            if current.id in seen:
                raise _invalid("the message tree has a cycle")
            chain.append(current)
            seen.add(current.id)
            if current.parent_id is None:
                current = None
            elif current.parent_id not in by_id:
                raise _invalid(f"message {current.id} has a missing parent {current.parent_id}")
            else:
                current = by_id[current.parent_id]
        for item in reversed(chain):
            ordered.append(item)
            placed.add(item.id)
    return ordered


def from_document(data: Any, now: float = 0.0) -> Imported:
    """Validate an `export_json` document; `StoreError` (one line) when it is not one."""
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise _invalid(f"not a {FORMAT} export")
    raw = data.get("conversation")
    if not isinstance(raw, dict):
        raise _invalid("the conversation is missing")
    raw_messages = data.get("messages")
    if not isinstance(raw_messages, list):
        raise _invalid("the messages are missing")
    messages = _parents_first([_message(m, now) for m in raw_messages])
    head = raw.get("head_message_id")
    if head is not None and head not in {m.id for m in messages}:
        raise _invalid("the head message is not among the messages")
    options = raw.get("options") or {}
    if not isinstance(options, dict):
        raise _invalid("options must be an object")
    created = _number(raw.get("created_at"), "created_at", now) or now
    conversation = Conversation(
        id=0,
        title=_text(raw.get("title"), "title", "Imported chat") or "Imported chat",
        created_at=created,
        updated_at=_number(raw.get("updated_at"), "updated_at", created) or created,
        model=_text(raw.get("model"), "model", "") or "",
        endpoint=_text(raw.get("endpoint"), "endpoint", "") or "",
        system_prompt=_text(raw.get("system_prompt"), "system_prompt"),
        pinned=bool(raw.get("pinned", False)),
        archived=bool(raw.get("archived", False)),
        options=clean_options(options),
        head_message_id=head,
    )
    return Imported(conversation, messages)
