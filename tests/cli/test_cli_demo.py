"""`--demo` streams at a human pace unless `--demo-speed` says otherwise; bad speeds are one clear line."""

from __future__ import annotations

import os
import selectors
import time

import pytest
from cli_process import PROCESS_TIMEOUT, Cli, assert_one_clear_line


def arrivals(cli: Cli, *args: str) -> tuple[list[float], str]:
    """When each piece of `ask`'s stdout arrived (seconds after the first), and the whole output."""
    process = cli.start(*args)
    assert process.stdout is not None
    selector = selectors.DefaultSelector()
    selector.register(process.stdout, selectors.EVENT_READ)
    times: list[float] = []
    output = b""
    try:
        while selector.select(PROCESS_TIMEOUT):
            chunk = os.read(process.stdout.fileno(), 65536)
            if not chunk:
                break
            times.append(time.monotonic())
            output += chunk
    finally:
        selector.close()
        assert process.wait(timeout=PROCESS_TIMEOUT) == 0
    return [moment - times[0] for moment in times], output.decode()


def test_demo_answers_arrive_a_few_words_at_a_time(cli: Cli) -> None:
    times, text = arrivals(cli, "--demo", "ask", "Tell me about the giant panda")

    words = len(text.split())
    assert text.startswith("## The giant panda")
    # at about 45 words/s the answer takes well over a second, in many pieces
    assert times[-1] >= words / 45 * 0.5 and len(times) > 10


def test_demo_speed_max_streams_the_same_answer_at_once(cli: Cli) -> None:
    times, text = arrivals(cli, "--demo", "--demo-speed", "max", "ask", "Tell me about the giant panda")
    paced_times, paced = arrivals(cli, "--demo", "--demo-speed", "4x", "ask", "Tell me about the giant panda")

    assert text == paced
    assert times[-1] < paced_times[-1]  # even 4x the demo pace spreads the words out; max does not


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (("--demo", "--demo-speed", "fast", "list"), "'fast' is not a speed"),
        (("--demo", "--demo-speed", "0", "list"), "greater than 0"),
        (("--demo-speed", "2x", "list"), "--demo-speed applies to --demo only"),
        (("-c", "list"), "qwen-tui ask -c"),
    ],
)
def test_misused_demo_speed_or_continue_is_one_clear_usage_error(cli: Cli, args: tuple[str, ...], fragment: str) -> None:
    done = cli.run(*args)
    assert done.returncode == 2
    assert_one_clear_line(done.stderr, fragment)
