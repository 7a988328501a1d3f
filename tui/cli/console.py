"""Exit statuses, the one-line error wording, and writing to stdout/stderr for the `qwen-tui` command."""

from __future__ import annotations

import os
import sys
from typing import Literal, TextIO

from tui.api.errors import (
    ApiError,
    AuthError,
    BillingError,
    ContentRejected,
    ModelNotFound,
    NetworkError,
    QuotaExceeded,
    RateLimitError,
    ServerError,
    StreamDropped,
)
from tui.config import KEY_ENV
from tui.text_safety import terminal_safe

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
    *((kind, kind.advice) for kind in (QuotaExceeded, BillingError, ContentRejected, ModelNotFound)),
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
    """One `qwen-tui: ...` line on stderr (made inert on a terminal even with --raw: it is our line)."""
    text = f"{PROG}: {line}"
    print(terminal_safe(text) if sys.stderr.isatty() or _mode == "safe" else text, file=sys.stderr, flush=True)


def out(text: str) -> None:
    """Write to stdout and flush, so a reader sees it at once."""
    sys.stdout.write(for_terminal(text, sys.stdout))
    sys.stdout.flush()


#: How text from the model or the server is written: "auto" (inert on a terminal, verbatim into a pipe or
#: file, which may want it byte for byte), "safe" (always inert: `--safe`) or "raw" (always verbatim: `--raw`).
OutputMode = Literal["auto", "safe", "raw"]
_mode: OutputMode = "auto"


def set_output_mode(mode: OutputMode) -> None:
    """Choose how `out` and the answer printer write model text (from `--raw` / `--safe`)."""
    global _mode
    _mode = mode


def inert_on(stream: TextIO) -> bool:
    """Whether text written to `stream` is made inert (see `for_terminal`)."""
    return _mode == "safe" or (_mode == "auto" and stream.isatty())


def for_terminal(text: str, stream: TextIO) -> str:
    """`text` made inert when `stream` is a terminal: model output must not drive the terminal (an escape
    sequence could retitle it, write the clipboard, or hide text), and bidi controls are shown as marks
    (they could make text read differently from what it is). Pipes get it verbatim; see `OutputMode`."""
    return terminal_safe(text) if inert_on(stream) else text


def silence_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's final flush does not complain about a closed pipe."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)
