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


def test_chain_sends_only_what_the_server_lacks_without_system_prompt() -> None:
    """After a failed turn (W12) the chain resumes on the last completed answer, with every user message since."""
    options = TurnOptions(model="m", endpoint=REGIONS["singapore"], system_prompt="Be brief.")
    body = build_request(options, PATH, mode="chain", previous_response_id="r2").to_body()
    assert body["input"] == [
        {"role": "user", "content": "Still there?"},
        {"role": "user", "content": "Do you remember my name?"},
    ]
    body = build_request(options, PATH[:3], mode="chain", previous_response_id="r2").to_body()
    assert body["input"] == [{"role": "user", "content": "Still there?"}]
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
    # No enable_thinking beside an effort (the service drops the flag in favour of reasoning.effort).
    assert body.get("enable_thinking") is (None if expected else thinking)
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


@pytest.mark.parametrize(
    ("model", "thinking", "effort", "fields"),
    [
        # Current models turn thinking off with reasoning.effort = "none" (their table row says effort_none).
        ("qwen3.8-flash", False, None, {"reasoning": {"effort": "none"}}),
        ("qwen3.8-flash", True, "xhigh", {"reasoning": {"effort": "xhigh"}}),
        ("qwen3.8-flash", True, None, {"enable_thinking": True}),
        ("qwen3.8-flash", True, "none", {"reasoning": {"effort": "none"}}),  # effort none is thinking off
        # Older models turn it off with enable_thinking = false, and take only low/medium/high.
        ("qwen3-max", False, "high", {"enable_thinking": False}),
        ("qwen3-max", True, "high", {"reasoning": {"effort": "high"}}),
        ("qwen3-max", True, "max", {"enable_thinking": True}),  # not an effort this model takes
        # A model that always thinks gets no switch at all unless an effort is chosen.
        ("qwen3.8-max", False, None, {}),
        ("qwen3.8-max", False, "low", {"reasoning": {"effort": "low"}}),
    ],
)
def test_thinking_and_effort_follow_the_model_table(
    model: str, thinking: bool, effort: str | None, fields: dict
) -> None:
    options = TurnOptions(model=model, endpoint=REGIONS["singapore"], thinking=thinking, effort=effort)
    body = build_request(options, PATH, mode="replay").to_body()
    assert {key: body[key] for key in ("enable_thinking", "reasoning") if key in body} == fields


def test_tools_that_need_thinking_come_from_the_table_and_its_overrides() -> None:
    from tui.catalog import load_catalog

    # qwen3.8-flash runs code_interpreter only while thinking (DS-ZH): the table says so, not its name.
    flash = TurnOptions(model="qwen3.8-flash", endpoint=REGIONS["singapore"], tools=("code_interpreter",))
    assert build_request(flash, PATH, mode="replay").to_body().get("enable_thinking") is True
    relaxed = load_catalog({"qwen3.8-flash": {"tools_need_thinking": []}}).lookup("qwen3.8-flash")
    overridden = TurnOptions(model="qwen3.8-flash", endpoint=REGIONS["singapore"], tools=("code_interpreter",), info=relaxed)
    assert build_request(overridden, PATH, mode="replay").to_body()["reasoning"] == {"effort": "none"}
