"""The official openai SDK consumes the simulator, and every plain OpenAI event/item validates strictly."""

from __future__ import annotations

import typing
from collections.abc import Callable
from typing import Any

import openai
import pytest
from openai import AsyncOpenAI
from openai.types.responses import ResponseOutputItem, ResponseStreamEvent, ResponseUsage
from pydantic import BaseModel, ValidationError
from sim_wire import MODEL, ask, stream

from tui.sim import SimServer

ALL_TOOLS = [{"type": "web_search"}, {"type": "web_extractor"}, {"type": "code_interpreter"}]
# DashScope-only parts, which the OpenAI models do not describe; everything else must validate strictly.
DASHSCOPE_ONLY_ITEM_TYPES = {"web_extractor_call"}
DASHSCOPE_ONLY_FIELDS = {"x_tools"}  # usage.x_tools: built-in tool call counts
# Fields the newest SDK requires that DashScope does not send (its usage has only cached_tokens, see the seed page).
DASHSCOPE_OMITS = {("input_tokens_details", "cache_write_tokens")}

SCENARIOS = {
    "plain": {},
    "table-and-code": {"input": "Compare two sorting functions in a table with code"},
    "thinking-and-tools": {"tools": ALL_TOOLS, "enable_thinking": True},
    "effort-and-echoed-fields": {"reasoning": {"effort": "low"}, "temperature": 0.7, "top_p": 0.8, "metadata": {"k": "v"}},
}


def classes_by_type(union: Any) -> dict[str, type[BaseModel]]:
    """The SDK's union members keyed by their Literal `type`."""
    members = typing.get_args(typing.get_args(union)[0])
    return {typing.get_args(cls.model_fields["type"].annotation)[0]: cls for cls in members}


EVENT_CLASSES = classes_by_type(ResponseStreamEvent)
ITEM_CLASSES = classes_by_type(ResponseOutputItem)


def fill_omitted(value: Any) -> Any:
    if isinstance(value, dict):
        filled = {k: fill_omitted(v) for k, v in value.items()}
        for parent, name in DASHSCOPE_OMITS:
            if isinstance(filled.get(parent), dict):
                filled[parent] = {name: 0, **filled[parent]}
        return filled
    if isinstance(value, list):
        return [fill_omitted(v) for v in value]
    return value


def validate_strictly(cls: type[BaseModel], data: dict) -> BaseModel:
    """Strict validation; the only errors tolerated are the documented DashScope omissions."""
    try:
        return cls.model_validate(data, strict=True)
    except ValidationError as exc:
        unexpected = [e for e in exc.errors() if not (e["type"] == "missing" and tuple(e["loc"][-2:]) in DASHSCOPE_OMITS)]
        assert not unexpected, f"{cls.__name__}: {unexpected}"
        return cls.model_validate(fill_omitted(data), strict=True)


def client_for(base_url: str, **kwargs: Any) -> AsyncOpenAI:
    return AsyncOpenAI(base_url=base_url, api_key="sk-test", **kwargs)


def assert_no_unknown_fields(model: Any, path: str = "") -> None:
    """Strict validation still lets extra keys through (the SDK allows extras); fail on any not listed above."""
    if isinstance(model, BaseModel):
        extra = set(model.model_extra or {}) - DASHSCOPE_ONLY_FIELDS
        assert not extra, f"fields the OpenAI models do not know at {path or type(model).__name__}: {sorted(extra)}"
        for name in type(model).model_fields:
            assert_no_unknown_fields(getattr(model, name), f"{path}.{name}")
    elif isinstance(model, (list, tuple)):
        for index, value in enumerate(model):
            assert_no_unknown_fields(value, f"{path}[{index}]")


def without_dashscope_items(response: dict) -> dict:
    return {**response, "output": [i for i in response["output"] if i["type"] not in DASHSCOPE_ONLY_ITEM_TYPES]}


@pytest.mark.parametrize("scenario", list(SCENARIOS), ids=list(SCENARIOS))
def test_every_streamed_event_validates_strictly_against_the_sdk(sim: SimServer, scenario: str) -> None:
    fields = dict(SCENARIOS[scenario])
    frames = stream(sim, fields.pop("input", "Find the Alibaba Cloud website"), **fields)
    exempt = 0
    for frame in frames:
        data = frame.json
        if data.get("item", {}).get("type") in DASHSCOPE_ONLY_ITEM_TYPES:
            exempt += 1
            continue
        if "response" in data:
            data = {**data, "response": without_dashscope_items(data["response"])}
        event = validate_strictly(EVENT_CLASSES[frame.event], data)
        assert_no_unknown_fields(event)
    assert exempt == (2 if scenario == "thinking-and-tools" else 0)


@pytest.mark.parametrize("scenario", list(SCENARIOS), ids=list(SCENARIOS))
def test_every_non_streamed_item_and_the_usage_validate_strictly(sim: SimServer, scenario: str) -> None:
    fields = dict(SCENARIOS[scenario])
    body = ask(sim, fields.pop("input", "Find the Alibaba Cloud website"), **fields)

    for item in body["output"]:
        if item["type"] not in DASHSCOPE_ONLY_ITEM_TYPES:
            assert_no_unknown_fields(validate_strictly(ITEM_CLASSES[item["type"]], item))
    assert_no_unknown_fields(validate_strictly(ResponseUsage, body["usage"]))


@pytest.mark.parametrize("legacy", [False, True], ids=["new-path", "legacy-path"])
async def test_the_sdk_reads_non_streamed_answers_and_chains_them(sim: SimServer, legacy: bool) -> None:
    async with client_for(sim.legacy_base_url if legacy else sim.base_url) as client:
        first = await client.responses.create(model=MODEL, input="My name is John, please remember it.")
        second = await client.responses.create(model=MODEL, input="Do you remember my name?", previous_response_id=first.id)

    assert "John" in first.output_text and "John" in second.output_text
    assert second.usage is not None and second.usage.input_tokens > first.usage.input_tokens


@pytest.mark.parametrize("legacy", [False, True], ids=["new-path", "legacy-path"])
async def test_the_sdk_streams_an_answer(sim: SimServer, legacy: bool) -> None:
    async with client_for(sim.legacy_base_url if legacy else sim.base_url) as client:
        events = [
            event
            async for event in await client.responses.create(
                model=MODEL, input="Please briefly introduce artificial intelligence.", stream=True
            )
        ]

    text = "".join(e.delta for e in events if e.type == "response.output_text.delta")
    assert events[0].type == "response.created" and events[-1].type == "response.completed"
    assert text and events[-1].response.output_text == text
    assert events[-1].response.usage.total_tokens > 0
    assert [e.sequence_number for e in events] == list(range(len(events)))


async def test_the_sdk_stream_helper_accumulates_thinking_and_openai_tools(sim: SimServer) -> None:
    tools = [{"type": "web_search"}, {"type": "code_interpreter"}]
    async with client_for(sim.base_url) as client:
        async with client.responses.stream(
            model=MODEL, input="Find the Alibaba Cloud website", tools=tools, extra_body={"enable_thinking": True}
        ) as stream_:
            reasoning = "".join([e.delta async for e in stream_ if e.type == "response.reasoning_summary_text.delta"])
            final = await stream_.get_final_response()

    assert reasoning
    assert [item.type for item in final.output] == [
        "reasoning",
        "web_search_call",
        "reasoning",
        "code_interpreter_call",
        "message",
    ]
    assert final.output_text and final.usage.output_tokens_details.reasoning_tokens > 0
    assert sim.requests[-1]["enable_thinking"] is True


async def test_the_sdk_raw_stream_passes_dashscope_only_items_through(sim: SimServer) -> None:
    async with client_for(sim.base_url) as client:
        events = [
            event
            async for event in await client.responses.create(
                model=MODEL, input="Find the Alibaba Cloud website", tools=ALL_TOOLS, stream=True
            )
        ]

    extractor = [e.item for e in events if e.type == "response.output_item.done" and e.item.type == "web_extractor_call"]
    assert len(extractor) == 1 and extractor[0].goal and extractor[0].urls
    assert events[-1].type == "response.completed"


async def test_sdk_errors_map_from_the_simulator_statuses(sim_factory: Callable[..., SimServer]) -> None:
    sim = sim_factory(api_key="sk-test")
    async with client_for(sim.base_url, max_retries=0) as client:
        with pytest.raises(openai.BadRequestError) as not_found:
            await client.responses.create(model=MODEL, input="Hi", previous_response_id="gone")
        assert not_found.value.code == "previous_response_not_found"

        sim.inject("rate_limit", retry_after=5)
        with pytest.raises(openai.RateLimitError):
            await client.responses.create(model=MODEL, input="Hi")

    async with AsyncOpenAI(base_url=sim.base_url, api_key="sk-wrong", max_retries=0) as wrong:
        with pytest.raises(openai.AuthenticationError):
            await wrong.responses.create(model=MODEL, input="Hi")


async def test_the_sdk_retries_after_a_rate_limit(sim: SimServer) -> None:
    sim.inject("rate_limit", retry_after=0.05)
    async with client_for(sim.base_url, max_retries=2) as client:
        response = await client.responses.create(model=MODEL, input="Hello")

    assert response.status == "completed"
    assert len(sim.requests) == 2
