"""The log file: where it lives, that it rotates, and that the API key never appears in it."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from tui.log import LOGGER_NAME, log_path, setup_logging

SECRET = "sk-secret-in-a-message-9876"


@pytest.fixture(autouse=True)
def restore_logger() -> Iterator[None]:
    """Put the `tui` logger back as it was, so other tests (caplog) still see its records."""
    logger = logging.getLogger(LOGGER_NAME)
    saved = (list(logger.handlers), logger.level, logger.propagate)
    yield
    for handler in list(logger.handlers):
        logger.removeHandler(handler)
        handler.close()
    handlers, logger.level, logger.propagate = saved
    for handler in handlers:
        logger.addHandler(handler)


@pytest.fixture
def state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    return tmp_path / "state"


def test_log_file_is_in_the_user_state_dir(state: Path) -> None:
    path = setup_logging(secrets=[SECRET])
    assert path == log_path() == state / "qwen-tui" / "log" / "qwen-tui.log"
    logging.getLogger("tui.chat").info("a turn finished")
    assert "INFO tui.chat: a turn finished" in path.read_text(encoding="utf-8")


def test_the_key_is_masked_in_messages_and_tracebacks(state: Path) -> None:
    path = setup_logging(secrets=[SECRET])
    log = logging.getLogger("tui.api")
    log.warning("sending with Authorization: Bearer %s", SECRET)
    try:
        raise RuntimeError(f"header was {SECRET}")
    except RuntimeError:
        log.exception("request failed")
    text = path.read_text(encoding="utf-8")
    assert SECRET not in text
    assert "Bearer sk-…9876" in text
    assert "RuntimeError: header was sk-…9876" in text


def test_the_log_rotates_instead_of_growing_forever(state: Path) -> None:
    path = setup_logging()
    log = logging.getLogger("tui.store")
    for _ in range(1500):
        log.info("x" * 1000)
    assert path.with_name("qwen-tui.log.1").exists()
    assert path.stat().st_size <= 1_000_000


def test_an_unwritable_log_dir_is_not_an_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "state"
    blocker.write_text("a file where the directory should be", encoding="utf-8")
    monkeypatch.setenv("XDG_STATE_HOME", str(blocker))
    assert setup_logging() is None
    logging.getLogger("tui.cli").info("nowhere to go, and that is fine")
