"""Auth, request errors and injected faults, seen from a plain httpx client over loopback."""

from __future__ import annotations

import json
from collections.abc import Callable

import httpx
import pytest
from sim_wire import AUTH, MODEL, Frame, answer_text, ask, parse_frames, post, stream, streamed_text

from tui.sim import SimServer

BODY = {"model": MODEL, "input": "Please briefly introduce artificial intelligence.", "stream": True}


def read_until_failure(sim: SimServer, *, timeout: float = 10) -> tuple[bytes, Exception | None]:
    """Read a stream chunk by chunk; return what arrived and the error that ended it (None if it ended cleanly)."""
    received = b""
    try:
        with httpx.stream("POST", f"{sim.base_url}/responses", json=BODY, headers=AUTH, timeout=timeout) as response:
            assert response.status_code == 200
            for chunk in response.iter_raw():
                received += chunk
    except (httpx.RemoteProtocolError, httpx.ReadError, httpx.ReadTimeout) as exc:
        return received, exc
    return received, None


def complete_frames(received: bytes) -> list[Frame]:
    """The whole blocks among bytes received before a failure."""
    return parse_frames(received[: received.rfind(b"\n\n") + 2]) if b"\n\n" in received else []


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer"}, {"Authorization": "Basic c2stdGVzdA=="}])
def test_a_missing_key_is_401_with_an_error_envelope(sim: SimServer, headers: dict) -> None:
    response = post(sim, {"model": MODEL, "input": "Hi"}, headers=headers)

    assert response.status_code == 401
    error = response.json()["error"]
    assert error["code"] == "invalid_api_key" and error["type"] == "invalid_request_error"
    assert error["message"].startswith("Incorrect API key provided.")
    assert response.json()["request_id"] == response.headers["x-request-id"]


def test_a_server_with_a_key_refuses_any_other(sim_factory: Callable[..., SimServer]) -> None:
    sim = sim_factory(api_key="sk-right")

    assert post(sim, {"model": MODEL, "input": "Hi"}, headers={"Authorization": "Bearer sk-wrong"}).status_code == 401
    assert post(sim, {"model": MODEL, "input": "Hi"}, headers={"Authorization": "Bearer sk-right"}).status_code == 200


@pytest.mark.parametrize(
    ("body", "param"),
    [({"input": "Hi"}, "model"), ({"model": "", "input": "Hi"}, "model"), ({"model": MODEL}, "input"), ({"model": MODEL, "input": []}, "input")],
)
def test_a_missing_model_or_input_is_400(sim: SimServer, body: dict, param: str) -> None:
    response = post(sim, body)

    assert response.status_code == 400
    assert response.json()["error"]["param"] == param
    assert response.json()["error"]["type"] == "invalid_request_error"


def test_a_body_that_is_not_json_is_400(sim: SimServer) -> None:
    response = httpx.post(f"{sim.base_url}/responses", content=b"{not json", headers=AUTH)

    assert response.status_code == 400
    assert "JSON" in response.json()["error"]["message"]


def test_rate_limit_is_429_with_retry_after_for_as_many_requests_as_asked(sim: SimServer) -> None:
    sim.inject("rate_limit", times=2, retry_after=3)

    for _ in range(2):
        response = post(sim, BODY)
        assert response.status_code == 429
        assert response.headers["retry-after"] == "3"
        assert response.json()["error"]["code"] == "limit_requests"
    assert post(sim, BODY).status_code == 200


def test_server_error_is_500_once(sim: SimServer) -> None:
    sim.inject("server_error")

    first = post(sim, {"model": MODEL, "input": "Hi"})
    assert first.status_code == 500 and first.json()["error"]["type"] == "internal_error"
    assert post(sim, {"model": MODEL, "input": "Hi"}).status_code == 200


def test_faults_hit_requests_in_the_order_they_were_queued(sim: SimServer) -> None:
    sim.inject("rate_limit", retry_after=0.5)
    sim.inject("server_error", times=2)

    statuses = [post(sim, {"model": MODEL, "input": "Hi"}).status_code for _ in range(4)]
    assert statuses == [429, 500, 500, 200]
    assert post(sim, BODY).headers.get("retry-after") is None


def test_a_bad_key_does_not_use_up_a_queued_fault(sim: SimServer) -> None:
    sim.inject("server_error")

    assert post(sim, {"model": MODEL, "input": "Hi"}, headers={}).status_code == 401
    assert post(sim, {"model": MODEL, "input": "Hi"}).status_code == 500


def test_drop_cuts_the_connection_after_n_deltas(sim: SimServer) -> None:
    sim.inject("drop", after_deltas=3)

    received, error = read_until_failure(sim)

    assert isinstance(error, httpx.RemoteProtocolError)  # the chunked body never ended
    frames = complete_frames(received)
    assert [f.event for f in frames].count("response.output_text.delta") == 3
    assert frames[-1].event == "response.output_text.delta"
    assert not received.endswith(b"0\r\n\r\n")
    # the dropped answer never completed, so it cannot be continued; the next request is healthy
    response_id = frames[0].json["response"]["id"]
    chained = post(sim, {"model": MODEL, "input": "go on", "previous_response_id": response_id})
    assert chained.json()["error"]["code"] == "previous_response_not_found"
    assert read_until_failure(sim)[1] is None


def test_drop_of_a_non_streaming_answer_leaves_a_truncated_body(sim: SimServer) -> None:
    sim.inject("drop")

    with pytest.raises(httpx.RemoteProtocolError):
        post(sim, {"model": MODEL, "input": "Hi"})


def test_stall_stops_sending_mid_stream(sim: SimServer) -> None:
    sim.inject("stall", after_deltas=2, seconds=30)

    received, error = read_until_failure(sim, timeout=1.0)  # the stall is 30 s; 1 s of silence proves it

    assert isinstance(error, httpx.ReadTimeout)
    kinds = [f.event for f in complete_frames(received)]
    assert kinds.count("response.output_text.delta") == 2 and kinds[-1] == "response.output_text.delta"


def test_a_short_stall_resumes_and_completes(sim: SimServer) -> None:
    sim.inject("stall", after_deltas=1, seconds=0.2)

    frames = stream(sim, BODY["input"])

    assert frames[-1].event == "response.completed"
    assert streamed_text(frames) == answer_text(frames[-1].json["response"])


def test_stall_of_a_non_streaming_answer_times_the_client_out(sim: SimServer) -> None:
    sim.inject("stall", seconds=30)

    with pytest.raises(httpx.ReadTimeout):
        post(sim, {"model": MODEL, "input": "Hi"}, timeout=0.5)


def test_malformed_breaks_the_data_line_after_n_deltas(sim: SimServer) -> None:
    sim.inject("malformed", after_deltas=2)

    frames = stream(sim, BODY["input"])

    broken = [f for f in frames if f.json is None]
    assert len(broken) == 1
    (index,) = [i for i, f in enumerate(frames) if f.json is None]
    assert [f.event for f in frames[:index]].count("response.output_text.delta") == 2
    assert broken[0].event == "response.output_text.delta" and broken[0].data.startswith('{"content_index":0')
    with pytest.raises(ValueError):
        json.loads(broken[0].data)
    assert frames[-1].event == "response.completed"  # the server carries on; the client decides what to do


def test_malformed_non_streaming_body_is_not_json(sim: SimServer) -> None:
    sim.inject("malformed")

    response = post(sim, {"model": MODEL, "input": "Hi"})
    assert response.status_code == 200
    with pytest.raises(ValueError):
        response.json()
    assert ask(sim, "Hi")["status"] == "completed"


def test_unknown_fault_kinds_are_refused(sim: SimServer) -> None:
    with pytest.raises(ValueError, match="unknown fault kind"):
        sim.inject("explode")


def test_a_rejected_request_does_not_use_up_a_stream_fault(sim: SimServer) -> None:
    sim.inject("drop", after_deltas=1)

    assert post(sim, {"model": MODEL, "input": "Hi", "previous_response_id": "gone"}).status_code == 400
    received, error = read_until_failure(sim)
    assert isinstance(error, httpx.RemoteProtocolError)
    assert [f.event for f in complete_frames(received)].count("response.output_text.delta") == 1
