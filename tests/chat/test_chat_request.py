"""Building requests: what chain and replay send, and where thinking effort is allowed."""

from __future__ import annotations

import pytest

from tui.api.endpoints import REGIONS
from tui.chat.chain import TurnOptions, build_request, replay_input
from tui.store.models import Message


def msg(id_: int, role: str, content: str, **fields: object) -> Message:
    return Message(id=id_, conversation_id=1, parent_id=id_ - 1 or None, role=role, content=content, created_at=0.0, **fields)  # type: ignore[arg-type]


PATH = [
    msg(1, "user", "My name is John."),
    msg(2, "assistant", "Nice to meet you, John.", response_id="r2"),
    msg(3, "user", "Still there?"),
    msg(4, "assistant", "", status="failed", error="HTTP 500"),
    msg(5, "user", "Do you remember my name?"),
]


def test_replay_sends_system_prompt_then_every_message_with_text() -> None:
    assert replay_input(PATH, "Be brief.") == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "My name is John."},
        {"role": "assistant", "content": "Nice to meet you, John."},
        {"role": "user", "content": "Still there?"},
        {"role": "user", "content": "Do you remember my name?"},
    ]
    assert replay_input(PATH[:1], "   ")[0]["role"] == "user"


def test_chain_sends_only_the_last_message_without_system_prompt() -> None:
    options = TurnOptions(model="m", endpoint=REGIONS["singapore"], system_prompt="Be brief.")
    body = build_request(options, PATH, mode="chain", previous_response_id="r2").to_body()
    assert body["input"] == [{"role": "user", "content": "Do you remember my name?"}]
    assert body["previous_response_id"] == "r2" and body["stream"] is True
    with pytest.raises(ValueError):
        build_request(options, PATH, mode="chain")


def test_replay_ignores_a_previous_id_it_was_given() -> None:
    options = TurnOptions(model="m", endpoint=REGIONS["singapore"])
    body = build_request(options, PATH, mode="replay", previous_response_id="r2").to_body()
    assert "previous_response_id" not in body and len(body["input"]) == 4


@pytest.mark.parametrize(
    ("region", "thinking", "effort", "expected"),
    [
        ("singapore", True, "high", {"effort": "high"}),
        ("singapore-legacy", True, "high", None),  # the legacy endpoint does not take reasoning.effort
        ("singapore", False, "high", None),  # effort only matters when thinking is on
        ("singapore", True, None, None),
    ],
)
def test_effort_is_sent_only_where_it_applies(region: str, thinking: bool, effort: str | None, expected: dict | None) -> None:
    options = TurnOptions(model="m", endpoint=REGIONS[region], tools=("web_search",), thinking=thinking, effort=effort, store=False)
    body = build_request(options, PATH, mode="replay").to_body()
    assert body.get("reasoning") == expected
    assert body["enable_thinking"] is thinking
    assert body["tools"] == [{"type": "web_search"}] and body["store"] is False


def test_tools_bring_what_dashscope_requires_with_them() -> None:
    extractor = TurnOptions(model="qwen3-max-2026-01-23", endpoint=REGIONS["singapore"], tools=("web_extractor",))
    body = build_request(extractor, PATH, mode="replay").to_body()
    assert body["tools"] == [{"type": "web_search"}, {"type": "web_extractor"}]
    assert body["enable_thinking"] is True  # qwen3-max runs the extractor only while thinking

    search_only = TurnOptions(model="qwen3-max-2026-01-23", endpoint=REGIONS["singapore"], tools=("web_search",))
    assert build_request(search_only, PATH, mode="replay").to_body()["enable_thinking"] is False

    other_model = TurnOptions(model="qwen-plus", endpoint=REGIONS["singapore"], tools=("code_interpreter",))
    assert build_request(other_model, PATH, mode="replay").to_body()["enable_thinking"] is False
