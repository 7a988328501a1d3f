"""Row <-> record conversion: the column lists and how rows become `Conversation`/`Message`."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from tui.store.models import Conversation, Message, OutputItem, Usage
from tui.store.recovery import settled

CONVERSATION_COLUMNS = (
    "id, title, created_at, updated_at, model, endpoint, system_prompt, pinned, archived, options, head_message_id"
)
MESSAGE_COLUMNS = (
    "id, conversation_id, parent_id, role, content, created_at, status, error, model, mode, stored, "
    "response_id, previous_response_id, response_created_at, expires_at, "
    "input_tokens, output_tokens, cached_tokens, reasoning_tokens, x_tools, writer_pid, api"
)


def conversation_from_row(row: sqlite3.Row) -> Conversation:
    """A `Conversation` from a row selected with CONVERSATION_COLUMNS."""
    return Conversation(
        id=row["id"],
        title=row["title"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        model=row["model"],
        endpoint=row["endpoint"],
        system_prompt=row["system_prompt"],
        pinned=bool(row["pinned"]),
        archived=bool(row["archived"]),
        options=json.loads(row["options"] or "{}"),
        head_message_id=row["head_message_id"],
    )


def message_from_row(row: sqlite3.Row) -> Message:
    """A `Message` (without items) from a row selected with MESSAGE_COLUMNS; usage None when never set.

    A turn left pending/streaming with no live writer reads as the incomplete turn it is (see `settled`),
    also where the file cannot be written to record that.
    """
    usage = usage_from_row(row) if row["input_tokens"] is not None else None
    status, error = settled(row["status"], row["writer_pid"]) or (row["status"], row["error"])
    return Message(
        id=row["id"],
        conversation_id=row["conversation_id"],
        parent_id=row["parent_id"],
        role=row["role"],
        content=row["content"],
        created_at=row["created_at"],
        status=status,
        error=error,
        model=row["model"],
        response_id=row["response_id"],
        previous_response_id=row["previous_response_id"],
        response_created_at=row["response_created_at"],
        expires_at=row["expires_at"],
        stored=bool(row["stored"]),
        mode=row["mode"],
        usage=usage,
        api=row["api"],
    )


def usage_from_row(row: sqlite3.Row) -> Usage:
    """The `Usage` of a row holding the token columns (input_tokens not null) and x_tools."""
    return Usage(
        input_tokens=row["input_tokens"],
        output_tokens=row["output_tokens"] or 0,
        cached_tokens=row["cached_tokens"] or 0,
        reasoning_tokens=row["reasoning_tokens"] or 0,
        x_tools=json.loads(row["x_tools"] or "{}"),
    )


def usage_values(usage: Usage | None) -> tuple[Any, ...]:
    """Values for (input_tokens, output_tokens, cached_tokens, reasoning_tokens, x_tools)."""
    if usage is None:
        return (None, None, None, None, None)
    return (
        usage.input_tokens,
        usage.output_tokens,
        usage.cached_tokens,
        usage.reasoning_tokens,
        json.dumps(usage.x_tools, sort_keys=True),
    )


def item_from_row(row: sqlite3.Row) -> OutputItem:
    """An `OutputItem` from an output_items row."""
    return OutputItem(item_id=row["item_id"], type=row["type"], status=row["status"], data=json.loads(row["data"]))


def item_values(message_id: int, position: int, item: OutputItem) -> tuple[Any, ...]:
    """Values for an output_items INSERT (message_id, position, item_id, type, status, data)."""
    return (message_id, position, item.item_id, item.type, item.status, json.dumps(item.data, ensure_ascii=False))
