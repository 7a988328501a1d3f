"""HTTP control endpoints (for a simulator in another process) and the standalone `python -m tui.sim`."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator

import httpx
import pytest
from sim_wire import AUTH, MODEL, answer_text, post

from tui.sim import SimServer

WEEK = 7 * 24 * 3600


def test_inject_over_http_queues_a_fault(sim: SimServer) -> None:
    reply = httpx.post(f"{sim.origin}/_sim/inject", json={"kind": "rate_limit", "times": 2, "retry_after": 7})

    assert reply.status_code == 200
    assert [post(sim, {"model": MODEL, "input": "Hi"}).headers.get("retry-after") for _ in range(3)] == ["7", "7", None]


def test_advance_over_http_expires_ids(sim: SimServer) -> None:
    first = post(sim, {"model": MODEL, "input": "My name is John."}).json()

    before = sim.clock.now()
    reply = httpx.post(f"{sim.origin}/_sim/advance", json={"seconds": WEEK + 1})
    assert reply.status_code == 200 and reply.json()["now"] >= before + WEEK + 1

    chained = post(sim, {"model": MODEL, "input": "Do you remember my name?", "previous_response_id": first["id"]})
    assert chained.json()["error"]["code"] == "previous_response_not_found"


def test_requests_over_http_lists_the_bodies_received(sim: SimServer) -> None:
    post(sim, {"model": MODEL, "input": "one"})
    post(sim, {"model": MODEL, "input": "two", "store": False})

    assert httpx.get(f"{sim.origin}/_sim/requests").json() == [
        {"model": MODEL, "input": "one"},
        {"model": MODEL, "input": "two", "store": False},
    ]


@pytest.mark.parametrize(
    ("path", "body"),
    [("/_sim/inject", {"kind": "explode"}), ("/_sim/inject", {}), ("/_sim/advance", {"seconds": -5}), ("/_sim/advance", {})],
)
def test_bad_control_requests_are_400_with_a_reason(sim: SimServer, path: str, body: dict) -> None:
    reply = httpx.post(f"{sim.origin}{path}", json=body)

    assert reply.status_code == 400
    assert reply.json()["error"]["message"].startswith("Bad control request")


@pytest.fixture
def standalone() -> Iterator[tuple[subprocess.Popen[str], str]]:
    process = subprocess.Popen(
        [sys.executable, "-m", "tui.sim", "--port", "0", "--long", "50"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        base_url = process.stdout.readline().strip()
        yield process, base_url
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_standalone_server_prints_its_base_url_and_answers(standalone: tuple[subprocess.Popen[str], str]) -> None:
    process, base_url = standalone
    assert base_url.startswith("http://127.0.0.1:") and base_url.endswith("/compatible-mode/v1")

    response = httpx.post(f"{base_url}/responses", json={"model": MODEL, "input": "Hi", "stream": True}, headers=AUTH, timeout=10)
    assert response.status_code == 200
    assert response.text.count("event:response.output_text.delta\n") == 50  # --long 50

    origin = base_url.removesuffix("/compatible-mode/v1")
    httpx.post(f"{origin}/_sim/inject", json={"kind": "server_error"})
    assert httpx.post(f"{base_url}/responses", json={"model": MODEL, "input": "Hi"}, headers=AUTH).status_code == 500
    assert [body["input"] for body in httpx.get(f"{origin}/_sim/requests").json()] == ["Hi", "Hi"]


def test_standalone_server_reports_a_busy_port_in_one_line() -> None:
    with SimServer() as busy:
        result = subprocess.run(
            [sys.executable, "-m", "tui.sim", "--port", str(busy.port)], capture_output=True, text=True, timeout=30
        )

    assert result.returncode == 1
    assert result.stderr.strip().count("\n") == 0 and "cannot listen on 127.0.0.1" in result.stderr
    assert "Traceback" not in result.stderr


def test_the_server_can_be_stopped_and_started_again_on_the_same_port() -> None:
    sim = SimServer().start()
    port = sim.port
    sim.stop()
    again = SimServer(port=port).start()
    try:
        assert again.port == port
        assert "Qwen" in answer_text(post(again, {"model": MODEL, "input": "Hello"}).json())
    finally:
        again.stop()
