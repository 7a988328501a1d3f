"""The real `qwen-tui --demo` in a real terminal (tmux, 100x30): type, watch the answer stream, quit."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from terminals import tmux, wait_for_screen

QWEN_TUI = Path(sys.executable).parent / "qwen-tui"

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")


def tmux_env(tmp_path: Path) -> dict[str, str]:
    """The environment of an app in tmux: config, data and state under tmp_path, a UTF-8 xterm."""
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "XDG_STATE_HOME": str(tmp_path / "state"),
        "TERM": "xterm-256color",
        "LANG": "C.UTF-8",
    }


def start_demo(tmp_path: Path, width: int, height: int, args: str = "") -> Path:
    """`qwen-tui --demo ARGS` in a detached tmux session "qt" of that size, in a clean home; its socket."""
    socket = tmp_path / "tmux.sock"
    env = tmux_env(tmp_path)
    command = f"{QWEN_TUI} --demo {args}; echo EXITED-$?; sleep 5"
    subprocess.run(
        ["tmux", "-S", str(socket), "-f", "/dev/null", "new-session", "-d", "-s", "qt", "-x", str(width),
         "-y", str(height), command],
        env=env, check=True, timeout=10,
    )
    return socket


def test_demo_in_tmux_streams_an_answer_and_quits(tmp_path: Path) -> None:
    assert QWEN_TUI.exists(), f"{QWEN_TUI} missing: install the project into the venv"
    socket = start_demo(tmp_path, 100, 30)
    try:
        wait_for_screen(socket, lambda s: "Ask Qwen" in s and "demo simulator" in s)
        time.sleep(0.5)  # let the app finish its start-up terminal queries before typing
        tmux("send-keys", "-t", "qt", "-l", "Tell me about terminal user interfaces", socket=socket)
        wait_for_screen(socket, lambda s: "Tell me about terminal user interfaces" in s)
        tmux("send-keys", "-t", "qt", "Enter", socket=socket)
        screen = wait_for_screen(socket, lambda s: "Qwen" in s and "terminal user interfaces" in s and " tok" in s)
        assert "You" in screen and "Tell me about terminal user interfaces" in screen
        tmux("send-keys", "-t", "qt", "C-q", socket=socket)
        screen = wait_for_screen(socket, lambda s: "EXITED-" in s, timeout=10)
        assert "EXITED-0" in screen and "Traceback" not in screen
    finally:
        subprocess.run(["tmux", "-S", str(socket), "kill-server"], capture_output=True, timeout=10)


def test_demo_in_tmux_alt_p_makes_the_chat_private(tmp_path: Path) -> None:
    """alt+p reaches the app through a real terminal (as ESC p) and the 80-column status line says "private"."""
    socket = start_demo(tmp_path, 80, 24, "--demo-speed max")
    try:
        wait_for_screen(socket, lambda s: "Ask Qwen" in s and "demo" in s)
        time.sleep(0.5)
        tmux("send-keys", "-t", "qt", "-l", "Hello there", socket=socket)
        tmux("send-keys", "-t", "qt", "Enter", socket=socket)

        def status(screen: str) -> str:  # the line above the footer (at 80 columns it leaves out the endpoint)
            lines = screen.rstrip("\n").splitlines()
            return lines[-2] if len(lines) >= 2 else ""

        wait_for_screen(socket, lambda s: "est." in status(s) and "ctx " in status(s), timeout=30)
        tmux("send-keys", "-t", "qt", "M-p", socket=socket)
        screen = wait_for_screen(socket, lambda s: "private" in status(s))
        assert "ctx " not in status(screen)
        tmux("send-keys", "-t", "qt", "C-q", socket=socket)
        assert "EXITED-0" in wait_for_screen(socket, lambda s: "EXITED-" in s, timeout=10)
    finally:
        subprocess.run(["tmux", "-S", str(socket), "kill-server"], capture_output=True, timeout=10)


#: The same environment under the name the image tests use.
demo_env = tmux_env
