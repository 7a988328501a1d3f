"""W11 at the store layer: a conversation another live process streams into cannot be deleted under it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from store_support import WORKER, OpenStore, raw_rows

from tui.store import StoreError

_ENV = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}


def _streaming_worker(path: Path) -> tuple[subprocess.Popen[str], int, int]:
    """store_worker.py streaming into a new conversation of `path`; returns it, the conversation and turn ids."""
    worker = subprocess.Popen(
        [sys.executable, str(WORKER), "stream", str(path)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_ENV
    )
    assert worker.stdout is not None
    conversation_id, _, turn_id = map(int, worker.stdout.readline().split())
    for _ in range(1000):  # until its text is in the file
        if raw_rows(path, "SELECT length(content) FROM messages WHERE id = ?", (turn_id,))[0][0]:
            break
        time.sleep(0.01)
    return worker, conversation_id, turn_id


async def test_deleting_a_conversation_another_process_streams_into_is_refused(
    open_store: OpenStore, tmp_path: Path
) -> None:
    path = tmp_path / "shared.db"
    worker, conversation_id, turn_id = _streaming_worker(path)
    try:
        store = await open_store(path)
        assert await store.streaming_elsewhere(conversation_id) == worker.pid
        with pytest.raises(StoreError) as refused:
            await store.delete_conversation(conversation_id)
        line = str(refused.value)
        assert "another qwen-tui" in line and str(worker.pid) in line and "\n" not in line
        assert await store.get_conversation(conversation_id) is not None
    finally:
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=10)
    # Once that process is gone, its turn is no longer live and the conversation can go.
    assert await store.streaming_elsewhere(conversation_id) is None
    await store.delete_conversation(conversation_id)
    assert await store.get_conversation(conversation_id) is None
    assert raw_rows(path, "SELECT count(*) FROM messages WHERE id = ?", (turn_id,)) == [(0,)]
