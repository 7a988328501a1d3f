"""The real `qwen-tui --demo` with local tools on, in real terminals: in tmux a person allows one call
and denies one, and the answer goes on; on a pty, a tool printing escape sequences changes nothing."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from terminals import Terminal, tmux, wait_for_screen

QWEN_TUI = Path(sys.executable).parent / "qwen-tui"
TIMEOUT = 30.0


def demo_env(root: Path) -> dict[str, str]:
    """A clean environment and a config file that turns on shell and list_dir in `root/work`."""
    work = root / "work"
    work.mkdir()
    config = root / "config.toml"
    config.write_text(f'local_tools = ["shell", "list_dir"]\nlocal_root = "{work}"\n', encoding="utf-8")
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(root),
        "XDG_CONFIG_HOME": str(root / "config"),
        "XDG_DATA_HOME": str(root / "data"),
        "XDG_STATE_HOME": str(root / "state"),
        "QWEN_TUI_CONFIG": str(config),
        "TERM": "xterm-256color",
        "LANG": "C.UTF-8",
    }


@pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")
def test_in_tmux_one_call_is_allowed_one_denied_and_both_are_stored(tmp_path: Path) -> None:
    assert QWEN_TUI.exists(), f"{QWEN_TUI} missing: install the project into the venv"
    env = demo_env(tmp_path)
    socket = tmp_path / "tmux.sock"
    command = f"{QWEN_TUI} --demo --demo-speed max; echo EXITED-$?; sleep 5"
    subprocess.run(
        ["tmux", "-S", str(socket), "-f", "/dev/null", "new-session", "-d", "-s", "qt", "-x", "120", "-y", "40",
         command],
        env=env, check=True, timeout=10,
    )
    try:
        wait_for_screen(socket, lambda s: "Ask Qwen" in s and "demo simulator" in s, TIMEOUT)
        time.sleep(0.5)  # let the app finish its start-up terminal queries before typing
        tmux("send-keys", "-t", "qt", "-l", "use shell to run `echo made > made.txt && echo tmux-ok` and list_dir",
             socket=socket)
        wait_for_screen(socket, lambda s: "and list_dir" in s)
        tmux("send-keys", "-t", "qt", "Enter", socket=socket)
        screen = wait_for_screen(socket, lambda s: "Allow this tool call?" in s and '"command": "echo made' in s, TIMEOUT)
        assert "Allow once (y)" in screen and "Deny (n, esc)" in screen
        assert not (tmp_path / "work" / "made.txt").exists(), "nothing ran before the answer"
        time.sleep(0.6)  # keys are ignored for a moment after the dialog opens
        tmux("send-keys", "-t", "qt", "y", socket=socket)
        wait_for_screen(socket, lambda s: "Allow this tool call?" in s and '"path": "."' in s, TIMEOUT)
        time.sleep(0.6)
        tmux("send-keys", "-t", "qt", "n", socket=socket)
        screen = wait_for_screen(socket, lambda s: "The function returned: tmux-ok" in s and " tok" in s, TIMEOUT)
        assert "The person did not allow" in screen
        assert "allowed once" in screen and "denied by you" in screen  # the tool panel's cards
        tmux("send-keys", "-t", "qt", "C-q", socket=socket)
        screen = wait_for_screen(socket, lambda s: "EXITED-" in s, timeout=10)
        assert "EXITED-0" in screen and "Traceback" not in screen
    finally:
        subprocess.run(["tmux", "-S", str(socket), "kill-server"], capture_output=True, timeout=10)
    assert (tmp_path / "work" / "made.txt").read_text() == "made\n"
    exported = subprocess.run(
        [str(QWEN_TUI), "--demo", "export", "1", "--format", "json"],
        capture_output=True, text=True, env=env, timeout=TIMEOUT,
    )
    assert exported.returncode == 0, exported.stderr
    answer = json.loads(exported.stdout)["messages"][-1]
    calls = [item for item in answer["items"] if item["type"] == "function_call"]
    assert [(c["data"]["name"], c["data"]["decision"], c["status"]) for c in calls] == [
        ("shell", "once", "completed"), ("list_dir", "deny", "denied"),
    ]
    assert answer["status"] == "complete" and "tmux-ok" in answer["content"]


def test_a_tool_printing_escape_sequences_cannot_change_the_app_s_terminal(tmp_path: Path) -> None:
    """The shell tool prints clear-screen, a title change and an OSC 52 clipboard write; the panel and
    the answer show its text, and none of those sequences reaches the terminal."""
    hostile = r"printf '\033[2J\033]0;pwned\007\033]52;c;ZXZpbA==\007visible'"
    terminal = Terminal([str(QWEN_TUI), "--demo", "--demo-speed", "max"], demo_env(tmp_path), columns=120, rows=40)
    try:
        terminal.wait_for("demo simulator")
        time.sleep(0.5)
        terminal.type(f"use shell to run `{hostile}`")
        time.sleep(0.5)
        terminal.type("\r")
        terminal.wait_for("Allow this tool call?")
        terminal.read_for(0.6)  # keys are ignored for a moment after the dialog opens
        before = len(terminal.output)
        clears_before = terminal.output.count(b"\x1b[2J")
        terminal.type("y")
        terminal.wait_for("The function returned:")
        terminal.read_for(1.0)  # the rest of the answer and the tool panel's card
        terminal.type("\x11")  # ctrl+q
    except BaseException:
        terminal.close(kill=True)
        raise
    assert terminal.close() == 0
    after = terminal.output[before:]
    assert b"]52;c;ZXZpbA==" in after and b"visible" in after, "the tool's text is shown, made inert"
    assert b"\x1b]52" not in terminal.output and b"\x1b]0;pwned" not in terminal.output
    assert b"\x07" not in after
    assert terminal.output.count(b"\x1b[2J") == clears_before, "no clear-screen from the tool"
