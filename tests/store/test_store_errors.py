"""Unusable database files: one clear line, the file left exactly as it was, never recreated."""

from __future__ import annotations

import asyncio
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from store_support import WORKER, OpenStore

from tui.store import StoreError
from tui.store.schema import SCHEMA_VERSION


def _one_line(error: pytest.ExceptionInfo[StoreError]) -> str:
    text = str(error.value)
    assert text and "\n" not in text and "Traceback" not in text
    return text


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()}


async def test_garbage_file_is_refused_and_left_untouched(open_store: OpenStore, tmp_path: Path) -> None:
    path = tmp_path / "chats.db"
    path.write_bytes(os.urandom(8192))
    before = _snapshot(tmp_path)
    with pytest.raises(StoreError) as caught:
        await open_store(path)
    assert "damaged or is not a qwen-tui database" in _one_line(caught)
    assert str(path) in str(caught.value)
    assert _snapshot(tmp_path) == before


async def test_truncated_database_is_refused_and_left_untouched(open_store: OpenStore, tmp_path: Path) -> None:
    path = tmp_path / "chats.db"
    store = await open_store(path)
    await store.create_conversation(title="precious", model="m", endpoint="e")
    await store.close()
    path.write_bytes(path.read_bytes()[:3000])
    before = _snapshot(tmp_path)
    with pytest.raises(StoreError) as caught:
        await open_store(path)
    _one_line(caught)
    assert _snapshot(tmp_path) == before


async def test_a_folder_is_not_a_database(open_store: OpenStore, tmp_path: Path) -> None:
    with pytest.raises(StoreError) as caught:
        await open_store(tmp_path)
    assert "is a folder" in _one_line(caught)


async def test_a_path_that_cannot_be_created_is_refused(open_store: OpenStore, tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where a folder should be")
    with pytest.raises(StoreError) as caught:
        await open_store(blocker / "chats.db")
    assert "cannot create the folder" in _one_line(caught)
    assert blocker.read_text() == "a file where a folder should be"


#: Root ignores file permissions through these two capabilities; without them it meets them like anyone.
_DROP_ROOT_POWERS = ["setpriv", "--bounding-set", "-dac_override,-dac_read_search"]


def _open_as_a_user(path: Path) -> subprocess.CompletedProcess[str]:
    """`Store.open(path)` in a child process that file permissions apply to, even when the tests run as root.

    As root (CI runs as root) the child is still root but has lost CAP_DAC_OVERRIDE and
    CAP_DAC_READ_SEARCH (setpriv, util-linux), so a chmod 444 file is really read-only to it.
    """
    prefix: list[str] = []
    if os.geteuid() == 0:
        probe = subprocess.run([*_DROP_ROOT_POWERS, "true"], capture_output=True, check=False) if shutil.which("setpriv") else None
        if probe is None or probe.returncode != 0:
            pytest.skip("running as root, and setpriv cannot drop CAP_DAC_OVERRIDE here (needs util-linux and CAP_SETPCAP)")
        prefix = _DROP_ROOT_POWERS
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    return subprocess.run(
        [*prefix, sys.executable, str(WORKER), "open", str(path)], capture_output=True, text=True, env=env, timeout=60, check=False
    )


async def test_read_only_file_is_refused(open_store: OpenStore, tmp_path: Path) -> None:
    path = tmp_path / "chats.db"
    store = await open_store(path)
    await store.close()
    path.chmod(0o444)
    before = _snapshot(tmp_path)
    refused = _open_as_a_user(path)
    assert refused.returncode == 1, refused.stderr
    assert refused.stdout == f"the database {path} is not writable; check its permissions or choose another path\n"
    assert _snapshot(tmp_path) == before


async def test_a_database_in_a_read_only_folder_is_refused(open_store: OpenStore, tmp_path: Path) -> None:
    folder = tmp_path / "locked"
    path = folder / "chats.db"
    store = await open_store(path)
    await store.close()
    folder.chmod(0o555)  # the file is writable, but SQLite could not create its journal beside it
    try:
        before = _snapshot(folder)
        refused = _open_as_a_user(path)
        assert refused.returncode == 1, refused.stderr
        assert "not writable" in refused.stdout
        assert _snapshot(folder) == before
    finally:
        folder.chmod(0o755)


async def test_the_permission_check_lets_a_writable_file_open(open_store: OpenStore, tmp_path: Path) -> None:
    path = tmp_path / "chats.db"
    store = await open_store(path)
    await store.close()
    opened = _open_as_a_user(path)
    assert opened.returncode == 0, opened.stdout + opened.stderr


async def test_another_programs_database_is_not_adopted(open_store: OpenStore, tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    with sqlite3.connect(path) as other:
        other.execute("CREATE TABLE notes (body TEXT)")
        other.execute("INSERT INTO notes VALUES ('keep me')")
    other.close()
    before = _snapshot(tmp_path)
    with pytest.raises(StoreError) as caught:
        await open_store(path)
    assert "another program" in _one_line(caught)
    assert _snapshot(tmp_path) == before


async def test_a_newer_schema_is_refused(open_store: OpenStore, tmp_path: Path) -> None:
    path = tmp_path / "chats.db"
    store = await open_store(path)
    await store.close()
    with sqlite3.connect(path) as raw:
        raw.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    raw.close()
    with pytest.raises(StoreError) as caught:
        await open_store(path)
    assert "newer qwen-tui" in _one_line(caught)


@pytest.mark.parametrize("journal", ["delete", "wal"])
async def test_a_database_locked_past_the_busy_timeout_gives_one_line(open_store: OpenStore, tmp_path: Path, journal: str) -> None:
    path = tmp_path / "chats.db"
    if journal == "wal":
        existing = await open_store(path)
        await existing.create_conversation(title="mine", model="m", endpoint="e")
        await existing.close()
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    holder.execute("CREATE TABLE IF NOT EXISTS lock_probe (x)")
    try:
        before = _snapshot(tmp_path)
        with pytest.raises(StoreError) as caught:
            await open_store(path, busy_timeout=0.2)
        assert "busy" in _one_line(caught)
        assert _snapshot(tmp_path) == before
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    # Once the lock is gone the same file opens normally.
    store = await open_store(path)
    assert await store.count_conversations() == (1 if journal == "wal" else 0)
    await store.close()


async def test_a_write_blocked_past_the_busy_timeout_gives_one_line(open_store: OpenStore, tmp_path: Path) -> None:
    path = tmp_path / "chats.db"
    store = await open_store(path, busy_timeout=0.2)
    conversation = await store.create_conversation(title="t", model="m", endpoint="e")
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(StoreError) as caught:
            await store.add_message(conversation.id, role="user", content="hello", parent_id=None)
        assert "busy" in _one_line(caught)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    # The store is still usable: the same message goes in once the lock is released.
    message = await store.add_message(conversation.id, role="user", content="hello", parent_id=None)
    assert [m.content for m in await store.head_branch(conversation.id)] == ["hello"]
    assert message.content == "hello"
    await store.close()


async def test_reopening_keeps_data_and_schema_version(open_store: OpenStore, tmp_path: Path) -> None:
    path = tmp_path / "chats.db"
    store = await open_store(path)
    conversation = await store.create_conversation(title="persisted", model="m", endpoint="e")
    await store.close()
    again = await open_store(path)
    assert (await again.get_conversation(conversation.id)).title == "persisted"
    await again.close()
    raw = sqlite3.connect(path)
    assert raw.execute("PRAGMA user_version").fetchone() == (SCHEMA_VERSION,)
    assert raw.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    raw.close()


async def test_cancelling_a_write_that_waits_on_a_lock_leaves_the_store_usable(open_store: OpenStore, tmp_path: Path) -> None:
    path = tmp_path / "chats.db"
    store = await open_store(path)
    conversation = await store.create_conversation(title="t", model="m", endpoint="e")
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        waiting = asyncio.create_task(store.add_message(conversation.id, role="user", content="dropped", parent_id=None))
        await asyncio.sleep(0.2)  # the task is now inside SQLite's busy wait for BEGIN
        waiting.cancel()
    finally:
        holder.execute("ROLLBACK")  # so the BEGIN still running in SQLite's thread succeeds after the cancel
        holder.close()
    with pytest.raises(asyncio.CancelledError):
        await waiting
    kept = await store.add_message(conversation.id, role="user", content="kept", parent_id=None)
    await store.close()
    assert [row[0] for row in sqlite3.connect(path).execute("SELECT content FROM messages")] == ["kept"]
    assert kept.content == "kept"
