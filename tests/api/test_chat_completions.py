"""Chat Completions streams, translated into the Responses events the fold already understands:
against the simulator (DashScope's shape) and a raw server for broken streams."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tui.api.chat_completions import stream_chat
from tui.api.client import ResponsesClient
from tui.api.errors import AuthError, ProtocolError, RateLimitError, StreamDropped
from tui.chat.fold import TurnFold
from tui.sim import SimServer


async def fold_chat(client: ResponsesClient, body: dict[str, Any]) -> tuple[TurnFold, list[str]]:
    fold, types = TurnFold(), []
    async for event in stream_chat(client, body):
        types.append(event.type)
        fold.apply(event)
    return fold, types


def chat(model: str = "qwq-plus", **extra: Any) -> dict[str, Any]:
    return {"model": model, "messages": [{"role": "user", "content": "Tell me about rust"}],
            "stream_options": {"include_usage": True}, **extra}


async def test_reasoning_text_and_usage_fold_like_a_responses_stream(sim: SimServer) -> None:
    async with ResponsesClient(sim.base_url, "sk-test") as client:
        fold, types = await fold_chat(client, chat(enable_thinking=True))
    assert types[0] == "response.created" and types[-1] == "response.completed"
    assert "response.reasoning_summary_text.delta" in types and "response.output_text.delta" in types
    assert fold.terminal == "complete"
    assert "**Rust**" in fold.text  # the scripted answer names its topic in bold
    reasoning = [item for item in fold.items() if item.type == "reasoning"]
    assert reasoning and "The user wrote: \"rust\"" in reasoning[0].data["summary"]
    assert fold.usage is not None and fold.usage.input_tokens > 0 and fold.usage.reasoning_tokens > 0
    assert fold.response_id and fold.response_id.startswith("chatcmpl-")
    assert sim.requests[-1]["stream"] is True


async def test_without_thinking_no_reasoning_arrives(sim: SimServer) -> None:
    async with ResponsesClient(sim.base_url, "sk-test") as client:
        fold, types = await fold_chat(client, chat(enable_thinking=False))
    assert "response.reasoning_summary_text.delta" not in types
    assert fold.usage is not None and fold.usage.reasoning_tokens == 0


async def test_errors_before_the_stream_are_the_usual_typed_errors(sim: SimServer) -> None:
    async with ResponsesClient(sim.base_url, "") as client:
        with pytest.raises(AuthError, match="Invalid API-key"):
            await fold_chat(client, chat())
    sim.inject("rate_limit", times=3, retry_after=0)
    async with ResponsesClient(sim.base_url, "sk-test", max_retries=1, backoff=0.01, rate_limit_budget=0) as client:
        with pytest.raises(RateLimitError) as caught:
            await fold_chat(client, chat())
    assert caught.value.code == "Throttling.RateQuota"


def _chunk(**delta: Any) -> dict[str, Any]:
    return {"id": "chatcmpl-1", "created": 1, "model": "qwq-plus", "choices": [{"index": 0, "delta": delta, "finish_reason": None}]}


async def test_a_stream_cut_before_it_finished_is_a_dropped_stream(raw_server: Any) -> None:
    raw_server.add(raw_server.sse_reply(b"data: " + json.dumps(_chunk(content="Hel")).encode() + b"\n\n"))
    async with ResponsesClient(raw_server.base_url, "sk-test", max_retries=0) as client:
        fold = TurnFold()
        with pytest.raises(StreamDropped):
            async for event in stream_chat(client, chat()):
                fold.apply(event)
    assert fold.text == "Hel"  # what arrived is kept by the fold, as on the Responses path


async def test_an_error_chunk_mid_stream_fails_the_turn_with_its_message(raw_server: Any) -> None:
    error = {"error": {"message": "Output data may contain inappropriate content.", "code": "data_inspection_failed"}}
    body = b"data: " + json.dumps(_chunk(content="Hi")).encode() + b"\n\ndata: " + json.dumps(error).encode() + b"\n\n"
    raw_server.add(raw_server.sse_reply(body))
    async with ResponsesClient(raw_server.base_url, "sk-test", max_retries=0) as client:
        fold, types = await fold_chat(client, chat())
    assert types[-1] == "response.failed"
    assert fold.terminal == "failed" and fold.error == "Output data may contain inappropriate content."


async def test_a_length_finish_is_an_incomplete_answer(raw_server: Any) -> None:
    cut = {**_chunk(content=" world"), "choices": [{"index": 0, "delta": {"content": " world"}, "finish_reason": "length"}]}
    body = b"".join(b"data: " + json.dumps(c).encode() + b"\n\n" for c in (_chunk(content="Hello"), cut)) + b"data: [DONE]\n\n"
    raw_server.add(raw_server.sse_reply(body))
    async with ResponsesClient(raw_server.base_url, "sk-test", max_retries=0) as client:
        fold, _ = await fold_chat(client, chat())
    assert (fold.terminal, fold.text) == ("incomplete", "Hello world")
    assert "max_output_tokens" in (fold.error or "")


async def test_a_chunk_that_is_not_json_is_a_protocol_error(raw_server: Any) -> None:
    raw_server.add(raw_server.sse_reply(b"data: {not json\n\n"))
    async with ResponsesClient(raw_server.base_url, "sk-test", max_retries=0) as client:
        with pytest.raises(ProtocolError, match="not JSON"):
            await fold_chat(client, chat())
