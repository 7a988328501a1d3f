"""The real `qwen-tui --demo` in tmux: a hostile bracketed paste stays text, and input survives the
"too small" notice (issue 13: D1, D2, W7)."""

from __future__ import annotations

import sqlite3
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_app_tmux import pytestmark, start_demo, tmux, wait_for_screen

__all__ = ["pytestmark"]


@pytest.fixture
def app_in_tmux(tmp_path: Path) -> Iterator[Path]:
    """`qwen-tui --demo` in a 120x40 tmux session "qt"; yields the tmux socket."""
    socket = start_demo(tmp_path, 120, 40)
    try:
        wait_for_screen(socket, lambda s: "Ask Qwen" in s and "demo simulator" in s)
        yield socket
    finally:
        subprocess.run(["tmux", "-S", str(socket), "kill-server"], capture_output=True, timeout=10)


def stored_user_messages(tmp_path: Path) -> list[str]:
    with sqlite3.connect(tmp_path / "data" / "qwen-tui" / "demo.db") as db:
        return [row[0] for row in db.execute("SELECT content FROM messages WHERE role = 'user' ORDER BY id")]


def test_a_bracketed_paste_with_escapes_lands_whole_and_sends_nothing(app_in_tmux: Path, tmp_path: Path) -> None:
    socket = app_in_tmux
    pasted = tmp_path / "paste.txt"
    # tmux pastes each newline as CR (as a terminal does): in the old app that CR pressed Enter.
    pasted.write_bytes(b"one\x1b[2Jtwo\nthree\x02four\x1b]0;owned\x07five\nsix")
    tmux("load-buffer", "-b", "p", str(pasted), socket=socket)
    tmux("paste-buffer", "-p", "-b", "p", "-t", "qt", socket=socket)  # -p: as a bracketed paste
    screen = wait_for_screen(socket, lambda s: "six" in s)
    time.sleep(1.0)  # anything the paste wrongly triggered (a send, a toggle) has happened by now
    screen = tmux("capture-pane", "-p", "-t", "qt", socket=socket)
    assert "one␛[2Jtwo" in screen and "three␂four␛]0;owned␇five" in screen
    assert "Search chats" in screen, "the side panel is still there (no pasted ctrl+b, no clear-screen)"
    assert stored_user_messages(tmp_path) == [], "nothing was sent by the paste"
    tmux("send-keys", "-t", "qt", "Enter", socket=socket)
    wait_for_screen(socket, lambda s: " tok" in s)
    sent = stored_user_messages(tmp_path)
    assert sent == ["one␛[2Jtwo\nthree␂four␛]0;owned␇five\nsix"]
    assert "\x1b" not in sent[0]


def test_input_waits_out_the_too_small_notice_and_returns_to_the_composer(app_in_tmux: Path, tmp_path: Path) -> None:
    socket = app_in_tmux
    tmux("send-keys", "-t", "qt", "-l", "abc", socket=socket)
    wait_for_screen(socket, lambda s: "abc" in s)
    tmux("resize-window", "-t", "qt", "-x", "50", "-y", "12", socket=socket)
    wait_for_screen(socket, lambda s: "too small" in s)
    tmux("send-keys", "-t", "qt", "-l", "typed while tiny", socket=socket)
    tmux("send-keys", "-t", "qt", "Enter", socket=socket)
    time.sleep(1.0)
    tmux("resize-window", "-t", "qt", "-x", "120", "-y", "40", socket=socket)
    wait_for_screen(socket, lambda s: "Ask Qwen" in s or "abc" in s)
    screen = tmux("capture-pane", "-p", "-t", "qt", socket=socket)
    assert "typed while tiny" not in screen and "abc" in screen
    tmux("send-keys", "-t", "qt", "-l", "def", socket=socket)
    tmux("send-keys", "-t", "qt", "Enter", socket=socket)
    wait_for_screen(socket, lambda s: " tok" in s)
    assert stored_user_messages(tmp_path) == ["abcdef"]
