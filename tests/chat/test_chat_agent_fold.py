"""Folding the agent-tool items and events DashScope documents (and OpenAI's shapes where DashScope is silent)."""

from __future__ import annotations

import json
from typing import Any

from tui.api.types import parse_event
from tui.chat.fold import TurnFold
from tui.chat.rounds import RoundsFold
from tui.chat.updates import TextDelta, ToolCallUpdated


def ev(seq: int, type_: str, **fields: Any) -> Any:
    return parse_event(json.dumps({"type": type_, "sequence_number": seq, **fields}))


def item(seq: int, done: bool, **fields: Any) -> Any:
    kind = "response.output_item.done" if done else "response.output_item.added"
    return ev(seq, kind, output_index=0, item=fields)


def test_mcp_list_tools_item_lists_what_the_server_offers() -> None:
    fold = TurnFold()
    tools = [{"name": "search", "description": "Find places", "input_schema": {}}, {"name": "route"}]
    fold.apply(item(0, True, type="mcp_list_tools", id="ml_1", server_label="maps", tools=tools))
    (call,) = fold.tool_calls
    assert call.server == "maps"
    assert call.results == [{"name": "search", "description": "Find places"}, {"name": "route", "description": ""}]


def test_mcp_failure_keeps_the_error_message() -> None:
    fold = TurnFold()
    fold.apply(item(0, False, type="mcp_call", id="mc_1", name="search", server_label="maps", arguments=""))
    fold.apply(ev(1, "response.mcp_call_arguments.delta", item_id="mc_1", output_index=0, delta='{"q":'))
    fold.apply(ev(2, "response.mcp_call_arguments.done", item_id="mc_1", output_index=0, arguments='{"q":1}'))
    updates = fold.apply(ev(3, "response.mcp_call.failed", item_id="mc_1", output_index=0))
    assert isinstance(updates[0], ToolCallUpdated) and updates[0].call.status == "failed"
    fold.apply(item(4, True, type="mcp_call", id="mc_1", name="search", server_label="maps", arguments='{"q":1}',
                    status="failed", error={"message": "upstream timeout"}))
    (call,) = fold.tool_calls
    assert (call.arguments, call.error, call.status) == ('{"q":1}', "upstream timeout", "failed")


def test_image_output_accepts_a_json_string_or_a_list_and_bad_output_stays_raw() -> None:
    fold = TurnFold()
    as_string = json.dumps([{"title": "Panda", "url": "https://i.example/p.jpg", "index": 1}])
    fold.apply(item(0, True, type="web_search_image_call", id="a", arguments='{"query":"panda"}', output=as_string))
    fold.apply(ev(1, "response.output_item.done", output_index=1,
                  item={"type": "image_search_call", "id": "b", "output": [{"url": "https://i.example/q.jpg"}]}))
    fold.apply(ev(2, "response.output_item.done", output_index=2,
                  item={"type": "image_search_call", "id": "c", "output": "not json"}))
    first, second, third = fold.tool_calls
    assert (first.query, first.results) == ("panda", [{"title": "Panda", "url": "https://i.example/p.jpg"}])
    assert second.results == [{"title": "https://i.example/q.jpg", "url": "https://i.example/q.jpg"}]
    assert (third.results, third.output) == ([], "not json")


def test_file_search_keeps_queries_and_results() -> None:
    fold = TurnFold()
    fold.apply(item(0, True, type="file_search_call", id="fs", queries=["leave", "holidays"],
                    results=[{"file_id": "f1", "filename": "hr.md", "score": 0.5, "text": "20 days"}]))
    (call,) = fold.tool_calls
    assert call.query == "leave, holidays"
    assert call.results == [{"filename": "hr.md", "text": "20 days", "score": 0.5}]


def test_rounds_join_text_with_a_break_and_restart_sequence_numbers() -> None:
    rounds = RoundsFold()
    rounds.apply(ev(0, "response.output_text.delta", item_id="m1", output_index=0, content_index=0, delta="Checking."))
    rounds.next_round()
    updates = rounds.apply(ev(0, "response.output_text.delta", item_id="m2", output_index=0, content_index=0, delta="Done"))
    assert [u.text for u in updates if isinstance(u, TextDelta)] == ["\n\n", "Done"]
    assert rounds.text == "Checking.\n\nDone"


def test_no_break_when_the_earlier_responses_had_no_text() -> None:
    rounds = RoundsFold()
    rounds.next_round()
    updates = rounds.apply(ev(0, "response.output_text.delta", item_id="m2", output_index=0, content_index=0, delta="Hi"))
    assert [u.text for u in updates if isinstance(u, TextDelta)] == ["Hi"]
    assert rounds.text == "Hi"
