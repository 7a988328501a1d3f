"""Wire models: every known event and item type, unknown types kept, DashScope's own examples."""

from __future__ import annotations

import json

import pytest

from tui.api import types as t
from tui.api.errors import ProtocolError

RESPONSE = {"id": "47a71e7d-868c-4204-9693-ef8ff9058xxx", "object": "response", "status": "in_progress", "output": []}
ITEM = {"id": "msg_1", "type": "message", "role": "assistant", "status": "in_progress", "content": []}

#: A minimal valid body for every event type we model.
EVENTS: dict[str, tuple[type, dict]] = {
    "response.created": (t.ResponseCreatedEvent, {"response": RESPONSE}),
    "response.in_progress": (t.ResponseInProgressEvent, {"response": RESPONSE}),
    "response.queued": (t.ResponseQueuedEvent, {"response": RESPONSE}),
    "response.completed": (t.ResponseCompletedEvent, {"response": RESPONSE}),
    "response.failed": (t.ResponseFailedEvent, {"response": RESPONSE}),
    "response.incomplete": (t.ResponseIncompleteEvent, {"response": RESPONSE}),
    "response.output_item.added": (t.OutputItemAddedEvent, {"output_index": 0, "item": ITEM}),
    "response.output_item.done": (t.OutputItemDoneEvent, {"output_index": 0, "item": ITEM}),
    "response.content_part.added": (t.ContentPartAddedEvent, {"item_id": "m", "output_index": 0, "content_index": 0, "part": {"type": "output_text", "text": ""}}),
    "response.content_part.done": (t.ContentPartDoneEvent, {"item_id": "m", "output_index": 0, "content_index": 0, "part": {"type": "refusal", "refusal": "no"}}),
    "response.output_text.delta": (t.OutputTextDeltaEvent, {"item_id": "m", "output_index": 0, "content_index": 0, "delta": "Hi"}),
    "response.output_text.done": (t.OutputTextDoneEvent, {"item_id": "m", "output_index": 0, "content_index": 0, "text": "Hi"}),
    "response.output_text.annotation.added": (t.OutputTextAnnotationAddedEvent, {"item_id": "m", "annotation_index": 0, "annotation": {"type": "url_citation"}}),
    "response.refusal.delta": (t.RefusalDeltaEvent, {"item_id": "m", "delta": "no"}),
    "response.refusal.done": (t.RefusalDoneEvent, {"item_id": "m", "refusal": "no"}),
    "response.reasoning_summary_part.added": (t.ReasoningSummaryPartAddedEvent, {"item_id": "r", "summary_index": 0, "part": {"type": "summary_text", "text": ""}}),
    "response.reasoning_summary_part.done": (t.ReasoningSummaryPartDoneEvent, {"item_id": "r", "summary_index": 0, "part": {"type": "summary_text", "text": "t"}}),
    "response.reasoning_summary_text.delta": (t.ReasoningSummaryTextDeltaEvent, {"item_id": "r", "summary_index": 0, "delta": "th"}),
    "response.reasoning_summary_text.done": (t.ReasoningSummaryTextDoneEvent, {"item_id": "r", "summary_index": 0, "text": "think"}),
    "response.reasoning_text.delta": (t.ReasoningTextDeltaEvent, {"item_id": "r", "delta": "th"}),
    "response.reasoning_text.done": (t.ReasoningTextDoneEvent, {"item_id": "r", "text": "think"}),
    "response.function_call_arguments.delta": (t.FunctionCallArgumentsDeltaEvent, {"item_id": "f", "delta": "{\"a"}),
    "response.function_call_arguments.done": (t.FunctionCallArgumentsDoneEvent, {"item_id": "f", "arguments": "{}", "name": "get"}),
    "response.web_search_call.in_progress": (t.WebSearchCallInProgressEvent, {"item_id": "w", "output_index": 1}),
    "response.web_search_call.searching": (t.WebSearchCallSearchingEvent, {"item_id": "w", "output_index": 1}),
    "response.web_search_call.completed": (t.WebSearchCallCompletedEvent, {"item_id": "w", "output_index": 1}),
    "response.code_interpreter_call.in_progress": (t.CodeInterpreterCallInProgressEvent, {"item_id": "c", "output_index": 2}),
    "response.code_interpreter_call.interpreting": (t.CodeInterpreterCallInterpretingEvent, {"item_id": "c", "output_index": 2}),
    "response.code_interpreter_call.completed": (t.CodeInterpreterCallCompletedEvent, {"item_id": "c", "output_index": 2}),
    "response.code_interpreter_call_code.delta": (t.CodeInterpreterCallCodeDeltaEvent, {"item_id": "c", "delta": "print("}),
    "response.code_interpreter_call_code.done": (t.CodeInterpreterCallCodeDoneEvent, {"item_id": "c", "code": "print(1)"}),
    "error": (t.ErrorEvent, {"code": "server_error", "message": "boom", "param": None}),
}


def test_every_modelled_event_type_has_a_case_here() -> None:
    assert set(EVENTS) == set(t.EVENT_TYPES)


@pytest.mark.parametrize("kind", sorted(EVENTS))
@pytest.mark.parametrize("with_hint", [False, True])
def test_each_event_type_parses_to_its_class(kind: str, with_hint: bool) -> None:
    cls, fields = EVENTS[kind]
    body = json.dumps({"type": kind, "sequence_number": 9, **fields})
    event = t.parse_event(body.encode(), kind if with_hint else None)
    assert type(event) is cls
    assert event.type == kind and event.sequence_number == 9


def test_unknown_event_type_keeps_every_field() -> None:
    event = t.parse_event(b'{"type":"response.mcp_call.completed","sequence_number":4,"item_id":"x","extra":{"a":1}}')
    assert isinstance(event, t.UnknownEvent)
    assert event.type == "response.mcp_call.completed" and event.sequence_number == 4
    assert event.model_extra == {"item_id": "x", "extra": {"a": 1}}


def test_a_wrong_event_hint_does_not_misparse() -> None:
    body = b'{"type":"response.output_text.done","text":"all","sequence_number":3}'
    event = t.parse_event(body, "response.output_text.delta")
    assert isinstance(event, t.OutputTextDoneEvent) and event.text == "all"
    assert isinstance(t.parse_event(b'{"type":"brand.new"}', "response.output_text.delta"), t.UnknownEvent)


@pytest.mark.parametrize(
    "body, fragment",
    [
        (b"not json", "not JSON"),
        (b'{"delta":"x"}', "without a type"),
        (b'{"type":7}', "without a type"),
        (b"[1, 2]", "without a type"),
        (b'{"type":"response.output_text.delta"}', "delta"),
        (b'{"type":"response.output_item.added","item":{"role":"assistant"}}', "item"),
    ],
)
def test_malformed_events_raise_protocol_error(body: bytes, fragment: str) -> None:
    with pytest.raises(ProtocolError) as info:
        t.parse_event(body)
    assert fragment in str(info.value)
    assert "\n" not in str(info.value)


def test_error_event_accepts_flat_and_nested_shapes() -> None:
    flat = t.parse_event(b'{"type":"error","code":"rate_limit_exceeded","message":"slow down","param":null}')
    nested = t.parse_event(b'{"type":"error","error":{"type":"x","code":"rate_limit_exceeded","message":"slow down"}}')
    assert (flat.code, flat.message) == (nested.code, nested.message) == ("rate_limit_exceeded", "slow down")
    assert t.parse_event(b'{"type":"error","code":429,"message":"m"}').code == "429"


# --- DashScope's own examples (seed page) ---------------------------------------------------------

SEED_STREAM = [
    '{"response":{"id":"47a71e7d-868c-4204-9693-ef8ff9058xxx","created_at":1769417481.0,"error":null,"incomplete_details":null,"instructions":null,"metadata":null,"model":"","object":"response","output":[],"parallel_tool_calls":false,"temperature":null,"tool_choice":"auto","tools":[],"top_p":null,"background":null,"completed_at":null,"conversation":null,"max_output_tokens":null,"max_tool_calls":null,"previous_response_id":null,"prompt":null,"prompt_cache_key":null,"prompt_cache_retention":null,"reasoning":null,"safety_identifier":null,"service_tier":null,"status":"queued","text":null,"top_logprobs":null,"truncation":null,"usage":null,"user":null},"sequence_number":0,"type":"response.created"}',
    '{"item":{"id":"msg_16db29d6-c1d3-47d7-9177-0fba81964xxx","content":[],"role":"assistant","status":"in_progress","type":"message"},"output_index":0,"sequence_number":2,"type":"response.output_item.added"}',
    '{"content_index":0,"item_id":"msg_16db29d6-c1d3-47d7-9177-0fba81964xxx","output_index":0,"part":{"annotations":[],"text":"","type":"output_text","logprobs":null},"sequence_number":3,"type":"response.content_part.added"}',
    '{"content_index":0,"delta":"Artificial intelligence","item_id":"msg_16db29d6-c1d3-47d7-9177-0fba81964xxx","logprobs":[],"output_index":0,"sequence_number":4,"type":"response.output_text.delta"}',
    '{"content_index":0,"item_id":"msg_16db29d6-c1d3-47d7-9177-0fba81964xxx","logprobs":[],"output_index":0,"sequence_number":41,"text":"Artificial intelligence (AI) is xxxx","type":"response.output_text.done"}',
    '{"item":{"id":"msg_16db29d6-c1d3-47d7-9177-0fba81964xxx","content":[{"annotations":[],"text":"Artificial intelligence (AI) is","type":"output_text","logprobs":null}],"role":"assistant","status":"completed","type":"message"},"output_index":0,"sequence_number":43,"type":"response.output_item.done"}',
    '{"response":{"id":"47a71e7d-868c-4204-9693-ef8ff9058xxx","created_at":1769417481.0,"error":null,"model":"qwen3-max-2026-01-23","object":"response","output":[{"id":"msg_16db29d6-c1d3-47d7-9177-0fba81964xxx","content":[{"annotations":[],"text":"Artificial intelligence (AI) is xxxxxx","type":"output_text","logprobs":null}],"role":"assistant","status":"completed","type":"message"}],"status":"completed","tool_choice":"auto","tools":[],"usage":{"input_tokens":37,"input_tokens_details":{"cached_tokens":0},"output_tokens":166,"output_tokens_details":{"reasoning_tokens":0},"total_tokens":203},"user":null},"sequence_number":44,"type":"response.completed"}',
]


def test_seed_stream_events_parse_to_typed_events() -> None:
    events = [t.parse_event(line) for line in SEED_STREAM]
    assert [type(e) for e in events] == [
        t.ResponseCreatedEvent,
        t.OutputItemAddedEvent,
        t.ContentPartAddedEvent,
        t.OutputTextDeltaEvent,
        t.OutputTextDoneEvent,
        t.OutputItemDoneEvent,
        t.ResponseCompletedEvent,
    ]
    created, added, _, delta, _, done, completed = events
    assert created.response.id == "47a71e7d-868c-4204-9693-ef8ff9058xxx"  # a bare UUID
    assert created.response.status == "queued" and created.response.model == ""
    assert isinstance(added.item, t.MessageItem) and added.item.content == []
    assert delta.delta == "Artificial intelligence"
    assert done.item.text == "Artificial intelligence (AI) is"
    usage = completed.response.usage
    assert (usage.input_tokens, usage.output_tokens, usage.total_tokens) == (37, 166, 203)
    assert usage.cached_tokens == 0 and usage.reasoning_tokens == 0
    assert completed.response.output_text == "Artificial intelligence (AI) is xxxxxx"
    # Fields we do not model are kept on the response (extra="allow").
    assert completed.response.model_extra["tool_choice"] == "auto"


SEED_TOOLS_RESPONSE = {
    "id": "69258b21-5099-9d09-92e8-8492b1955xxx",
    "object": "response",
    "status": "completed",
    "output": [
        {"type": "reasoning", "summary": [{"type": "summary_text", "text": "The user wants to find..."}]},
        {
            "type": "web_search_call",
            "status": "completed",
            "action": {
                "query": "Alibaba Cloud official website",
                "type": "search",
                "sources": [{"type": "url", "url": "https://cn.aliyun.com/"}, {"type": "url", "url": "https://www.alibabacloud.com/zh"}],
            },
        },
        {
            "type": "web_extractor_call",
            "status": "completed",
            "goal": "Extract key information from the Alibaba Cloud official website home page",
            "output": "Qwen LLM, complete product system, AI solutions...",
            "urls": ["https://cn.aliyun.com/"],
        },
        {"type": "code_interpreter_call", "id": "ci_1", "status": "completed", "code": "print(2+2)",
         "outputs": [{"type": "logs", "logs": "4\n"}, {"type": "image", "url": "https://x/y.png"}, {"type": "files", "files": []}],
         "container_id": "c1"},
        {"type": "function_call", "call_id": "call_1", "name": "get_weather", "arguments": "{\"city\":\"Paris\"}"},
        {"type": "web_search_image_call", "name": "web_search_image", "arguments": "{}", "output": "[]"},
        {"type": "message", "role": "assistant", "status": "completed",
         "content": [{"type": "output_text", "text": "Key information..."}, {"type": "text"}]},
    ],
    "usage": {
        "input_tokens": 40836,
        "output_tokens": 2106,
        "total_tokens": 42942,
        "output_tokens_details": {"reasoning_tokens": 677},
        "x_tools": {"web_extractor": {"count": 1}, "web_search": {"count": 1}},
    },
}


def test_seed_tools_response_items_and_usage() -> None:
    response = t.Response.model_validate(SEED_TOOLS_RESPONSE)
    reasoning, search, extractor, code, call, unknown, message = response.output
    assert isinstance(reasoning, t.ReasoningItem) and reasoning.id is None and reasoning.status is None
    assert reasoning.summary_text == "The user wants to find..."
    assert isinstance(search, t.WebSearchCallItem)
    assert search.action.query == "Alibaba Cloud official website"
    assert [s.url for s in search.action.sources] == ["https://cn.aliyun.com/", "https://www.alibabacloud.com/zh"]
    assert isinstance(extractor, t.WebExtractorCallItem) and extractor.urls == ["https://cn.aliyun.com/"]
    assert extractor.output.startswith("Qwen LLM")
    assert isinstance(code, t.CodeInterpreterCallItem)
    logs, image, files = code.outputs
    assert isinstance(logs, t.LogsOutput) and logs.logs == "4\n"
    assert isinstance(image, t.ImageOutput) and isinstance(files, t.UnknownCodeOutput)
    assert isinstance(call, t.FunctionCallItem) and json.loads(call.arguments) == {"city": "Paris"}
    assert isinstance(unknown, t.UnknownItem) and unknown.type == "web_search_image_call"
    assert unknown.model_extra == {"name": "web_search_image", "arguments": "{}", "output": "[]"}
    assert isinstance(message.content[1], t.UnknownPart)
    assert response.output_text == "Key information..."
    assert response.usage.reasoning_tokens == 677 and response.usage.cached_tokens == 0
    assert {k: v.count for k, v in response.usage.x_tools.items()} == {"web_extractor": 1, "web_search": 1}


def test_item_round_trips_through_model_dump() -> None:
    response = t.Response.model_validate(SEED_TOOLS_RESPONSE)
    again = t.Response.model_validate(response.model_dump(mode="json"))
    assert again == response


def test_web_extractor_deltas_without_item_id_or_content_index() -> None:
    event = t.parse_event(b'{"delta":"Key","output_index":4,"sequence_number":30,"type":"response.output_text.delta"}')
    assert isinstance(event, t.OutputTextDeltaEvent)
    assert (event.item_id, event.content_index, event.output_index) == (None, 0, 4)


def test_item_without_type_is_rejected() -> None:
    with pytest.raises(ValueError):
        t.Response.model_validate({"id": "r", "output": [{"id": "x", "status": "completed"}]})
    response = t.Response.model_validate({"id": "r", "output": [{"type": "mcp_call", "name": "n"}]})
    assert isinstance(response.output[0], t.UnknownItem)


def test_request_body_leaves_out_unset_fields_and_keeps_extras() -> None:
    req = t.ResponseRequest(
        model="qwen3-max-2026-01-23",
        input="Hello!",
        previous_response_id="b8104cd2-ee57-903d-aae0-93d99254axxx",
        tools=[{"type": "web_search"}],
        enable_thinking=True,
        stream=True,
        text={"format": {"type": "text"}},
    )
    assert req.to_body() == {
        "model": "qwen3-max-2026-01-23",
        "input": "Hello!",
        "previous_response_id": "b8104cd2-ee57-903d-aae0-93d99254axxx",
        "tools": [{"type": "web_search"}],
        "enable_thinking": True,
        "stream": True,
        "text": {"format": {"type": "text"}},
    }
    replay = t.ResponseRequest(model="m", input=[{"role": "user", "content": "hi"}], store=False, reasoning={"effort": "low"})
    assert replay.to_body() == {"model": "m", "input": [{"role": "user", "content": "hi"}], "store": False,
                                "reasoning": {"effort": "low"}}
