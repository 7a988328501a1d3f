"""Stored function calls as Responses `input` items, for a replay and for the JSON export's input array.

DashScope wants each `function_call_output` right after its `function_call` in `input`, and only
message / function_call / function_call_output items there (server-side tool items such as
`mcp_call` are not input), so exactly those are sent, in order.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from tui.store.models import OutputItem

#: What the model gets back for a call that never ran (the answer was stopped first).
NOT_RUN = "The call did not run: the answer was stopped before it could."


def function_outputs(items: Iterable[OutputItem]) -> list[dict[str, Any]]:
    """The `function_call_output` items answering the function calls among `items` (a follow-up on the chain)."""
    return [_output(item) for item in items if item.type == "function_call" and item.data.get("call_id")]


def function_items(items: Iterable[OutputItem]) -> list[dict[str, Any]]:
    """Each function call with its output right after it (for a replay); other tool items are left out."""
    sent: list[dict[str, Any]] = []
    for item in items:
        data = item.data
        if item.type != "function_call" or not data.get("call_id"):
            continue
        sent.append(
            {
                "type": "function_call",
                "call_id": data["call_id"],
                "name": data.get("name") or "",
                "arguments": data.get("arguments") or "{}",
            }
        )
        sent.append(_output(item))
    return sent


def _output(item: OutputItem) -> dict[str, Any]:
    data = item.data
    output = data.get("output") or (f"error: {data['error']}" if data.get("error") else NOT_RUN)
    return {"type": "function_call_output", "call_id": data["call_id"], "output": str(output)}
