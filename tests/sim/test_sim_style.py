"""The simulator answers like the live DashScope service by default (live-service-audit B1-B3, B9),
and like OpenAI's Responses API with `style="openai"` / `qwen-tui sim --style openai`."""

from __future__ import annotations

import subprocess
import sys
import time
import uuid
from collections.abc import Callable

import httpx
import pytest
from sim_wire import AUTH, MODEL, answer_text, ask, parse_frames, post, stream

from tui.sim import SimServer

LONG_PROMPT = "Please remember these notes. " + "The quick brown fox jumps over the lazy dog. " * 120


@pytest.fixture
def live(sim_factory: Callable[..., SimServer]) -> SimServer:
    return sim_factory(style="live")


@pytest.mark.parametrize(
    ("code", "status"),
    [
        ("InvalidParameter", 400),
        ("InvalidApiKey", 401),
        ("Throttling.RateQuota", 429),
        ("Throttling.AllocationQuota", 429),
        ("Arrearage", 400),
        ("DataInspectionFailed", 400),
        ("ModelNotFound", 404),
    ],
)
def test_live_errors_are_flat_with_the_documented_codes(live: SimServer, code: str, status: int) -> None:
    live.inject("refuse", code=code)
    reply = post(live, {"model": MODEL, "input": "hi"})
    body = reply.json()
    assert reply.status_code == status
    assert set(body) == {"code", "message", "request_id"} and body["code"] == code and body["message"]
    assert body["request_id"] == reply.headers["x-request-id"]


def test_openai_style_keeps_the_envelope(sim_factory: Callable[..., SimServer]) -> None:
    sim = sim_factory(style="openai")
    sim.inject("refuse", code="Throttling.AllocationQuota")
    body = post(sim, {"model": MODEL, "input": "hi"}).json()
    assert body["error"]["code"] == "insufficient_quota" and body["error"]["message"]


def test_live_ids_are_resp_uuids(live: SimServer) -> None:
    first, second = ask(live, "hi"), ask(live, "hi")
    for response in (first, second):
        assert response["id"].startswith("resp_") and uuid.UUID(response["id"][5:]).version == 4
    assert first["id"] != second["id"]


def test_a_lost_previous_id_is_200_plus_failed_when_streamed_and_400_when_not(live: SimServer) -> None:
    frames = stream(live, "Do you remember my name?", previous_response_id="resp_gone")
    assert [f.event for f in frames] == ["response.failed"]
    failed = frames[0].json["response"]
    assert "id" not in failed  # the refused request never became a response (B3)
    assert failed["error"] == {"code": "InvalidParameter", "message": "Not found previous_response_id: resp_gone"}
    reply = post(live, {"model": MODEL, "input": "hi", "previous_response_id": "resp_gone"})
    assert reply.status_code == 400 and reply.json()["message"] == "Not found previous_response_id: resp_gone"


def test_unknown_models_are_model_not_found_when_the_served_set_is_given(sim_factory: Callable[..., SimServer]) -> None:
    sim = sim_factory(style="live", models=frozenset({MODEL}))
    frames = stream(sim, "hi", model="qwen-nonesuch")
    assert frames[0].json["response"]["error"]["code"] == "ModelNotFound"
    assert "qwen-nonesuch" in frames[0].json["response"]["error"]["message"]


@pytest.mark.parametrize(("legacy", "spelling"), [(False, "reasoning_text"), (True, "reasoning_summary_text")])
def test_live_reasoning_spelling_depends_on_the_path(live: SimServer, legacy: bool, spelling: str) -> None:
    kinds = [f.event for f in stream(live, "What is Rust?", legacy=legacy, enable_thinking=True)]
    assert f"response.{spelling}.delta" in kinds and f"response.{spelling}.done" in kinds
    other = "reasoning_summary_text" if spelling == "reasoning_text" else "reasoning_text"
    assert f"response.{other}.delta" not in kinds


def test_max_output_tokens_gives_an_incomplete_response(live: SimServer) -> None:
    frames = stream(live, "Explain streaming in detail", max_output_tokens=16)
    final = frames[-1]
    assert final.event == "response.incomplete"
    assert final.json["response"]["incomplete_details"] == {"reason": "max_output_tokens"}
    assert len("".join(f.json["delta"] for f in frames if f.event == "response.output_text.delta")) <= 16 * 4
    whole = stream(live, "Explain streaming in detail")
    assert whole[-1].event == "response.completed"


@pytest.mark.parametrize("kind", ["fail", "error_event"])
def test_mid_stream_failures(live: SimServer, kind: str) -> None:
    live.inject(kind, after_deltas=2)
    frames = stream(live, "What is Rust?")
    assert sum(f.event == "response.output_text.delta" for f in frames) == 2
    if kind == "fail":
        assert frames[-1].event == "response.failed" and frames[-1].json["response"]["error"]["code"] == "InternalError"
        assert frames[-1].json["response"]["id"] == frames[0].json["response"]["id"]
    else:
        assert frames[-1].event == "error" and frames[-1].json["code"] == "InternalError"


def test_a_silent_tool_run_sends_nothing_between_added_and_done(live: SimServer) -> None:
    live.inject("silent_tool", seconds=0.6)
    gaps: list[tuple[str, float]] = []
    last = time.monotonic()
    with httpx.stream("POST", live.base_url + "/responses", headers=AUTH, timeout=10,
                      json={"model": MODEL, "input": "What is Rust?", "stream": True}) as reply:
        body = b""
        for chunk in reply.iter_bytes():
            now = time.monotonic()
            gaps.append((chunk.decode(errors="replace"), now - last))
            last, body = now, body + chunk
    kinds = [f.event for f in parse_frames(body)]
    added = kinds.index("response.output_item.added")
    assert parse_frames(body)[added].json["item"]["type"] == "web_extractor_call"
    assert kinds[added + 1] == "response.output_item.done"  # no event in between
    assert max(gap for _, gap in gaps) >= 0.5


def test_stored_responses_can_be_read_and_deleted(live: SimServer) -> None:
    first = ask(live, "My name is John.")
    url = f"{live.base_url}/responses/{first['id']}"
    got = httpx.get(url, headers=AUTH)
    assert got.status_code == 200 and got.json()["id"] == first["id"] and answer_text(got.json())
    deleted = httpx.delete(url, headers=AUTH)
    assert deleted.json() == {"id": first["id"], "object": "response", "deleted": True}
    assert httpx.get(url, headers=AUTH).json()["code"] == "NotFound"
    assert httpx.delete(url, headers=AUTH).status_code == 404
    chained = post(live, {"model": MODEL, "input": "Who am I?", "previous_response_id": first["id"]})
    assert chained.status_code == 400  # a deleted response cannot be continued


def test_the_session_cache_header_gives_cached_tokens_on_later_turns(live: SimServer) -> None:
    header = {**AUTH, "x-dashscope-session-cache": "enable"}
    first = post(live, {"model": MODEL, "input": LONG_PROMPT}, headers=header).json()
    assert first["usage"]["input_tokens_details"]["cached_tokens"] == 0
    second = post(live, {"model": MODEL, "input": "And now?", "previous_response_id": first["id"]}, headers=header).json()
    cached = second["usage"]["input_tokens_details"]["cached_tokens"]
    assert 1024 <= cached < second["usage"]["input_tokens"]
    uncached = post(live, {"model": MODEL, "input": "And now?", "previous_response_id": first["id"]}).json()
    assert uncached["usage"]["input_tokens_details"]["cached_tokens"] == 0


def test_qwen_tui_sim_style_openai_from_the_command_line() -> None:
    process = subprocess.Popen([sys.executable, "-m", "tui", "sim", "--port", "0", "--style", "openai"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        base_url = process.stdout.readline().strip()
        assert base_url.startswith("http://127.0.0.1:")
        reply = httpx.post(base_url + "/responses", headers=AUTH, json={"model": MODEL, "input": "hi", "previous_response_id": "x"})
        assert reply.json()["error"]["code"] == "previous_response_not_found"
    finally:
        process.terminate()
        process.wait(timeout=10)

