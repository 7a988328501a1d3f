"""`qwen-tui --demo` opens the full-screen app in a real terminal (a pty) against the in-process simulator."""

from __future__ import annotations

import fcntl
import os
import re
import select
import struct
import subprocess
import sys
import termios
import time

from cli_process import PROCESS_TIMEOUT, Cli

_ESCAPES = re.compile(rb"\x1b\[[0-9;?]*[A-Za-z]")


class Terminal:
    """A child process on an 80x24 pseudo-terminal; `wait_for` reads its screen output until text shows up."""

    def __init__(self, argv: list[str], env: dict[str, str]) -> None:
        self.master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
        self.process = subprocess.Popen(
            argv, stdin=slave, stdout=slave, stderr=slave, env={**env, "TERM": "xterm-256color"},
            start_new_session=True,
            # The pty is its controlling terminal (as under ssh): if the test run dies, the hang-up ends the app.
            preexec_fn=lambda: fcntl.ioctl(0, termios.TIOCSCTTY, 0),
        )
        os.close(slave)
        self.output = b""

    def wait_for(self, text: str) -> None:
        deadline = time.monotonic() + PROCESS_TIMEOUT
        while text.encode() not in _ESCAPES.sub(b"", self.output):
            remaining = deadline - time.monotonic()
            assert remaining > 0, f"{text!r} never appeared on the screen"
            if select.select([self.master], [], [], min(remaining, 0.5))[0]:
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
            return self.process.wait(timeout=PROCESS_TIMEOUT)
        finally:
            os.close(self.master)


def test_demo_opens_the_app_answers_and_keeps_the_chat_in_the_demo_database(cli: Cli) -> None:
    env = {name: value for name, value in cli.env.items() if name != "DASHSCOPE_API_KEY"}
    with Terminal([sys.executable, "-m", "tui", "--demo"], env) as terminal:
        terminal.wait_for("demo simulator")
        terminal.type("My name is John")
        terminal.wait_for("My name is John")
        terminal.type("\r")
        terminal.wait_for("Nice to meet you")
        terminal.type("\x11")  # ctrl+q
    assert terminal.close() == 0
    demo_db = cli.root / "data" / "qwen-tui" / "demo.db"
    assert demo_db.exists()
    assert not (cli.root / "data" / "qwen-tui" / "chats.db").exists()
    listing = subprocess.run(
        [sys.executable, "-m", "tui", "--demo", "list"], capture_output=True, text=True, env=env, timeout=PROCESS_TIMEOUT
    )
    assert listing.stdout.split("  ", 2)[2].strip() == "My name is John"


def test_the_demo_chosen_on_the_first_run_screen_starts_the_app_again_against_the_simulator(cli: Cli) -> None:
    env = {name: value for name, value in cli.env.items() if name != "DASHSCOPE_API_KEY"}
    terminal = Terminal([sys.executable, "-m", "tui"], env)
    try:
        terminal.wait_for("Press d to start the demo now")
        terminal.type("d")
        terminal.wait_for("demo simulator")
        terminal.type("My name is John")
        terminal.wait_for("My name is John")
        terminal.type("\r")
        terminal.wait_for("Nice to meet you")
        terminal.type("\x11")  # ctrl+q
    except BaseException:
        terminal.close(kill=True)
        raise
    assert terminal.close() == 0
    assert (cli.root / "data" / "qwen-tui" / "demo.db").exists()
    assert not (cli.root / "data" / "qwen-tui" / "chats.db").exists()


def test_continue_with_nothing_saved_says_so_and_opens_a_new_chat(cli: Cli) -> None:
    with Terminal([sys.executable, "-m", "tui", "--db", str(cli.db), "-c"], cli.env) as terminal:
        terminal.wait_for("no conversation to reopen yet; starting a new one")
        terminal.wait_for("Ask Qwen")
        terminal.type("\x11")  # ctrl+q
    assert terminal.close() == 0


def test_continue_reopens_the_most_recently_updated_conversation(cli: Cli) -> None:
    cli.import_chat("Older chat", {"role": "user", "content": "zebras have stripes"})
    cli.import_chat("Newer chat", {"role": "user", "content": "the okapi is a relative of the giraffe"})
    with Terminal([sys.executable, "-m", "tui", "--db", str(cli.db), "-c"], cli.env) as terminal:
        terminal.wait_for("okapi is a relative of the giraffe")
        terminal.type("\x11")  # ctrl+q
    assert terminal.close() == 0
