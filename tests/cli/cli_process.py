"""Helpers to run the real `qwen-tui` command as a subprocess, isolated in tmp_path."""

from __future__ import annotations

import json
import os
import selectors
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

TEST_KEY = "sk-test-0123456789abcdef"
#: Generous bound so a broken build fails instead of hanging; never a speed assertion.
PROCESS_TIMEOUT = 60.0


@dataclass
class Cli:
    """The command line as a person runs it, with its own XDG dirs and database."""

    root: Path
    env: dict[str, str] = field(default_factory=dict)

    @property
    def db(self) -> Path:
        return self.root / "chats.db"

    def argv(self, args: tuple[str, ...], base_url: str | None) -> list[str]:
        extra = ["--base-url", base_url] if base_url else []
        return [sys.executable, "-m", "tui", *args, "--db", str(self.db), *extra]

    def run(
        self, *args: str, base_url: str | None = None, stdin: str | None = None, env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        """Run to completion; stdout and stderr captured as text."""
        return subprocess.run(
            self.argv(args, base_url),
            input=stdin if stdin is not None else "",
            capture_output=True,
            text=True,
            env={**self.env, **(env or {})},
            timeout=PROCESS_TIMEOUT,
            cwd=self.root,
        )

    def import_chat(self, title: str, *messages: dict[str, Any]) -> None:
        """`qwen-tui import` one conversation whose `messages` (role, content, items...) follow each other."""
        document = {
            "format": "qwen-tui/1",
            "conversation": {"title": title, "model": "qwen3-max", "head_message_id": len(messages)},
            "messages": [{"id": n, "parent_id": n - 1 or None, **message} for n, message in enumerate(messages, 1)],
        }
        path = self.root / "import.json"
        path.write_text(json.dumps(document), encoding="utf-8")
        done = self.run("import", str(path))
        assert done.returncode == 0, done.stderr

    def start(self, *args: str, base_url: str | None = None) -> subprocess.Popen[bytes]:
        """Start without waiting (for signals mid-stream); stdout/stderr are pipes."""
        return subprocess.Popen(
            self.argv(args, base_url),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=self.env,
            cwd=self.root,
        )


def read_until(process: subprocess.Popen[bytes], predicate, timeout: float = PROCESS_TIMEOUT) -> bytes:
    """Read the process's stdout as it arrives until `predicate(bytes_so_far)` holds."""
    assert process.stdout is not None
    selector = selectors.DefaultSelector()
    selector.register(process.stdout, selectors.EVENT_READ)
    data = b""
    deadline = time.monotonic() + timeout
    try:
        while not predicate(data):
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not selector.select(remaining):
                raise AssertionError(f"timed out waiting for output; got {data!r}")
            chunk = os.read(process.stdout.fileno(), 4096)
            if not chunk:
                raise AssertionError(f"stdout closed early; got {data!r}")
            data += chunk
    finally:
        selector.close()
    return data


def make_cli(root: Path) -> Cli:
    """A `Cli` whose config, data, state and database live under `root`, with the test key set."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith("QWEN_TUI_") and name != "DASHSCOPE_API_KEY"
    }
    env.update(
        XDG_CONFIG_HOME=str(root / "config"),
        XDG_DATA_HOME=str(root / "data"),
        XDG_STATE_HOME=str(root / "state"),
        DASHSCOPE_API_KEY=TEST_KEY,
    )
    return Cli(root=root, env=env)


def assert_one_clear_line(stderr: str, *fragments: str) -> str:
    """stderr is exactly one `qwen-tui: error: ...` line (no traceback) containing every fragment."""
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    assert lines[0].startswith("qwen-tui: error: ")
    assert "Traceback" not in stderr
    for fragment in fragments:
        assert fragment in lines[0], lines[0]
    return lines[0]


def on_a_terminal(cli: Cli, *args: str, base_url: str | None = None, stderr_too: bool = True) -> tuple[int, bytes]:
    """Run with stdout (and stderr, unless not `stderr_too`) on a pseudo-terminal, as in an interactive
    shell; returns the exit status and everything written to the terminal."""
    import pty

    master, slave = pty.openpty()
    try:
        process = subprocess.Popen(
            cli.argv(args, base_url), stdin=subprocess.DEVNULL, stdout=slave,
            stderr=slave if stderr_too else subprocess.DEVNULL, env=cli.env, cwd=cli.root,
        )
        os.close(slave)
        chunks = []
        while True:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # EIO: the child closed the terminal
                break
            if not chunk:
                break
            chunks.append(chunk)
        status = process.wait(timeout=PROCESS_TIMEOUT)
    finally:
        os.close(master)
    return status, b"".join(chunks)


def run_on_terminal(cli: Cli, *args: str, base_url: str, stderr_too: bool = False) -> bytes:
    """Run `qwen-tui` with stdout (and with `stderr_too`, stderr) on a pseudo-terminal, as in an
    interactive shell; check it succeeded and return every byte it wrote there."""
    status, shown = on_a_terminal(cli, *args, base_url=base_url, stderr_too=stderr_too)
    assert status == 0
    return shown
