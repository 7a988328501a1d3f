"""Turns a request's `input` (a string or an item array) into plain (role, text) messages the scripted model reads."""

from __future__ import annotations

from typing import Any

_TEXT_PART_TYPES = frozenset({"input_text", "output_text", "text", "summary_text", "reasoning_text"})


def _content_text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        texts = [
            part.get("text", "")
            for part in content
            if isinstance(part, dict) and part.get("type") in _TEXT_PART_TYPES and isinstance(part.get("text"), str)
        ]
        return "\n".join(texts)
    return ""


def input_messages(value: Any) -> list[tuple[str, str]]:
    """Messages carried by a request's `input`; tool outputs count as tool messages, other items are skipped."""
    if isinstance(value, str):
        return [("user", value)]
    messages: list[tuple[str, str]] = []
    for item in value if isinstance(value, list) else []:
        if not isinstance(item, dict):
            continue
        kind = item.get("type", "message")
        if kind == "message" and isinstance(item.get("role"), str):
            messages.append((item["role"], _content_text(item.get("content"))))
        elif kind == "function_call_output":
            output = item.get("output")
            messages.append(("tool", output if isinstance(output, str) else _content_text(output)))
    return messages


def is_valid_input(value: Any) -> bool:
    """DashScope wants a non-empty string or a non-empty item array."""
    return (isinstance(value, str) and value != "") or (isinstance(value, list) and len(value) > 0)
