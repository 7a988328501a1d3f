"""Builds the DashScope event sequence and final Response body for one scripted reply."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from tui.sim.script import CodeInterpreter, Reasoning, Reply, WebExtractor, WebSearch, split_deltas

_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
_TOOL_NAMES = {WebSearch: "web_search", WebExtractor: "web_extractor", CodeInterpreter: "code_interpreter"}


@dataclass(frozen=True)
class RequestEcho:
    """The request fields a Response object repeats back (DashScope's stream shape, see the seed page)."""

    response_id: str
    created_at: float
    model: str
    previous_response_id: str | None = None
    instructions: str | None = None
    metadata: dict[str, str] | None = None
    temperature: float | None = None
    top_p: float | None = None
    tool_choice: Any = "auto"
    reasoning: dict[str, Any] | None = None
    max_output_tokens: int | None = None


def full_response(echo: RequestEcho, *, status: str, model: str, output: list[dict], usage: dict | None) -> dict:
    """A Response with every field DashScope's stream events carry, in the seed page's order."""
    return {
        "id": echo.response_id,
        "created_at": echo.created_at,
        "error": None,
        "incomplete_details": None,
        "instructions": echo.instructions,
        "metadata": echo.metadata,
        "model": model,
        "object": "response",
        "output": output,
        "parallel_tool_calls": False,
        "temperature": echo.temperature,
        "tool_choice": echo.tool_choice,
        "tools": [],
        "top_p": echo.top_p,
        "background": None,
        "completed_at": None,
        "conversation": None,
        "max_output_tokens": echo.max_output_tokens,
        "max_tool_calls": None,
        "previous_response_id": echo.previous_response_id,
        "prompt": None,
        "prompt_cache_key": None,
        "prompt_cache_retention": None,
        "reasoning": echo.reasoning,
        "safety_identifier": None,
        "service_tier": None,
        "status": status,
        "text": None,
        "top_logprobs": None,
        "truncation": None,
        "usage": usage,
        "user": None,
    }


def compact_response(
    echo: RequestEcho, *, output: list[dict], usage: dict, incomplete_reason: str | None = None
) -> dict:
    """The non-streaming body, exactly the fields DashScope's page shows."""
    body = {
        "id": echo.response_id,
        "created_at": echo.created_at,
        "model": echo.model,
        "object": "response",
        "status": "incomplete" if incomplete_reason else "completed",
        "output": output,
        "usage": usage,
    }
    if incomplete_reason:
        body["incomplete_details"] = {"reason": incomplete_reason}
    return body


def _tokens(text: str) -> int:
    return (len(text) + 3) // 4


def context_tokens(context: list[tuple[str, str]]) -> int:
    """The input tokens a context costs (estimated from text lengths)."""
    return 25 + sum(4 + _tokens(text) for _, text in context)


def cap_reply(reply: Reply, max_output_tokens: int | None) -> tuple[Reply, bool]:
    """The reply cut to `max_output_tokens` (reasoning counts too), and whether it was cut."""
    if not max_output_tokens:
        return reply, False
    reasoning = sum(_tokens(step.text) for step in reply.steps if isinstance(step, Reasoning))
    if _tokens(reply.text) + reasoning <= max_output_tokens:
        return reply, False
    room = max(0, max_output_tokens - reasoning) * 4
    deltas: list[str] = []
    used = 0
    for delta in reply.deltas:
        if used + len(delta) > room:
            deltas.append(delta[: room - used])
            break
        deltas.append(delta)
        used += len(delta)
    deltas = [delta for delta in deltas if delta] or [""]
    return Reply(steps=reply.steps, text="".join(deltas), deltas=tuple(deltas)), True


def usage_for(context: list[tuple[str, str]], reply: Reply, *, cached: int = 0) -> dict:
    """Token usage estimated from text lengths, with DashScope's `x_tools` counts when tools ran.

    `cached`: input tokens the session cache served (DashScope's `x-dashscope-session-cache`).
    """
    input_tokens = context_tokens(context)
    reasoning_tokens = sum(_tokens(step.text) for step in reply.steps if isinstance(step, Reasoning))
    x_tools: dict[str, dict[str, int]] = {}
    for step in reply.steps:
        if isinstance(step, WebExtractor):
            input_tokens += _tokens(step.output)
        name = _TOOL_NAMES.get(type(step)) or getattr(step, "tool_name", None)  # agent steps name their tool
        if name:
            x_tools.setdefault(name, {"count": 0})["count"] += 1
    output_tokens = _tokens(reply.text) + reasoning_tokens
    usage: dict[str, Any] = {
        "input_tokens": input_tokens,
        "input_tokens_details": {"cached_tokens": min(cached, input_tokens)},
        "output_tokens": output_tokens,
        "output_tokens_details": {"reasoning_tokens": reasoning_tokens},
        "total_tokens": input_tokens + output_tokens,
    }
    if x_tools:
        usage["x_tools"] = x_tools
    return usage


def _item_id() -> str:
    return f"msg_{uuid.uuid4()}"


@dataclass
class EventScript:
    """Every event of one stream as (type, JSON data), where each text delta sits, and the final output."""

    events: list[tuple[str, str]] = field(default_factory=list)
    text_delta_positions: list[int] = field(default_factory=list)
    output: list[dict] = field(default_factory=list)
    #: Index of each tool item's `output_item.added` event (where a silent tool run pauses).
    tool_added_positions: list[int] = field(default_factory=list)
    #: `reasoning_summary_text` (OpenAI, DashScope's legacy path) or `reasoning_text` (DashScope's new path).
    reasoning: str = "reasoning_summary_text"

    def add(self, event_type: str, payload: dict) -> None:
        payload["sequence_number"] = len(self.events)
        payload["type"] = event_type
        self.events.append((event_type, _dumps(payload)))

    def add_item(self, item_added: dict, item_done: dict, between: Sequence[tuple[str, dict]] = ()) -> None:
        """An output item: added (skeleton), the events in between, done (full item)."""
        index = len(self.output)
        if item_added.get("type") not in ("reasoning", "message"):
            self.tool_added_positions.append(len(self.events))
        self.add("response.output_item.added", {"item": item_added, "output_index": index})
        for event_type, payload in between:
            payload.setdefault("output_index", index)
            self.add(event_type, payload)
        self.add("response.output_item.done", {"item": item_done, "output_index": index})
        self.output.append(item_done)


def _reasoning(script: EventScript, step: Reasoning) -> None:
    item_id = _item_id()
    index = len(script.output)
    # DS-ZH's newer spelling has no summary_index (nor content_index); the item still carries `summary`.
    where = {"item_id": item_id, "output_index": index}
    if script.reasoning == "reasoning_summary_text":
        where["summary_index"] = 0
    kind = f"response.{script.reasoning}"
    between: list[tuple[str, dict]] = [(f"{kind}.delta", {"delta": delta, **where}) for delta in split_deltas(step.text)]
    between.append((f"{kind}.done", {**where, "text": step.text}))
    done = {"id": item_id, "summary": [{"type": "summary_text", "text": step.text}], "type": "reasoning"}
    script.add_item({"id": item_id, "summary": [], "type": "reasoning"}, done, between)


def _web_search(script: EventScript, step: WebSearch) -> None:
    item_id = _item_id()
    action = {"query": step.query, "type": "search"}
    between = [(f"response.web_search_call.{phase}", {"item_id": item_id}) for phase in ("in_progress", "searching", "completed")]
    done_action = {**action, "sources": [{"type": "url", "url": url} for url in step.sources]}
    script.add_item(
        {"id": item_id, "action": action, "status": "in_progress", "type": "web_search_call"},
        {"id": item_id, "action": done_action, "status": "completed", "type": "web_search_call"},
        between,
    )


def _web_extractor(script: EventScript, step: WebExtractor) -> None:
    item_id = _item_id()
    added = {"id": item_id, "goal": step.goal, "status": "in_progress", "type": "web_extractor_call", "urls": list(step.urls)}
    script.add_item(added, {**added, "output": step.output, "status": "completed"})


def _code_interpreter(script: EventScript, step: CodeInterpreter) -> None:
    item_id = _item_id()
    added = {
        "id": item_id,
        "code": step.code,
        "container_id": f"cntr_{uuid.uuid4().hex}",
        "outputs": None,
        "status": "in_progress",
        "type": "code_interpreter_call",
    }
    between = [
        (f"response.code_interpreter_call.{phase}", {"item_id": item_id}) for phase in ("in_progress", "interpreting", "completed")
    ]
    script.add_item(added, {**added, "outputs": [{"type": "logs", "logs": step.logs}], "status": "completed"}, between)


_STEP_WRITERS: dict[type, Callable[[EventScript, Any], None]] = {Reasoning: _reasoning, WebSearch: _web_search, WebExtractor: _web_extractor, CodeInterpreter: _code_interpreter}


def _message(script: EventScript, reply: Reply) -> None:
    item_id = _item_id()
    index = len(script.output)
    part_text: dict[str, Any] = {"annotations": [], "text": reply.text, "type": "output_text", "logprobs": None}
    script.add("response.output_item.added", {"item": {"id": item_id, "content": [], "role": "assistant", "status": "in_progress", "type": "message"}, "output_index": index})
    script.add("response.content_part.added", {"content_index": 0, "item_id": item_id, "output_index": index, "part": {**part_text, "text": ""}})
    # Deltas are the hot path of benchmarks: format them from a template instead of building dicts.
    head = '{"content_index":0,"delta":'
    tail = f',"item_id":"{item_id}","logprobs":[],"output_index":{index},"sequence_number":'
    for delta in reply.deltas:
        seq = len(script.events)
        script.text_delta_positions.append(seq)
        script.events.append(
            ("response.output_text.delta", f'{head}{_dumps(delta)}{tail}{seq},"type":"response.output_text.delta"}}')
        )
    script.add("response.output_text.done", {"content_index": 0, "item_id": item_id, "logprobs": [], "output_index": index, "text": reply.text})
    script.add("response.content_part.done", {"content_index": 0, "item_id": item_id, "output_index": index, "part": part_text})
    done = {"id": item_id, "content": [part_text], "role": "assistant", "status": "completed", "type": "message"}
    script.add("response.output_item.done", {"item": done, "output_index": index})
    script.output.append(done)


def build_stream(
    echo: RequestEcho,
    reply: Reply,
    usage: dict,
    *,
    reasoning: str = "reasoning_summary_text",
    incomplete_reason: str | None = None,
) -> EventScript:
    """The whole stream: created (queued), in_progress, every item's events, completed with usage.

    With `incomplete_reason` the last event is `response.incomplete` (e.g. max_output_tokens reached).
    """
    script = EventScript(reasoning=reasoning)
    for status, event_type in (("queued", "response.created"), ("in_progress", "response.in_progress")):
        script.add(event_type, {"response": full_response(echo, status=status, model="", output=[], usage=None)})
    for step in reply.steps:
        writer = _STEP_WRITERS.get(type(step))
        if writer is not None:
            writer(script, step)
        else:  # agent steps (sim/agent.py) write themselves
            cast(Any, step).write(script)
    if reply.message:
        _message(script, reply)
    status = "incomplete" if incomplete_reason else "completed"
    final = full_response(echo, status=status, model=echo.model, output=script.output, usage=usage)
    if incomplete_reason:
        final["incomplete_details"] = {"reason": incomplete_reason}
    script.add(f"response.{status}", {"response": final})
    return script
