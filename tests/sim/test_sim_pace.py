"""The demo's human pace, measured over loopback: a thinking pause, tools that take a moment, words
spread over time; only lower bounds on time (a loaded machine can only make things slower)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable

import httpx
import pytest
from sim_wire import AUTH, MODEL, parse_frames, streamed_text

from tui.sim import SimServer
from tui.sim.pace import DEMO_PACE, HumanPace, parse_demo_speed


def timed_stream(sim: SimServer, prompt: str, **fields: object) -> tuple[list[tuple[float, str]], bytes, list[int]]:
    """(seconds since the request, event name) for every event as it arrived, the whole body, and the
    number of the read that brought each text delta."""
    body = {"model": MODEL, "input": prompt, "stream": True, **fields}
    arrivals: list[tuple[float, str]] = []
    delta_reads: list[int] = []
    raw = b""
    start = time.monotonic()
    with httpx.stream("POST", f"{sim.base_url}/responses", json=body, headers=AUTH, timeout=30) as response:
        for read, chunk in enumerate(response.iter_bytes()):
            now = time.monotonic() - start
            raw += chunk
            events = [line.split(":", 1)[1] for line in chunk.decode().splitlines() if line.startswith("event:")]
            arrivals += [(now, event) for event in events]
            delta_reads += [read for event in events if event == "response.output_text.delta"]
    return arrivals, raw, delta_reads


#: Twice the demo's pace keeps the test short; every pause halves, and nothing else changes.
FAST_DEMO = DEMO_PACE.scaled(2)


def test_the_demo_pace_pauses_to_think_then_spreads_the_words_over_time(sim_factory: Callable[..., SimServer]) -> None:
    paced, instant = sim_factory(pace=FAST_DEMO), sim_factory()
    prompt = "Tell me about the giant panda"

    arrivals, raw, reads = timed_stream(paced, prompt)
    deltas = [at for at, event in arrivals if event == "response.output_text.delta"]
    created = next(at for at, event in arrivals if event == "response.created")
    words = len(streamed_text(parse_frames(raw)).split())

    # the first words come only after the thinking pause, and the answer takes about words / speed
    assert deltas[0] - created >= FAST_DEMO.thinking_seconds * 0.9
    assert deltas[-1] - deltas[0] >= words / FAST_DEMO.words_per_second * (1 - FAST_DEMO.jitter) * 0.9
    # the deltas arrived one by one, not in one burst
    assert len(set(reads)) > len(deltas) // 2
    # and it is the same answer the instant simulator gives
    fast = parse_frames(httpx.post(f"{instant.base_url}/responses", json={"model": MODEL, "input": prompt, "stream": True},
                                   headers=AUTH, timeout=30).content)
    assert streamed_text(parse_frames(raw)) == streamed_text(fast)


def test_a_web_search_takes_a_moment_at_the_demo_pace(sim_factory: Callable[..., SimServer]) -> None:
    sim = sim_factory(pace=FAST_DEMO)

    arrivals, _, _ = timed_stream(sim, "What is the latest news about Qwen?", tools=[{"type": "web_search"}])
    at = {event: moment for moment, event in reversed(arrivals)}  # first arrival of each event

    assert at["response.web_search_call.completed"] - at["response.web_search_call.searching"] >= FAST_DEMO.tool_seconds * 0.9
    assert at["response.output_text.delta"] > at["response.web_search_call.completed"]


def test_without_a_pace_the_simulator_stays_instant_for_tests_and_benches(sim: SimServer) -> None:
    assert sim.pace is None and sim.speed is None
    _, _, reads = timed_stream(sim, "Tell me about the giant panda")
    # the whole answer in one write: the deltas came in one or two reads (TCP may split a write)
    assert len(reads) > 20 and len(set(reads)) <= 2


def test_a_pace_wins_over_a_steady_speed_and_can_be_switched_off(sim_factory: Callable[..., SimServer]) -> None:
    sim = sim_factory(speed=10_000, pace=HumanPace(thinking_seconds=0.4, words_per_second=10_000))
    arrivals, _, _ = timed_stream(sim, "hello")
    created = next(at for at, event in arrivals if event == "response.created")
    assert next(at for at, event in arrivals if event == "response.output_text.delta") - created >= 0.35

    sim.pace = None
    arrivals, _, _ = timed_stream(sim, "hello")
    created = next(at for at, event in arrivals if event == "response.created")
    assert next(at for at, event in arrivals if event == "response.output_text.delta") - created < 0.35


def test_the_same_answer_gets_the_same_delays() -> None:
    events = [("response.output_item.added", "{}")] + [
        ("response.output_text.delta", f'{{"delta":"word {n} and"}}') for n in range(20)
    ]

    first, again, other = (DEMO_PACE.pacer(seed) for seed in (7, 7, 8))
    delays = [first(*event) for event in events]
    assert delays == [again(*event) for event in events] != [other(*event) for event in events]
    assert delays[0] == DEMO_PACE.thinking_seconds
    # three words each, at 45 words/s with up to 35% jitter either way
    assert all(3 / 45 * 0.65 <= delay <= 3 / 45 * 1.35 for delay in delays[1:])
    assert len(set(delays[1:])) > 10


@pytest.mark.parametrize(
    ("text", "words_per_second"),
    [("2x", 90.0), ("0.5x", 22.5), ("3X", 135.0), ("80", 80.0), (" 45 ", 45.0)],
)
def test_demo_speed_is_a_factor_or_words_per_second(text: str, words_per_second: float) -> None:
    pace = parse_demo_speed(text)
    assert pace is not None and pace.words_per_second == pytest.approx(words_per_second)
    factor = words_per_second / DEMO_PACE.words_per_second
    assert pace.thinking_seconds == pytest.approx(DEMO_PACE.thinking_seconds / factor)


def test_demo_speed_max_means_at_once() -> None:
    assert parse_demo_speed("max") is None and parse_demo_speed("MAX") is None


@pytest.mark.parametrize("text", ["fast", "0", "-2", "0x", "nan", "inf", "", "x"])
def test_a_demo_speed_that_is_not_a_speed_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="speed"):
        parse_demo_speed(text)


def test_chat_completions_streams_at_the_same_pace_as_the_responses_api(sim_factory: Callable[..., SimServer]) -> None:
    """Models served through /chat/completions stream at the demo's pace (and `--speed`) too."""
    sim = sim_factory(pace=FAST_DEMO)
    body = {"model": "qwen-plus", "messages": [{"role": "user", "content": "Tell me about the giant panda"}], "stream": True}
    arrivals: list[float] = []
    text = ""
    start = time.monotonic()
    with httpx.stream("POST", f"{sim.base_url}/chat/completions", json=body, headers=AUTH, timeout=30) as response:
        for line in response.iter_lines():
            if line.startswith("data: {"):
                delta = (json.loads(line[6:])["choices"] or [{}])[0].get("delta", {})
                if delta.get("content"):
                    arrivals.append(time.monotonic() - start)
                    text += delta["content"]
    words = len(text.split())
    assert arrivals[0] >= FAST_DEMO.thinking_seconds * 0.9
    assert arrivals[-1] - arrivals[0] >= words / FAST_DEMO.words_per_second * (1 - FAST_DEMO.jitter) * 0.9


def test_chat_completions_serve_the_long_answer_at_a_steady_speed(sim_factory: Callable[..., SimServer]) -> None:
    sim = sim_factory(speed=200, long_answer=100)
    body = {"model": "qwen-plus", "messages": [{"role": "user", "content": "long please"}], "stream": True}
    start = time.monotonic()
    with httpx.stream("POST", f"{sim.base_url}/chat/completions", json=body, headers=AUTH, timeout=30) as response:
        chunks = [line for line in response.iter_lines() if '"content":"' in line]
    assert len(chunks) >= 100 and time.monotonic() - start >= 100 / 200 * 0.9
