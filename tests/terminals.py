"""Real terminals for tests that drive the real `qwen-tui`: a pseudo-terminal that keeps every byte the
app writes, and a tmux session whose screen can be read back as text."""

from __future__ import annotations

import fcntl
import os
import re
import select
import struct
import subprocess
import termios
import time
from collections.abc import Callable
from pathlib import Path

_ESCAPES = re.compile(rb"\x1b\[[0-9;?]*[A-Za-z]")


class Terminal:
    """A child process on a `columns` x `rows` pseudo-terminal; `wait_for` reads its output until text shows up."""

    def __init__(
        self, argv: list[str], env: dict[str, str], *, columns: int = 80, rows: int = 24, timeout: float = 60.0
    ) -> None:
        self.timeout = timeout
        self.master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
        self.process = subprocess.Popen(
            argv, stdin=slave, stdout=slave, stderr=slave, env={**env, "TERM": "xterm-256color"},
            start_new_session=True,
            # The pty is its controlling terminal (as under ssh): if the test run dies, the hang-up ends the app.
            preexec_fn=lambda: fcntl.ioctl(0, termios.TIOCSCTTY, 0),
        )
        os.close(slave)
        #: Every byte the app wrote to the terminal so far.
        self.output = b""

    def wait_for(self, text: str) -> None:
        deadline = time.monotonic() + self.timeout
        while text.encode() not in _ESCAPES.sub(b"", self.output):
            remaining = deadline - time.monotonic()
            assert remaining > 0, f"{text!r} never appeared on the screen"
            if select.select([self.master], [], [], min(remaining, 0.5))[0]:
                self.output += os.read(self.master, 65536)

    def read_for(self, seconds: float) -> None:
        """Keep reading what the app writes for `seconds` (a spinner may never let it fall quiet)."""
        deadline = time.monotonic() + seconds
        while (remaining := deadline - time.monotonic()) > 0:
            if select.select([self.master], [], [], remaining)[0]:
                self.output += os.read(self.master, 65536)

    def type(self, keys: str) -> None:
        os.write(self.master, keys.encode())

    def __enter__(self) -> Terminal:
        return self

    def __exit__(self, failed: type[BaseException] | None, *_: object) -> None:
        """A failed test kills the app (the passing path waits for it with `close()`)."""
        if failed is not None:
            self.close(kill=True)

    def close(self, *, kill: bool = False) -> int:
        """Wait for the process to end (kill it first when the test already failed)."""
        try:
            if kill:
                self.process.kill()
            return self.process.wait(timeout=self.timeout)
        finally:
            os.close(self.master)


def tmux(*args: str, socket: Path) -> str:
    """Run a tmux command on the test's own server (`socket`); its stdout."""
    done = subprocess.run(["tmux", "-S", str(socket), *args], capture_output=True, text=True, timeout=10)
    return done.stdout


def wait_for_screen(socket: Path, predicate: Callable[[str], bool], timeout: float = 20.0) -> str:
    """The text of tmux window "qt" once `predicate` holds for it (fails after `timeout` seconds)."""
    deadline = time.monotonic() + timeout
    screen = ""
    while time.monotonic() < deadline:
        screen = tmux("capture-pane", "-p", "-t", "qt", socket=socket)
        if predicate(screen):
            return screen
        time.sleep(0.1)
    raise AssertionError(f"the screen never showed what was expected:\n{screen}")
