"""Compatible-mode Chat Completions (`POST {base}/chat/completions`), streamed, translated into the
Responses stream events the rest of the client already folds.

For models the Responses API does not serve. Each `chat.completion.chunk` becomes the event that means
the same: the first chunk `response.created`; `delta.reasoning_content` a reasoning summary delta;
`delta.content` an output text delta; the usage chunk (`stream_options.include_usage`) and the
finish reason the final `response.completed` / `response.incomplete` carrying the whole output, so a
fold that missed nothing and a fold that missed deltas end the same. A mid-stream error payload
(DashScope sends `{"error": {...}}` or a flat `{"code", "message"}`) ends the stream as `response.failed`.
"""

from __future__ import annotations

import json
from collections.abc import AsyncGenerator
from contextlib import aclosing
from typing import Any

from tui.api.client import ResponsesClient, RetryCallback
from tui.api.errors import ProtocolError, StreamDropped
from tui.api.sse import DONE
from tui.api.types import (
    OutputTextDeltaEvent,
    ReasoningSummaryTextDeltaEvent,
    Response,
    ResponseCompletedEvent,
    ResponseCreatedEvent,
    ResponseFailedEvent,
    ResponseIncompleteEvent,
    StreamEvent,
    Usage,
)

PATH = "/chat/completions"
_REASONING_ID = "reasoning-chat"
_MESSAGE_ID = "msg-chat"
#: Chat finish reasons that mean the answer was cut short, and the Responses reason they map to.
_CUT_SHORT = {"length": "max_output_tokens", "content_filter": "content_filter"}


def usage_from_chat(raw: dict[str, Any]) -> Usage:
    """A Responses `Usage` from Chat's `prompt_tokens` / `completion_tokens` (and their details)."""
    prompt = raw.get("prompt_tokens_details") or {}
    completion = raw.get("completion_tokens_details") or {}
    return Usage.model_validate(
        {
            "input_tokens": int(raw.get("prompt_tokens") or 0),
            "output_tokens": int(raw.get("completion_tokens") or 0),
            "total_tokens": int(raw.get("total_tokens") or 0),
            "input_tokens_details": {"cached_tokens": int(prompt.get("cached_tokens") or 0)},
            "output_tokens_details": {"reasoning_tokens": int(completion.get("reasoning_tokens") or 0)},
        }
    )


class ChatTranslator:
    """Chat Completions chunks in, Responses stream events out; `finish()` gives the terminal event."""

    def __init__(self) -> None:
        self.response_id: str | None = None
        self.created_at: float | None = None
        self.model: str | None = None
        self.finish_reason: str | None = None
        self.usage: Usage | None = None
        self._reasoning: list[str] = []
        self._text: list[str] = []
        self._indexes: dict[str, int] = {}

    def feed(self, chunk: dict[str, Any]) -> list[StreamEvent]:
        """The events one chunk means (often one text delta); an error payload ends with `response.failed`."""
        events: list[StreamEvent] = []
        if self.response_id is None:
            self.response_id = str(chunk.get("id") or "chatcmpl")
            created = chunk.get("created")
            self.created_at = float(created) if isinstance(created, (int, float)) else None
            self.model = chunk.get("model") if isinstance(chunk.get("model"), str) else None
            events.append(ResponseCreatedEvent(type="response.created", response=self._response("in_progress")))
        error = _error_of(chunk)
        if error is not None:
            code, message = error
            failed = self._response("failed", error={"code": code, "message": message})
            events.append(ResponseFailedEvent(type="response.failed", response=failed))
            return events
        if isinstance(chunk.get("usage"), dict):
            self.usage = usage_from_chat(chunk["usage"])
        for choice in chunk.get("choices") or []:
            if not isinstance(choice, dict):
                continue
            delta = choice.get("delta") or {}
            reasoning = delta.get("reasoning_content")
            if isinstance(reasoning, str) and reasoning:
                self._reasoning.append(reasoning)
                index = self._index(_REASONING_ID)
                events.append(
                    ReasoningSummaryTextDeltaEvent(
                        type="response.reasoning_summary_text.delta", item_id=_REASONING_ID, output_index=index, delta=reasoning
                    )
                )
            content = delta.get("content")
            if isinstance(content, str) and content:
                self._text.append(content)
                index = self._index(_MESSAGE_ID)
                events.append(
                    OutputTextDeltaEvent(
                        type="response.output_text.delta", item_id=_MESSAGE_ID, output_index=index, content_index=0, delta=content
                    )
                )
            if choice.get("finish_reason"):
                self.finish_reason = str(choice["finish_reason"])
        return events

    def finish(self) -> StreamEvent:
        """The terminal event once the stream is over: completed, or incomplete when the answer was cut short."""
        cut = _CUT_SHORT.get(self.finish_reason or "")
        if cut:
            response = self._response("incomplete", output=self._output(), incomplete_details={"reason": cut})
            return ResponseIncompleteEvent(type="response.incomplete", response=response)
        return ResponseCompletedEvent(type="response.completed", response=self._response("completed", output=self._output()))

    @property
    def finished(self) -> bool:
        """Whether the stream said how it ended (a finish reason); without one, a closed stream was cut off."""
        return self.finish_reason is not None

    def _index(self, item_id: str) -> int:
        return self._indexes.setdefault(item_id, len(self._indexes))

    def _output(self) -> list[dict[str, Any]]:
        items: list[tuple[int, dict[str, Any]]] = []
        if _REASONING_ID in self._indexes:
            summary = [{"type": "summary_text", "text": "".join(self._reasoning)}]
            items.append((self._indexes[_REASONING_ID], {"type": "reasoning", "id": _REASONING_ID, "summary": summary}))
        if _MESSAGE_ID in self._indexes:
            part = {"type": "output_text", "text": "".join(self._text)}
            items.append((self._indexes[_MESSAGE_ID], {"type": "message", "id": _MESSAGE_ID, "content": [part]}))
        return [item for _, item in sorted(items, key=lambda entry: entry[0])]

    def _response(self, status: str, **fields: Any) -> Response:
        usage = self.usage if status != "in_progress" else None
        return Response.model_validate(
            {"id": self.response_id or "chatcmpl", "created_at": self.created_at, "model": self.model,
             "status": status, "usage": usage.model_dump() if usage else None, **fields}
        )


def _error_of(chunk: dict[str, Any]) -> tuple[str | None, str] | None:
    """(code, message) of an error payload: OpenAI's nested `error` object or DashScope's flat shape."""
    nested = chunk.get("error")
    if isinstance(nested, dict):
        code = nested.get("code") or nested.get("type")
        return (str(code) if code else None, str(nested.get("message") or "the model failed to answer"))
    if "choices" not in chunk and isinstance(chunk.get("message"), str) and chunk.get("code"):
        return str(chunk["code"]), chunk["message"]
    return None


async def stream_chat(
    client: ResponsesClient, body: dict[str, Any], *, on_retry: RetryCallback | None = None
) -> AsyncGenerator[StreamEvent, None]:
    """Send a Chat Completions `body` streaming and yield Responses stream events, ending with a terminal one.

    Errors are the client's typed errors: an HTTP error reply before the stream, `StreamDropped` if the
    stream ends without a finish reason or `[DONE]`, `ProtocolError` for a chunk that is not JSON.
    """
    translator = ChatTranslator()
    async with aclosing(client.stream_sse(PATH, body, on_retry=on_retry)) as events:
        async for sse in events:
            if sse.data == DONE:
                break
            try:
                chunk = json.loads(sse.data)
            except ValueError:
                excerpt = sse.data if len(sse.data) <= 80 else sse.data[:77] + "..."
                raise ProtocolError(f"malformed chunk (not JSON): {excerpt!r}") from None
            if not isinstance(chunk, dict):
                raise ProtocolError(f"malformed chunk (not an object): {sse.data[:80]!r}")
            for event in translator.feed(chunk):
                yield event
                if event.type == "response.failed":
                    return
        else:
            if not translator.finished:
                raise StreamDropped("the stream ended before the answer was complete")
    if translator.response_id is None:
        raise StreamDropped("the server ended the stream before answering")
    yield translator.finish()
