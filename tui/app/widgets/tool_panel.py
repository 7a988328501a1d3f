"""The tool-activity panel: each tool call of the current answer (built-in, MCP, local function) live."""

from __future__ import annotations

import textwrap
from typing import Any

from textual.containers import VerticalScroll
from textual.content import Content
from textual.style import Style
from textual.widgets import Static

from tui.app.formatting import plural
from tui.chat.functions import AWAITING, DENIED, RUNNING
from tui.chat.updates import ToolCall, ToolCallUpdated, TurnFinished, Update, UsageUpdated
from tui.config import KNOWN_TOOLS
from tui.store.models import OutputItem, Usage
from tui.text_safety import one_line, strip_controls

#: Wire item type -> what the card calls it: the built-in tools of the settings, then the others.
TOOL_NAMES = {f"{tool}_call": tool.replace("_", " ") for tool in KNOWN_TOOLS} | {
    "function_call": "function",
    "mcp_call": "MCP",
    "mcp_list_tools": "MCP tools",
}
STATUS_STYLE = {
    "completed": "$text-success",
    "failed": "$text-error",
    "incomplete": "$text-error",
    DENIED: "$text-error",
    "cancelled": "$text-error",
    AWAITING: "bold $text-warning",
}
#: What a local function's consent reads as on its card.
DECISIONS = {
    "once": "allowed once",
    "always": "allowed always (this chat)",
    "auto": "allowed (always, this chat)",
    "deny": "denied by you",
}
#: How many lines of code, logs or output a card shows; the panel is for glancing, not reading.
MAX_BLOCK_LINES = 8
#: Card text width: the panel is 36 columns wide; code lines are cut with "…", URLs wrap in full.
TEXT_WIDTH = 31
#: A listed result's text (file search) at most this many lines.
RESULT_LINES = 3

Part = str | tuple[str, str | Style]


def _wrapped(text: str, limit: int = 300, indent: str = "  ") -> str:
    """Free text (a query, a goal) wrapped and indented to fit the panel."""
    return "\n".join(textwrap.wrap(one_line(text, limit), TEXT_WIDTH, initial_indent=indent, subsequent_indent=indent))


def _url_parts(url: str, lead: str = "  · ", style: str = "") -> list[Part]:
    """A URL in full (a terminal link), cut into lines at the panel's width: a URL has no spaces to wrap at."""
    flat = one_line(url)
    linked = Style.parse(style) + Style(link=flat) if style else Style(link=flat)
    width = TEXT_WIDTH - 4
    chunks = [flat[start : start + width] for start in range(0, len(flat), width)] or [""]
    parts: list[Part] = ["\n" + lead, (chunks[0], linked)]
    for chunk in chunks[1:]:
        parts += ["\n    ", (chunk, linked)]
    return parts


def _block(text: str) -> str:
    lines = strip_controls(text).rstrip().splitlines()
    if len(lines) > MAX_BLOCK_LINES:
        lines = lines[:MAX_BLOCK_LINES] + [f"… {len(lines) - MAX_BLOCK_LINES} more lines"]
    width = TEXT_WIDTH - 2
    return "\n".join("  " + (line if len(line) <= width else line[: width - 1] + "…") for line in lines)


def _wrapped_block(text: str) -> str:
    """Output, an error or JSON arguments (complete or still streaming): every line wrapped in full, the
    whole capped at the block's line count."""
    width = TEXT_WIDTH - 2
    lines: list[str] = []
    for line in strip_controls(text).rstrip().splitlines():
        lines += textwrap.wrap(line, width, break_long_words=True, break_on_hyphens=False, drop_whitespace=False) or [""]
    if len(lines) > MAX_BLOCK_LINES:
        lines = lines[:MAX_BLOCK_LINES] + [f"… {len(lines) - MAX_BLOCK_LINES} more lines"]
    return "\n".join("  " + line for line in lines)


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


def _section(title: str, body: str) -> list[Part]:
    return ["\n  ", (title, "dim"), "\n", body] if body else []


def _links(title: str, urls: list[str]) -> list[Part]:
    """Every URL in full, each on its own wrapped lines (web search sources, extracted pages)."""
    parts: list[Part] = ["\n  ", (title, "dim")]
    for url in urls:
        parts += _url_parts(url)
    return parts


def _image_results(results: list[dict[str, Any]]) -> list[Part]:
    """Image search hits: the title (a terminal link where the terminal has them), then its URL in full."""
    parts: list[Part] = ["\n  ", (_count(len(results), "image"), "dim")]
    for result in results:
        url = one_line(str(result.get("url") or ""))
        title = one_line(str(result.get("title") or url), TEXT_WIDTH - 4)
        parts += ["\n  · ", (title, Style(link=url) if url else "")]
        if url:
            parts += _url_parts(url, lead="    ", style="dim")
    return parts


def _file_results(results: list[dict[str, Any]]) -> list[Part]:
    """Knowledge-base hits: file name and score, then the start of the matching text."""
    parts: list[Part] = ["\n  ", (_count(len(results), "result"), "dim")]
    for result in results:
        score = result.get("score")
        scored = f" ({score:.2f})" if isinstance(score, (int, float)) else ""
        parts.append(f"\n  · {one_line(str(result.get('filename') or '?'), TEXT_WIDTH - 10)}{scored}")
        lines = textwrap.wrap(one_line(str(result.get("text") or ""), 400), TEXT_WIDTH - 4)
        if len(lines) > RESULT_LINES:
            lines = lines[: RESULT_LINES - 1] + [lines[RESULT_LINES - 1][: TEXT_WIDTH - 5] + "…"]
        parts += [("\n" + "\n".join("    " + line for line in lines), "dim")] if lines else []
    return parts


def _listed_tools(results: list[dict[str, Any]]) -> list[Part]:
    parts: list[Part] = ["\n  ", (_count(len(results), "tool"), "dim")]
    for tool in results:
        parts.append(f"\n  · {one_line(str(tool.get('name') or '?'), TEXT_WIDTH - 4)}")
        if tool.get("description"):
            parts += [("\n" + _wrapped(str(tool["description"]), 120, "    "), "dim")]
    return parts


def _outcome(call: ToolCall) -> list[Part]:
    """What the call brought back: its error, else its output (capped, inert); a denied call ran nothing."""
    if call.status == DENIED:
        return []
    if call.error and (call.type == "mcp_call" or not call.output):
        return ["\n  ", ("error", "dim"), "\n", (_wrapped_block(call.error), "$text-error")]
    if call.output:
        output = _wrapped_block(call.output)
        return ["\n  ", ("output", "dim"), "\n", (output, "$text-error" if call.status == "failed" else "")]
    return []


def describe(call: ToolCall) -> Content:
    """One card of text: type and status, then whatever the call carries."""
    status = call.status.replace("_", " ")
    parts: list[Part] = [
        (TOOL_NAMES.get(call.type, one_line(call.type)), "bold"),
        "  ",
        (one_line(status), STATUS_STYLE.get(call.status, "$text-warning")),
    ]
    if call.type in ("mcp_call", "mcp_list_tools"):
        server = one_line(call.server or "?", TEXT_WIDTH - 4)
        tool = f" › {one_line(call.name, TEXT_WIDTH - 6 - len(server))}" if call.name else ""
        parts.append(f"\n  {server}{tool}")
    elif call.name and call.type == "function_call":
        parts += ["\n  ", (one_line(call.name, TEXT_WIDTH - 2), "bold")]
    if call.type in ("mcp_call", "function_call"):
        parts += _section("arguments", _wrapped_block(one_line(call.arguments or "")))
        if call.decision:
            decided = DECISIONS.get(call.decision, one_line(call.decision))
            parts += ["\n  ", (decided, "$text-error" if call.decision == "deny" else "dim")]
        if call.status == AWAITING:
            parts += ["\n  ", ("waiting for your answer", "$text-warning")]
        elif call.status == RUNNING:
            parts += ["\n  ", ("running… (esc stops it)", "$text-warning")]
        return Content.assemble(*parts, *_outcome(call))
    if call.query:
        parts += _section("queries" if call.type == "file_search_call" else "query", _wrapped(call.query))
    if call.goal:
        parts += _section("goal", _wrapped(call.goal))
    if call.urls:
        parts += _links("urls", call.urls)
    if call.sources:
        parts += _links(_count(len(call.sources), "source"), call.sources)
    if call.results:
        if call.type == "file_search_call":
            parts += _file_results(call.results)
        elif call.type == "mcp_list_tools":
            parts += _listed_tools(call.results)
        else:
            parts += _image_results(call.results)
    if call.code:
        parts += _section("code", _block(call.code))
    if call.logs:
        parts += _section("logs", _block(call.logs))
    elif call.output and call.type not in ("web_search_call", "web_search_image_call", "image_search_call"):
        parts += _section("output", _wrapped_block(call.output))
    if call.error:
        parts += ["\n  ", ("error", "dim"), "\n", (_wrapped_block(call.error), "$text-error")]
    return Content.assemble(*parts)


class ToolPanel(VerticalScroll):
    """Light widgets (one `Static` per call; a turn has few) under a header with `x_tools` counts."""

    DEFAULT_CSS = """
    ToolPanel .tools-summary {
        color: $text-muted;
        margin: 0 0 1 0;
    }
    ToolPanel .tool-card {
        margin: 0 0 1 0;
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, can_focus=True)
        self._cards: dict[str, Static] = {}

    def compose(self):
        yield Static("No tool calls in this answer.", classes="tools-summary", markup=False)

    def show_update(self, update: Update) -> None:
        """Follow a streaming turn: live cards, the billed counts, then the stored calls of the answer."""
        match update:
            case ToolCallUpdated(call=call):
                self.update_call(call)
            case UsageUpdated(usage=usage):
                self.show_usage(usage)
            case TurnFinished(message=message):
                self.show_items(message.items, message.usage)

    def clear(self) -> None:
        """Forget the cards (a new turn or another conversation)."""
        for card in self._cards.values():
            card.remove()
        self._cards.clear()
        self._summary("No tool calls yet.")

    def show_items(self, items: list[OutputItem], usage: Usage | None) -> None:
        """Show the tool calls of a stored answer."""
        self.clear()
        for item in items:
            if item.type not in ("reasoning", "message"):
                self.update_call(ToolCall.from_item(item))
        self.show_usage(usage)

    def update_call(self, call: ToolCall) -> None:
        """Add or refresh the card of one call; a call waiting for consent is scrolled into view."""
        card = self._cards.get(call.item_id)
        if card is None:
            card = Static(describe(call), classes="tool-card", markup=False)
            self._cards[call.item_id] = card
            self.mount(card)
        else:
            card.update(describe(call))
        if call.status == AWAITING:
            self.call_after_refresh(self.scroll_to_widget, card, animate=False)
        self._summary(plural(len(self._cards), "tool call"))

    def show_usage(self, usage: Usage | None) -> None:
        """Put the server's `x_tools` counts in the header."""
        if usage is None or not usage.x_tools:
            if not self._cards:
                self._summary("No tool calls in this answer.")
            return
        counts = ", ".join(f"{one_line(name)} ×{count}" for name, count in sorted(usage.x_tools.items()))
        self._summary(f"{plural(len(self._cards), 'tool call')} · billed: {counts}")

    def _summary(self, text: str) -> None:
        self.query_one(".tools-summary", Static).update(text)
