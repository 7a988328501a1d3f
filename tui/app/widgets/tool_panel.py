"""The tool-activity panel: each built-in tool call of the current answer with its live status."""

from __future__ import annotations

import textwrap

from textual.containers import VerticalScroll
from textual.content import Content
from textual.widgets import Static

from tui.app.formatting import plural
from tui.chat.updates import ToolCall, ToolCallUpdated, TurnFinished, Update, UsageUpdated
from tui.config import KNOWN_TOOLS
from tui.store.models import OutputItem, Usage
from tui.text_safety import one_line, strip_controls

#: Wire item type -> what the card calls it: the built-in tools of the settings, then the others.
TOOL_NAMES = {f"{tool}_call": tool.replace("_", " ") for tool in KNOWN_TOOLS} | {
    "function_call": "function",
    "mcp_call": "MCP",
}
STATUS_STYLE = {"completed": "$text-success", "failed": "$text-error", "incomplete": "$text-error"}
#: How many lines of code or logs a card shows; the panel is for glancing, not reading.
MAX_BLOCK_LINES = 8
#: Card text width: the panel is 36 columns wide; longer URLs and code lines are cut with "…".
TEXT_WIDTH = 31
URL_WIDTH = 29


def _wrapped(text: str) -> str:
    """Free text (a query, a goal) wrapped and indented to fit the panel."""
    return "\n".join(textwrap.wrap(one_line(text, 300), TEXT_WIDTH, initial_indent="  ", subsequent_indent="  "))


def _block(text: str) -> str:
    lines = strip_controls(text).rstrip().splitlines()
    if len(lines) > MAX_BLOCK_LINES:
        lines = lines[:MAX_BLOCK_LINES] + [f"… {len(lines) - MAX_BLOCK_LINES} more lines"]
    width = TEXT_WIDTH - 2
    return "\n".join("  " + (line if len(line) <= width else line[: width - 1] + "…") for line in lines)


def describe(call: ToolCall) -> Content:
    """One card of text: type and status, then whatever the call carries."""
    parts: list[str | tuple[str, str]] = [
        (TOOL_NAMES.get(call.type, one_line(call.type)), "bold"),
        "  ",
        (one_line(call.status), STATUS_STYLE.get(call.status, "$text-warning")),
    ]
    if call.name:
        parts.append(f"\n  {one_line(call.name)}({one_line(call.arguments or '', 60)})")
    if call.query:
        parts += ["\n  ", ("query", "dim"), "\n", _wrapped(call.query)]
    if call.goal:
        parts += ["\n  ", ("goal", "dim"), "\n", _wrapped(call.goal)]
    if call.urls:
        parts += ["\n  ", ("urls", "dim")]
        parts += [f"\n  · {one_line(url, URL_WIDTH)}" for url in call.urls]
    if call.sources:
        parts += ["\n  ", (f"{len(call.sources)} sources", "dim")]
        parts += [f"\n  · {one_line(url, URL_WIDTH)}" for url in call.sources[:5]]
        if len(call.sources) > 5:
            parts.append(f"\n  · … {len(call.sources) - 5} more")
    if call.code:
        parts += ["\n  ", ("code", "dim"), "\n", _block(call.code)]
    if call.logs:
        parts += ["\n  ", ("logs", "dim"), "\n", _block(call.logs)]
    elif call.output and call.type != "web_search_call":
        parts += ["\n  ", ("output", "dim"), "\n", _block(call.output)]
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
        """Add or refresh the card of one call."""
        card = self._cards.get(call.item_id)
        if card is None:
            card = Static(describe(call), classes="tool-card", markup=False)
            self._cards[call.item_id] = card
            self.mount(card)
        else:
            card.update(describe(call))
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
