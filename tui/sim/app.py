"""The simulator's plain ASGI app: `POST .../responses` like DashScope, plus `/_sim/*` control endpoints."""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
import zlib
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from contextlib import asynccontextmanager
from typing import Any

from tui.sim.agent import AgentRequestError, agent_reply, agent_tools, without_search_for_functions
from tui.sim.clock import SimClock
from tui.sim.context import input_messages, is_valid_input
from tui.sim.events import (
    EventScript,
    RequestEcho,
    build_stream,
    cap_reply,
    compact_response,
    context_tokens,
    usage_for,
)
from tui.sim.faults import ANSWER_FAULTS, REFUSALS, Fault, FaultQueue, make_fault
from tui.sim.framing import batches, frame
from tui.sim.images import BadImage, image_sizes, with_images
from tui.sim.mcp_server import McpDouble
from tui.sim.memory import ResponseMemory, Turn
from tui.sim.pace import HumanPace, Pacer, choose_pacer
from tui.sim.script import BUILTIN_TOOLS, _topic, compose_reply
from tui.sim.style import (
    DEFAULT_STYLE,
    ERRORS,
    SESSION_CACHE_HEADER,
    SESSION_CACHE_MIN_TOKENS,
    STYLES,
    Style,
    error_body,
    failed_event,
    previous_not_found_message,
    reasoning_spelling,
    response_id,
    streams_error,
)

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]

NEW_PREFIX = "/compatible-mode/v1"
LEGACY_PREFIX = "/api/v2/apps/protocols/compatible-mode/v1"
#: POST paths that answer, and whether each is the legacy one (which ignores `instructions`).
RESPONSES_PATHS = {NEW_PREFIX + "/responses": False, LEGACY_PREFIX + "/responses": True}
_STORED_PREFIXES = tuple(prefix + "/responses/" for prefix in (NEW_PREFIX, LEGACY_PREFIX))


def _stored_response_id(path: str) -> str | None:
    """The id in `{base}/responses/{id}` (GET / DELETE of a stored response), else None."""
    for prefix in _STORED_PREFIXES:
        if path.startswith(prefix) and "/" not in path[len(prefix):] and path[len(prefix):]:
            return path[len(prefix):]
    return None
#: Compatible-mode Chat Completions and the model list (sim/chat_completions.py).
CHAT_PATH = NEW_PREFIX + "/chat/completions"
MODELS_PATH = NEW_PREFIX + "/models"


class AbruptClose(Exception):
    """Raised inside a response on purpose: uvicorn then closes the socket mid-body (the `drop` fault)."""


class _QuietAbruptClose(logging.Filter):
    """Keeps uvicorn from logging tracebacks for a drop a test asked for or a stream cut by `SimServer.stop()`."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.exc_info and isinstance(record.exc_info[1], (AbruptClose, asyncio.CancelledError)))


logging.getLogger("uvicorn.error").addFilter(_QuietAbruptClose())


class HttpError(Exception):
    """An error answer, rendered in the server's style: a documented error kind, its text and extra headers."""

    def __init__(
        self, kind: str, message: str | None = None, *, param: str | None = None, headers: dict[str, str] | None = None
    ) -> None:
        self.kind = ERRORS[kind]
        super().__init__(message or self.kind.message)
        #: None: the kind's own text in the server's style.
        self.message = message
        self.param = param
        self.headers = headers or {}
        #: Set when the request asked for a stream (the live style then answers 200 + `response.failed`).
        self.streamed = False


class SimState:
    """Everything the app shares with `SimServer`: clock, stored ids, queued faults, received bodies, settings."""

    def __init__(
        self,
        *,
        clock: SimClock | None = None,
        speed: float | None = None,
        long_answer: int | None = None,
        api_key: str | None = None,
        style: Style = DEFAULT_STYLE,
        models: frozenset[str] | None = None,
        pace: HumanPace | None = None,
    ) -> None:
        if style not in STYLES:
            raise ValueError(f"unknown style {style!r}; expected one of {', '.join(STYLES)}")
        self.clock = clock or SimClock()
        self.memory = ResponseMemory(self.clock)
        self.faults = FaultQueue()
        self.requests: list[dict] = []
        self.speed = speed
        #: The demo's human pace; wins over `speed` when set.
        self.pace = pace
        self.long_answer = long_answer
        self.api_key = api_key
        #: "live" answers like DashScope, "openai" like OpenAI's Responses API (see `tui.sim.style`).
        self.style: Style = style
        #: The model names served (None: any name), so an unknown one gets the documented "model not found".
        self.models = models

    def inject(self, kind: str, **options: Any) -> None:
        """Queue a fault for the next requests; "forget" acts at once."""
        fault = make_fault(kind, **options)
        if fault.kind == "forget":
            self.memory.forget()
        else:
            self.faults.push(fault)


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return value.decode("latin-1")
    return None


async def _read_body(receive: Receive) -> bytes:
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            break
    return b"".join(chunks)


async def _send_json(send: Send, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
    payload = json.dumps(body, ensure_ascii=False).encode()
    raw = [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode())]
    raw += [(k.encode(), v.encode()) for k, v in (headers or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": payload})


class SimApp:
    """ASGI callable; one instance per server, all state in `SimState`."""

    def __init__(self, state: SimState) -> None:
        self.state = state
        self.mcp = McpDouble()  # an MCP server to list tools from (the service itself calls them)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        path, method = scope["path"], scope["method"]
        request_id = str(uuid.uuid4())
        try:
            if path in RESPONSES_PATHS:
                if method != "POST":
                    raise HttpError("method_not_allowed", f"Method {method} not allowed.")
                await self._responses(scope, receive, send, request_id, legacy=RESPONSES_PATHS[path])
            elif _stored_response_id(path) is not None:
                await self._stored(scope, method, _stored_response_id(path) or "", send, request_id)
            elif path in (CHAT_PATH, MODELS_PATH):
                # Imported here: that module uses this one's helpers.
                from tui.sim.chat_completions import serve_chat, serve_models

                if path == MODELS_PATH:
                    self._check_key(scope)
                    await serve_models(send, request_id)
                    return
                if method != "POST":
                    raise HttpError("method_not_allowed", f"Method {method} not allowed.")
                try:
                    self._check_key(scope)
                    key_ok = True
                except HttpError:
                    key_ok = False
                await serve_chat(self.state, scope, receive, send, request_id, key_ok)
            elif path.startswith("/_mcp/"):
                await self.mcp(scope, receive, send, await _read_body(receive) if method == "POST" else b"")
            elif path.startswith("/_sim/"):
                await self._control(path, method, receive, send)
            else:
                raise HttpError("not_found", f"Unknown path {path}.")
        except HttpError as exc:
            await self._send_error(send, exc, request_id)

    async def _send_error(self, send: Send, exc: HttpError, request_id: str) -> None:
        """The error as the style answers it: its HTTP status and body, or 200 + one `response.failed` event."""
        style = self.state.style
        headers = {"x-request-id": request_id, **exc.headers}
        if exc.streamed and streams_error(style, exc.kind):
            event = failed_event(style, exc.kind, message=exc.message)
            raw = [(b"content-type", b"text/event-stream;charset=UTF-8"), *((k.encode(), v.encode()) for k, v in headers.items())]
            await send({"type": "http.response.start", "status": 200, "headers": raw})
            await send({"type": "http.response.body", "body": frame(0, "response.failed", json.dumps(event, ensure_ascii=False))})
            return
        body = error_body(style, exc.kind, request_id, message=exc.message, param=exc.param)
        await _send_json(send, exc.kind.status, body, headers)

    async def _stored(self, scope: Scope, method: str, response_id: str, send: Send, request_id: str) -> None:
        """`GET` / `DELETE {base}/responses/{id}` for stored (store=true) responses."""
        self._check_key(scope)
        memory = self.state.memory
        if method == "GET":
            body = memory.body(response_id)
            if body is None:
                raise HttpError("not_found", f"Response with id '{response_id}' not found.")
            await _send_json(send, 200, body, {"x-request-id": request_id})
        elif method == "DELETE":
            if not memory.delete(response_id):
                raise HttpError("not_found", f"Response with id '{response_id}' not found.")
            await _send_json(send, 200, {"id": response_id, "object": "response", "deleted": True}, {"x-request-id": request_id})
        else:
            raise HttpError("method_not_allowed", f"Method {method} not allowed.")

    async def _control(self, path: str, method: str, receive: Receive, send: Send) -> None:
        """Out-of-process test hooks: inject faults, move the clock, read the received bodies."""
        state = self.state
        if path == "/_sim/requests" and method == "GET":
            await _send_json(send, 200, state.requests)
            return
        if method != "POST" or path not in ("/_sim/inject", "/_sim/advance"):
            raise HttpError("not_found", f"Unknown control {method} {path}.")
        try:
            body = json.loads(await _read_body(receive) or b"{}")
            if path == "/_sim/inject":
                kind = body.pop("kind")
                state.inject(kind, **body)
                await _send_json(send, 200, {"ok": True, "kind": kind})
            else:
                state.clock.advance(float(body["seconds"]))
                await _send_json(send, 200, {"ok": True, "now": state.clock.now()})
        except (ValueError, KeyError, TypeError) as exc:
            raise HttpError("invalid_parameter", f"Bad control request: {exc}") from exc

    async def _responses(self, scope: Scope, receive: Receive, send: Send, request_id: str, *, legacy: bool) -> None:
        try:
            body = json.loads(await _read_body(receive))
        except ValueError as exc:
            raise HttpError("invalid_parameter", "We could not parse the JSON body of your request.") from exc
        if not isinstance(body, dict):
            raise HttpError("invalid_parameter", "The request body must be a JSON object.")
        self.state.requests.append(body)
        try:
            await self._answer(scope, receive, send, request_id, body, legacy=legacy)
        except HttpError as exc:
            exc.streamed = body.get("stream") is True
            raise

    async def _answer(
        self, scope: Scope, receive: Receive, send: Send, request_id: str, body: dict, *, legacy: bool
    ) -> None:
        state = self.state
        self._check_key(scope)
        fault = state.faults.take(REFUSALS)
        if fault and fault.kind == "rate_limit":
            raise HttpError("rate_quota", headers={"retry-after": f"{fault.retry_after:g}"})
        if fault and fault.kind == "server_error":
            raise HttpError("server_error")
        if fault and fault.kind == "refuse" and fault.code:
            raise HttpError(fault.code, headers={"retry-after": f"{fault.retry_after:g}"} if fault.code == "rate_quota" else None)
        turn_input, echo, context, parent = self._prepare(body, legacy)
        try:
            agent = agent_tools(body)
        except AgentRequestError as exc:
            raise HttpError("invalid_parameter", str(exc), param=exc.param) from exc
        fault = state.faults.take(ANSWER_FAULTS)
        thinking = _thinking(body)
        tools = _requested_tools(body)
        if fault and fault.kind == "silent_tool" and not tools:
            tools = ("web_extractor",)  # the tool whose runs DS examples show without any events
        try:
            images = image_sizes(body["input"])
        except BadImage as exc:
            raise HttpError("invalid_parameter", str(exc), param="input") from None
        prompt = next((text for role, text in reversed(context) if role == "user"), "")
        tools = without_search_for_functions(tools, agent, prompt)
        reply = with_images(compose_reply(context, tools=tools, thinking=thinking, long_deltas=state.long_answer), images)
        reply = agent_reply(reply, agent, context, _topic(prompt) or "your question")
        reply, cut = cap_reply(reply, body.get("max_output_tokens") if isinstance(body.get("max_output_tokens"), int) else None)
        incomplete = "max_output_tokens" if cut else None
        usage = usage_for(context, reply, cached=self._cached_tokens(scope, parent))
        spelling = reasoning_spelling(state.style, legacy=legacy)
        script = build_stream(echo, reply, usage, reasoning=spelling, incomplete_reason=incomplete)
        stored = Turn(parent, (*turn_input, ("assistant", reply.text)))
        headers = [(b"x-request-id", request_id.encode())]
        final = compact_response(echo, output=script.output, usage=usage, incomplete_reason=incomplete)

        def complete() -> None:
            """Store the id before the client can see it complete, so it can chain at once."""
            if body.get("store", True) is not False:
                state.memory.remember(echo.response_id, stored, echo.created_at, final)

        if body.get("stream") is True:
            pacer = choose_pacer(state.pace, state.speed, zlib.crc32(reply.text.encode()))
            await _stream(send, receive, script, fault, pacer, headers, complete, state.style)
        else:
            complete()
            await _respond(send, receive, final, fault, headers)

    def _cached_tokens(self, scope: Scope, parent: Turn | None) -> int:
        """Input tokens DashScope's session cache serves: the chained context, when asked for and long enough."""
        if self.state.style != "live" or parent is None:
            return 0
        if (_header(scope, SESSION_CACHE_HEADER) or "").strip().lower() != "enable":
            return 0
        tokens = context_tokens(parent.context())
        return tokens if tokens >= SESSION_CACHE_MIN_TOKENS else 0

    def _check_key(self, scope: Scope) -> None:
        auth = _header(scope, b"authorization") or ""
        scheme, _, key = auth.partition(" ")
        key = key.strip()
        if scheme.lower() != "bearer" or not key or (self.state.api_key is not None and key != self.state.api_key):
            raise HttpError("invalid_api_key")

    def _prepare(self, body: dict, legacy: bool) -> tuple[list[tuple[str, str]], RequestEcho, list[tuple[str, str]], Turn | None]:
        """Validate the request; return this turn's input, the echo, the model's full context and the parent turn."""
        model = body.get("model")
        if not isinstance(model, str) or not model:
            raise HttpError("invalid_parameter", "Missing required parameter: 'model'.", param="model")
        if self.state.models is not None and model not in self.state.models:
            raise HttpError("model_not_found", f"The model `{model}` does not exist or you do not have access to it.", param="model")
        if not is_valid_input(body.get("input")):
            raise HttpError("invalid_parameter", "Missing required parameter: 'input'.", param="input")
        previous = body.get("previous_response_id")
        parent = None
        if previous is not None:
            parent = self.state.memory.recall(str(previous))
            if parent is None:
                message = previous_not_found_message(self.state.style, str(previous))
                raise HttpError("previous_not_found", message, param="previous_response_id")
        instructions = body.get("instructions") if not legacy and isinstance(body.get("instructions"), str) else None
        turn_input = input_messages(body["input"])
        context = (parent.context() if parent else []) + ([("system", instructions)] if instructions else []) + turn_input
        metadata = body.get("metadata")
        echo = RequestEcho(
            response_id=response_id(self.state.style),
            created_at=float(int(self.state.clock.now())),
            model=model,
            previous_response_id=previous,
            instructions=instructions,
            metadata=metadata if isinstance(metadata, dict) else None,
            temperature=body.get("temperature"),
            top_p=body.get("top_p"),
            tool_choice=body.get("tool_choice") or "auto",
            reasoning=body.get("reasoning") if isinstance(body.get("reasoning"), dict) else None,
            max_output_tokens=body.get("max_output_tokens"),
        )
        return turn_input, echo, context, parent


def _thinking(body: dict) -> bool:
    """`reasoning.effort` wins over DashScope's `enable_thinking`; thinking is off unless asked for."""
    reasoning = body.get("reasoning")
    if isinstance(reasoning, dict) and reasoning.get("effort") is not None:
        return reasoning["effort"] != "none"
    return body.get("enable_thinking") is True


def _requested_tools(body: dict) -> tuple[str, ...]:
    tools = body.get("tools")
    requested = {tool.get("type") for tool in tools if isinstance(tool, dict)} if isinstance(tools, list) else set()
    return tuple(name for name in BUILTIN_TOOLS if name in requested)


def _cut_index(positions: list[int], after_deltas: int) -> int:
    """Index of the first event sent after `after_deltas` text deltas (clamped to the stream's deltas)."""
    if after_deltas <= 0:
        return positions[0]
    return positions[min(after_deltas, len(positions)) - 1] + 1


async def _watch_disconnect(receive: Receive, gone: asyncio.Event) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass
    gone.set()


@asynccontextmanager
async def watching_disconnect(receive: Receive) -> AsyncIterator[asyncio.Event]:
    """An event set once the client goes away, watched while the block runs."""
    gone = asyncio.Event()
    watcher = asyncio.create_task(_watch_disconnect(receive, gone))
    try:
        yield gone
    finally:
        watcher.cancel()


async def _pause(gone: asyncio.Event, seconds: float) -> None:
    """Sleep, but wake as soon as the client goes away."""
    try:
        await asyncio.wait_for(gone.wait(), timeout=max(0.0, seconds))
    except TimeoutError:
        pass


async def _stream(
    send: Send,
    receive: Receive,
    script: EventScript,
    fault: Fault | None,
    pacer: Pacer | None,
    headers: list[tuple[bytes, bytes]],
    on_complete: Callable[[], None],
    style: Style,
) -> None:
    """Send the stream with its fault, if any; `on_complete` runs just before the terminal event goes out."""
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"text/event-stream;charset=UTF-8"), (b"cache-control", b"no-cache"), *headers],
        }
    )
    events = script.events
    async with watching_disconnect(receive) as gone:
        last = len(events) - 1  # response.completed (or .incomplete)
        positions = script.text_delta_positions
        cut = last
        if fault and fault.kind == "silent_tool" and script.tool_added_positions:
            cut = script.tool_added_positions[0] + 1  # just after the tool's output_item.added
        elif fault and positions:  # no text: calls only
            cut = _cut_index(positions, fault.after_deltas)
        if fault and fault.kind == "malformed":
            event_type, data = events[cut]
            events = [*events[:cut], (event_type, data[: len(data) // 2]), *events[cut + 1 :]]
            cut = last
        await _send_range(send, events, 0, cut, pacer, gone)
        if fault and fault.kind == "drop" and not gone.is_set():
            raise AbruptClose("drop fault")
        if fault and fault.kind in ("stall", "silent_tool"):
            await _pause(gone, fault.seconds)
        if fault and fault.kind in ("fail", "error_event"):
            if not gone.is_set():
                event_type, data = _failure(fault.kind, events[last][1], cut, style)
                await send({"type": "http.response.body", "body": frame(cut, event_type, data), "more_body": True})
                await send({"type": "http.response.body", "body": b""})
            return
        await _send_range(send, events, cut, last, pacer, gone)
        if gone.is_set():
            return
        on_complete()
        await _send_range(send, events, last, last + 1, pacer, gone)
        await send({"type": "http.response.body", "body": b""})


def _failure(kind: str, final_data: str, seq: int, style: Style) -> tuple[str, str]:
    """A mid-stream failure: `response.failed` (the response, with an error) or a bare `error` event."""
    server = ERRORS["server_error"]
    code = server.live_code if style == "live" else server.openai_code
    if kind == "error_event":
        return "error", json.dumps({"type": "error", "code": code, "message": server.message, "param": None, "sequence_number": seq})
    payload = json.loads(final_data)
    payload.update(type="response.failed", sequence_number=seq)
    payload["response"].update(status="failed", error={"code": code, "message": server.message}, usage=None)
    return "response.failed", json.dumps(payload, ensure_ascii=False)


async def _send_range(
    send: Send, events: list[tuple[str, str]], start: int, stop: int, pacer: Pacer | None, gone: asyncio.Event
) -> None:
    """As fast as possible in big writes, or each event after the delay `pacer` gives it."""
    if pacer is None:
        for chunk in batches(events, start, stop):
            if gone.is_set():
                return
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
        return
    paced = ((pacer(event_type, data), frame(seq, event_type, data)) for seq, (event_type, data) in
             enumerate(events[start:stop], start))
    await send_on_schedule(send, paced, gone)


async def send_on_schedule(send: Send, paced: Iterable[tuple[float, bytes]], gone: asyncio.Event) -> None:
    """Each body part after its delay, until the client goes (the Responses and Chat Completions streams)."""
    loop = asyncio.get_running_loop()
    due = loop.time()  # a schedule, not a sleep per event: slow writes do not add up to a slower pace
    for delay, body in paced:
        if gone.is_set():
            return
        if delay > 0:
            due += delay
            await _pause(gone, due - loop.time())
        await send({"type": "http.response.body", "body": body, "more_body": True})


async def _respond(
    send: Send, receive: Receive, body: dict, fault: Fault | None, headers: list[tuple[bytes, bytes]]
) -> None:
    """The non-streaming answer, with its fault (stall before, truncated or dropped body)."""
    payload = json.dumps(body, ensure_ascii=False).encode()
    kind = fault.kind if fault else None
    if fault is not None and kind == "stall":
        async with watching_disconnect(receive) as gone:
            await _pause(gone, fault.seconds)
        if gone.is_set():
            return
    if kind == "malformed":
        payload = payload[: len(payload) // 2]
    start = [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode()), *headers]
    await send({"type": "http.response.start", "status": 200, "headers": start})
    if kind == "drop":
        await send({"type": "http.response.body", "body": payload[: len(payload) // 2], "more_body": True})
        raise AbruptClose("drop fault")
    await send({"type": "http.response.body", "body": payload})
