"""The real app on a pty, sent SIGTERM or SIGHUP mid-answer, or left by its terminal (issue 13, W4):
the partial answer is stored as cancelled and the terminal restored; a lost terminal ends the app."""

from __future__ import annotations

import os
import select
import signal
import sqlite3
import sys
import time

import pytest
from cli_process import PROCESS_TIMEOUT, Cli
from test_cli_app import Terminal

#: What leaving the app must write last: alternate screen off, cursor on, mouse tracking off.
RESTORE = (b"\x1b[?1049l", b"\x1b[?25h", b"\x1b[?1000l")


def demo_env(cli: Cli) -> dict[str, str]:
    return {name: value for name, value in cli.env.items() if name != "DASHSCOPE_API_KEY"}


def answers(cli: Cli) -> list[tuple[str, str]]:
    """(status, content) of every stored answer in the demo database."""
    with sqlite3.connect(cli.root / "data" / "qwen-tui" / "demo.db") as db:
        return list(db.execute("SELECT status, content FROM messages WHERE role = 'assistant' ORDER BY id"))


def drain(terminal: Terminal) -> bytes:
    """What the app wrote until it exited (and is still in the pty's buffer)."""
    while select.select([terminal.master], [], [], 0.2)[0]:
        try:
            chunk = os.read(terminal.master, 65536)
        except OSError:  # EIO: the other side is closed and everything was read
            break
        if not chunk:
            break
        terminal.output += chunk
    return terminal.output


def start_answer(terminal: Terminal) -> None:
    """Ask the demo something with a long answer and wait until part of it is on the screen."""
    terminal.wait_for("demo simulator")
    time.sleep(0.5)  # the start-up terminal queries are answered
    terminal.type("Tell me about terminal user interfaces")
    terminal.wait_for("terminal user interfaces")
    terminal.type("\r")
    terminal.wait_for("Terminal")  # the answer has started streaming (the demo is paced like a person)


@pytest.mark.parametrize("number", [signal.SIGTERM, signal.SIGHUP])
def test_a_signal_mid_answer_keeps_it_as_cancelled_and_restores_the_terminal(cli: Cli, number: int) -> None:
    with Terminal([sys.executable, "-m", "tui", "--demo"], demo_env(cli)) as terminal:
        start_answer(terminal)
        terminal.output = b""
        terminal.process.send_signal(number)
        code = terminal.process.wait(timeout=PROCESS_TIMEOUT)
        written = drain(terminal)
    terminal.close()
    assert code == 128 + number
    tail = written[-200:]
    assert all(sequence in tail for sequence in RESTORE), tail
    stored = answers(cli)
    assert len(stored) == 1 and stored[0][0] == "cancelled" and stored[0][1], stored


def test_an_app_whose_terminal_has_gone_exits_even_with_sighup_ignored(cli: Cli) -> None:
    command = f"trap '' HUP; exec {sys.executable} -m tui --demo"  # as under nohup
    terminal = Terminal(["/bin/sh", "-c", command], demo_env(cli))
    try:
        start_answer(terminal)
    except BaseException:
        terminal.close(kill=True)
        raise
    os.close(terminal.master)  # the terminal window is closed
    try:
        code = terminal.process.wait(timeout=15)
    except BaseException:
        terminal.process.kill()
        terminal.process.wait()
        raise
    assert code == 128 + signal.SIGHUP
    stored = answers(cli)
    assert len(stored) == 1 and stored[0][0] == "cancelled" and stored[0][1], stored
