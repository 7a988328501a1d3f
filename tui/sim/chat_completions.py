"""`POST .../chat/completions` and `GET .../models` the way DashScope's compatible mode serves them.

Chat streams `data:` chunks without `event:` lines, `reasoning_content` deltas first when
`enable_thinking` is on, a chunk with the finish reason, a usage chunk with empty `choices` when
`stream_options.include_usage` is set, then `data: [DONE]`. Errors are flat `{code, message, request_id}`.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
import zlib
from typing import TYPE_CHECKING, Any

from tui.sim.events import usage_for
from tui.sim.faults import ANSWER_FAULTS, REFUSALS
from tui.sim.images import BadImage, image_sizes, with_images
from tui.sim.pace import Pacer, choose_pacer
from tui.sim.script import Reasoning, Reply, compose_reply, split_deltas

if TYPE_CHECKING:
    from tui.sim.app import Receive, Scope, Send, SimState

_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode

#: What `GET /models` lists: documented models, plus ones newer than any shipped table would know.
SERVED_MODELS = (
    "qwen3-max", "qwen3-max-2026-01-23", "qwen3.5-plus", "qwen3.5-flash", "qwen-plus", "qwen-flash",
    "qwen3-vl-plus", "qwen-vl-max", "qwq-plus", "qwen-max", "qwen-turbo", "qwen-mt-plus", "qwen3.9-preview",
)


class FlatError(Exception):
    """An error reply in DashScope's flat shape."""

    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.headers = status, code, message, headers or {}


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    parts = content if isinstance(content, list) else []
    return "\n".join(p["text"] for p in parts if isinstance(p, dict) and p.get("type") == "text" and isinstance(p.get("text"), str))


def _chunk(chat_id: str, created: int, model: str, delta: dict[str, Any] | None, finish: str | None = None) -> bytes:
    choices = [] if delta is None else [{"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}]
    body = {"id": chat_id, "object": "chat.completion.chunk", "created": created, "model": model, "choices": choices}
    return f"data: {_dumps(body)}\n\n".encode()


def chat_chunks(body: dict[str, Any], reply: Reply, usage: dict[str, Any], *, thinking: bool) -> list[bytes]:
    """Every `data:` block of one streamed answer, `[DONE]` last."""
    chat_id = f"chatcmpl-{uuid.uuid4()}"
    created, model = int(time.time()), str(body["model"])
    blocks = [_chunk(chat_id, created, model, {"role": "assistant", "content": "", "reasoning_content": ""})]
    reasoning = " ".join(step.text for step in reply.steps if isinstance(step, Reasoning))
    if thinking and reasoning:
        blocks += [_chunk(chat_id, created, model, {"content": None, "reasoning_content": d}) for d in split_deltas(reasoning)]
    blocks += [_chunk(chat_id, created, model, {"content": delta}) for delta in reply.deltas]
    blocks.append(_chunk(chat_id, created, model, {}, "stop"))
    options = body.get("stream_options")
    if isinstance(options, dict) and options.get("include_usage"):
        chat_usage = {
            "prompt_tokens": usage["input_tokens"],
            "completion_tokens": usage["output_tokens"],
            "total_tokens": usage["total_tokens"],
            "prompt_tokens_details": {"cached_tokens": 0},
            "completion_tokens_details": {"reasoning_tokens": usage["output_tokens_details"]["reasoning_tokens"]},
        }
        usage_chunk = {"id": chat_id, "object": "chat.completion.chunk", "created": created, "model": model,
                       "choices": [], "usage": chat_usage}
        blocks.append(f"data: {_dumps(usage_chunk)}\n\n".encode())
    blocks.append(b"data: [DONE]\n\n")
    return blocks


async def serve_chat(state: SimState, scope: Scope, receive: Receive, send: Send, request_id: str, key_ok: bool) -> None:
    """Answer one Chat Completions request (streamed or not), or a flat error."""
    from tui.sim.app import _read_body, _send_json

    try:
        try:
            body = json.loads(await _read_body(receive))
        except ValueError:
            raise FlatError(400, "InvalidParameter", "The request body is not valid JSON.") from None
        if not isinstance(body, dict):
            raise FlatError(400, "InvalidParameter", "The request body must be a JSON object.")
        state.requests.append(body)
        if not key_ok:
            raise FlatError(401, "InvalidApiKey", "Invalid API-key provided.")
        fault = state.faults.take(REFUSALS)
        if fault and fault.kind == "rate_limit":
            raise FlatError(429, "Throttling.RateQuota", "Requests rate limit exceeded, please try again later.",
                            {"retry-after": f"{fault.retry_after:g}"})
        if fault and fault.kind == "server_error":
            raise FlatError(500, "InternalError", "An internal error has occurred, please try again later.")
        fault = state.faults.take(ANSWER_FAULTS)
        messages = body.get("messages")
        if not isinstance(body.get("model"), str) or not body["model"]:
            raise FlatError(400, "InvalidParameter", "Model not specified.")
        if not isinstance(messages, list) or not messages:
            raise FlatError(400, "InvalidParameter", "messages must not be empty.")
        try:
            sizes = image_sizes(messages)
        except BadImage as exc:
            raise FlatError(400, "InvalidParameter", str(exc)) from None
    except FlatError as exc:
        payload = {"code": exc.code, "message": exc.message, "request_id": request_id}
        await _send_json(send, exc.status, payload, {"x-request-id": request_id, **exc.headers})
        return
    context = [(str(m.get("role")), _text(m.get("content"))) for m in messages if isinstance(m, dict)]
    thinking = body.get("enable_thinking") is True
    reply = with_images(compose_reply(context, thinking=thinking, long_deltas=state.long_answer), sizes)
    usage = usage_for(context, reply)
    if body.get("stream") is not True:
        message = {"role": "assistant", "content": reply.text}
        answer = {"id": f"chatcmpl-{uuid.uuid4()}", "object": "chat.completion", "created": int(time.time()),
                  "model": body["model"], "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
                  "usage": {"prompt_tokens": usage["input_tokens"], "completion_tokens": usage["output_tokens"],
                            "total_tokens": usage["total_tokens"]}}
        await _send_json(send, 200, answer, {"x-request-id": request_id})
        return
    headers = [(b"content-type", b"text/event-stream;charset=UTF-8"), (b"x-request-id", request_id.encode())]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    blocks = chat_chunks(body, reply, usage, thinking=thinking)
    if fault is not None and fault.kind == "stall":
        cut = min(1 + fault.after_deltas, len(blocks) - 2)
        await send({"type": "http.response.body", "body": b"".join(blocks[:cut]), "more_body": True})
        await asyncio.sleep(fault.seconds)
        blocks = blocks[cut:]
    elif fault is not None and fault.kind in ("drop", "malformed"):
        # Cut after the role chunk and `after_deltas` content chunks: mid-answer, as a lost connection is.
        cut = min(1 + fault.after_deltas, len(blocks) - 2)
        if fault.kind == "malformed":
            blocks = [*blocks[:cut], b"data: {\"id\": \"chatcmpl-broken\", \"choi\n\n", *blocks[cut:]]
        else:
            from tui.sim.app import AbruptClose

            await send({"type": "http.response.body", "body": b"".join(blocks[:cut]), "more_body": True})
            raise AbruptClose("drop fault")
    pacer = choose_pacer(state.pace, state.speed, zlib.crc32(reply.text.encode()))
    if pacer is None or fault is not None:
        await send({"type": "http.response.body", "body": b"".join(blocks)})
        return
    await _paced(send, receive, blocks, _chunk_delays(reply, thinking, pacer))


def _chunk_delays(reply: Reply, thinking: bool, pacer: Pacer) -> list[float]:
    """The pause before each block of `chat_chunks`, as the Responses stream of the same reply has them
    (`--speed`, or the demo's human pace): the role chunk opens the answer, then each delta."""
    reasoning = " ".join(step.text for step in reply.steps if isinstance(step, Reasoning))
    thoughts = split_deltas(reasoning) if thinking and reasoning else ()
    delays = [pacer("response.output_item.added", "")]
    delays += [pacer("response.reasoning_text.delta", _dumps({"delta": d})) for d in thoughts]
    delays += [pacer("response.output_text.delta", _dumps({"delta": d})) for d in reply.deltas]
    return delays


async def _paced(send: Send, receive: Receive, blocks: list[bytes], delays: list[float]) -> None:
    """Each block after its delay (the blocks after the last delta: at once); stops if the client goes."""
    from tui.sim.app import send_on_schedule, watching_disconnect

    async with watching_disconnect(receive) as gone:
        padded = delays + [0.0] * (len(blocks) - len(delays))
        await send_on_schedule(send, zip(padded, blocks, strict=True), gone)
        if not gone.is_set():
            await send({"type": "http.response.body", "body": b""})


async def serve_models(send: Send, request_id: str) -> None:
    """The OpenAI-shaped model list."""
    from tui.sim.app import _send_json

    data = [{"id": name, "object": "model", "created": 1767225600, "owned_by": "system"} for name in SERVED_MODELS]
    await _send_json(send, 200, {"object": "list", "data": data}, {"x-request-id": request_id})
