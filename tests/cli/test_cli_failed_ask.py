"""W8: an `ask` that fails before any answer starts leaves nothing behind in the history."""

from __future__ import annotations

import json

import pytest
from cli_process import Cli


def _history(cli: Cli) -> list[str]:
    done = cli.run("list")
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines()


def _transcript(cli: Cli, conversation_id: int) -> list[tuple[str, str]]:
    done = cli.run("export", str(conversation_id), "--format", "json")
    assert done.returncode == 0, done.stderr
    document = json.loads(done.stdout)
    return [(message["role"], message["content"]) for message in document["messages"]]


@pytest.mark.parametrize("fault", ["rejected key", "server failing after retries", "bad url"])
def test_a_failed_first_question_leaves_no_conversation(cli: Cli, sim_factory, fault: str) -> None:
    sim = sim_factory(api_key="sk-the-right-key-0000" if fault == "rejected key" else None)
    base_url = sim.base_url
    if fault == "server failing after retries":
        sim.inject("server_error", times=10)
    if fault == "bad url":
        base_url = "ftp://127.0.0.1:9/v1"
    done = cli.run("ask", "hi", base_url=base_url)
    assert done.returncode == 1
    assert "error:" in done.stderr
    assert _history(cli) == []


def test_a_failed_follow_up_is_dropped_and_the_conversation_goes_on(cli: Cli, sim) -> None:
    first = cli.run("ask", "My name is Ada.", base_url=sim.base_url)
    assert first.returncode == 0, first.stderr
    before = _transcript(cli, 1)
    sim.inject("server_error", times=3)  # the first try and both retries
    failed = cli.run("ask", "-c", "what is my name?", base_url=sim.base_url)
    assert failed.returncode == 1
    assert _transcript(cli, 1) == before  # no unanswered question, no [failed] answer
    again = cli.run("ask", "-c", "what is my name?", base_url=sim.base_url)
    assert again.returncode == 0, again.stderr
    assert "Ada" in again.stdout
    assert sim.requests[-1].get("previous_response_id")  # chained on the last good answer, as if nothing failed
    assert [role for role, _ in _transcript(cli, 1)] == ["user", "assistant", "user", "assistant"]


def test_a_failure_after_the_answer_started_keeps_what_arrived(cli: Cli, sim) -> None:
    sim.inject("drop", after_deltas=3)
    done = cli.run("ask", "hello", base_url=sim.base_url)
    assert done.returncode == 1
    assert len(_history(cli)) == 1
    (question, answer) = _transcript(cli, 1)
    assert question == ("user", "hello") and answer[1]
