"""The scripted model: Markdown by keyword, thinking, built-in tools with their events, long answers."""

from __future__ import annotations

import json
import re
from collections.abc import Callable

import httpx
import pytest
from sim_wire import answer_text, ask, completed, stream, streamed_text

from tui.sim import SimServer

ALL_TOOLS = [{"type": "web_search"}, {"type": "web_extractor"}, {"type": "code_interpreter"}]


def test_a_table_is_asked_for_and_a_markdown_table_comes_back(sim: SimServer) -> None:
    text = answer_text(ask(sim, "Compare Python and Go in a table"))

    rows = [line for line in text.splitlines() if line.startswith("|")]
    assert len(rows) >= 3 and re.fullmatch(r"\|[-| ]+\|", rows[1])
    assert "```" not in text


def test_code_is_asked_for_and_a_fenced_block_comes_back(sim: SimServer) -> None:
    text = answer_text(ask(sim, "Write some Python code to split sentences"))

    assert text.count("```") == 2 and "```python\n" in text
    assert not any(line.startswith("|") for line in text.splitlines())


def test_a_plain_question_gets_a_heading_and_lists(sim: SimServer) -> None:
    text = answer_text(ask(sim, "How do I learn to cook?"))

    assert text.startswith("## ")
    assert re.search(r"^1\. ", text, re.MULTILINE) and re.search(r"^- ", text, re.MULTILINE)


def test_the_same_prompt_gets_the_same_answer(sim: SimServer) -> None:
    prompt = "Explain how hash tables work"

    assert answer_text(ask(sim, prompt)) == answer_text(ask(sim, prompt)) != answer_text(ask(sim, "Explain queues"))


@pytest.mark.parametrize(
    "fields",
    [{"enable_thinking": True}, {"reasoning": {"effort": "high"}}, {"enable_thinking": False, "reasoning": {"effort": "low"}}],
    ids=["enable_thinking", "effort-high", "effort-wins-over-enable_thinking"],
)
def test_thinking_streams_a_reasoning_summary_before_the_answer(sim: SimServer, fields: dict) -> None:
    frames = stream(sim, "Why is the sky blue?", **fields)
    kinds = [f.event for f in frames]

    assert kinds[2] == "response.output_item.added" and frames[2].json["item"]["type"] == "reasoning"
    reasoning_done = kinds.index("response.reasoning_summary_text.done")
    deltas = [f.json["delta"] for f in frames[3:reasoning_done]]
    assert kinds[3:reasoning_done] == ["response.reasoning_summary_text.delta"] * len(deltas) and deltas
    summary = frames[reasoning_done].json["text"]
    assert "".join(deltas) == summary
    item = frames[reasoning_done + 1].json["item"]
    assert kinds[reasoning_done + 1] == "response.output_item.done"
    assert item == {"id": item["id"], "summary": [{"type": "summary_text", "text": summary}], "type": "reasoning"}
    assert item["id"].startswith("msg_") and "status" not in item
    assert kinds[reasoning_done + 2] == "response.output_item.added" and frames[reasoning_done + 2].json["output_index"] == 1
    final = completed(frames)
    assert [i["type"] for i in final["output"]] == ["reasoning", "message"]
    assert final["usage"]["output_tokens_details"]["reasoning_tokens"] > 0


@pytest.mark.parametrize("fields", [{}, {"enable_thinking": False}, {"enable_thinking": True, "reasoning": {"effort": "none"}}])
def test_no_reasoning_without_thinking(sim: SimServer, fields: dict) -> None:
    frames = stream(sim, "Why is the sky blue?", **fields)

    assert not any("reasoning" in f.event for f in frames)
    assert completed(frames)["usage"]["output_tokens_details"]["reasoning_tokens"] == 0


def test_tools_and_thinking_follow_the_seed_pages_order(sim: SimServer) -> None:
    frames = stream(sim, "Find the Alibaba Cloud website and extract key information", tools=ALL_TOOLS, enable_thinking=True)
    final = completed(frames)

    assert [i["type"] for i in final["output"]] == [
        "reasoning",
        "web_search_call",
        "reasoning",
        "web_extractor_call",
        "reasoning",
        "code_interpreter_call",
        "message",
    ]
    per_item: dict[int, list[str]] = {}
    for f in frames:
        if "output_index" in f.json:
            per_item.setdefault(f.json["output_index"], []).append(f.event)
    assert list(per_item) == list(range(7))  # items never interleave
    assert per_item[1] == [
        "response.output_item.added",
        "response.web_search_call.in_progress",
        "response.web_search_call.searching",
        "response.web_search_call.completed",
        "response.output_item.done",
    ]
    assert per_item[3] == ["response.output_item.added", "response.output_item.done"]
    assert per_item[5] == [
        "response.output_item.added",
        "response.code_interpreter_call.in_progress",
        "response.code_interpreter_call.interpreting",
        "response.code_interpreter_call.completed",
        "response.output_item.done",
    ]
    assert final["usage"]["x_tools"] == {"web_search": {"count": 1}, "web_extractor": {"count": 1}, "code_interpreter": {"count": 1}}


def test_web_search_item_gets_its_sources_when_done(sim: SimServer) -> None:
    frames = stream(sim, "Who won the 2022 World Cup?", tools=[{"type": "web_search"}])
    added = next(f.json["item"] for f in frames if f.event == "response.output_item.added")
    done = next(f.json["item"] for f in frames if f.event == "response.output_item.done")

    assert added["type"] == "web_search_call" and added["status"] == "in_progress"
    assert added["action"] == {"query": "Who won the 2022 World Cup", "type": "search"}
    assert done["status"] == "completed" and done["id"] == added["id"]
    assert done["action"]["query"] == added["action"]["query"]
    sources = done["action"]["sources"]
    assert sources and all(s["type"] == "url" and s["url"].startswith("https://") for s in sources)
    assert completed(frames)["usage"]["x_tools"] == {"web_search": {"count": 1}}
    assert [i["type"] for i in completed(frames)["output"]] == ["web_search_call", "message"]


def test_web_extractor_item_has_goal_urls_and_output(sim: SimServer) -> None:
    frames = stream(sim, "Summarise the Python website", tools=[{"type": "web_search"}, {"type": "web_extractor"}])
    items = [f.json["item"] for f in frames if f.json.get("item", {}).get("type") == "web_extractor_call"]

    added, done = items
    assert added["status"] == "in_progress" and "output" not in added
    assert added["goal"] and added["urls"] and all(u.startswith("https://") for u in added["urls"])
    assert done == {**added, "status": "completed", "output": done["output"]} and done["output"]
    assert not any(f.event.startswith("response.web_extractor") for f in frames)


def test_code_interpreter_item_carries_code_logs_and_container(sim: SimServer) -> None:
    prompt = "Count the words in this sentence please"
    final = completed(stream(sim, prompt, tools=[{"type": "code_interpreter"}]))
    (call,) = [i for i in final["output"] if i["type"] == "code_interpreter_call"]

    assert "print(" in call["code"] and call["container_id"]
    assert call["outputs"] == [{"type": "logs", "logs": f"{len(prompt.split())}\n"}]
    assert call["status"] == "completed"


def test_unknown_tools_are_not_called(sim: SimServer) -> None:
    final = completed(stream(sim, "Hello there", tools=[{"type": "function", "name": "lookup", "parameters": {}}]))

    assert [i["type"] for i in final["output"]] == ["message"]
    assert "x_tools" not in final["usage"]


def test_long_answer_mode_streams_exactly_n_deltas_of_markdown(sim_factory: Callable[..., SimServer]) -> None:
    sim = sim_factory(long_answer=2000)
    frames = stream(sim, "anything")

    assert sum(f.event == "response.output_text.delta" for f in frames) == 2000
    text = streamed_text(frames)
    assert text == answer_text(completed(frames))
    assert text.startswith("# ") and "\n| " in text and "```python\n" in text and "\n- " in text and "\n1. " in text


def test_paced_stream_arrives_in_pieces_and_stops_when_the_reader_leaves(sim_factory: Callable[..., SimServer]) -> None:
    sim = sim_factory(speed=10, long_answer=200)  # 20 s if nobody stopped reading
    with httpx.stream(
        "POST", f"{sim.base_url}/responses", json={"model": "m", "input": "x", "stream": True}, headers={"Authorization": "Bearer k"}
    ) as response:
        received = b""
        for chunk in response.iter_bytes():
            received += chunk
            if b"response.output_text.delta" in received:
                break
    assert b"response.completed" not in received
    # an answer the reader abandoned never completed, so it cannot be continued
    response_id = json.loads(received.split(b"data:", 1)[1].split(b"\n", 1)[0])["response"]["id"]
    assert sim.state.memory.recall(response_id) is None


def test_a_paced_stream_carries_the_same_answer_and_thinking(sim_factory: Callable[..., SimServer]) -> None:
    paced, fast = sim_factory(speed=500), sim_factory()
    prompt = "Why is the sky blue?"

    slow_frames = stream(paced, prompt, enable_thinking=True)
    fast_frames = stream(fast, prompt, enable_thinking=True)
    assert [f.event for f in slow_frames] == [f.event for f in fast_frames]
    assert streamed_text(slow_frames) == streamed_text(fast_frames)
    assert completed(slow_frames)["output"][0]["summary"] == completed(fast_frames)["output"][0]["summary"]
