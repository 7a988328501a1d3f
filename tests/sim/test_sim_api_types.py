"""Our own wire types (tui.api.types) know every event and item the simulator sends: nothing falls to Unknown*."""

from __future__ import annotations

import pytest
from sim_wire import ask, stream

from tui.api import types as t
from tui.sim import SimServer

ALL_TOOLS = [{"type": "web_search"}, {"type": "web_extractor"}, {"type": "code_interpreter"}]


@pytest.mark.parametrize("fields", [{}, {"tools": ALL_TOOLS, "enable_thinking": True}], ids=["plain", "thinking-and-tools"])
def test_every_streamed_event_and_item_has_a_typed_model(sim: SimServer, fields: dict) -> None:
    frames = stream(sim, "Find the Alibaba Cloud website", **fields)

    parsed = [t.parse_event(frame.data) for frame in frames]
    assert not [e for e in parsed if isinstance(e, t.UnknownEvent)]
    items = [e.item for e in parsed if isinstance(e, (t.OutputItemAddedEvent, t.OutputItemDoneEvent))]
    assert items and not [i for i in items if isinstance(i, t.UnknownItem)]
    final = parsed[-1]
    assert isinstance(final, t.ResponseCompletedEvent)
    assert final.response.output_text == "".join(e.delta for e in parsed if isinstance(e, t.OutputTextDeltaEvent))


def test_the_non_streamed_body_is_a_typed_response_with_dashscope_usage(sim: SimServer) -> None:
    response = t.Response.model_validate(ask(sim, "Find the Alibaba Cloud website", tools=ALL_TOOLS, enable_thinking=True))

    assert [type(i) for i in response.output] == [
        t.ReasoningItem,
        t.WebSearchCallItem,
        t.ReasoningItem,
        t.WebExtractorCallItem,
        t.ReasoningItem,
        t.CodeInterpreterCallItem,
        t.MessageItem,
    ]
    assert response.usage is not None and response.usage.output_tokens_details.reasoning_tokens > 0
    assert {name: usage.count for name, usage in response.usage.x_tools.items()} == {
        "web_search": 1,
        "web_extractor": 1,
        "code_interpreter": 1,
    }
