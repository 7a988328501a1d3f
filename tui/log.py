"""Logging for qwen-tui: a rotating file in the user log dir gets the details (tracebacks);
stderr gets them only with --debug. A filter masks the API key wherever it would appear, and every
line is written escaped, since log messages carry server text (error bodies, ids, model output).
"""

from __future__ import annotations

import logging
import logging.handlers
from pathlib import Path

import platformdirs

from tui.config import APP_NAME, mask_secret
from tui.text_safety import escaped

LOGGER_NAME = "tui"
_FORMAT = "%(asctime)s %(process)d %(levelname)s %(name)s: %(message)s"


def log_path() -> Path:
    """`qwen-tui.log` in the user log dir (`$XDG_STATE_HOME/qwen-tui/log` on Linux)."""
    return Path(platformdirs.user_log_dir(APP_NAME)) / "qwen-tui.log"


class SecretFilter(logging.Filter):
    """Replaces every occurrence of the given secrets in a record's final text with their masked form."""

    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        self.secrets = [secret for secret in secrets if secret]

    def filter(self, record: logging.LogRecord) -> bool:
        if not self.secrets:
            return True
        text = record.getMessage()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        exc_text = record.exc_text or ""
        for secret in self.secrets:
            text = text.replace(secret, mask_secret(secret))
            exc_text = exc_text.replace(secret, mask_secret(secret))
        record.msg, record.args = text, None
        record.exc_text = exc_text or None
        return True


class EscapingFormatter(logging.Formatter):
    """Writes control and bidi characters as escapes (`\\x1b`): a server's error text must not retitle
    the terminal, write its clipboard or clear it when the log is printed with `--debug`, `cat` or `tail -f`."""

    def format(self, record: logging.LogRecord) -> str:
        return escaped(super().format(record))


def setup_logging(*, debug: bool = False, secrets: list[str] | None = None) -> Path | None:
    """Attach the rotating file handler (and stderr when `debug`) to the `tui` logger; returns the file path.

    A log dir that cannot be created is not an error: the app still runs, without a log file.
    """
    logger = logging.getLogger(LOGGER_NAME)
    for handler in list(logger.handlers):
        logger.removeHandler(handler)
        handler.close()
    logger.setLevel(logging.DEBUG if debug else logging.INFO)
    logger.propagate = False
    secret_filter = SecretFilter(secrets or [])
    path: Path | None = log_path()
    try:
        file_path = log_path()
        file_path.parent.mkdir(parents=True, exist_ok=True)
        file_handler = logging.handlers.RotatingFileHandler(
            file_path, maxBytes=1_000_000, backupCount=3, encoding="utf-8"
        )
    except OSError:
        path = None
    else:
        file_handler.setFormatter(EscapingFormatter(_FORMAT))
        file_handler.addFilter(secret_filter)
        logger.addHandler(file_handler)
    if debug:
        stderr_handler = logging.StreamHandler()
        stderr_handler.setFormatter(EscapingFormatter("%(levelname)s %(name)s: %(message)s"))
        stderr_handler.addFilter(secret_filter)
        logger.addHandler(stderr_handler)
    if not logger.handlers:
        logger.addHandler(logging.NullHandler())
    return path
