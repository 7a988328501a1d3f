"""The simulator's wire format: DashScope's SSE framing, event order, ids, and the non-streaming body."""

from __future__ import annotations

import re
import uuid

import httpx
from sim_wire import MODEL, answer_text, ask, completed, parse_frames, post, stream, streamed_text

from tui.sim import SimServer

UUID4 = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")


def test_stream_bytes_are_framed_exactly_like_dashscope(sim: SimServer) -> None:
    response = post(sim, {"model": MODEL, "input": "Please briefly introduce artificial intelligence.", "stream": True})

    assert response.headers["content-type"].startswith("text/event-stream")
    raw = response.content
    assert raw.startswith(b"id:1\nevent:response.created\n:HTTP_STATUS/200\ndata:{")
    assert b"[DONE]" not in raw
    assert b"data: " not in raw and b"event: " not in raw and b"id: " not in raw
    frames = parse_frames(raw)
    assert [f.json["sequence_number"] for f in frames] == list(range(len(frames)))
    assert [f.id for f in frames] == [n + 1 for n in range(len(frames))]
    assert all(f.event == f.json["type"] for f in frames)
    assert frames[-1].event == "response.completed"


def test_events_come_in_dashscope_order_and_agree_with_each_other(sim: SimServer) -> None:
    frames = stream(sim, "Please briefly introduce artificial intelligence.")
    kinds = [f.event for f in frames]
    deltas = kinds.count("response.output_text.delta")

    assert deltas > 5
    assert kinds == [
        "response.created",
        "response.in_progress",
        "response.output_item.added",
        "response.content_part.added",
        *["response.output_text.delta"] * deltas,
        "response.output_text.done",
        "response.content_part.done",
        "response.output_item.done",
        "response.completed",
    ]
    created, in_progress = frames[0].json["response"], frames[1].json["response"]
    assert (created["status"], created["model"], created["output"], created["usage"]) == ("queued", "", [], None)
    assert in_progress["status"] == "in_progress" and in_progress["id"] == created["id"]
    added = frames[2].json["item"]
    assert added["content"] == [] and added["status"] == "in_progress" and added["role"] == "assistant"
    text = streamed_text(frames)
    assert frames[-4].json["text"] == text
    assert frames[-3].json["part"] == {"annotations": [], "text": text, "type": "output_text", "logprobs": None}
    done = frames[-2].json["item"]
    assert done["status"] == "completed" and done["content"][0]["text"] == text
    final = completed(frames)
    assert final["id"] == created["id"] and final["status"] == "completed" and final["model"] == MODEL
    assert final["output"] == [done]
    usage = final["usage"]
    assert usage["total_tokens"] == usage["input_tokens"] + usage["output_tokens"] > 0
    assert usage["input_tokens_details"] == {"cached_tokens": 0}
    assert usage["output_tokens_details"] == {"reasoning_tokens": 0}
    assert all(f.json["item_id"] == done["id"] for f in frames if f.event == "response.output_text.delta")


def test_ids_are_uuids_and_message_items_are_msg_prefixed(sim: SimServer) -> None:
    first, second = stream(sim, "Hello"), stream(sim, "Hello")

    for frames in (first, second):
        final = completed(frames)
        assert final["id"].startswith("resp_") and uuid.UUID(final["id"][5:])  # resp_<uuid> live, resp_<hex> OpenAI
        (item,) = final["output"]
        assert item["id"].startswith("msg_") and uuid.UUID(item["id"][4:])
    assert completed(first)["id"] != completed(second)["id"]


def test_non_streaming_answer_is_the_compact_json_response(sim: SimServer) -> None:
    response = post(sim, {"model": MODEL, "input": "Hello, please introduce yourself in one sentence."})

    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert list(body) == ["id", "created_at", "model", "object", "status", "output", "usage"]
    assert body["object"] == "response" and body["status"] == "completed" and body["model"] == MODEL
    assert isinstance(body["created_at"], float) and body["created_at"] == int(body["created_at"])
    assert "Qwen" in answer_text(body)


def test_stream_and_non_stream_give_the_same_answer(sim: SimServer) -> None:
    prompt = "Compare sorting algorithms in a table"

    assert streamed_text(stream(sim, prompt)) == answer_text(ask(sim, prompt))


def test_both_base_paths_answer_and_other_paths_do_not(sim: SimServer) -> None:
    assert "Qwen" in answer_text(ask(sim, "Hello", legacy=True))
    assert "Qwen" in answer_text(ask(sim, "Hello"))
    missing = httpx.post(f"{sim.origin}/v1/responses", json={"model": MODEL, "input": "Hello"})
    assert missing.status_code == 404
    wrong_method = httpx.get(f"{sim.base_url}/responses")
    assert wrong_method.status_code == 405


def test_requests_records_every_body_in_order(sim: SimServer) -> None:
    ask(sim, "first")
    stream(sim, "second", temperature=0.5)

    assert sim.requests == [
        {"model": MODEL, "input": "first"},
        {"model": MODEL, "input": "second", "stream": True, "temperature": 0.5},
    ]
