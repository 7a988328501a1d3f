"""Folding the less common shapes of a live stream: events without item ids, details that arrive only
once, tools this client does not model, statuses that come late, and an error event without text."""

from __future__ import annotations

import json
from typing import Any

from tui.api.types import parse_event
from tui.chat.fold import TurnFold
from tui.chat.updates import ReasoningDelta, Update


def ev(seq: int, type_: str, **fields: Any) -> Any:
    """A typed event exactly as the client would yield it (parsed from its JSON)."""
    return parse_event(json.dumps({"type": type_, "sequence_number": seq, **fields}))


def fold_all(*events: Any) -> tuple[TurnFold, list[Update]]:
    fold = TurnFold()
    updates: list[Update] = []
    for event in events:
        updates += fold.apply(event)
    return fold, updates


def test_function_arguments_without_an_item_id_fold_into_one_call() -> None:
    fold, _ = fold_all(
        ev(0, "response.function_call_arguments.delta", output_index=0, delta='{"city": '),
        ev(1, "response.function_call_arguments.delta", output_index=0, delta='"Paris"}'),
        ev(2, "response.function_call_arguments.done", output_index=0, arguments='{"city": "Paris"}', name="get_weather"),
    )
    [call] = fold.tool_calls
    assert (call.type, call.name, call.arguments) == ("function_call", "get_weather", '{"city": "Paris"}')


def test_a_done_without_a_name_keeps_the_name_the_item_gave() -> None:
    item = {"type": "function_call", "id": "fc_1", "call_id": "c1", "name": "get_weather", "arguments": "", "status": "in_progress"}
    fold, _ = fold_all(
        ev(0, "response.output_item.added", output_index=0, item=item),
        ev(1, "response.function_call_arguments.done", item_id="fc_1", output_index=0, arguments="{}"),
    )
    [call] = fold.tool_calls
    assert (call.name, call.arguments) == ("get_weather", "{}")


def test_code_without_an_item_id_folds_into_one_code_interpreter_call() -> None:
    fold, _ = fold_all(
        ev(0, "response.code_interpreter_call_code.delta", output_index=1, delta="print("),
        ev(1, "response.code_interpreter_call_code.delta", output_index=1, delta="2**100)"),
        ev(2, "response.code_interpreter_call_code.done", output_index=1, code="print(2**100)"),
    )
    [call] = fold.tool_calls
    assert (call.type, call.code) == ("code_interpreter_call", "print(2**100)")


def test_code_and_its_final_text_under_an_item_id_are_one_call() -> None:
    fold, _ = fold_all(
        ev(0, "response.code_interpreter_call_code.delta", item_id="ci_1", output_index=1, delta="print(1)"),
        ev(1, "response.code_interpreter_call_code.done", item_id="ci_1", output_index=1, code="print(1)\n"),
    )
    [call] = fold.tool_calls
    assert (call.item_id, call.code) == ("ci_1", "print(1)\n")


def test_a_tool_item_done_without_a_status_is_completed() -> None:
    item = {"type": "code_interpreter_call", "id": "ci_1", "code": "1+1", "outputs": []}
    fold, _ = fold_all(ev(0, "response.output_item.done", output_index=0, item=item))
    [call] = fold.tool_calls
    assert call.status == "completed"


def test_a_late_searching_event_never_moves_a_finished_search_back() -> None:
    fold, updates = fold_all(
        ev(0, "response.web_search_call.in_progress", item_id="ws_1", output_index=0),
        ev(1, "response.web_search_call.searching", item_id="ws_1", output_index=0),
        ev(2, "response.web_search_call.completed", item_id="ws_1", output_index=0),
        ev(3, "response.web_search_call.searching", item_id="ws_1", output_index=0),
    )
    [call] = fold.tool_calls
    assert call.status == "completed"
    assert [update.call.status for update in updates] == ["searching", "completed"]  # type: ignore[attr-defined]


def test_an_unknown_tool_keeps_its_arguments_and_only_takes_text_output() -> None:
    added = {"type": "mcp_call", "id": "mcp_1", "status": "in_progress", "name": "lookup", "arguments": '{"q": 1}'}
    done = {"type": "mcp_call", "id": "mcp_1", "status": "completed", "output": ["not", "text"]}
    fold, _ = fold_all(
        ev(0, "response.output_item.added", output_index=0, item=added),
        ev(1, "response.output_item.done", output_index=0, item=done),
    )
    [call] = fold.tool_calls
    assert (call.name, call.arguments, call.output, call.status) == ("lookup", '{"q": 1}', None, "completed")


def test_a_reasoning_summary_sent_only_as_a_finished_part_is_shown() -> None:
    part = {"type": "summary_text", "text": "The user wants a number."}
    fold, updates = fold_all(
        ev(0, "response.reasoning_summary_part.done", item_id="rs_1", output_index=0, summary_index=0, part=part),
    )
    assert fold.reasoning_text("rs_1") == "The user wants a number."
    assert updates == [ReasoningDelta("rs_1", "The user wants a number.")]


def test_an_error_event_without_text_still_says_something() -> None:
    fold, _ = fold_all(ev(0, "error", code="internal_error", message=""))
    assert fold.error == "the server reported an error (internal_error)"
