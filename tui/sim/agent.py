"""The scripted model's agent tools: MCP calls the service runs, image and knowledge-base searches,
and calls to the client's own functions (one, several in parallel, or again after an output).

Shapes follow the DashScope docs (see notes/live-service-audit.md): `mcp` entries carry
`server_protocol`/`server_label`/`server_url`; `mcp_call` streams `mcp_call_arguments.*` and
`mcp_call.in_progress/.completed`; the image tools send only `output_item.added/.done`, their
`output` a JSON string of `[{title, url, index}]`; `file_search` takes exactly one vector store id;
function tools are flat (`name` at the top; a nested `function: {}` is a 400).
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass, field, replace
from typing import Any, cast

from tui.sim.events import EventScript
from tui.sim.script import Reply, split_deltas

#: Input item types the service takes (DashScope's `input` list); anything else is a 400.
INPUT_ITEM_TYPES = frozenset({"message", "function_call", "function_call_output", "reasoning"})
_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
_MCP_ERROR = re.compile(r"\bmcp (?:error|fail(?:s|ure)?)\b", re.IGNORECASE)
_AGAIN = re.compile(r"\b(?:again|twice)\b", re.IGNORECASE)
_BACKTICKED = re.compile(r"`([^`]+)`")
_PATHLIKE = re.compile(r"(?<![\w/.])((?:\.\.?/)*(?:[\w-]+/)*[\w-]+\.[A-Za-z0-9]+)\b")


class AgentRequestError(ValueError):
    """A tool entry the live service rejects with a 400 (`param` names the field)."""

    def __init__(self, message: str, param: str) -> None:
        super().__init__(message)
        self.param = param


@dataclass(frozen=True)
class AgentTools:
    """The agent tools one request asks for."""

    mcp: tuple[dict[str, Any], ...] = ()
    functions: tuple[dict[str, Any], ...] = ()
    image_tools: tuple[str, ...] = ()
    vector_store: str | None = None


def agent_tools(body: dict[str, Any]) -> AgentTools:
    """Read and check the request's agent tools and its input items; raise `AgentRequestError` like the service."""
    tools: list[Any] = body["tools"] if isinstance(body.get("tools"), list) else []
    mcp: list[dict[str, Any]] = []
    functions: list[dict[str, Any]] = []
    images: list[str] = []
    vector_store = None
    for index, tool in enumerate(tool for tool in tools if isinstance(tool, dict)):
        kind = tool.get("type")
        if kind == "mcp":
            for key in ("server_label", "server_url", "server_protocol"):
                if not isinstance(tool.get(key), str) or not tool[key]:
                    raise AgentRequestError(f"Missing required parameter: 'tools[{index}].{key}'.", f"tools[{index}].{key}")
            mcp.append(tool)
        elif kind == "function":
            if "function" in tool or not isinstance(tool.get("name"), str):
                raise AgentRequestError(
                    f"Invalid tools[{index}]: a function tool takes 'name' at the top level.", f"tools[{index}].name"
                )
            functions.append(tool)
        elif kind in ("web_search_image", "image_search"):
            images.append(kind)
        elif kind == "file_search":
            ids = tool.get("vector_store_ids")
            if not isinstance(ids, list) or len(ids) != 1 or not isinstance(ids[0], str):
                raise AgentRequestError(
                    "file_search takes exactly one id in 'vector_store_ids'.", f"tools[{index}].vector_store_ids"
                )
            vector_store = ids[0]
    _check_input(body.get("input"), chained=body.get("previous_response_id") is not None)
    return AgentTools(tuple(mcp), tuple(functions), tuple(images), vector_store)


def _check_input(value: Any, *, chained: bool) -> None:
    """Only documented item types; in a full input each function_call_output right after its function_call."""
    if not isinstance(value, list):
        return
    previous: dict[str, Any] | None = None
    for index, item in enumerate(value):
        if not isinstance(item, dict):
            continue
        kind = item.get("type", "message")
        if kind not in INPUT_ITEM_TYPES:
            raise AgentRequestError(f"Invalid input[{index}]: unsupported item type '{kind}'.", f"input[{index}].type")
        if kind == "function_call_output" and not chained:
            before = previous or {}
            if before.get("type") != "function_call" or before.get("call_id") != item.get("call_id"):
                raise AgentRequestError(
                    f"Invalid input[{index}]: a function_call_output must follow its function_call.", f"input[{index}]"
                )
        previous = item


# --- steps the scripted model takes ------------------------------------------------------------


def _item_id() -> str:
    return f"msg_{uuid.uuid4()}"


@dataclass(frozen=True)
class McpCall:
    """An MCP tool the service calls on the model's behalf; `error` makes it fail."""

    server: str
    name: str
    arguments: str
    output: str = ""
    error: str | None = None
    tool_name = "mcp"

    def write(self, script: EventScript) -> None:
        item_id = _item_id()
        index = len(script.output)
        base = {"id": item_id, "type": "mcp_call", "name": self.name, "server_label": self.server}
        between: list[tuple[str, dict]] = [
            ("response.mcp_call_arguments.delta", {"item_id": item_id, "output_index": index, "delta": delta})
            for delta in _chunks(self.arguments)
        ]
        between.append(("response.mcp_call_arguments.done", {"item_id": item_id, "output_index": index, "arguments": self.arguments}))
        between.append(("response.mcp_call.in_progress", {"item_id": item_id, "output_index": index}))
        ending = "failed" if self.error else "completed"
        between.append((f"response.mcp_call.{ending}", {"item_id": item_id, "output_index": index}))
        done: dict[str, Any] = {**base, "arguments": self.arguments, "status": ending}
        done.update({"error": self.error, "output": None} if self.error else {"error": None, "output": self.output})
        script.add_item({**base, "arguments": "", "status": "in_progress"}, done, between)


@dataclass(frozen=True)
class ImageSearch:
    """`web_search_image` / `image_search`: no status events, the results a JSON string in `output`."""

    kind: str
    query: str
    results: tuple[tuple[str, str], ...]

    @property
    def tool_name(self) -> str:
        return self.kind

    def write(self, script: EventScript) -> None:
        item_id = _item_id()
        base = {"id": item_id, "type": f"{self.kind}_call", "name": self.kind, "arguments": _dumps({"query": self.query})}
        output = [{"title": title, "url": url, "index": n} for n, (title, url) in enumerate(self.results, start=1)]
        script.add_item({**base, "status": "in_progress"}, {**base, "status": "completed", "output": _dumps(output)})


@dataclass(frozen=True)
class FileSearch:
    """A knowledge-base search: its queries, then the matching chunks."""

    queries: tuple[str, ...]
    results: tuple[dict[str, Any], ...]
    tool_name = "file_search"

    def write(self, script: EventScript) -> None:
        item_id = _item_id()
        base = {"id": item_id, "type": "file_search_call", "queries": list(self.queries)}
        between = [(f"response.file_search_call.{phase}", {"item_id": item_id}) for phase in ("in_progress", "searching", "completed")]
        script.add_item(
            {**base, "status": "in_progress", "results": None},
            {**base, "status": "completed", "results": list(self.results)},
            between,
        )


@dataclass(frozen=True)
class FunctionCall:
    """A call to one of the client's functions; the response ends so the client can run it."""

    name: str
    arguments: str
    call_id: str = field(default_factory=lambda: f"call_{uuid.uuid4().hex[:24]}")

    def write(self, script: EventScript) -> None:
        item_id = _item_id()
        base = {"id": item_id, "type": "function_call", "call_id": self.call_id, "name": self.name}
        # Added and done only: DashScope's event list has no function_call_arguments.* (the client takes both).
        script.add_item({**base, "arguments": "", "status": "in_progress"}, {**base, "arguments": self.arguments, "status": "completed"})


def _chunks(text: str, size: int = 12) -> list[str]:
    return [text[i : i + size] for i in range(0, len(text), size)] or [""]


# --- the script ---------------------------------------------------------------------------------


def agent_reply(reply: Reply, tools: AgentTools, context: list[tuple[str, str]], topic: str) -> Reply:
    """The reply with the agent tools' steps: server-side tools before the answer; or, when functions
    are offered and named in the prompt, only the calls (the answer comes once their outputs are back)."""
    prompt = next((text for role, text in reversed(context) if role == "user"), "")
    outputs = _outputs_since_prompt(context)
    calls = _function_calls(tools.functions, prompt, outputs)
    if calls:
        return Reply(steps=(*reply.steps, *cast(list[Any], calls)), text="", deltas=(), message=False)
    steps: list[Any] = list(reply.steps)
    for server in tools.mcp if not outputs else ():
        label = server["server_label"]
        error = f"MCP server '{label}' returned an error: tool unavailable" if _MCP_ERROR.search(prompt) else None
        arguments = _dumps({"query": topic})
        steps.append(McpCall(label, "search", arguments, f"{label} found 2 results for {topic!r}: alpha, beta.", error))
    for kind in tools.image_tools if not outputs else ():
        slug = re.sub(r"[^A-Za-z0-9]+", "-", topic).strip("-").lower() or "image"
        results = tuple((f"{topic} ({n})", f"https://images.example.com/{slug}-{n}.jpg") for n in (1, 2, 3))
        steps.append(ImageSearch(kind, topic, results))
    if tools.vector_store and not outputs:
        hit = {"file_id": "file-1", "filename": "handbook.md", "score": 0.87, "text": f"The handbook says {topic} is covered in chapter 2."}
        steps.append(FileSearch((topic,), (hit,)))
    if not outputs and len(steps) == len(reply.steps):
        return reply
    text = _answer_with(reply.text, steps, outputs)
    return replace(reply, steps=tuple(steps), text=text, deltas=split_deltas(text))


def _outputs_since_prompt(context: list[tuple[str, str]]) -> list[str]:
    outputs: list[str] = []
    for role, text in reversed(context):
        if role == "user":
            break
        if role == "tool":
            outputs.append(text)
    return outputs[::-1]


def _named(declared: tuple[dict[str, Any], ...], prompt: str) -> list[dict[str, Any]]:
    return [tool for tool in declared if re.search(rf"\b{re.escape(tool['name'])}\b", prompt)]


def without_search_for_functions(tools: tuple[str, ...], agent: AgentTools, prompt: str) -> tuple[str, ...]:
    """The built-in tools the model uses for `prompt`: one that asks for an offered function by name
    ("use shell to run ...") gets the function called, not a web search first (nor one after its output)."""
    if not _named(agent.functions, prompt):
        return tools
    return tuple(tool for tool in tools if tool not in ("web_search", "web_extractor"))


def _function_calls(declared: tuple[dict[str, Any], ...], prompt: str, outputs: list[str]) -> list[FunctionCall]:
    """Functions named in the prompt are called (several at once if several are named); with "again"
    or "twice" in the prompt the first of them is called once more after its output came back."""
    named = _named(declared, prompt)
    if not named:
        return []
    if not outputs:
        return [FunctionCall(tool["name"], _arguments(tool, prompt)) for tool in named]
    if _AGAIN.search(prompt) and len(outputs) == len(named):
        return [FunctionCall(named[0]["name"], _arguments(named[0], prompt))]
    return []


def _arguments(tool: dict[str, Any], prompt: str) -> str:
    """Arguments from the prompt: `command` from backticks, `path` from a file-like word, other strings the prompt."""
    parameters: dict[str, Any] = tool["parameters"] if isinstance(tool.get("parameters"), dict) else {}
    properties: dict[str, Any] = parameters["properties"] if isinstance(parameters.get("properties"), dict) else {}
    quoted = _BACKTICKED.search(prompt)
    path = _PATHLIKE.search(_BACKTICKED.sub("", prompt))
    required: list[Any] = parameters["required"] if isinstance(parameters.get("required"), list) else []
    arguments: dict[str, Any] = {}
    for name, schema in properties.items():
        if name == "command":
            arguments[name] = quoted.group(1) if quoted else "echo hello"
        elif name == "path":  # an optional path (a folder to list) stays the default one
            arguments[name] = path.group(1) if path and name in required else "."
        elif isinstance(schema, dict) and schema.get("type") in ("string", None):
            arguments[name] = quoted.group(1) if quoted else " ".join(prompt.split())[:80]
    return _dumps(arguments)


def _answer_with(text: str, steps: list[Any], outputs: list[str]) -> str:
    """The answer, saying what the tools brought back so a reader (and a test) can see it used them."""
    notes: list[str] = []
    for output in outputs:
        first = output.strip().splitlines()[0] if output.strip() else "(no output)"
        notes.append(f"The function returned: {first[:200]}")
    for step in steps:
        if isinstance(step, McpCall):
            notes.append(f"The {step.server} server failed, so I answer without it." if step.error else f"From {step.server}: {step.output}")
        elif isinstance(step, ImageSearch):
            notes.append(f"I found {len(step.results)} images.")
        elif isinstance(step, FileSearch):
            notes.append(f"Your knowledge base: {step.results[0]['text']}")
    return "\n\n".join([*notes, text]) if notes else text
