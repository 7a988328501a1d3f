"""Crash recovery: turns left streaming by a process that no longer exists become `incomplete`."""

from __future__ import annotations

import os
from pathlib import Path

import aiosqlite

INTERRUPTED = "interrupted: the app stopped while this answer was streaming"


def process_alive(pid: int | None) -> bool:
    """Whether `pid` is a running process (zombies count as dead; our own pid as alive)."""
    if pid is None:
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


async def recover_interrupted(db: aiosqlite.Connection) -> int:
    """Mark orphaned pending/streaming turns incomplete; the caller holds a write transaction."""
    cursor = await db.execute(
        "SELECT id, writer_pid FROM messages WHERE status IN ('pending', 'streaming')"
    )
    orphans = [row[0] for row in await cursor.fetchall() if not process_alive(row[1])]
    await db.executemany(
        "UPDATE messages SET status = 'incomplete', error = ? WHERE id = ?",
        [(INTERRUPTED, message_id) for message_id in orphans],
    )
    return len(orphans)
