"""Exit statuses, the one-line error wording, and writing to stdout/stderr for the `qwen-tui` command."""

from __future__ import annotations

import os
import sys
from typing import TextIO

from tui.api.errors import ApiError, AuthError, NetworkError, RateLimitError, ServerError, StreamDropped
from tui.config import KEY_ENV
from tui.text_safety import strip_controls

PROG = "qwen-tui"
EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2
EXIT_SIGINT = 130
EXIT_SIGTERM = 143


class CliError(Exception):
    """A failure to report as one line; `code` is the exit status."""

    def __init__(self, message: str, code: int = EXIT_FAILURE) -> None:
        super().__init__(message)
        self.code = code


#: What to do about each kind of API failure (most specific first).
_API_HINTS: tuple[tuple[type[ApiError], str], ...] = (
    (AuthError, f"check {KEY_ENV} (or run with --demo)"),
    (RateLimitError, "wait a moment and try again"),
    (StreamDropped, "run the command again to retry"),
    (NetworkError, "check your connection, --region or --base-url"),
    (ServerError, "the service had a problem; try again in a moment"),
)


def explain(exc: BaseException) -> str:
    """One line for a person: what happened and what to do about it."""
    text = " ".join(str(exc).split())
    for kind, hint in _API_HINTS:
        if isinstance(exc, kind):
            return f"{text}; {hint}"
    return text


def hint_for(error: str) -> str | None:
    """The hint for a turn's stored error text, recognised by the API error's summary it starts with."""
    for kind, hint in _API_HINTS:
        if error.startswith(kind.summary):
            return hint
    return None


def fail(exc: Exception) -> int:
    """Print the one error line for `exc` and return its exit status."""
    code = exc.code if isinstance(exc, CliError) else EXIT_FAILURE
    say(f"error: {explain(exc)}")
    return code


def say(line: str) -> None:
    """One `qwen-tui: ...` line on stderr."""
    print(for_terminal(f"{PROG}: {line}", sys.stderr), file=sys.stderr, flush=True)


def out(text: str) -> None:
    """Write to stdout and flush, so a reader sees it at once."""
    sys.stdout.write(for_terminal(text, sys.stdout))
    sys.stdout.flush()


def for_terminal(text: str, stream: TextIO) -> str:
    """`text` made inert when `stream` is a terminal: model output must not drive the terminal
    (an escape sequence could retitle it, write the clipboard, or hide text). Pipes get it verbatim."""
    return strip_controls(text) if stream.isatty() else text


def silence_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's final flush does not complain about a closed pipe."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)
