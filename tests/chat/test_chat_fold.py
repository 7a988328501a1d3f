"""Folding stream events into a turn: the happy path and the ways real streams go wrong."""

from __future__ import annotations

import json
from typing import Any

from tui.api.types import parse_event
from tui.chat.fold import TurnFold
from tui.chat.updates import ReasoningDelta, TextDelta, ToolCallUpdated, Update, UsageUpdated

MSG = "msg_1"


def ev(seq: int | None, type_: str, **fields: Any) -> Any:
    """A typed event exactly as the client would yield it (parsed from its JSON)."""
    body: dict[str, Any] = {"type": type_, **fields}
    if seq is not None:
        body["sequence_number"] = seq
    return parse_event(json.dumps(body))


def response(status: str, *, output: list[dict[str, Any]] | None = None, **fields: Any) -> dict[str, Any]:
    return {"id": "resp_1", "created_at": 1000.0, "status": status, "output": output or [], **fields}


def message_item(text: str, status: str = "completed") -> dict[str, Any]:
    return {"type": "message", "id": MSG, "role": "assistant", "status": status,
            "content": [{"type": "output_text", "text": text, "annotations": []}] if text else []}


def delta(seq: int, text: str, **fields: Any) -> Any:
    return ev(seq, "response.output_text.delta", **{"item_id": MSG, "output_index": 0, "content_index": 0, "delta": text, **fields})


def fold_all(events: list[Any]) -> tuple[TurnFold, list[Update]]:
    fold = TurnFold()
    updates: list[Update] = []
    for event in events:
        updates += fold.apply(event)
    return fold, updates


def streamed_text(updates: list[Update]) -> str:
    return "".join(update.text for update in updates if isinstance(update, TextDelta))


def test_plain_stream_folds_text_usage_and_id() -> None:
    usage = {"input_tokens": 37, "output_tokens": 5, "total_tokens": 42,
             "input_tokens_details": {"cached_tokens": 7}, "output_tokens_details": {"reasoning_tokens": 0}}
    fold, updates = fold_all([
        ev(0, "response.created", response=response("queued")),
        ev(1, "response.in_progress", response=response("in_progress")),
        ev(2, "response.output_item.added", output_index=0, item=message_item("", "in_progress")),
        delta(3, "Hello"),
        delta(4, ", John"),
        ev(5, "response.output_text.done", item_id=MSG, output_index=0, content_index=0, text="Hello, John"),
        ev(6, "response.output_item.done", output_index=0, item=message_item("Hello, John")),
        ev(7, "response.completed", response=response("completed", output=[message_item("Hello, John")], usage=usage)),
    ])
    assert fold.response_id == "resp_1"
    assert fold.text == "Hello, John"
    assert streamed_text(updates) == "Hello, John"
    assert fold.terminal == "complete"
    assert fold.error is None
    assert fold.usage is not None and (fold.usage.input_tokens, fold.usage.output_tokens, fold.usage.cached_tokens) == (37, 5, 7)
    assert [type(u) for u in updates].count(UsageUpdated) == 1


def test_done_without_deltas_supplies_the_text_once() -> None:
    fold, updates = fold_all([
        ev(0, "response.created", response=response("queued")),
        ev(1, "response.output_text.done", item_id=MSG, output_index=0, content_index=0, text="Whole answer"),
        ev(2, "response.output_item.done", output_index=0, item=message_item("Whole answer")),
        ev(3, "response.completed", response=response("completed", output=[message_item("Whole answer")])),
    ])
    assert fold.text == "Whole answer"
    assert streamed_text(updates) == "Whole answer"


def test_done_completes_text_that_streaming_missed() -> None:
    fold, updates = fold_all([delta(1, "Hel"), ev(2, "response.output_text.done", item_id=MSG, output_index=0, content_index=0, text="Hello")])
    assert fold.text == "Hello"
    assert streamed_text(updates) == "Hello"


def test_completed_alone_recovers_the_whole_answer() -> None:
    fold, updates = fold_all([ev(0, "response.completed", response=response("completed", output=[message_item("Only at the end")]))])
    assert fold.text == "Only at the end"
    assert streamed_text(updates) == "Only at the end"
    assert fold.terminal == "complete"


def test_duplicated_events_are_folded_once() -> None:
    fold, updates = fold_all([delta(1, "A"), delta(1, "A"), delta(2, "B"), delta(2, "B")])
    assert fold.text == "AB"
    assert streamed_text(updates) == "AB"


def test_text_without_item_id_joins_the_item_named_later() -> None:
    bare = {"output_index": 0, "content_index": 0}
    fold, updates = fold_all([
        ev(1, "response.output_text.delta", delta="Par", **bare),
        ev(2, "response.output_text.delta", delta="is", **bare),
        ev(3, "response.output_item.done", output_index=0, item=message_item("Paris")),
    ])
    assert fold.text == "Paris"
    assert streamed_text(updates) == "Paris"


def test_unknown_event_types_are_ignored() -> None:
    fold, updates = fold_all([
        delta(1, "x"),
        ev(2, "response.audio.delta", delta="AAAA"),
        ev(3, "response.something_new", payload={"a": 1}),
        delta(4, "y"),
    ])
    assert fold.text == "xy"
    assert streamed_text(updates) == "xy"


def test_reasoning_summary_streams_and_is_stored_as_an_item() -> None:
    reasoning = {"type": "reasoning", "id": "rs_1", "summary": [{"type": "summary_text", "text": "Think first."}]}
    fold, updates = fold_all([
        ev(1, "response.output_item.added", output_index=0, item={"type": "reasoning", "id": "rs_1", "summary": []}),
        ev(2, "response.reasoning_summary_text.delta", item_id="rs_1", output_index=0, summary_index=0, delta="Think "),
        ev(3, "response.reasoning_summary_text.delta", item_id="rs_1", output_index=0, summary_index=0, delta="first."),
        ev(4, "response.reasoning_summary_text.done", item_id="rs_1", output_index=0, summary_index=0, text="Think first."),
        ev(5, "response.output_item.done", output_index=0, item=reasoning),
    ])
    assert [(u.item_id, u.text) for u in updates if isinstance(u, ReasoningDelta)] == [("rs_1", "Think "), ("rs_1", "first.")]
    assert fold.reasoning_text("rs_1") == "Think first."
    [item] = fold.items()
    assert (item.item_id, item.type, item.data) == ("rs_1", "reasoning", {"summary": "Think first."})
    assert item.status == "completed"
    assert fold.text == ""


def summary_delta(seq: int, index: int, text: str) -> Any:
    return ev(seq, "response.reasoning_summary_text.delta", item_id="rs_1", output_index=0, summary_index=index, delta=text)


def test_a_long_reasoning_summary_in_many_deltas_reads_back_whole_at_any_point() -> None:
    fold = TurnFold()
    words = [f"step{n} " for n in range(300)]
    updates: list[Update] = []
    for seq, word in enumerate(words[:150]):
        updates += fold.apply(summary_delta(seq, 0, word))
    assert fold.reasoning_text("rs_1") == "".join(words[:150])
    for seq, word in enumerate(words[150:], start=150):  # deltas after a read still land at the end
        updates += fold.apply(summary_delta(seq, 0, word))
    updates += fold.apply(summary_delta(300, 1, "Then "))
    updates += fold.apply(summary_delta(301, 1, "answer."))
    assert [u.text for u in updates if isinstance(u, ReasoningDelta)] == [*words, "Then ", "answer."]
    first = "".join(words)
    assert fold.reasoning_text("rs_1") == f"{first}\n\nThen answer."

    # The final text of a part only adds what streaming missed; the stored summary is the whole.
    done = "response.reasoning_summary_text.done"
    assert fold.apply(ev(302, done, item_id="rs_1", output_index=0, summary_index=0, text=first)) == []
    [extra] = fold.apply(ev(303, done, item_id="rs_1", output_index=0, summary_index=1, text="Then answer. Done."))
    assert (extra.item_id, extra.text) == ("rs_1", " Done.")
    [item] = fold.items()
    assert item.data == {"summary": f"{first}\n\nThen answer. Done."}


def test_streamed_code_and_arguments_are_snapshots_of_the_text_so_far() -> None:
    code = ["import math\n", "print(", "math.pi", ")\n"]
    events = [ev(n, "response.code_interpreter_call_code.delta", item_id="ci_1", output_index=0, delta=piece)
              for n, piece in enumerate(code)]
    events += [ev(10 + n, "response.function_call_arguments.delta", item_id="fc_1", output_index=1, delta=piece)
               for n, piece in enumerate(['{"city": ', '"Oslo"}'])]
    fold, updates = fold_all(events)
    calls = [u.call for u in updates if isinstance(u, ToolCallUpdated)]
    assert [call.code for call in calls[:4]] == ["import math\n", "import math\nprint(", "import math\nprint(math.pi",
                                                 "import math\nprint(math.pi)\n"]
    assert [call.arguments for call in calls[4:]] == ['{"city": ', '{"city": "Oslo"}']
    assert [item.data for item in fold.items()] == [{"code": "".join(code)}, {"arguments": '{"city": "Oslo"}'}]


def test_web_search_status_moves_forward_and_keeps_details() -> None:
    added = {"type": "web_search_call", "id": "ws_1", "status": "in_progress", "action": {"type": "search", "query": "qwen news"}}
    done = {"type": "web_search_call", "id": "ws_1", "status": "completed",
            "action": {"type": "search", "query": "qwen news", "sources": [{"type": "url", "url": "https://a.example"}, {"type": "url", "url": "https://b.example"}]}}
    fold, updates = fold_all([
        ev(1, "response.output_item.added", output_index=1, item=added),
        ev(2, "response.web_search_call.in_progress", item_id="ws_1", output_index=1),
        ev(3, "response.web_search_call.searching", item_id="ws_1", output_index=1),
        ev(4, "response.web_search_call.completed", item_id="ws_1", output_index=1),
        ev(5, "response.output_item.done", output_index=1, item=done),
    ])
    statuses = [u.call.status for u in updates if isinstance(u, ToolCallUpdated)]
    assert statuses[0] == "in_progress" and "searching" in statuses and statuses[-1] == "completed"
    [call] = fold.tool_calls
    assert (call.type, call.query, call.sources) == ("web_search_call", "qwen news", ["https://a.example", "https://b.example"])
    [item] = fold.items()
    assert item.type == "web_search_call" and item.status == "completed"
    assert item.data == {"query": "qwen news", "sources": ["https://a.example", "https://b.example"]}


def test_late_status_event_never_moves_a_tool_backwards() -> None:
    done = {"type": "code_interpreter_call", "id": "ci_1", "status": "completed", "code": "print(6*7)",
            "outputs": [{"type": "logs", "logs": "42\n"}]}
    fold, updates = fold_all([
        ev(1, "response.output_item.done", output_index=0, item=done),  # done without added
        ev(2, "response.code_interpreter_call.interpreting", item_id="ci_1", output_index=0),
        ev(3, "response.code_interpreter_call.in_progress", item_id="ci_1", output_index=0),
    ])
    [call] = fold.tool_calls
    assert (call.status, call.code, call.logs) == ("completed", "print(6*7)", "42\n")
    assert len([u for u in updates if isinstance(u, ToolCallUpdated)]) == 1


def test_tool_event_before_its_item_creates_the_call() -> None:
    extractor = {"type": "web_extractor_call", "id": "wx_1", "status": "completed", "goal": "key facts",
                 "urls": ["https://x.example"], "output": "Facts."}
    fold, updates = fold_all([
        ev(1, "response.web_search_call.searching", item_id="ws_9", output_index=0),
        ev(2, "response.web_extractor_call.in_progress", item_id="wx_1", output_index=1),
        ev(3, "response.output_item.done", output_index=1, item=extractor),
    ])
    search, extract = fold.tool_calls
    assert (search.item_id, search.type, search.status) == ("ws_9", "web_search_call", "searching")
    assert (extract.type, extract.status, extract.goal, extract.urls, extract.output) == (
        "web_extractor_call", "completed", "key facts", ["https://x.example"], "Facts.")


def test_items_are_stored_in_output_order() -> None:
    fold, _ = fold_all([
        ev(1, "response.output_item.done", output_index=2, item={"type": "web_search_call", "id": "ws", "status": "completed"}),
        ev(2, "response.output_item.done", output_index=0, item={"type": "reasoning", "id": "rs", "summary": [{"type": "summary_text", "text": "t"}]}),
        ev(3, "response.output_item.done", output_index=1, item={"type": "mcp_call", "id": "mc", "name": "lookup", "output": "ok"}),
    ])
    assert [(i.item_id, i.type) for i in fold.items()] == [("rs", "reasoning"), ("mc", "mcp_call"), ("ws", "web_search_call")]
    assert fold.items()[1].data == {"name": "lookup", "output": "ok"}


def test_failed_and_incomplete_responses_carry_one_line_errors() -> None:
    failed, _ = fold_all([delta(1, "part"), ev(2, "response.failed", response=response("failed", error={"code": "server_error", "message": "model\n crashed"}))])
    assert failed.terminal == "failed"
    assert (failed.error, failed.text) == ("model crashed", "part")
    cut, _ = fold_all([ev(1, "response.incomplete", response=response("incomplete", incomplete_details={"reason": "max_output_tokens"}))])
    assert cut.terminal == "incomplete"
    assert cut.error is not None and "max_output_tokens" in cut.error


def test_error_event_keeps_the_message_and_code() -> None:
    fold, _ = fold_all([delta(1, "x"), ev(2, "error", code="rate_limit_exceeded", message="slow  down\nplease")])
    assert fold.error == "slow down please (rate_limit_exceeded)"
    assert fold.terminal is None


def test_usage_maps_x_tools_to_counts() -> None:
    usage = {"input_tokens": 10, "output_tokens": 20, "total_tokens": 30, "output_tokens_details": {"reasoning_tokens": 12},
             "x_tools": {"web_search": {"count": 2}}}
    fold, _ = fold_all([ev(1, "response.completed", response=response("completed", usage=usage))])
    assert fold.usage is not None
    assert (fold.usage.reasoning_tokens, fold.usage.x_tools) == (12, {"web_search": 2})


def test_final_text_that_disagrees_with_the_deltas_leaves_what_streamed() -> None:
    fold, updates = fold_all([delta(1, "Helo"), ev(2, "response.output_text.done", item_id=MSG, output_index=0, content_index=0, text="Hello")])
    assert fold.text == "Helo" == streamed_text(updates)


def test_two_message_items_join_in_output_order() -> None:
    second = {"item_id": "msg_2", "output_index": 2, "content_index": 0}
    fold, _ = fold_all([
        ev(1, "response.output_text.delta", delta="after tools", **second),
        delta(2, "before tools "),
    ])
    assert fold.text == "before tools after tools"


def test_late_events_after_done_change_nothing() -> None:
    done = {"type": "web_search_call", "id": "ws_1", "status": "completed",
            "action": {"type": "search", "query": "q", "sources": [{"type": "url", "url": "https://a.example"}]}}
    fold, updates = fold_all([
        delta(1, "Hel"),
        ev(2, "response.output_text.done", item_id=MSG, output_index=0, content_index=0, text="Hello"),
        delta(3, "lo"),  # a straggler of the deltas already covered by .done
        ev(4, "response.output_item.done", output_index=1, item=done),
        ev(5, "response.output_item.added", output_index=1, item={"type": "web_search_call", "id": "ws_1", "status": "in_progress"}),
    ])
    assert fold.text == "Hello" == streamed_text(updates)
    [call] = fold.tool_calls
    assert (call.status, call.sources) == ("completed", ["https://a.example"])
