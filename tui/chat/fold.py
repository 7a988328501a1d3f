"""Folds Responses stream events into one accumulating assistant turn, emitting small updates.

Tolerant by design: a `.done` without deltas, an item done without `added`, tool events before
their item, duplicated events (same sequence number), late status events and unknown types
all fold into the same final turn. `response.completed` reconciles whatever was missed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from tui.api import types as wire
from tui.chat.tool_items import fill_extra_tool, mcp_arguments_delta, mcp_arguments_done
from tui.chat.updates import (
    ReasoningDelta,
    TextDelta,
    ToolCall,
    ToolCallUpdated,
    Update,
    UsageUpdated,
)
from tui.store.models import MessageStatus, OutputItem, Usage

#: How far along a tool call is; a status never moves backwards (late events are ignored).
_STATUS_RANK = {"in_progress": 0, "searching": 1, "interpreting": 1, "completed": 2, "failed": 2, "incomplete": 2}

#: `response.<tool>_call.<status>` events, including tools this client does not model yet.
_TOOL_STATUS_EVENT = re.compile(r"^response\.(?P<tool>[a-z_]+_call)\.(?P<status>in_progress|searching|interpreting|completed|failed)$")


def _joined(chunks: list[str]) -> str:
    """The text of streamed deltas, joined only when read (appending stays linear); kept joined for the next read."""
    if len(chunks) > 1:
        chunks[:] = ["".join(chunks)]
    return chunks[0] if chunks else ""


@dataclass(slots=True)
class _TextPart:
    """Text of one content part, kept as its deltas."""

    order: tuple[int, int]
    chunks: list[str] = field(default_factory=list)
    #: Set once its final text arrived; a late delta after that is ignored.
    settled: bool = False

    @property
    def text(self) -> str:
        return _joined(self.chunks)


@dataclass(slots=True)
class _Reasoning:
    """A reasoning item: its summary parts (summary_index -> deltas) and status."""

    output_index: int
    parts: dict[int, list[str]] = field(default_factory=dict)
    status: str | None = None

    def part(self, index: int) -> str:
        return _joined(self.parts.get(index, []))

    @property
    def text(self) -> str:
        return "\n\n".join(text for index in sorted(self.parts) if (text := self.part(index)))


@dataclass(slots=True)
class TurnFold:
    """The state of one assistant turn as its stream events arrive; `apply()` returns what changed."""

    response_id: str | None = None
    usage: Usage | None = None
    #: Set by a terminal event: "complete", "incomplete" or "failed".
    terminal: MessageStatus | None = None
    error: str | None = None
    #: Whether any event at all has arrived (errors after this point keep a partial turn).
    started: bool = False
    _parts: dict[tuple[str, int], _TextPart] = field(default_factory=dict)
    _reasoning: dict[str, _Reasoning] = field(default_factory=dict)
    _tools: dict[str, tuple[int, ToolCall]] = field(default_factory=dict)
    _seen: set[int] = field(default_factory=set)
    #: output_index -> message item id, so text events that omit `item_id` still find their part.
    _message_ids: dict[int, str] = field(default_factory=dict)

    # --- what the turn holds ---------------------------------------------------------------

    @property
    def text(self) -> str:
        """The answer text so far: every message content part in output order."""
        return "".join(part.text for part in sorted(self._parts.values(), key=lambda p: p.order))

    @property
    def tool_calls(self) -> list[ToolCall]:
        return [call for _, call in sorted(self._tools.values(), key=lambda entry: entry[0])]

    def reasoning_text(self, item_id: str) -> str:
        entry = self._reasoning.get(item_id)
        return entry.text if entry else ""

    def items(self) -> list[OutputItem]:
        """Reasoning summaries and tool calls, in output order, as the store keeps them."""
        entries: list[tuple[int, OutputItem]] = []
        for item_id, reasoning in self._reasoning.items():
            entries.append(
                (reasoning.output_index, OutputItem(item_id, "reasoning", reasoning.status, {"summary": reasoning.text}))
            )
        for index, call in self._tools.values():
            entries.append((index, OutputItem(call.item_id, call.type, call.status, call.details())))
        entries.sort(key=lambda entry: entry[0])
        return [item for _, item in entries]

    # --- folding -----------------------------------------------------------------------------

    def apply(self, event: Any) -> list[Update]:
        """Fold one stream event in; return the updates a front end should see (often one or none)."""
        seq = getattr(event, "sequence_number", None)
        if seq is not None:
            if seq in self._seen:
                return []
            self._seen.add(seq)
        self.started = True
        handler = _HANDLERS.get(event.type)
        if handler is not None:
            return handler(self, event)
        match = _TOOL_STATUS_EVENT.match(event.type)
        if match:
            item_id = getattr(event, "item_id", None)
            if item_id:
                index = getattr(event, "output_index", None)
                return self._tool_status(item_id, match["tool"], match["status"], index)
        return []

    def _on_created(self, event: Any) -> list[Update]:
        self.response_id = event.response.id
        return []

    def _on_terminal(self, event: Any) -> list[Update]:
        response = event.response
        self.response_id = self.response_id or response.id
        updates: list[Update] = []
        for index, item in enumerate(response.output):
            updates += self._fold_item(item, index, done=True)
        if response.usage is not None:
            self.usage = usage_from_wire(response.usage)
            updates.append(UsageUpdated(self.usage))
        if event.type == "response.completed":
            self.terminal = "complete"
        elif event.type == "response.incomplete":
            self.terminal = "incomplete"
            reason = (response.incomplete_details or {}).get("reason")
            self.error = self.error or (f"the answer was cut short ({reason})" if reason else "the answer was cut short")
        else:
            self.terminal = "failed"
            message = " ".join(response.error.message.split()) if response.error else ""
            self.error = message or self.error or "the model failed to answer"
        return updates

    def _on_error(self, event: Any) -> list[Update]:
        code = f" ({event.code})" if event.code else ""
        self.error = f"{' '.join(event.message.split()) or 'the server reported an error'}{code}"
        return []

    def _on_item(self, event: Any) -> list[Update]:
        return self._fold_item(event.item, event.output_index, done=event.type.endswith(".done"))

    def _on_text_delta(self, event: Any) -> list[Update]:
        key = self._part_key(event)
        part = self._part(key, event.output_index, event.content_index)
        if part.settled or not event.delta:
            return []
        part.chunks.append(event.delta)
        return [TextDelta(event.delta)]

    def _on_text_done(self, event: Any) -> list[Update]:
        key = self._part_key(event)
        return self._settle_text(key, event.output_index, event.content_index, event.text)

    # `reasoning_summary_text.*` (OpenAI, DashScope's legacy path) and `reasoning_text.*` (DashScope's
    # newer spelling, no summary_index) both fold into the item's summary parts, so both stream live.
    def _on_summary_delta(self, event: Any) -> list[Update]:
        item_id = event.item_id or f"reasoning-{event.output_index}"
        entry = self._reasoning_entry(item_id, event.output_index)
        entry.parts.setdefault(getattr(event, "summary_index", 0), []).append(event.delta)
        return [ReasoningDelta(item_id, event.delta)] if event.delta else []

    def _on_summary_done(self, event: Any) -> list[Update]:
        item_id = event.item_id or f"reasoning-{event.output_index}"
        text = event.text if event.type.endswith("text.done") else event.part.text
        return self._settle_summary(item_id, event.output_index, getattr(event, "summary_index", 0), text)

    # Arguments and code are concatenated, not chunked: every delta's update carries a snapshot of the
    # whole text so far, so joining chunks on each read would copy just as much.
    def _on_arguments_delta(self, event: Any) -> list[Update]:
        call = self._tool(event.item_id or f"call-{event.output_index}", "function_call", event.output_index)
        call.arguments = (call.arguments or "") + event.delta
        return [_updated(call)]

    def _on_arguments_done(self, event: Any) -> list[Update]:
        call = self._tool(event.item_id or f"call-{event.output_index}", "function_call", event.output_index)
        call.arguments = event.arguments or call.arguments
        call.name = event.name or call.name
        return [_updated(call)]

    def _on_mcp_arguments(self, event: Any) -> list[Update]:
        """DashScope's `mcp_call_arguments.*` (unknown to the wire module, so read off its kept fields)."""
        index = getattr(event, "output_index", None)
        call = self._tool(getattr(event, "item_id", None) or f"mcp-{index}", "mcp_call", index)
        changed = mcp_arguments_delta(call, event) if event.type.endswith(".delta") else mcp_arguments_done(call, event)
        return [_updated(call)] if changed else []

    def _on_code_delta(self, event: Any) -> list[Update]:
        call = self._tool(event.item_id or f"code-{event.output_index}", "code_interpreter_call", event.output_index)
        call.code = (call.code or "") + event.delta
        return [_updated(call)]

    def _on_code_done(self, event: Any) -> list[Update]:
        call = self._tool(event.item_id or f"code-{event.output_index}", "code_interpreter_call", event.output_index)
        call.code = event.code or call.code
        return [_updated(call)]

    # --- pieces ------------------------------------------------------------------------------

    def _part_key(self, event: Any) -> tuple[str, int]:
        return (self._message_id(event.item_id, event.output_index), event.content_index)

    def _message_id(self, item_id: str | None, output_index: int) -> str:
        """The key of a message item; text that streamed under its index moves to its id once known."""
        placeholder = f"#{output_index}"
        if not item_id:
            return self._message_ids.get(output_index, placeholder)
        if self._message_ids.get(output_index) != item_id:
            self._message_ids[output_index] = item_id
            for key in [key for key in self._parts if key[0] == placeholder]:
                self._parts.setdefault((item_id, key[1]), self._parts.pop(key))
        return item_id

    def _part(self, key: tuple[str, int], output_index: int, content_index: int) -> _TextPart:
        part = self._parts.get(key)
        if part is None:
            part = self._parts[key] = _TextPart((output_index, content_index))
        return part

    def _settle_text(self, key: tuple[str, int], output_index: int, content_index: int, final: str) -> list[Update]:
        """Complete a part from its final text, emitting only what streaming missed.

        If the deltas disagree with the final text, what streamed (and was shown and stored) stays.
        """
        part = self._part(key, output_index, content_index)
        have = part.text
        part.settled = part.settled or bool(final)
        if not final or final == have or not final.startswith(have):
            return []
        part.chunks.append(final[len(have):])
        return [TextDelta(final[len(have):])]

    def _settle_summary(self, item_id: str, output_index: int, index: int, final: str) -> list[Update]:
        entry = self._reasoning_entry(item_id, output_index)
        have = entry.part(index)
        if not final or final == have:
            return []
        entry.parts[index] = [final]
        if final.startswith(have):
            return [ReasoningDelta(item_id, final[len(have):])]
        return []

    def _reasoning_entry(self, item_id: str, output_index: int) -> _Reasoning:
        entry = self._reasoning.get(item_id)
        if entry is None:
            entry = self._reasoning[item_id] = _Reasoning(output_index)
        return entry

    def _tool(self, item_id: str, kind: str, output_index: int | None) -> ToolCall:
        entry = self._tools.get(item_id)
        if entry is None:
            index = output_index if output_index is not None else len(self._tools) + len(self._reasoning)
            entry = self._tools[item_id] = (index, ToolCall(item_id=item_id, type=kind))
        return entry[1]

    def _tool_status(self, item_id: str, kind: str, status: str, output_index: int | None) -> list[Update]:
        call = self._tool(item_id, kind, output_index)
        if not _advance(call, status):
            return []
        return [_updated(call)]

    def _fold_item(self, item: Any, output_index: int, *, done: bool) -> list[Update]:
        """Fold an output item (from added/done or the final response) into the turn."""
        if isinstance(item, wire.MessageItem):
            updates: list[Update] = []
            item_id = self._message_id(item.id, output_index)
            if done:
                for content_index, part in enumerate(item.content):
                    if isinstance(part, wire.OutputTextPart):
                        updates += self._settle_text((item_id, content_index), output_index, content_index, part.text)
            return updates
        if isinstance(item, wire.ReasoningItem):
            item_id = item.id or f"reasoning-{output_index}"
            entry = self._reasoning_entry(item_id, output_index)
            entry.status = item.status or ("completed" if done else entry.status)
            updates = []
            for index, summary in enumerate(item.summary):
                updates += self._settle_summary(item_id, output_index, index, summary.text)
            return updates
        item_id = getattr(item, "id", None) or f"{item.type}-{output_index}"
        call = self._tool(item_id, item.type, output_index)
        changed = _fill_tool(call, item)
        status = item.status or ("completed" if done else "in_progress")
        changed = _advance(call, status) or changed
        return [_updated(call)] if changed else []


def _updated(call: ToolCall) -> ToolCallUpdated:
    """An update carrying a snapshot, so later changes to the live call never rewrite what was sent."""
    return ToolCallUpdated(call.snapshot())


def _advance(call: ToolCall, status: str) -> bool:
    """Move a tool call's status forward; return whether it changed."""
    if status == call.status:
        return False
    if _STATUS_RANK.get(status, 1) < _STATUS_RANK.get(call.status, 0):
        return False
    call.status = status
    return True


def _fill_tool(call: ToolCall, item: Any) -> bool:
    """Copy the details an item carries onto the call (never erasing what is known); return whether any changed."""
    before = _snapshot(call)
    if isinstance(item, wire.WebSearchCallItem) and item.action is not None:
        action = item.action
        call.query = action.query or (", ".join(action.queries) if action.queries else None) or call.query
        if action.sources:
            call.sources = [source.url for source in action.sources if source.url]
        if action.url and action.url not in call.sources:
            call.sources.append(action.url)
    elif isinstance(item, wire.WebExtractorCallItem):
        call.goal = item.goal or call.goal
        call.urls = list(item.urls) or call.urls
        call.output = item.output or call.output
    elif isinstance(item, wire.CodeInterpreterCallItem):
        call.code = item.code or call.code
        logs = [output.logs for output in item.outputs or [] if isinstance(output, wire.LogsOutput)]
        if logs:
            call.logs = "".join(logs)
        images = [output.url for output in item.outputs or [] if isinstance(output, wire.ImageOutput)]
        if images:
            call.output = "\n".join(images)
    elif isinstance(item, wire.FunctionCallItem):
        call.name = item.name or call.name
        call.arguments = item.arguments or call.arguments
        call.call_id = item.call_id or call.call_id
    else:
        fill_extra_tool(call, item.model_extra or {})
    return before != _snapshot(call)


def _snapshot(call: ToolCall) -> dict[str, Any]:
    """The call's details with lists copied, to compare before and after filling in place."""
    return {key: list(value) if isinstance(value, list) else value for key, value in call.details().items()}


def usage_from_wire(usage: Any) -> Usage:
    """The store's flat usage record from the wire's nested one (x_tools -> name: count)."""
    tools = {name: entry.count for name, entry in (usage.x_tools or {}).items()}
    return Usage(usage.input_tokens, usage.output_tokens, usage.cached_tokens, usage.reasoning_tokens, tools)


_HANDLERS = {
    "response.created": TurnFold._on_created,
    "response.completed": TurnFold._on_terminal,
    "response.incomplete": TurnFold._on_terminal,
    "response.failed": TurnFold._on_terminal,
    "error": TurnFold._on_error,
    "response.output_item.added": TurnFold._on_item,
    "response.output_item.done": TurnFold._on_item,
    "response.output_text.delta": TurnFold._on_text_delta,
    "response.output_text.done": TurnFold._on_text_done,
    "response.reasoning_summary_text.delta": TurnFold._on_summary_delta,
    "response.reasoning_summary_text.done": TurnFold._on_summary_done,
    "response.reasoning_summary_part.done": TurnFold._on_summary_done,
    "response.reasoning_text.delta": TurnFold._on_summary_delta,
    "response.reasoning_text.done": TurnFold._on_summary_done,
    "response.function_call_arguments.delta": TurnFold._on_arguments_delta,
    "response.function_call_arguments.done": TurnFold._on_arguments_done,
    "response.code_interpreter_call_code.delta": TurnFold._on_code_delta,
    "response.code_interpreter_call_code.done": TurnFold._on_code_done,
    "response.mcp_call_arguments.delta": TurnFold._on_mcp_arguments,
    "response.mcp_call_arguments.done": TurnFold._on_mcp_arguments,
}
