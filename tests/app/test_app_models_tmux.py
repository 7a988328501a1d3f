"""The real `qwen-tui --demo` in tmux (100x30): F6 picks a model, a pasted path (bracketed paste, as a
file dragged onto the terminal) becomes an image chip, and the image reaches the simulator."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from test_app_models import png_file
from test_app_tmux import start_demo, tmux, wait_for_screen

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")


def test_f6_picks_a_vision_model_and_a_pasted_path_is_sent_as_an_image(tmp_path: Path) -> None:
    picture = png_file(tmp_path / "my cat.png", 40, 30)
    socket = start_demo(tmp_path, 100, 30, "--demo --demo-speed max")
    try:
        wait_for_screen(socket, lambda s: "Ask Qwen" in s and "demo simulator" in s)
        tmux("send-keys", "-t", "qt", "F6", socket=socket)
        wait_for_screen(socket, lambda s: "Models · prices in" in s and "window" in s)
        tmux("send-keys", "-t", "qt", "-l", "qwen3-vl-plus", socket=socket)
        wait_for_screen(socket, lambda s: "Qwen3 VL Plus" in s)
        tmux("send-keys", "-t", "qt", "Enter", socket=socket)
        wait_for_screen(socket, lambda s: "Models · prices in" not in s and "qwen3-vl-plus" in s)
        tmux("set-buffer", "--", f"'{picture}'", socket=socket)
        tmux("paste-buffer", "-p", "-t", "qt", socket=socket)  # bracketed, as a terminal pastes a dragged file
        wait_for_screen(socket, lambda s: "my cat.png · " in s and "40×30" in s)
        tmux("send-keys", "-t", "qt", "-l", "What is this?", socket=socket)
        tmux("send-keys", "-t", "qt", "Enter", socket=socket)
        screen = wait_for_screen(socket, lambda s: "I received 1 image" in s and " tok" in s)
        assert "qwen3-vl-plus" in screen and "chat completions" in screen, screen  # served by Chat Completions
        tmux("send-keys", "-t", "qt", "C-q", socket=socket)
        screen = wait_for_screen(socket, lambda s: "EXITED-" in s, timeout=10)
        assert "EXITED-0" in screen and "Traceback" not in screen
    finally:
        subprocess.run(["tmux", "-S", str(socket), "kill-server"], capture_output=True, timeout=10)
