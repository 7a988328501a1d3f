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
    socket = start_demo(tmp_path)
    try:
        wait_for_screen(socket, lambda s: "Ask Qwen" in s and "demo simulator" in s)
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


def start_demo(tmp_path: Path, width: int = 100, height: int = 30, args: str = "--demo", name: str = "tmux") -> Path:
    """`qwen-tui ARGS` in a tmux with default settings (prefix ctrl+b); its socket, once ready for keys."""
    socket = tmp_path / f"{name}.sock"
    env = tmux_env(tmp_path)
    subprocess.run(
        ["tmux", "-S", str(socket), "-f", "/dev/null", "new-session", "-d", "-s", "qt", "-x", str(width),
         "-y", str(height), f"{QWEN_TUI} {args}; echo EXITED-$?; sleep 5"],
        env=env, check=True, timeout=10,
    )
    wait_for_screen(socket, lambda s: "Ask Qwen" in s)
    time.sleep(0.5)  # the app's start-up terminal queries
    return socket


def press(socket: Path, *keys: str) -> None:
    tmux("send-keys", "-t", "qt", *keys, socket=socket)


def test_every_footer_key_works_in_tmux_with_default_settings(tmp_path: Path) -> None:
    """The footer's keys, each pressed through tmux (prefix ctrl+b, so the chats key shown is f3)."""
    socket = start_demo(tmp_path)
    try:
        footer = wait_for_screen(socket, lambda s: "^q" in s).splitlines()[-1]
        for shown in ("esc", "^n", "^f", "f3", "^t", "f1", "f2", "^q", "^p"):
            assert shown in footer, f"{shown} missing from the footer: {footer}"
        assert "^b" not in footer, "ctrl+b is tmux's prefix: the footer must not offer it"
        press(socket, "F1")
        wait_for_screen(socket, lambda s: "OSC 52" in s)
        press(socket, "Escape")
        wait_for_screen(socket, lambda s: "OSC 52" not in s and "Ask Qwen" in s)
        press(socket, "C-_")  # help's second key, for GNOME Terminal where F1 is taken
        wait_for_screen(socket, lambda s: "OSC 52" in s)
        press(socket, "Escape")
        press(socket, "F2")
        wait_for_screen(socket, lambda s: "Save (ctrl+s)" in s and "Cancel (esc)" in s)
        press(socket, "Escape")
        wait_for_screen(socket, lambda s: "Save (ctrl+s)" not in s)
        press(socket, "C-p")
        wait_for_screen(socket, lambda s: "Search for commands" in s)
        press(socket, "Escape")
        wait_for_screen(socket, lambda s: "Search for commands" not in s)
        press(socket, "C-t")
        wait_for_screen(socket, lambda s: "tool call" in s)
        press(socket, "C-t")
        wait_for_screen(socket, lambda s: "tool call" not in s)
        press(socket, "F3")  # 100 columns: the list shows; f3 hides it
        wait_for_screen(socket, lambda s: "Search chats" not in s)
        press(socket, "F3")
        wait_for_screen(socket, lambda s: "Search chats" in s)
        press(socket, "C-f")
        time.sleep(0.5)  # the focus moves to the search box before the letters come
        press(socket, "-l", "zzqq")
        wait_for_screen(socket, lambda s: "No matches for" in s)
        press(socket, "C-g")
        time.sleep(0.5)
        press(socket, "-l", "Tell me about otters")
        press(socket, "Enter")
        wait_for_screen(socket, lambda s: "streaming" in s)
        press(socket, "Escape")  # stops the answer
        wait_for_screen(socket, lambda s: "[cancelled]" in s)
        press(socket, "C-l")  # redraw: the screen comes back whole
        wait_for_screen(socket, lambda s: "[cancelled]" in s and "^q" in s)
        press(socket, "C-n")
        wait_for_screen(socket, lambda s: "Start a conversation" in s)
        press(socket, "C-q")
        screen = wait_for_screen(socket, lambda s: "EXITED-" in s, timeout=10)
        assert "EXITED-0" in screen and "Traceback" not in screen
    finally:
        subprocess.run(["tmux", "-S", str(socket), "kill-server"], capture_output=True, timeout=10)


def test_c_reopens_the_last_conversation_in_tmux(tmp_path: Path) -> None:
    socket = start_demo(tmp_path)
    try:
        press(socket, "-l", "Remember the walrus")
        press(socket, "Enter")
        wait_for_screen(socket, lambda s: "[streaming" not in s and "tok" in s, timeout=60)
        press(socket, "C-q")
        wait_for_screen(socket, lambda s: "EXITED-0" in s, timeout=10)
    finally:
        subprocess.run(["tmux", "-S", str(socket), "kill-server"], capture_output=True, timeout=10)
    socket = start_demo(tmp_path, args="--demo -c", name="again")
    try:
        wait_for_screen(socket, lambda s: "Remember the walrus" in s and "You" in s)
        press(socket, "C-q")
    finally:
        subprocess.run(["tmux", "-S", str(socket), "kill-server"], capture_output=True, timeout=10)


def test_demo_in_tmux_alt_p_makes_the_chat_private(tmp_path: Path) -> None:
    """alt+p reaches the app through a real terminal (as ESC p) and the 80-column status line says "private"."""
    socket = start_demo(tmp_path, 80, 24, "--demo --demo-speed max")
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



def test_the_second_keys_of_alt_i_alt_s_and_alt_p_reach_the_app_in_tmux(tmp_path: Path) -> None:
    """No alt: f12 attaches an image, and in the transcript (f5) s summarises and v makes the chat private,
    each pressed through a tmux with default settings (as in macOS Terminal without Option-as-Meta)."""
    socket = start_demo(tmp_path, 100, 30, "--demo --demo-speed max")
    try:
        press(socket, "-l", "Hello there")
        press(socket, "Enter")
        wait_for_screen(socket, lambda s: "[streaming" not in s and " tok" in s, timeout=30)
        press(socket, "F12")
        wait_for_screen(socket, lambda s: "Attach an image: file path" in s)
        press(socket, "Escape")
        wait_for_screen(socket, lambda s: "Attach an image: file path" not in s)
        press(socket, "F5")
        time.sleep(0.3)  # the focus moves to the transcript before the letter comes
        press(socket, "v")
        wait_for_screen(socket, lambda s: "Private: nothing of this chat is kept" in s)
        press(socket, "F5")
        time.sleep(0.3)
        press(socket, "s")
        screen = wait_for_screen(socket, lambda s: "Summarise our conversation" in s and "branch 2/2" in s, timeout=30)
        assert "Traceback" not in screen
        press(socket, "C-q")
        screen = wait_for_screen(socket, lambda s: "EXITED-" in s, timeout=10)
        assert "EXITED-0" in screen and "Traceback" not in screen
    finally:
        subprocess.run(["tmux", "-S", str(socket), "kill-server"], capture_output=True, timeout=10)
