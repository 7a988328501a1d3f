"""The simulator's plain ASGI app: `POST .../responses` like DashScope, plus `/_sim/*` control endpoints."""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
import zlib
from collections.abc import Awaitable, Callable
from typing import Any

from tui.sim.agent import AgentRequestError, agent_reply, agent_tools
from tui.sim.clock import SimClock
from tui.sim.context import input_messages, is_valid_input
from tui.sim.events import RequestEcho, build_stream, compact_response, usage_for
from tui.sim.faults import ANSWER_FAULTS, REFUSALS, Fault, FaultQueue, make_fault
from tui.sim.framing import batches, frame
from tui.sim.images import BadImage, image_sizes, with_images
from tui.sim.mcp_server import McpDouble
from tui.sim.memory import ResponseMemory, Turn
from tui.sim.pace import HumanPace, Pacer, choose_pacer
from tui.sim.script import BUILTIN_TOOLS, _topic, compose_reply

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]

NEW_PREFIX = "/compatible-mode/v1"
LEGACY_PREFIX = "/api/v2/apps/protocols/compatible-mode/v1"
#: POST paths that answer, and whether each is the legacy one (which ignores `instructions`).
RESPONSES_PATHS = {NEW_PREFIX + "/responses": False, LEGACY_PREFIX + "/responses": True}
#: Compatible-mode Chat Completions and the model list (sim/chat_completions.py).
CHAT_PATH = NEW_PREFIX + "/chat/completions"
MODELS_PATH = NEW_PREFIX + "/models"
_DOCS = "https://www.alibabacloud.com/help/en/model-studio/error-code"


class AbruptClose(Exception):
    """Raised inside a response on purpose: uvicorn then closes the socket mid-body (the `drop` fault)."""


class _QuietAbruptClose(logging.Filter):
    """Keeps uvicorn from logging tracebacks for a drop a test asked for or a stream cut by `SimServer.stop()`."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.exc_info and isinstance(record.exc_info[1], (AbruptClose, asyncio.CancelledError)))


logging.getLogger("uvicorn.error").addFilter(_QuietAbruptClose())


def error_body(message: str, type_: str, *, param: str | None = None, code: str | None = None) -> dict:
    """The OpenAI-style error envelope DashScope's compatible mode returns."""
    return {"error": {"message": message, "type": type_, "param": param, "code": code}}


class HttpError(Exception):
    """An error answer: status, JSON body and extra headers."""

    def __init__(self, status: int, body: dict, headers: dict[str, str] | None = None) -> None:
        super().__init__(body["error"]["message"])
        self.status = status
        self.body = body
        self.headers = headers or {}


class SimState:
    """Everything the app shares with `SimServer`: clock, stored ids, queued faults, received bodies, settings."""

    def __init__(
        self,
        *,
        clock: SimClock | None = None,
        speed: float | None = None,
        long_answer: int | None = None,
        api_key: str | None = None,
        pace: HumanPace | None = None,
    ) -> None:
        self.clock = clock or SimClock()
        self.memory = ResponseMemory(self.clock)
        self.faults = FaultQueue()
        self.requests: list[dict] = []
        self.speed = speed
        #: The demo's human pace; wins over `speed` when set.
        self.pace = pace
        self.long_answer = long_answer
        self.api_key = api_key

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
                    raise HttpError(405, error_body(f"Method {method} not allowed.", "invalid_request_error"))
                await self._responses(scope, receive, send, request_id, legacy=RESPONSES_PATHS[path])
            elif path in (CHAT_PATH, MODELS_PATH):
                # Imported here: that module uses this one's helpers.
                from tui.sim.chat_completions import serve_chat, serve_models

                if path == MODELS_PATH:
                    self._check_key(scope)
                    await serve_models(send, request_id)
                    return
                if method != "POST":
                    raise HttpError(405, error_body(f"Method {method} not allowed.", "invalid_request_error"))
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
                raise HttpError(404, error_body(f"Unknown path {path}.", "invalid_request_error", code="not_found"))
        except HttpError as exc:
            await _send_json(send, exc.status, {**exc.body, "request_id": request_id}, {"x-request-id": request_id, **exc.headers})

    async def _control(self, path: str, method: str, receive: Receive, send: Send) -> None:
        """Out-of-process test hooks: inject faults, move the clock, read the received bodies."""
        state = self.state
        if path == "/_sim/requests" and method == "GET":
            await _send_json(send, 200, state.requests)
            return
        if method != "POST" or path not in ("/_sim/inject", "/_sim/advance"):
            raise HttpError(404, error_body(f"Unknown control {method} {path}.", "invalid_request_error"))
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
            raise HttpError(400, error_body(f"Bad control request: {exc}", "invalid_request_error")) from exc

    async def _responses(self, scope: Scope, receive: Receive, send: Send, request_id: str, *, legacy: bool) -> None:
        state = self.state
        try:
            body = json.loads(await _read_body(receive))
        except ValueError as exc:
            raise HttpError(400, error_body("We could not parse the JSON body of your request.", "invalid_request_error")) from exc
        if not isinstance(body, dict):
            raise HttpError(400, error_body("The request body must be a JSON object.", "invalid_request_error"))
        state.requests.append(body)
        self._check_key(scope)
        fault = state.faults.take(REFUSALS)
        if fault and fault.kind == "rate_limit":
            raise HttpError(
                429,
                error_body(
                    f"You have exceeded your current request limit. For details, see: {_DOCS}#rate-limit",
                    "limit_requests",
                    code="limit_requests",
                ),
                {"retry-after": f"{fault.retry_after:g}"},
            )
        if fault and fault.kind == "server_error":
            raise HttpError(
                500,
                error_body("The server had an error while processing your request. Please retry.", "internal_error", code="internal_error"),
            )
        turn_input, echo, context, parent = self._prepare(body, legacy)
        try:
            agent = agent_tools(body)
        except AgentRequestError as exc:
            raise HttpError(400, error_body(str(exc), "invalid_request_error", param=exc.param, code="InvalidParameter")) from exc
        fault = state.faults.take(ANSWER_FAULTS)
        thinking = _thinking(body)
        tools = _requested_tools(body)
        try:
            images = image_sizes(body["input"])
        except BadImage as exc:
            raise HttpError(400, error_body(str(exc), "invalid_request_error", param="input", code="invalid_value")) from None
        reply = with_images(compose_reply(context, tools=tools, thinking=thinking, long_deltas=state.long_answer), images)
        prompt = next((text for role, text in reversed(context) if role == "user"), "")
        reply = agent_reply(reply, agent, context, _topic(prompt) or "your question")
        usage = usage_for(context, reply)
        script = build_stream(echo, reply, usage)
        stored = Turn(parent, (*turn_input, ("assistant", reply.text)))
        headers = [(b"x-request-id", request_id.encode())]

        def complete() -> None:
            """Store the id before the client can see it complete, so it can chain at once."""
            if body.get("store", True) is not False:
                state.memory.remember(echo.response_id, stored, echo.created_at)

        if body.get("stream") is True:
            pacer = choose_pacer(state.pace, state.speed, zlib.crc32(reply.text.encode()))
            await _stream(send, receive, script.events, script.text_delta_positions, fault, pacer, headers, complete)
        else:
            complete()
            await _respond(send, receive, compact_response(echo, output=script.output, usage=usage), fault, headers)

    def _check_key(self, scope: Scope) -> None:
        auth = _header(scope, b"authorization") or ""
        scheme, _, key = auth.partition(" ")
        key = key.strip()
        if scheme.lower() != "bearer" or not key or (self.state.api_key is not None and key != self.state.api_key):
            raise HttpError(
                401,
                error_body(
                    f"Incorrect API key provided. For details, see: {_DOCS}#apikey-error",
                    "invalid_request_error",
                    code="invalid_api_key",
                ),
            )

    def _prepare(self, body: dict, legacy: bool) -> tuple[list[tuple[str, str]], RequestEcho, list[tuple[str, str]], Turn | None]:
        """Validate the request; return this turn's input, the echo, the model's full context and the parent turn."""
        model = body.get("model")
        if not isinstance(model, str) or not model:
            raise HttpError(400, error_body("Missing required parameter: 'model'.", "invalid_request_error", param="model", code="missing_required_parameter"))
        if not is_valid_input(body.get("input")):
            raise HttpError(400, error_body("Missing required parameter: 'input'.", "invalid_request_error", param="input", code="missing_required_parameter"))
        previous = body.get("previous_response_id")
        parent = None
        if previous is not None:
            parent = self.state.memory.recall(str(previous))
            if parent is None:
                raise HttpError(
                    400,
                    error_body(
                        f"Previous response with id '{previous}' not found.",
                        "invalid_request_error",
                        param="previous_response_id",
                        code="previous_response_not_found",
                    ),
                )
        instructions = body.get("instructions") if not legacy and isinstance(body.get("instructions"), str) else None
        turn_input = input_messages(body["input"])
        context = (parent.context() if parent else []) + ([("system", instructions)] if instructions else []) + turn_input
        metadata = body.get("metadata")
        echo = RequestEcho(
            response_id=str(uuid.uuid4()),
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


async def _pause(gone: asyncio.Event, seconds: float) -> None:
    """Sleep, but wake as soon as the client goes away."""
    try:
        await asyncio.wait_for(gone.wait(), timeout=max(0.0, seconds))
    except asyncio.TimeoutError:
        pass


async def _stream(
    send: Send,
    receive: Receive,
    events: list[tuple[str, str]],
    positions: list[int],
    fault: Fault | None,
    pacer: Pacer | None,
    headers: list[tuple[bytes, bytes]],
    on_complete: Callable[[], None],
) -> None:
    """Send the stream with its fault, if any; `on_complete` runs just before `response.completed` goes out."""
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"text/event-stream;charset=UTF-8"), (b"cache-control", b"no-cache"), *headers],
        }
    )
    gone = asyncio.Event()
    watcher = asyncio.create_task(_watch_disconnect(receive, gone))
    try:
        last = len(events) - 1  # response.completed
        cut = _cut_index(positions, fault.after_deltas) if fault and positions else last  # no text: calls only
        if fault and fault.kind == "malformed":
            event_type, data = events[cut]
            events = [*events[:cut], (event_type, data[: len(data) // 2]), *events[cut + 1 :]]
            cut = last
        await _send_range(send, events, 0, cut, pacer, gone)
        if fault and fault.kind == "drop" and not gone.is_set():
            raise AbruptClose("drop fault")
        if fault and fault.kind == "stall":
            await _pause(gone, fault.seconds)
        await _send_range(send, events, cut, last, pacer, gone)
        if gone.is_set():
            return
        on_complete()
        await _send_range(send, events, last, last + 1, pacer, gone)
        await send({"type": "http.response.body", "body": b""})
    finally:
        watcher.cancel()


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
    loop = asyncio.get_running_loop()
    due = loop.time()  # a schedule, not a sleep per event: slow writes do not add up to a slower pace
    for seq in range(start, stop):
        if gone.is_set():
            return
        event_type, data = events[seq]
        delay = pacer(event_type, data)
        if delay > 0:
            due += delay
            await _pause(gone, due - loop.time())
        await send({"type": "http.response.body", "body": frame(seq, event_type, data), "more_body": True})


async def _respond(
    send: Send, receive: Receive, body: dict, fault: Fault | None, headers: list[tuple[bytes, bytes]]
) -> None:
    """The non-streaming answer, with its fault (stall before, truncated or dropped body)."""
    payload = json.dumps(body, ensure_ascii=False).encode()
    kind = fault.kind if fault else None
    if kind == "stall":
        gone = asyncio.Event()
        watcher = asyncio.create_task(_watch_disconnect(receive, gone))
        await _pause(gone, fault.seconds)
        watcher.cancel()
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
