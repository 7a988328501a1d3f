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


def test_demo_in_tmux_streams_an_answer_and_quits(tmp_path: Path) -> None:
    assert QWEN_TUI.exists(), f"{QWEN_TUI} missing: install the project into the venv"
    socket = tmp_path / "tmux.sock"
    env = tmux_env(tmp_path)
    command = f"{QWEN_TUI} --demo; echo EXITED-$?; sleep 5"
    subprocess.run(
        ["tmux", "-S", str(socket), "-f", "/dev/null", "new-session", "-d", "-s", "qt", "-x", "100", "-y", "30",
         command],
        env=env, check=True, timeout=10,
    )
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


#: The same environment under the name the image tests use.
demo_env = tmux_env
