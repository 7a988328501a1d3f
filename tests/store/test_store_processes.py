"""Real processes: two writers on one file at once, and a writer killed with SIGKILL mid-stream."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from store_support import WORKER, OpenStore, raw_rows
from store_worker import SEARCH

from tui.store import INTERRUPTED

_ROOT = Path(__file__).resolve().parents[2]
_ENV = {**os.environ, "PYTHONPATH": str(_ROOT)}


def _worker(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, str(WORKER), *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_ENV
    )


async def test_two_processes_writing_one_new_file_both_succeed(open_store: OpenStore, tmp_path: Path) -> None:
    path = tmp_path / "shared.db"
    start = tmp_path / "go"
    turns = 150
    workers = [_worker("write", str(path), tag, str(turns), str(start)) for tag in ("alpha", "beta")]
    try:
        for worker in workers:  # both have opened the (new) file before either starts writing
            assert worker.stdout is not None and worker.stdout.readline() == "ready\n"
    finally:
        start.touch()
    results = [worker.communicate(timeout=60) for worker in workers]
    for worker, (_, err) in zip(workers, results, strict=False):
        assert worker.returncode == 0, err

    store = await open_store(path)
    try:
        conversations = await store.list_conversations()
        assert sorted(c.title for c in conversations) == ["alpha", "beta"]
        for conversation in conversations:
            branch = await store.head_branch(conversation.id)
            assert len(branch) == 2 * turns
            assert branch[-1].content == f"{conversation.title} answer {turns - 1}"
            assert all(m.status == "complete" for m in branch)
        assert raw_rows(path, "SELECT count(*) FROM messages") == [(4 * turns,)]
        # The writes really overlapped in time: each writer's rows interleave with the other's.
        spans = raw_rows(path, "SELECT min(id), max(id) FROM messages GROUP BY conversation_id")
        assert spans[0][0] < spans[1][1] and spans[1][0] < spans[0][1]
        assert len(await store.search("alpha answer")) == 50
    finally:
        await store.close()


async def test_sigkill_mid_stream_keeps_the_question_and_the_partial_answer(open_store: OpenStore, tmp_path: Path) -> None:
    path = tmp_path / "killed.db"
    worker = _worker("stream", str(path))
    try:
        assert worker.stdout is not None
        conversation_id, user_id, turn_id = map(int, worker.stdout.readline().split())
        partial = ""
        for _ in range(1000):  # until the streamed text shows up in the file (at most ~10 s)
            partial = raw_rows(path, "SELECT content FROM messages WHERE id = ?", (turn_id,))[0][0]
            if partial.count("Paris") >= 3:
                break
            time.sleep(0.01)
        assert partial.startswith("Paris 0. ")
        worker.send_signal(signal.SIGKILL)
    finally:
        worker.kill()
        worker.wait(timeout=10)
    assert worker.returncode == -signal.SIGKILL

    store = await open_store(path)
    try:
        branch = await store.head_branch(conversation_id)
        assert [m.id for m in branch] == [user_id, turn_id]
        question, answer = branch
        assert question.content == "What is the capital of France?"
        assert answer.status == "incomplete"
        assert answer.error == INTERRUPTED
        assert answer.content.startswith(partial)
        assert answer.response_id == "resp_killed"
        assert answer.items == [SEARCH]  # the tool call under way rode on the text's flushes
        assert answer.status != "complete"  # so the chat layer never chains on it (tui.chat.chain.chainable)
        assert [hit.message_id for hit in await store.search("Paris")] == [turn_id]
    finally:
        await store.close()
