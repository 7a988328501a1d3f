"""Crash recovery: turns left streaming by a process that no longer exists become `incomplete`."""

from __future__ import annotations

import os
from pathlib import Path

import aiosqlite

from tui.store.models import MessageStatus

INTERRUPTED = "interrupted: the app stopped while this answer was streaming"
#: Why a turn marked `unsaved` (see `Store.mark_unsaved`) is incomplete: its end could not be written.
UNSAVED = "not saved in full: the database could not be written while this answer streamed"
_LIVE = ("pending", "streaming")


def unsaved_pid(pid: int | None) -> bool:
    """Whether a turn's writer_pid says its writer gave up writing it (stored negated by `mark_unsaved`)."""
    return pid is not None and pid < 0


def process_alive(pid: int | None) -> bool:
    """Whether `pid` is a running process (zombies count as dead; our own pid as alive)."""
    if pid is None or pid <= 0:  # a negated pid marks an unsaved turn; os.kill(-n) would probe a group
        return False
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OSError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    try:
        state = stat.read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return True
    return state not in ("Z", "X")


def settled(status: str, writer_pid: int | None) -> tuple[MessageStatus, str] | None:
    """The (status, error) a pending/streaming turn really has when no live writer will finish it, else None.

    Recovery writes this at the next writable open; a read-only open shows it without writing.
    """
    if status not in _LIVE:
        return None
    if unsaved_pid(writer_pid):
        return "incomplete", UNSAVED
    if not process_alive(writer_pid):
        return "incomplete", INTERRUPTED
    return None


async def recover_interrupted(db: aiosqlite.Connection) -> int:
    """Mark orphaned pending/streaming turns incomplete; the caller holds a write transaction."""
    cursor = await db.execute(
        "SELECT id, status, writer_pid FROM messages WHERE status IN ('pending', 'streaming')"
    )
    changes = [(found[1], row[0]) for row in await cursor.fetchall() if (found := settled(row[1], row[2]))]
    await db.executemany("UPDATE messages SET status = 'incomplete', error = ? WHERE id = ?", changes)
    return len(changes)
