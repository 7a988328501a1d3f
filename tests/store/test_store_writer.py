"""Streaming turns: timer flushes, final status and usage, response expiry, crash recovery on open."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from pathlib import Path

import pytest

from store_support import FakeClock, OpenStore, dead_pid, raw_execute, raw_rows

from tui.store import INTERRUPTED, RESPONSE_TTL_SECONDS, Store, Usage
from tui.store.search import SNIPPET_CLOSE, SNIPPET_OPEN


async def _turn(store: Store) -> tuple[int, int, int]:
    conversation = await store.create_conversation(title="t", model="qwen3-max", endpoint="e")
    user = await store.add_message(conversation.id, role="user", content="tell me", parent_id=None)
    turn = await store.start_assistant(conversation.id, parent_id=user.id, model="qwen3-max", mode="replay", stored=True)
    return conversation.id, user.id, turn.id


async def _wait_for(path: Path, sql: str, params: tuple, expected: object) -> object:
    """Poll the file from a separate connection until `sql` returns `expected` (or give up after 5 s)."""
    value = None
    for _ in range(500):
        value = raw_rows(path, sql, params)[0][0]
        if value == expected:
            break
        await asyncio.sleep(0.01)
    return value


async def test_streamed_text_reaches_the_file_without_finish(store: Store, db_path: Path) -> None:
    _, _, turn = await _turn(store)
    writer = store.turn_writer(turn, flush_interval=0.05)
    for word in ("Write-", "ahead ", "logging"):
        writer.append(word)
    seen = await _wait_for(db_path, "SELECT content FROM messages WHERE id = ?", (turn,), "Write-ahead logging")
    assert seen == "Write-ahead logging"
    assert raw_rows(db_path, "SELECT status FROM messages WHERE id = ?", (turn,)) == [("streaming",)]
    await writer.finish("complete")


async def test_text_is_batched_not_written_per_delta(store: Store, db_path: Path) -> None:
    _, _, turn = await _turn(store)
    writer = store.turn_writer(turn, flush_interval=60)
    for n in range(50):
        writer.append(f"{n} ")
    # Nothing written yet: the timer is a minute away.
    assert raw_rows(db_path, "SELECT content FROM messages WHERE id = ?", (turn,)) == [("",)]
    await writer.finish("complete", usage=Usage(5, 50))
    message = await store.get_message(turn)
    assert message.content == "".join(f"{n} " for n in range(50))
    assert (message.status, message.usage) == ("complete", Usage(5, 50))


async def test_response_id_gets_a_seven_day_expiry(store: Store) -> None:
    _, _, turn = await _turn(store)
    writer = store.turn_writer(turn)
    await writer.set_response("resp_abc", "resp_prev", 1_800_000_100)
    message = await store.get_message(turn)
    assert (message.response_id, message.previous_response_id) == ("resp_abc", "resp_prev")
    assert message.response_created_at == 1_800_000_100
    assert message.expires_at == 1_800_000_100 + RESPONSE_TTL_SECONDS
    assert message.status == "streaming"
    await writer.finish("complete")


async def test_a_failed_turn_keeps_its_partial_text_and_error(store: Store) -> None:
    conversation_id, _, turn = await _turn(store)
    writer = store.turn_writer(turn)
    writer.append("The answer is")
    await writer.finish("failed", error="the server closed the connection")
    message = await store.get_message(turn)
    assert (message.status, message.content, message.error) == ("failed", "The answer is", "the server closed the connection")
    assert [hit.message_id for hit in await store.search("answer")] == [turn]
    assert (await store.conversation_usage(conversation_id)) == Usage()


async def test_open_marks_turns_of_dead_processes_incomplete(open_store: OpenStore, db_path: Path, clock: FakeClock) -> None:
    store = await open_store(db_path, clock=clock)
    _, user, orphan = await _turn(store)
    await store.append_text(orphan, "half an ans")
    _, _, live = await _turn(store)
    await store.close()
    raw_execute(db_path, "UPDATE messages SET writer_pid = ? WHERE id = ?", (dead_pid(), orphan))

    reopened = await open_store(db_path, clock=clock)
    try:
        recovered = await reopened.get_message(orphan)
        assert (recovered.status, recovered.error, recovered.content) == ("incomplete", INTERRUPTED, "half an ans")
        assert (await reopened.get_message(user)).content == "tell me"
        # Still owned by a running process (this one): left alone.
        assert (await reopened.get_message(live)).status == "pending"
        assert [hit.message_id for hit in await reopened.search("half")] == [orphan]
    finally:
        await reopened.close()


async def test_streaming_text_is_searchable_only_once_finished(store: Store) -> None:
    _, _, turn = await _turn(store)
    writer = store.turn_writer(turn)
    writer.append("platypus ")
    await writer.flush()
    assert await store.search("platypus") == []
    writer.append("facts")
    await writer.finish("cancelled")
    hits = await store.search("platypus")
    assert [(hit.message_id, hit.snippet) for hit in hits] == [(turn, f"{SNIPPET_OPEN}platypus{SNIPPET_CLOSE} facts")]


async def test_a_flush_blocked_by_another_program_loses_no_text(
    open_store: OpenStore, db_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    store = await open_store(db_path, busy_timeout=0.1)
    _, _, turn = await _turn(store)
    writer = store.turn_writer(turn, flush_interval=0.01)
    holder = sqlite3.connect(db_path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        with caplog.at_level(logging.WARNING, logger="tui.store"):
            writer.append("kept ")
            for _ in range(300):  # until the timer's flush has failed on the lock
                await asyncio.sleep(0.01)
                if "could not flush" in caplog.text:
                    break
        assert "could not flush" in caplog.text
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    writer.append("and more")
    await writer.finish("complete")
    assert (await store.get_message(turn)).content == "kept and more"


async def test_finish_during_a_flush_under_way_keeps_all_text_in_order(open_store: OpenStore, db_path: Path) -> None:
    store = await open_store(db_path)
    _, _, turn = await _turn(store)
    writer = store.turn_writer(turn, flush_interval=0.01)
    holder = sqlite3.connect(db_path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        writer.append("first ")
        await asyncio.sleep(0.2)  # the timer's flush is now waiting on the lock
        writer.append("second")
        finishing = asyncio.create_task(writer.finish("complete", usage=Usage(1, 2)))
        await asyncio.sleep(0.05)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    await finishing
    message = await store.get_message(turn)
    assert (message.content, message.status, message.usage) == ("first second", "complete", Usage(1, 2))
