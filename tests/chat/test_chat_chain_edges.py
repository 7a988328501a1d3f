"""Chained requests after an interrupted turn, and thinking switches the model table rules out."""

from __future__ import annotations

from tui.api.endpoints import REGIONS
from tui.chat.chain import TurnOptions, build_request
from tui.store.models import Message

IMAGE = "https://example.com/cat.png"


def msg(id_: int, role: str, content: str, **fields: object) -> Message:
    return Message(id=id_, conversation_id=1, parent_id=id_ - 1 or None, role=role, content=content, created_at=0.0, **fields)  # type: ignore[arg-type]


def options(model: str = "qwen3-max-2026-01-23", **fields: object) -> TurnOptions:
    return TurnOptions(model=model, endpoint=REGIONS["singapore"], **fields)  # type: ignore[arg-type]


def test_a_cancelled_answers_partial_text_is_not_sent_as_if_the_person_wrote_it() -> None:
    path = [
        msg(1, "user", "Tell me a long story."),
        msg(2, "assistant", "Once upon a time.", response_id="r2"),
        msg(3, "user", "Longer, please."),
        msg(4, "assistant", "There was a king who", status="cancelled"),
        msg(5, "user", "Shorter after all."),
    ]
    body = build_request(options(), path, mode="chain", previous_response_id="r2").to_body()
    assert body["input"] == [
        {"role": "user", "content": "Longer, please."},
        {"role": "user", "content": "Shorter after all."},
    ]


def test_a_picture_sent_without_words_before_a_failed_turn_is_sent_again_on_the_chain() -> None:
    path = [
        msg(1, "user", "Hi."),
        msg(2, "assistant", "Hello!", response_id="r2"),
        msg(3, "user", ""),  # only a picture
        msg(4, "assistant", "", status="failed", error="HTTP 500"),
        msg(5, "user", "What is in it?"),
    ]
    body = build_request(options(), path, mode="chain", previous_response_id="r2", images={3: [IMAGE]}).to_body()
    assert body["input"] == [
        {"role": "user", "content": [{"type": "input_image", "image_url": IMAGE}]},
        {"role": "user", "content": "What is in it?"},
    ]


def test_a_model_that_never_thinks_gets_no_thinking_switch_even_when_asked() -> None:
    body = build_request(options("qwen3-coder-plus", thinking=True), [msg(1, "user", "Hi.")], mode="replay").to_body()
    assert "enable_thinking" not in body and "reasoning" not in body


def test_effort_none_does_not_turn_off_the_thinking_a_chosen_tool_needs() -> None:
    """qwen3.8-flash runs code_interpreter only while thinking: the tool wins over effort "none"."""
    chosen = options("qwen3.8-flash", tools=("code_interpreter",), thinking=True, effort="none")
    body = build_request(chosen, [msg(1, "user", "Plot sin(x).")], mode="replay").to_body()
    assert body.get("enable_thinking") is True and "reasoning" not in body
