"""Folding details that arrive in pieces: a page the search opened, reasoning without item ids, and a
final item that leaves out what streamed earlier (the fold never erases what it knows)."""

from __future__ import annotations

from test_fold_edges import ev, fold_all

from tui.chat.updates import ReasoningDelta


def test_a_page_the_search_opened_is_listed_among_its_sources_once() -> None:
    search = {"type": "web_search_call", "id": "ws_1", "status": "completed",
              "action": {"type": "open_page", "url": "https://example.com/a"}}
    fold, _ = fold_all(
        ev(0, "response.output_item.added", output_index=0, item={**search, "status": "in_progress"}),
        ev(1, "response.output_item.done", output_index=0, item=search),
    )
    [call] = fold.tool_calls
    assert call.sources == ["https://example.com/a"]


def test_reasoning_without_item_ids_folds_into_one_summary() -> None:
    fold, updates = fold_all(
        ev(0, "response.reasoning_text.delta", output_index=0, delta="Think"),
        ev(1, "response.reasoning_text.done", output_index=0, text="Thinking hard."),
    )
    assert [(u.item_id, u.text) for u in updates if isinstance(u, ReasoningDelta)] == [("reasoning-0", "Think"), ("reasoning-0", "ing hard.")]
    [item] = fold.items()
    assert (item.item_id, item.data["summary"]) == ("reasoning-0", "Thinking hard.")


def test_a_final_item_without_code_or_name_keeps_what_streamed() -> None:
    fold, _ = fold_all(
        ev(0, "response.code_interpreter_call_code.delta", item_id="ci_1", output_index=0, delta="print(1)"),
        ev(1, "response.output_item.done", output_index=0, item={"type": "code_interpreter_call", "id": "ci_1", "status": "completed"}),
        ev(2, "response.function_call_arguments.done", item_id="fc_1", output_index=1, arguments="{}", name="get_time"),
        ev(3, "response.output_item.done", output_index=1, item={"type": "function_call", "id": "fc_1", "call_id": "c1", "arguments": "{}"}),
    )
    code, function = fold.tool_calls
    assert code.code == "print(1)" and code.status == "completed"
    assert (function.name, function.call_id) == ("get_time", "c1")
