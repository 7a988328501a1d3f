"""`qwen-tui search`: matches shown in bold on a terminal and in [ ] in a pipe, never confused with the text."""

from __future__ import annotations

import os
import pty
import select
import subprocess

import pytest
from cli_process import PROCESS_TIMEOUT, Cli

BOLD, NORMAL = "\x1b[1m", "\x1b[22m"


@pytest.fixture
def notes(cli: Cli) -> Cli:
    """`cli` with one imported conversation whose messages hold brackets and an escape sequence."""
    cli.import_chat(
        "Zoo [draft]",
        {"role": "user", "content": "See [1] and ]odd[ for the zebra notes"},
        {"role": "assistant", "content": "A \x1b]0;owned\x07 okapi"},
    )
    return cli


def run_on_terminal(cli: Cli, *args: str) -> str:
    """Run the command with stdout on a pseudo-terminal, as a person at a shell would; what it showed."""
    controller, terminal = pty.openpty()
    try:
        process = subprocess.Popen(
            cli.argv(args, None), stdin=subprocess.DEVNULL, stdout=terminal, stderr=subprocess.DEVNULL,
            env=cli.env, cwd=cli.root,
        )
    finally:
        os.close(terminal)
    shown = b""
    try:
        while select.select([controller], [], [], PROCESS_TIMEOUT)[0]:
            try:
                chunk = os.read(controller, 4096)
            except OSError:  # EIO: the command exited and the terminal closed
                break
            if not chunk:
                break
            shown += chunk
    finally:
        os.close(controller)
        process.wait(timeout=PROCESS_TIMEOUT)
    return shown.decode().replace("\r\n", "\n")


def test_a_pipe_gets_the_match_in_brackets_and_the_text_as_it_is(notes: Cli) -> None:
    done = notes.run("search", "zebra")
    assert done.returncode == 0
    assert done.stdout == "1  #1  user  Zoo [draft]: See [1] and ]odd[ for the [zebra] notes\n"


def test_a_terminal_gets_the_match_in_bold_and_brackets_stay_plain(notes: Cli) -> None:
    shown = run_on_terminal(notes, "search", "zebra")
    assert shown == f"1  #1  user  Zoo [draft]: See [1] and ]odd[ for the {BOLD}zebra{NORMAL} notes\n"


def test_a_terminal_never_gets_escape_sequences_from_a_message(notes: Cli) -> None:
    shown = run_on_terminal(notes, "search", "okapi")
    assert shown == f"1  #2  assistant  Zoo [draft]: A ]0;owned {BOLD}okapi{NORMAL}\n"


def test_a_title_is_searched_too_and_every_matching_message_is_listed(notes: Cli) -> None:
    notes.import_chat(
        "Zebra crossings",
        {"role": "user", "content": "Where do zebra crossings come from?"},
        {"role": "assistant", "content": "The first zebra crossing was painted in 1951."},
    )
    done = notes.run("search", "zebra")
    assert done.returncode == 0
    assert done.stdout.splitlines() == [
        "2  title  [Zebra] crossings",
        "2  #4  assistant  Zebra crossings: The first [zebra] crossing was painted in 1951.",
        "2  #3  user  Zebra crossings: Where do [zebra] crossings come from?",
        "1  #1  user  Zoo [draft]: See [1] and ]odd[ for the [zebra] notes",
    ]


def test_a_title_made_of_escape_sequences_stays_one_safe_line(cli: Cli) -> None:
    cli.import_chat("\x1b[2J wiped \x1b]0;owned\x07 title", {"role": "user", "content": "hi"})
    shown = run_on_terminal(cli, "search", "wiped")
    assert "\x1b[2J" not in shown and "\x07" not in shown
    assert shown.startswith("1  title  ") and f"{BOLD}wiped{NORMAL}" in shown
