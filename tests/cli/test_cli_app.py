"""`qwen-tui --demo` opens the full-screen app in a real terminal (a pty) against the in-process simulator."""

from __future__ import annotations

import subprocess
import sys

from cli_process import PROCESS_TIMEOUT, Cli
from terminals import Terminal


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
