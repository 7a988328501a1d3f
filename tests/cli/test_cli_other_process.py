"""W11 through the real command: `ask -c` does not build on another process's answer while it streams."""

from __future__ import annotations

import signal

from cli_process import Cli, assert_one_clear_line, read_until


def test_ask_c_refuses_while_another_process_streams_into_the_conversation(cli: Cli, sim_factory) -> None:
    sim = sim_factory(speed=40, long_answer=400)  # ~10 s of streaming
    first = cli.start("ask", "write at length", base_url=sim.base_url)
    try:
        read_until(first, lambda data: len(data) > 200)  # the answer is streaming into conversation 1
        requests = len(sim.requests)
        done = cli.run("ask", "-c", "and then?", base_url=sim.base_url)
        assert done.returncode == 1
        assert_one_clear_line(done.stderr, "another qwen-tui", str(first.pid))
        assert len(sim.requests) == requests  # its half-written answer was not sent as context
    finally:
        first.send_signal(signal.SIGINT)
        first.wait(timeout=30)
    shown = cli.run("show", "1")
    assert "and then?" not in shown.stdout
    sim.long_answer = None  # a short answer from here on
    after = cli.run("ask", "-c", "and then?", base_url=sim.base_url)  # once it has ended, -c works
    assert after.returncode == 0, after.stderr
