"""Helpers shared by the store tests: a hand-moved clock and raw reads of the database file."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from tui.store import Store

#: The `open_store` fixture: `await open_store(path, **options)`, closed after the test.
OpenStore = Callable[..., Awaitable[Store]]


class FakeClock:
    """A clock the test moves by hand (seconds since the epoch)."""

    def __init__(self, start: float = 1_800_000_000.0) -> None:
        self.value = start

    def __call__(self) -> float:
        return self.value

    def advance(self, seconds: float) -> None:
        self.value += seconds


def raw_rows(path: Path, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Read the file with a separate plain sqlite3 connection (what another process would see)."""
    connection = sqlite3.connect(path, timeout=5)
    try:
        return connection.execute(sql, params).fetchall()
    finally:
        connection.close()


def raw_execute(path: Path, sql: str, params: tuple[Any, ...] = ()) -> None:
    """Change the file behind the store's back, as another program would."""
    connection = sqlite3.connect(path, timeout=5)
    try:
        with connection:
            connection.execute(sql, params)
    finally:
        connection.close()


def dead_pid() -> int:
    """The pid of a process that has exited and been reaped."""
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


WORKER = Path(__file__).with_name("store_worker.py")


class StatementLog:
    """The SQL statements a store's connection runs while the block is open (a trace callback on it).

    Statements run by triggers are left out, and SQLite's re-report of a statement at the start of
    each trigger it fires is counted once (so is the very same statement run twice in a row).
    """

    def __init__(self, store: Store) -> None:
        self._connection = store._db  # the one connection every store call goes through
        self.statements: list[str] = []

    def _record(self, sql: str) -> None:
        text = " ".join(sql.split())
        if not text.startswith("--") and (not self.statements or self.statements[-1] != text):
            self.statements.append(text)

    async def __aenter__(self) -> StatementLog:
        await self._connection.set_trace_callback(self._record)
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._connection.set_trace_callback(None)

    def count(self, prefix: str = "") -> int:
        """How many statements began with `prefix` (all of them for "")."""
        return sum(statement.startswith(prefix) for statement in self.statements)
