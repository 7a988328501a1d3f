"""Reading the tool items DashScope sends that the wire module keeps as unknown: MCP calls and tool
lists, image searches, file (knowledge-base) searches. Their fields arrive as the item's extras."""

from __future__ import annotations

import json
from typing import Any

from tui.chat.updates import ToolCall

#: Items whose `output` is a JSON string of `[{title, url, index}]` (DashScope's image tools).
IMAGE_ITEMS = frozenset({"web_search_image_call", "image_search_call"})


def fill_extra_tool(call: ToolCall, extra: dict[str, Any]) -> None:
    """Copy what an unmodelled tool item carries onto `call`, never erasing what is known."""
    call.name = _text(extra.get("name")) or call.name
    call.arguments = _text(extra.get("arguments")) or call.arguments
    call.server = _text(extra.get("server_label")) or call.server
    error = extra.get("error")
    if isinstance(error, dict):
        error = error.get("message") or error.get("code")
    call.error = _text(error) or call.error
    output = extra.get("output")
    if call.type in IMAGE_ITEMS:
        call.results = image_results(output) or call.results
        call.query = call.query or _query_of(call.arguments)
    if isinstance(output, str) and output:
        call.output = output
    if call.type == "file_search_call":
        queries = [q for q in extra.get("queries") or [] if isinstance(q, str) and q]
        call.query = ", ".join(queries) or call.query
        results = extra.get("results")
        if isinstance(results, list):
            call.results = [_file_result(entry) for entry in results if isinstance(entry, dict)] or call.results
    if call.type == "mcp_list_tools":
        tools = extra.get("tools")
        if isinstance(tools, list):
            listed = [
                {"name": str(tool.get("name") or ""), "description": str(tool.get("description") or "")}
                for tool in tools
                if isinstance(tool, dict)
            ]
            call.results = listed or call.results


def image_results(output: Any) -> list[dict[str, Any]]:
    """`[{title, url}]` from an image tool's output: a JSON string (documented) or an already-parsed list."""
    if isinstance(output, str):
        try:
            output = json.loads(output)
        except ValueError:
            return []
    if not isinstance(output, list):
        return []
    results = []
    for entry in output:
        if isinstance(entry, dict) and isinstance(entry.get("url"), str):
            results.append({"title": str(entry.get("title") or entry["url"]), "url": entry["url"]})
    return results


def mcp_arguments_delta(call: ToolCall, event: Any) -> bool:
    delta = _text(getattr(event, "delta", None))
    if not delta:
        return False
    call.arguments = (call.arguments or "") + delta
    return True


def mcp_arguments_done(call: ToolCall, event: Any) -> bool:
    arguments = _text(getattr(event, "arguments", None))
    if not arguments or arguments == call.arguments:
        return False
    call.arguments = arguments
    return True


def _file_result(entry: dict[str, Any]) -> dict[str, Any]:
    """One knowledge-base hit: its file name, score and text (the fields the docs list)."""
    result: dict[str, Any] = {
        "filename": str(entry.get("filename") or entry.get("file_id") or ""),
        "text": str(entry.get("text") or ""),
    }
    if isinstance(entry.get("score"), (int, float)):
        result["score"] = entry["score"]
    return result


def _query_of(arguments: str | None) -> str | None:
    """The search words inside an image tool's arguments (`{"query": ...}`), when it has them."""
    try:
        parsed = json.loads(arguments or "")
    except ValueError:
        return None
    if isinstance(parsed, dict):
        for key in ("query", "queries", "keyword"):
            value = parsed.get(key)
            if isinstance(value, str) and value:
                return value
            if isinstance(value, list) and value:
                return ", ".join(str(v) for v in value)
    return None


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None
